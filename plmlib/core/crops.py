"""Crop geometry shared by training and inference: boxes, context windows, crop + resize, and paste back.

The network sees S x S crops only. Training (plmlib.train) and inference (plmlib.infer) must cut them the same way,
so both use this module:

    box = mask_box(first_mask)                         # tight box of the object, (x0, y0, x1, y1)
    window = context_window(box, context=1.5)          # enlarged, square, whole pixels: what is cropped
    rgb = crop_image(frame, window, 128)               # S x S x 3 uint8, outside the frame: the frame's mean colour
    msk = crop_mask(mask, window, 128)                 # S x S uint8 0/1, outside the frame: 0
    canvas = Canvas(frame.shape[:2]); canvas.add(probability, window)   # slides (f) size restoring, (g) stacking
    full = canvas.average()                            # H x W probability; (h) thresholding is the caller's

Conventions (all ours; the paper gives none):
- A box is ``(x0, y0, x1, y1)`` in pixels of the full frame, ``x1``/``y1`` exclusive: pixel ``(y, x)`` covers
  ``[x, x + 1) x [y, y + 1)``, so a mask whose only pixel is ``(y, x)`` has the box ``(x, y, x + 1, y + 1)``.
- A *window* is a box with integer corners (``context_window`` rounds), so cropping is slicing plus one resize and
  the paste is its exact inverse (no sub-pixel drift between the two directions).
- Windows are square by default: the side is ``context`` times the box's longer side, and the crop is resized
  isotropically, so the object keeps its aspect ratio in the crop and query and search crops of the same object
  look alike whatever its shape. ``square=False`` enlarges each axis separately and stretches the window to S x S
  (fills the crop better for elongated objects, but distorts them, differently as the object turns): an ablation.
- Resizing: area averaging when the window is larger than S (no aliasing), bilinear when it is smaller.
- Padding outside the frame: the image's mean colour by default (as SiamFC does: no artificial black edges for the
  encoder to match), ``"zeros"`` (black) or an explicit RGB triple; masks are padded with 0 (background).
"""

from __future__ import annotations

import math
from collections.abc import Sequence as SequenceABC

import cv2
import numpy as np

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (x1, y1 exclusive), full-frame pixels

DEFAULT_CONTEXT = 1.5  # paper README: "the first-frame object's box enlarged by a context factor (1.5 to start)"
DEFAULT_MIN_SIDE = 16  # ours: windows of tiny objects are at least this many pixels wide


# ---------------------------------------------------------------------------------------------------------------- #
# boxes
def mask_box(mask: np.ndarray) -> Box | None:
    """Tight box ``(x0, y0, x1, y1)`` of the non-zero pixels of an H x W mask; ``None`` for an empty mask."""
    mask = np.asarray(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return (float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1))


