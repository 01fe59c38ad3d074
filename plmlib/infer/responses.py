"""Slides (c, d, e), "response extraction by feeding search and query inputs": the fine-tuned network's foreground
probability for each (query, candidate window) pair.

Matching is always against the first frame (slides: "initial frame matching without model update"), so the query's
vector is computed once (:meth:`Matcher.set_query`) and reused; the candidate windows of a frame go through the
network as one batch (:meth:`Matcher.responses`). Crops are cut with ``plmlib.core.crops``, exactly as training cuts
them. PLM_U calls ``set_query`` again with a later frame and its predicted mask.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from plmlib.core import crops
from plmlib.model import PLMNet


class Matcher:
    """One object's matcher: a network, the query vector of its object, and the time spent in the network."""

    def __init__(self, net: PLMNet, device: torch.device | str = "cpu", context: float = crops.DEFAULT_CONTEXT,
                 min_side: float = crops.DEFAULT_MIN_SIDE, pad: str = "mean", batch_size: int = 16):
        self.net = net.eval()
        self.device = torch.device(device)
        self.size = net.config.crop_size
        self.context, self.min_side, self.pad, self.batch_size = context, min_side, pad, int(batch_size)
        self.query_vec: torch.Tensor | None = None
        self.query_window: crops.Box | None = None
        self.network_seconds = 0.0  # accumulated time inside the network (encode + segment)

    @torch.inference_mode()
    def set_query(self, frame: np.ndarray, mask: np.ndarray) -> None:
        """Crop the query around ``mask``'s object in ``frame`` and compute its vector (once per video for PLM)."""
        rgb, q_mask, self.query_window = crops.crop_query(frame, mask, self.size, self.context,
                                                          min_side=self.min_side, pad=self.pad)
        started = time.perf_counter()
        self.query_vec = self.net.encode_query(crops.image_to_tensor(rgb)[None].to(self.device),
                                               crops.mask_to_tensor(q_mask)[None].to(self.device))
        self.network_seconds += time.perf_counter() - started

    def search_batch(self, frame: np.ndarray, windows: list) -> torch.Tensor:
        """Slides (c): the candidate windows cut from ``frame`` and resized to S x S: (N, 3, S, S) in [0, 1]."""
        fill = crops.pad_colour(frame, self.pad)  # computed once per frame, not once per window
        batch = np.stack([crops.crop_image(frame, w, self.size, pad=fill) for w in windows])
        return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255.0)

    @torch.inference_mode()
    def responses(self, frame: np.ndarray, windows: list) -> np.ndarray:
        """Slides (c, d, e): the foreground probability of each window, (N, S, S) float32, in one batched pass
        (chunks of ``batch_size``) against the cached query vector."""
        if self.query_vec is None:
            raise RuntimeError("Matcher.responses() called before set_query()")
        search = self.search_batch(frame, windows)
        out = []
        started = time.perf_counter()
        for chunk in torch.split(search, self.batch_size):
            logits = self.net.segment(self.query_vec, chunk.to(self.device))
            out.append(self.net.foreground_probability(logits).float().cpu())
        self.network_seconds += time.perf_counter() - started
        return torch.cat(out).numpy()
