"""Masks as arrays: object-id maps (``H x W`` uint8, 0 = background, 1..K objects), the rule that turns an array
into one, and the checks every method applies to its first mask. Reading and writing mask files is
``plmlib.io.masks``'s (it reads grey PNGs by the same rule, ``grey_to_ids``)."""

from __future__ import annotations

import os

import numpy as np

from plmlib.core.errors import MaskError

ID_LIMIT = 128
BINARY_THRESHOLD = 128


def grey_to_ids(values: np.ndarray) -> np.ndarray:
    """Grey values as ids: all below ID_LIMIT are ids (0/1, or 0..K), otherwise binarised at BINARY_THRESHOLD."""
    if values.size and values.max() >= ID_LIMIT:
        return (values >= BINARY_THRESHOLD).astype(np.uint8)
    return values.astype(np.uint8)


def ids_from_array(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    """A mask given as an array (the Python API) as an id map, by the rule PNG files follow:

    - bool: True is object 1;
    - integers (any dtype): as a grey PNG: all values below ID_LIMIT are ids (0/1, or 0..K), otherwise the mask is
      binarised at 128 (a 0/255 mask is object 1, as ``plm segment`` reads the same mask from a file);
    - floats: whole numbers as integers; values in [0, 1] (a soft or probability mask) are object 1 from 0.5 on.
    Anything else (negative, NaN, above 255, fractional values above 1) is a MaskError naming ``name``."""
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return mask.astype(np.uint8)
    if np.issubdtype(mask.dtype, np.floating):
        if not np.isfinite(mask).all():
            raise MaskError(f"{name}: the mask holds NaN or infinite values")
        if mask.size and mask.min() >= 0 and mask.max() <= 1 and not np.array_equal(mask, np.round(mask)):
            return (mask >= 0.5).astype(np.uint8)
        if not np.array_equal(mask, np.round(mask)):
            raise MaskError(f"{name}: float values above 1 that are not whole numbers: expected object ids, 0/255, "
                            "or a soft mask in [0, 1]")
        mask = mask.astype(np.int64)
    if not np.issubdtype(mask.dtype, np.integer):
        raise MaskError(f"{name}: expected a bool, integer or float array, got {mask.dtype}")
    if mask.size and (mask.min() < 0 or mask.max() > 255):
        raise MaskError(f"{name}: values {mask.min()}..{mask.max()}: expected object ids 0..255 (or 0/255, or [0, 1])")
    return grey_to_ids(mask)


def object_ids(mask: np.ndarray) -> list[int]:
    """The object ids present in a mask, background excluded, ascending."""
    return [int(i) for i in np.unique(mask) if i != 0]


def check_mask_size(mask: np.ndarray, frame_size: tuple[int, int], name: str | os.PathLike) -> None:
    """Raise a ``MaskError`` naming ``name`` when the mask is not ``frame_size`` = (height, width)."""
    if tuple(mask.shape[:2]) != tuple(frame_size):
        raise MaskError(
            f"{name}: mask is {mask.shape[1]}x{mask.shape[0]} but its frame is "
            f"{frame_size[1]}x{frame_size[0]} (width x height)"
        )