def padded_region(box: Box, margin: int, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: whole-pixel slices of ``box`` (from :func:`mask_box`) enlarged by ``margin`` pixels on
    each side and clipped to an image of ``shape`` (H, W): the region a local refinement works in."""
    x0, y0, x1, y1 = (int(v) for v in box)
    height, width = shape[:2]
    return max(y0 - margin, 0), min(y1 + margin, height), max(x0 - margin, 0), min(x1 + margin, width)


def box_center(box: Box) -> tuple[float, float]:
    """``(cx, cy)`` of a box."""
    x0, y0, x1, y1 = box
    return ((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def box_size(box: Box) -> tuple[float, float]:
    """``(width, height)`` of a box."""
    x0, y0, x1, y1 = box
    return (x1 - x0, y1 - y0)


def box_from_center(cx: float, cy: float, width: float, height: float) -> Box:
    """The box of a given centre and size."""
    return (cx - width / 2.0, cy - height / 2.0, cx + width / 2.0, cy + height / 2.0)


def round_window(box: Box) -> tuple[int, int, int, int]:
    """Whole-pixel window around a box's centre with its size rounded (at least 1 x 1 pixel)."""
    cx, cy = box_center(box)
    w, h = box_size(box)
    w, h = max(1, int(round(w))), max(1, int(round(h)))
    x0, y0 = int(math.floor(cx - w / 2.0 + 0.5)), int(math.floor(cy - h / 2.0 + 0.5))
    return (x0, y0, x0 + w, y0 + h)


def context_window(box: Box, context: float = DEFAULT_CONTEXT, *, square: bool = True,
                   min_side: float = DEFAULT_MIN_SIDE) -> tuple[int, int, int, int]:
    """The window cropped around an object: ``box`` enlarged ``context`` times about its centre, in whole pixels.

    square=True (our default): side = context * the box's longer side, so a resize to S x S keeps the aspect
    ratio. square=False: each axis enlarged separately (stretched to S x S later). Sides are at least ``min_side``.
    The window may extend beyond the frame: the crop pads what lies outside.
    """
    if context <= 0:
        raise ValueError(f"context must be positive, got {context}")
    cx, cy = box_center(box)
    w, h = box_size(box)
    if square:
        w = h = max(w, h)
    return round_window(box_from_center(cx, cy, max(context * w, min_side), max(context * h, min_side)))


# ---------------------------------------------------------------------------------------------------------------- #
# crop + resize
def pad_colour(image: np.ndarray, pad: str | SequenceABC = "mean") -> np.ndarray:
    """The fill value outside the frame: the image's per-channel mean (``"mean"``), ``"zeros"`` or a given value."""
    image = np.asarray(image)
    channels = image.shape[2] if image.ndim == 3 else 1
    if isinstance(pad, str):
        if pad == "mean":  # estimated on every 4th row and column: 16x cheaper, the same to a fraction of a level
            value = image[::4, ::4].reshape(-1, channels).mean(axis=0)
        elif pad == "zeros":
            value = np.zeros(channels)
        else:
            raise ValueError(f"pad must be 'mean', 'zeros' or a colour, got {pad!r}")
    else:
        value = np.broadcast_to(np.asarray(pad, dtype=np.float64), (channels,))
    return value.astype(np.float64)


def cut_window(array: np.ndarray, window: tuple[int, int, int, int], fill) -> np.ndarray:
    """The window's pixels (h x w [x C]), with ``fill`` where the window lies outside the array."""
    x0, y0, x1, y1 = window
    height, width = array.shape[:2]
    out = np.empty((y1 - y0, x1 - x0) + array.shape[2:], dtype=array.dtype)
    out[...] = fill
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = array[sy0:sy1, sx0:sx1]
    return out


def _resize(array: np.ndarray, width: int, height: int) -> np.ndarray:
    """cv2.resize with area averaging when shrinking, bilinear when enlarging."""
    shrink = array.shape[1] > width or array.shape[0] > height
    return cv2.resize(array, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _as_window(window: SequenceABC) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(v) for v in window)
    if (x0, y0, x1, y1) != tuple(window) or x1 <= x0 or y1 <= y0:
        raise ValueError(f"a window has whole-pixel corners and a positive size (see context_window), got {window}")
    return (x0, y0, x1, y1)


def crop_image(image: np.ndarray, window: SequenceABC, size: int, pad: str | SequenceABC = "mean") -> np.ndarray:
    """Cut ``window`` out of an H x W x 3 image and resize it to ``size`` x ``size`` (same dtype).

    Pixels outside the frame are ``pad`` (default: the image's mean colour; see pad_colour)."""
    window = _as_window(window)
    image = np.asarray(image)
    fill = pad_colour(image, pad)
    region = cut_window(image, window, np.round(fill) if image.dtype == np.uint8 else fill)
    return _resize(region, size, size)


def crop_fraction(mask: np.ndarray, window: SequenceABC, size: int) -> np.ndarray:
    """Cut ``window`` out of a mask and resize it to size x size: the foreground fraction of each pixel, float32.

    An integer mask is foreground where non-zero; a float mask is taken as fractions in [0, 1] (e.g. a warped one)."""
    window = _as_window(window)
    region = cut_window(np.asarray(mask), window, 0)  # cut first: only the window is converted
    region = np.clip(region, 0, 1).astype(np.float32) if region.dtype.kind == "f" else (region > 0).astype(np.float32)
    return _resize(region, size, size)


def crop_mask(mask: np.ndarray, window: SequenceABC, size: int) -> np.ndarray:
    """Cut ``window`` out of a mask and resize it to size x size: uint8 0/1 (foreground where at least half;
    float masks: see crop_fraction)."""
    return (crop_fraction(mask, window, size) >= 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------------- #
# the query
def crop_query(frame: np.ndarray, mask: np.ndarray, size: int, context: float = DEFAULT_CONTEXT, *,
               square: bool = True, min_side: float = DEFAULT_MIN_SIDE, pad: str | SequenceABC = "mean"):
    """The query: (rgb S x S x 3 uint8, mask S x S uint8, window) around the object of ``mask`` in ``frame``.

    The background is *not* suppressed here: PLMNet.prepare does it from the mask, following the model config's
    ``query_input`` (``masked``: background set to the encoder's mean colour; ``rgbm``: the mask as a 4th channel),
    so that training, feature caching and inference all go through the same code. ``query_preview`` shows it.
    """
    box = mask_box(mask)
    if box is None:
        raise ValueError("the query mask is empty: there is no object to crop")
    window = context_window(box, context, square=square, min_side=min_side)
    return crop_image(frame, window, size, pad), crop_mask(mask, window, size), window


def query_preview(rgb: np.ndarray, mask: np.ndarray, query_input: str = "masked",
                  mean_colour: SequenceABC = (122.68, 116.67, 104.01)) -> np.ndarray:
    """What the query branch sees, for figures: ``masked`` -> the crop with its background set to ``mean_colour``
    (default: the Caffe mean of the hed weights, in RGB); ``rgbm`` -> S x S x 4 uint8 with the mask as alpha."""
    mask = (np.asarray(mask) > 0)[..., None]
    if query_input == "masked":
        return np.where(mask, rgb, np.round(np.asarray(mean_colour))).astype(np.uint8)
    if query_input == "rgbm":
        return np.concatenate([rgb, mask.astype(np.uint8) * 255], axis=2)
    raise ValueError(f"query_input must be 'masked' or 'rgbm', got {query_input!r}")


# ---------------------------------------------------------------------------------------------------------------- #
# back to the frame: size restoring (f) and stacking (g)
def paste(values: np.ndarray, window: SequenceABC, frame_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """An S x S map resized back to its window and placed in a frame of ``(height, width)``.

    Returns (canvas H x W float32 with the values inside the window and 0 elsewhere, weight H x W float32: 1 where
    the window covers the frame, 0 elsewhere). Parts of the window outside the frame are dropped.
    """
    x0, y0, x1, y1 = _as_window(window)
    height, width = frame_size
    restored = _resize(np.asarray(values, dtype=np.float32), x1 - x0, y1 - y0)
    canvas = np.zeros((height, width), np.float32)
    weight = np.zeros((height, width), np.float32)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if sx1 > sx0 and sy1 > sy0:
        canvas[sy0:sy1, sx0:sx1] = restored[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0]
        weight[sy0:sy1, sx0:sx1] = 1.0
    return canvas, weight


class Canvas:
    """Stacks S x S probability maps of several windows into one full-frame map (slides: (f) size restoring,
    (g) stacking): where windows overlap their values are averaged; where none covers the frame the value is
    ``background`` (0: not the object)."""

    def __init__(self, frame_size: tuple[int, int]):
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        self.total = np.zeros(self.frame_size, np.float32)
        self.weight = np.zeros(self.frame_size, np.float32)

    def add(self, values: np.ndarray, window: SequenceABC, weight: float = 1.0) -> None:
        canvas, covered = paste(values, window, self.frame_size)
        self.total += weight * canvas
        self.weight += weight * covered

    def average(self, background: float = 0.0) -> np.ndarray:
        """H x W float32: the weighted mean of the pasted maps, ``background`` where no window reached."""
        out = np.full(self.frame_size, background, np.float32)
        covered = self.weight > 0
        out[covered] = self.total[covered] / self.weight[covered]
        return out


# ---------------------------------------------------------------------------------------------------------------- #
# to tensors (the model's input convention: RGB float in [0, 1], channels first)
def image_to_tensor(rgb: np.ndarray):
    """S x S x 3 uint8 -> torch float (3, S, S) in [0, 1]."""
    import torch  # lazy: plmlib.core imports no torch (see plmlib/core/__init__.py)

    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)


def mask_to_tensor(mask: np.ndarray):
    """S x S 0/1 -> torch float (1, S, S)."""
    import torch  # lazy: plmlib.core imports no torch (see plmlib/core/__init__.py)

    return torch.from_numpy((np.asarray(mask) > 0).astype(np.float32))[None]
