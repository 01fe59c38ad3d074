"""Pictures of the DAVIS measures: what J counts (regions) and what F counts (boundaries within a tolerance)."""

from __future__ import annotations

import cv2
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from plmlib.io import ERROR_COLOURS, ERROR_LABELS
from plmlib.metrics import boundary_tolerance, contour_accuracy, region_similarity, seg2bmap


def perturb(mask: np.ndarray, kind: str, amount: int = 5) -> np.ndarray:
    """A perturbed copy of a binary mask, as in the metric reference tests: ``erode``, ``dilate``, ``shift``, ``empty``.

    ``erode``/``dilate`` use a 3x3 square ``amount`` times; ``shift`` moves the mask ``amount`` pixels right.
    """
    mask = (np.asarray(mask) > 0).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    if kind == "erode":
        return cv2.erode(mask, kernel, iterations=amount, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if kind == "dilate":
        return cv2.dilate(mask, kernel, iterations=amount, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if kind == "shift":
        out = np.zeros_like(mask)
        out[:, amount:] = mask[:, :-amount]
        return out
    if kind == "empty":
        return np.zeros_like(mask)
    raise ValueError(f"unknown perturbation {kind!r} (erode, dilate, shift, empty)")


def region_picture(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """RGB picture of J on white, in the course's error colours (``plmlib.io.ERROR_COLOURS``): green = both
    (intersection, found), red = predicted only (false alarm), blue = missed."""
    gt, pred = np.asarray(gt) > 0, np.asarray(pred) > 0
    picture = np.full((*gt.shape, 3), 255, np.uint8)
    picture[gt & pred] = ERROR_COLOURS["true_positive"]
    picture[pred & ~gt] = ERROR_COLOURS["false_positive"]
    picture[gt & ~pred] = ERROR_COLOURS["missed"]
    return picture


def error_legend_handles() -> list:
    """Legend handles of the course's error colours (``plmlib.io.ERROR_COLOURS``: found, false alarm, missed), for
    any figure that draws a mask against the truth (``region_picture``, ``plmlib.io.error_overlay``)."""
    return [Patch(color=np.asarray(ERROR_COLOURS[k]) / 255, label=ERROR_LABELS[k]) for k in ERROR_COLOURS]


def boundary_picture(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """RGB picture of F: the tolerance band around the true boundary in grey, predicted boundary pixels
    green where they fall inside it (precision) and red where not; true boundary pixels missed in blue."""
    gt_b, pred_b = seg2bmap(np.asarray(gt) > 0), seg2bmap(np.asarray(pred) > 0)
    radius = int(boundary_tolerance(gt_b.shape))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    gt_band = cv2.dilate(gt_b.astype(np.uint8), disk) > 0
    pred_band = cv2.dilate(pred_b.astype(np.uint8), disk) > 0
    picture = np.full((*gt_b.shape, 3), 255, np.uint8)
    picture[gt_band] = (225, 225, 225)
    thick = np.ones((3, 3), np.uint8)
    for pixels, colour in (
        (gt_b & ~pred_band, ERROR_COLOURS["missed"]),
        (pred_b & gt_band, ERROR_COLOURS["true_positive"]),
        (pred_b & ~gt_band, ERROR_COLOURS["false_positive"]),
    ):
        picture[cv2.dilate(pixels.astype(np.uint8), thick) > 0] = colour
    return picture


def metrics_figure(gt: np.ndarray, predictions: dict[str, np.ndarray], crop: bool = True):
    """One column per prediction: J picture on top, F picture below, with the scores in the titles."""
    gt = np.asarray(gt) > 0
    window = (slice(None), slice(None))
    if crop and gt.any():
        ys, xs = np.nonzero(gt | np.any([np.asarray(p) > 0 for p in predictions.values()], axis=0))
        pad = 30
        window = (slice(max(ys.min() - pad, 0), ys.max() + pad), slice(max(xs.min() - pad, 0), xs.max() + pad))
    figure, axes = plt.subplots(2, len(predictions), figsize=(3.2 * len(predictions), 5.6), squeeze=False)
    for c, (name, pred) in enumerate(predictions.items()):
        j, f = region_similarity(gt, pred), contour_accuracy(gt, pred)
        axes[0, c].imshow(region_picture(gt, pred)[window])
        axes[0, c].set_title(f"{name}\nJ = {j:.3f}", fontsize=9)
        axes[1, c].imshow(boundary_picture(gt, pred)[window])
        axes[1, c].set_title(f"F = {f:.3f}", fontsize=9)
        for ax in axes[:, c]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("regions (J)")
    axes[1, 0].set_ylabel("boundaries (F)")
    figure.tight_layout()
    return figure
