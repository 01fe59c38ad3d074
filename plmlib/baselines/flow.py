"""Optical-flow mask propagation: the simplest baseline, and the clearest background drift.

For each new frame t, dense optical flow (OpenCV's DIS, Kroeger et al., ECCV 2016) is computed from
frame t back to frame t-1, and the previous frame's per-object scores are warped along it. Errors
accumulate frame after frame, since nothing ever looks at the first frame again: this is the drift
the PLM paper's matching against the initial frame avoids.

Backward warping alone cannot handle disocclusion: background uncovered at t has (correctly) zero
flow and would copy the object's old label, leaving a trail. A forward-backward consistency check
(Sundaram et al., ECCV 2010) finds those pixels and labels them background (our choice).
"""

from __future__ import annotations

import cv2
import numpy as np

from plmlib.core.segmenter import VideoSegmenter

DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def dis_flow(preset: str = "medium") -> cv2.DISOpticalFlow:
    """An OpenCV DIS optical-flow engine with a named speed/quality preset."""
    if preset not in DIS_PRESETS:
        raise ValueError(f"unknown DIS preset {preset!r} (expected one of {', '.join(DIS_PRESETS)})")
    return cv2.DISOpticalFlow_create(DIS_PRESETS[preset])


def warp_scores(
    flow: cv2.DISOpticalFlow,
    previous_grey: np.ndarray,
    grey: np.ndarray,
    scores: np.ndarray,
    occlusion_check: bool = True,
) -> np.ndarray:
    """Warp per-label scores (``(K+1) x H x W``, background first) from frame t-1 to frame t.

    Backward flow (for each pixel of t, where it was at t-1) pulls the scores; outside the frame and,
    with ``occlusion_check``, where forward and backward flows disagree, a pixel becomes background.
    Returns scores normalised to sum to one per pixel.
    """
    backward = flow.calc(grey, previous_grey, None)
    height, width = grey.shape
    xx, yy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    map_x, map_y = xx + backward[..., 0], yy + backward[..., 1]
    warped = np.stack(
        [
            cv2.remap(p, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=float(i == 0))
            for i, p in enumerate(scores)
        ]
    )
    if occlusion_check:
        forward = flow.calc(previous_grey, grey, None)
        forward_at_source = np.stack(
            [cv2.remap(forward[..., c], map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for c in (0, 1)],
            axis=-1,
        )
        mismatch = np.linalg.norm(backward + forward_at_source, axis=-1)
        magnitude = np.linalg.norm(backward, axis=-1) + np.linalg.norm(forward_at_source, axis=-1)
        occluded = mismatch > 1.0 + 0.1 * magnitude
        warped[:, occluded] = 0.0
        warped[0, occluded] = 1.0
    return warped / np.maximum(warped.sum(0, keepdims=True), 1e-6)


def one_hot(mask: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``(K+1) x H x W`` float32 indicator of each label (background first) in an id map."""
    return (mask[None] == labels[:, None, None]).astype(np.float32)


class FlowPropagation(VideoSegmenter):
    """Warp the previous mask to the current frame along backward DIS optical flow.

    ``rethreshold``: after warping, snap the scores back to a hard mask (argmax) every frame (our
    default; without it, interpolation blurs the scores a little more each frame).
    ``preset``: DIS speed/quality preset (``ultrafast``, ``fast``, ``medium``).
    ``occlusion_check``: label pixels whose forward and backward flows disagree as background.
    """

    name = "flow"

    def __init__(self, preset: str = "medium", rethreshold: bool = True, occlusion_check: bool = True):
        super().__init__()
        self.preset, self.rethreshold, self.occlusion_check = preset, rethreshold, occlusion_check
        self.flow = dis_flow(preset)

    def _start(self, frame: np.ndarray, mask: np.ndarray) -> None:
        self.previous_grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        self.labels = np.array([0] + self.ids, dtype=np.uint8)
        self.probabilities = one_hot(mask, self.labels)

    def _step(self, frame: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        warped = warp_scores(self.flow, self.previous_grey, grey, self.probabilities, self.occlusion_check)
        mask = self.labels[np.argmax(warped, axis=0)]
        self.probabilities = one_hot(mask, self.labels) if self.rethreshold else warped
        self.previous_grey = grey
        return mask
