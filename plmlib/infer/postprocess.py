"""PLM_P: PLM's probability map post-processed with the weighted median filter (slides: "PLMp = post-processed
results using weighted median filter [Zhang, Xu and Jia, CVPR 2014, 100+ times faster weighted median filter]").

The filter is OpenCV's implementation of that paper, ``cv2.ximgproc.weightedMedianFilter``, guided by the frame:
each pixel's probability becomes the median of its neighbourhood's, weighted by colour similarity to it, so the
mask's edges snap to the image's edges and isolated specks vanish. Then the map is thresholded again.
Radius, sigma and weight kind are not in the paper: named parameters, OpenCV's defaults for sigma and weights (ours).

Speed (ours): the filter runs only on the bounding box of the thresholded mask enlarged by 2 radii. This does not
change the final mask: a pixel farther than one radius from every foreground pixel has a neighbourhood of
probabilities all below the threshold, so their weighted median is below it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from plmlib.core import crops

from .stacking import DEFAULT_THRESHOLD

WEIGHT_TYPES = ("exp", "iv1", "iv2", "cos", "jac", "off")


@dataclass
class WeightedMedianConfig:
    """The filter's parameters (ours; the paper gives none).

      radius       half-size of the square neighbourhood, pixels (at 854 x 480)
      sigma        range standard deviation of the colour weight (OpenCV's default 25.5)
      weight_type  OpenCV's WMF weight: exp (exp(-|I1-I2|^2 / 2 sigma^2), default), iv1, iv2, cos, jac, off (unweighted)
      levels       the probability is quantised to this many levels (uint8: at most 256)
      seed         OpenCV's random generator is set to this before every filter: OpenCV's implementation draws
                   from that global generator (for a colour guide; a flat guide gives the same result every time),
                   so without it a frame's map depended on what had run before in the process (on DAVIS
                   car-shadow, a repeated call on the same frame changed about 2,500 of the mask's 33,000 pixels;
                   seeded, none). Side effect: the generator is left re-seeded (as GrabCut leaves it).
    """

    radius: int = 10
    sigma: float = 25.5
    weight_type: str = "exp"
    levels: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        if self.radius < 1:
            raise ValueError(f"radius must be a positive integer, got {self.radius}")
        if self.weight_type not in WEIGHT_TYPES:
            raise ValueError(f"weight_type must be one of {WEIGHT_TYPES}, got {self.weight_type!r}")
        if not 2 <= self.levels <= 256:
            raise ValueError(f"levels must be in 2..256, got {self.levels}")


def weighted_median(probability: np.ndarray, frame: np.ndarray, config: WeightedMedianConfig | None = None,
                    level: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """PLM_P: the H x W probability map filtered by the weighted median guided by the RGB ``frame``.

    Returns the filtered map, float32 in [0, 1] (unchanged, and below ``level``, far from the mask: see above).
    """
    c = config or WeightedMedianConfig()
    probability = np.asarray(probability, dtype=np.float32)
    out = probability.copy()
    box = crops.mask_box(probability >= level)
    if box is None:
        return out
    y0, y1, x0, x1 = crops.padded_region(box, 2 * c.radius, probability.shape)
    scale = c.levels - 1
    src = np.round(probability[y0:y1, x0:x1] * scale).astype(np.uint8)
    guide = np.ascontiguousarray(frame[y0:y1, x0:x1, ::-1])  # OpenCV's channel order (the weights do not care)
    weight = getattr(cv2.ximgproc, f"WMF_{c.weight_type.upper()}")
    cv2.setRNGSeed(int(c.seed))  # deterministic: see WeightedMedianConfig.seed
    filtered = cv2.ximgproc.weightedMedianFilter(guide, src, int(c.radius), float(c.sigma), weight)
    out[y0:y1, x0:x1] = filtered.astype(np.float32) / scale
    return out
