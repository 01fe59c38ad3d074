"""The teaching extra: click a pixel, see the network's matching response of that region against the first frame.

"Pixel-level matching" made visible: the query is the object cut from the first frame (slides: query input; after a
PLM propagation, the frame it started from, where its network's query was set); the
clicked pixel becomes the centre of one candidate window (slides (a, b)) of the query window's size; the network
matches the two (slides (c, d, e)) and answers a foreground probability for every pixel of the window. Clicking on
the object gives a bright response where it is; clicking on background, a dark one.

Which network (our choice): the last propagation's fine-tuned PLM network when the session ran a PLM method
(``plmlib.core.methods.PLM_METHODS``), otherwise the shipped pre-trained network (``plmlib.model.pretrained``, not
fine-tuned on this video), or any PLMNet given as ``net``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from plmlib.core import crops
from plmlib.infer.responses import Matcher
from plmlib.model import pretrained


@dataclass
class MatchingResponse:
    """One probe: the query crop (background suppressed as the network sees it), the search crop, the response."""

    frame_index: int
    point: tuple[int, int]  # (x, y) clicked
    window: tuple[int, int, int, int]  # the candidate window in the frame, (x0, y0, x1, y1)
    query: np.ndarray  # S x S x 3 uint8
    search: np.ndarray  # S x S x 3 uint8
    response: np.ndarray  # S x S float32 in [0, 1]
    network: str  # which network answered

    def figure_array(self, scale: int = 2) -> np.ndarray:
        """query | search | response (as a heat map over the search crop), side by side, uint8 RGB."""
        heat = cv2.applyColorMap(np.round(self.response * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
        blend = (0.5 * self.search + 0.5 * heat).astype(np.uint8)
        gap = np.full((self.query.shape[0], 4, 3), 255, np.uint8)
        panel = np.concatenate([self.query, gap, self.search, gap, blend], axis=1)
        return cv2.resize(panel, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


class MatchingProbe:
    """Matches windows of any frame against the query cut from ``first_frame`` around ``first_mask``."""

    def __init__(self, first_frame: np.ndarray, first_mask: np.ndarray, net=None, matcher=None, device: str = "cpu"):
        binary = (np.asarray(first_mask) > 0).astype(np.uint8)
        if not binary.any():
            raise ValueError("the first-frame mask is empty: there is no object to match against")
        if matcher is not None:  # a PLM segmenter's matcher: its query (this object) is already set
            self.network = "the propagation's fine-tuned PLM network"
        else:
            if net is None:
                net, self.network = pretrained(), "the shipped pre-trained network (not fine-tuned on this video)"
            else:
                self.network = "the given network"
            matcher = Matcher(net, device)
            matcher.set_query(first_frame, binary)
        self.matcher = matcher
        self._query_rgb, self._query_mask, _ = crops.crop_query(first_frame, binary, matcher.size, matcher.context,
                                                                min_side=matcher.min_side)

    @classmethod
    def for_session(cls, session) -> MatchingProbe:
        """The probe of a :class:`PropagationSession`: its fine-tuned PLM network if it ran one, else the shipped
        pre-trained network (plmlib.model.pretrained)."""
        segmenter = session.segmenter
        matchers = getattr(segmenter, "matchers", None)
        start = session.last_run.get("start", 0) if matchers else 0  # a PLM network's query is its start frame
        first = session.mask(start)
        if first is None or not first.any():
            raise ValueError(f"frame {start} has no mask: draw the object first, then probe")
        if matchers:
            return cls(session.frame(start), first == segmenter.ids[0], matcher=matchers[0])
        return cls(session.frame(start), first)

    def probe(self, frame: np.ndarray, x: float, y: float, frame_index: int = -1) -> MatchingResponse:
        """The response of the window centred on pixel (x, y) of ``frame``, the query window's size."""
        height, width = frame.shape[:2]
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(f"pixel ({x}, {y}) is outside the {width}x{height} frame")
        x0, y0, x1, y1 = self.matcher.query_window
        window = crops.round_window(crops.box_from_center(float(x), float(y), x1 - x0, y1 - y0))
        response = self.matcher.responses(frame, [window])[0]
        search = crops.crop_image(frame, window, self.matcher.size)
        query = crops.query_preview(self._query_rgb, self._query_mask)
        return MatchingResponse(frame_index, (int(x), int(y)), window, query, search, response.astype(np.float32),
                                self.network)
