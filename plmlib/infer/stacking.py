"""Slides (f) "size restoring", (g) "stacking", (h) "thresholding": from S x S responses to a full-frame mask.

Each response is resized back to its window and pasted into a full-frame canvas; where windows overlap their
probabilities are averaged (the paper README's reconstruction; the slides show the responses "stacked"), and where
no window reaches the frame is background. Thresholding at DEFAULT_THRESHOLD is the paper README's starting point (PLMSegmenter
thresholds a pre-trained network's map lower: plmlib.infer.thresholds). With several
objects, each has its own full-frame map and a pixel goes to the object of highest probability (our choice).
"""

from __future__ import annotations

import numpy as np

from plmlib.core import crops

from .thresholds import DEFAULT_THRESHOLD  # paper README: "thresholded (0.5 to start)"; plmlib.infer.thresholds


STACKING = ("mean", "max")


def restore_and_stack(responses: np.ndarray, windows: list, frame_size: tuple[int, int],
                      mode: str = "mean") -> np.ndarray:
    """Slides (f, g): N S x S probabilities -> one H x W float32 map, 0 where no window reaches.

    ``mode``: where windows overlap, ``mean`` averages them (paper README's reconstruction); ``max`` keeps the
    highest (ours, an ablation: one confident window suffices)."""
    if mode not in STACKING:
        raise ValueError(f"stacking mode must be one of {STACKING}, got {mode!r}")
    if mode == "mean":
        canvas = crops.Canvas(frame_size)
        for probability, window in zip(responses, windows):
            canvas.add(probability, window)  # (f) resize back to the window, (g) accumulate
        return canvas.average(background=0.0)
    stacked = np.zeros(frame_size, np.float32)
    for probability, window in zip(responses, windows):
        restored, _ = crops.paste(probability, window, frame_size)  # (f)
        np.maximum(stacked, restored, out=stacked)  # (g)
    return stacked


def threshold(probability: np.ndarray, level: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Slides (h): H x W bool, foreground where the probability is at least ``level``."""
    return np.asarray(probability) >= level


def merge_objects(probabilities: np.ndarray, ids: list[int], level: float = DEFAULT_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Several objects (one map each, K x H x W) -> (H x W uint8 id map, (K + 1) x H x W scores).

    A pixel takes the id of the object of highest probability when that probability reaches ``level``, else 0.
    The scores put the background first, as 1 - the highest object probability (our choice).
    """
    probabilities = np.asarray(probabilities, dtype=np.float32)
    best = probabilities.argmax(axis=0)
    top = np.take_along_axis(probabilities, best[None], axis=0)[0]
    labels = np.asarray(ids, dtype=np.uint8)[best]
    mask = np.where(top >= level, labels, 0).astype(np.uint8)
    scores = np.concatenate([(1.0 - top)[None], probabilities]).astype(np.float32)
    return mask, scores
