"""Our refinement (not the paper's): PLM's probability map as the seed of a GrabCut segmentation of the frame.

PLM's object decoder outputs a 16 x 16 map upsampled to the S x S crop, so the mask's boundary is as blurred as one
cell of that map, tens of frame pixels on DAVIS (results/diagnostics/: F is low even where PLM holds the object). GrabCut (Rother, Kolmogorov and Blake, SIGGRAPH 2004; OpenCV's ``cv2.grabCut``) re-decides
the pixels around the object with colour models of the object and its surroundings and a graph cut whose edges
follow the image's, seeded by the network's map:

    probability >= sure_foreground      the object, for certain (GrabCut may not change it)
    level <= probability                probably the object
    sure_background <= probability      probably background
    probability < sure_background       background, for certain

It runs on the box of the thresholded map enlarged by ``margin`` (nothing outside can become the object), so its
cost follows the object's size, not the frame's. The result is returned as a probability map that thresholds
(at ``level``) exactly to GrabCut's mask, and keeps the network's values for ordering objects that overlap
(plmlib.infer.stacking.merge_objects). The slides' own post-processing is the weighted median filter (PLM_P,
plmlib.infer.postprocess); this is a separate, named option of PLMSegmenter, and its numbers are labelled ours.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from plmlib.core import crops

from .thresholds import DEFAULT_THRESHOLD, GRABCUT_SURE_BACKGROUND, GRABCUT_SURE_FOREGROUND

MIN_SEED_PIXELS = 64  # fewer pixels of either side than this: too few to fit GrabCut's colour models (ours)


@dataclass
class GrabCutConfig:
    """GrabCut's seeds and region (all ours).

      sure_foreground   probabilities at or above this are fixed as the object
      sure_background   probabilities below this are fixed as background
      iterations        GrabCut's rounds of (fit colour models, graph cut)
      margin            the region is the thresholded map's box enlarged by this fraction of its longer side on
                        each side (at least ``min_margin`` pixels)
      min_margin        pixels
      seed              OpenCV's random generator is set to this before every cut: GrabCut starts its colour models
                        from k-means, which draws from that global generator, so without it a frame's mask depends
                        on what ran before in the process (results/defaults/README.md). Side effect: OpenCV's
                        generator is left re-seeded.
    """

    sure_foreground: float = GRABCUT_SURE_FOREGROUND
    sure_background: float = GRABCUT_SURE_BACKGROUND
    iterations: int = 3
    margin: float = 0.15
    min_margin: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.sure_background < self.sure_foreground < 1.0:
            raise ValueError("need 0 < sure_background < sure_foreground < 1, got "
                             f"{self.sure_background} and {self.sure_foreground}")
        if self.iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {self.iterations}")
        if self.margin < 0 or self.min_margin < 0:
            raise ValueError("margin and min_margin must be non-negative")


def check_levels(config: GrabCutConfig, level: float) -> None:
    """The seeds need sure_background < level < sure_foreground; a ValueError naming them otherwise."""
    if not config.sure_background < level < config.sure_foreground:
        raise ValueError(f"GrabCut needs sure_background < threshold < sure_foreground, got "
                         f"{config.sure_background} < {level} < {config.sure_foreground}")


def grabcut_region(foreground: np.ndarray, config: GrabCutConfig) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1): the box of ``foreground`` (plmlib.core.crops.mask_box) enlarged by the margin, inside the frame;
    None when empty."""
    box = crops.mask_box(foreground)
    if box is None:
        return None
    margin = max(int(round(config.margin * max(crops.box_size(box)))), config.min_margin)
    return crops.padded_region(box, margin, foreground.shape)


def grabcut_refine(probability: np.ndarray, frame: np.ndarray, config: GrabCutConfig | None = None,
                   level: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """The H x W probability map refined by GrabCut on the RGB ``frame`` (see the module's docstring).

    Returns float32 in [0, 1]: at least ``level`` where GrabCut says object, below it elsewhere. Unchanged when
    the map holds nothing at ``level``, or when the region has fewer than MIN_SEED_PIXELS on either side."""
    c = config or GrabCutConfig()
    probability = np.asarray(probability, dtype=np.float32)
    frame = np.asarray(frame)
    if frame.shape[:2] != probability.shape or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame must be H x W x 3 with the map's size {probability.shape}, got {frame.shape}")
    check_levels(c, level)
    region = grabcut_region(probability >= level, c)
    if region is None:
        return probability.copy()
    y0, y1, x0, x1 = region
    local = probability[y0:y1, x0:x1]
    seeds = np.full(local.shape, cv2.GC_PR_BGD, np.uint8)
    seeds[local >= level] = cv2.GC_PR_FGD
    seeds[local >= c.sure_foreground] = cv2.GC_FGD
    seeds[local < c.sure_background] = cv2.GC_BGD
    object_side = np.count_nonzero((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD))
    if min(object_side, seeds.size - object_side) < MIN_SEED_PIXELS:
        return probability.copy()
    background_model, foreground_model = np.zeros((1, 65)), np.zeros((1, 65))
    image = np.ascontiguousarray(frame[y0:y1, x0:x1, ::-1], dtype=np.uint8)  # OpenCV's BGR
    cv2.setRNGSeed(int(c.seed))  # deterministic: see GrabCutConfig.seed
    cv2.grabCut(image, seeds, None, background_model, foreground_model, int(c.iterations), cv2.GC_INIT_WITH_MASK)
    inside = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
    below = np.nextafter(np.float32(level), np.float32(0.0))
    out = probability.copy()  # outside the region nothing reaches the level already
    out[y0:y1, x0:x1] = np.where(inside, np.maximum(local, np.float32(level)), np.minimum(local, below))
    return out
