"""Region similarity J: the Jaccard index (intersection over union) of two binary masks.

Follows the DAVIS protocol (Perazzi et al., CVPR 2016, Sec. 3.1; official ``db_eval_iou``): J = |M ∩ G| / |M ∪ G|,
and J = 1 when both masks are empty (nothing to find, nothing found). Pixels marked ``void`` are ignored.
"""

from __future__ import annotations

import numpy as np


def _as_bool(mask: np.ndarray, name: str) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"{name} must be a 2-D mask (height x width), got shape {mask.shape}")
    return mask if mask.dtype == bool else mask != 0


def binary_masks(gt: np.ndarray, pred: np.ndarray, void: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The input checks of J and F: both masks as boolean (non-zero = foreground) and of one size, ``void`` pixels
    cleared from both (the official code ignores them)."""
    gt = _as_bool(gt, "ground truth")
    pred = _as_bool(pred, "prediction")
    if gt.shape != pred.shape:
        raise ValueError(f"ground truth is {gt.shape[1]}x{gt.shape[0]} but prediction is {pred.shape[1]}x{pred.shape[0]}")
    if void is not None:
        keep = ~_as_bool(void, "void")
        gt, pred = gt & keep, pred & keep
    return gt, pred


def region_similarity(gt: np.ndarray, pred: np.ndarray, void: np.ndarray | None = None) -> float:
    """J of a predicted mask against the ground truth (non-zero = foreground); 1.0 when both are empty."""
    gt, pred = binary_masks(gt, pred, void)
    union = np.count_nonzero(gt | pred)
    if union == 0:
        return 1.0
    return np.count_nonzero(gt & pred) / union
