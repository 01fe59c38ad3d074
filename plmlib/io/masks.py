"""Reading and writing masks: object-id maps, whatever the PNG's mode, and DAVIS palette PNGs.

A mask in plmlib is an ``H x W`` uint8 array of object ids: 0 is background, 1..K are objects
(a single-object mask holds 0 and 1). How each PNG mode becomes ids:

- ``P`` (palette, as DAVIS 2017 writes): the palette indices are the ids.
- ``1`` (bilevel): 0 and 1.
- ``L``, ``LA``, ``I`` (grey; ``LA``: channel 0, as in DAVIS 2016 ``bear/00077.png``): if every value is
  below ``ID_LIMIT`` (128) the values are ids (0/1 masks, or 0..K label maps); otherwise the mask is an
  intensity mask, binarised as ``value >= 128`` (half intensity: anti-aliased 0..255 edges, as in
  SegTrack v2, go to the nearer side; 0/255 masks such as DAVIS 2016 give exactly ``mask > 0``).
- ``RGB``/``RGBA``: grey images are treated as ``L``; coloured ones map each colour to an id: its index
  in the DAVIS palette when every colour is in it, otherwise 1..K in sorted colour order (black is 0).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from plmlib.io.atomic import atomic_write
from plmlib.io.errors import MaskError

ID_LIMIT = 128
BINARY_THRESHOLD = 128


def davis_palette() -> np.ndarray:
    """The 256-colour palette of DAVIS annotations (the PASCAL VOC colour map): ``256 x 3`` uint8."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index in range(256):
        value, red, green, blue = index, 0, 0, 0
        for bit in range(8):
            red |= ((value >> 0) & 1) << (7 - bit)
            green |= ((value >> 1) & 1) << (7 - bit)
            blue |= ((value >> 2) & 1) << (7 - bit)
            value >>= 3
        palette[index] = (red, green, blue)
    return palette


DAVIS_PALETTE = davis_palette()


def _grey_to_ids(values: np.ndarray) -> np.ndarray:
    if values.size and values.max() >= ID_LIMIT:
        return (values >= BINARY_THRESHOLD).astype(np.uint8)
    return values.astype(np.uint8)


def _colours_to_ids(rgb: np.ndarray, path: Path) -> np.ndarray:
    flat = rgb.reshape(-1, 3)
    colours, inverse = np.unique(flat, axis=0, return_inverse=True)
    palette_index = {tuple(c): i for i, c in enumerate(DAVIS_PALETTE.tolist())}
    if all(tuple(c) in palette_index for c in colours.tolist()):
        lookup = np.array([palette_index[tuple(c)] for c in colours.tolist()], dtype=np.uint8)
    else:
        non_black = [tuple(c) for c in colours.tolist() if tuple(c) != (0, 0, 0)]
        if len(non_black) > 255:
            raise MaskError(f"{path}: {len(non_black)} colours: too many to be object ids (is this a photo?)")
        ids = {c: i + 1 for i, c in enumerate(sorted(non_black))}
        lookup = np.array([ids.get(tuple(c), 0) for c in colours.tolist()], dtype=np.uint8)
    return lookup[inverse.reshape(-1)].reshape(rgb.shape[:2])


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a mask PNG (any mode, see the module docstring) as an ``H x W`` uint8 object-id map."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such mask file")
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            array = np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise MaskError(f"{path}: unreadable or truncated mask ({err})") from err
    if mode == "P":
        return array.astype(np.uint8)
    if mode == "1":
        return array.astype(np.uint8)
    if mode in ("L", "I", "I;16", "F"):
        return _grey_to_ids(array)
    if mode in ("LA", "La"):
        return _grey_to_ids(array[..., 0])
    if mode in ("RGB", "RGBA", "RGBa"):
        rgb = array[..., :3]
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
            return _grey_to_ids(rgb[..., 0])
        return _colours_to_ids(rgb, path)
    raise MaskError(f"{path}: unsupported mask mode {mode!r} (expected P, 1, L, LA, I, RGB or RGBA)")


def to_binary(mask: np.ndarray) -> np.ndarray:
    """Foreground (any object) as a bool array."""
    return np.asarray(mask) > 0


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


def write_mask(path: str | os.PathLike, mask: np.ndarray) -> None:
    """Write an object-id map as an indexed PNG with the DAVIS palette, atomically.

    Boolean masks are written as ids 0/1 (object 1 is drawn in DAVIS red).
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise MaskError(f"{path}: a mask must be 2-D (height x width), got shape {mask.shape}")
    if mask.dtype == bool:
        mask = mask.astype(np.uint8)
    if not np.issubdtype(mask.dtype, np.integer) or (mask.size and (mask.min() < 0 or mask.max() > 255)):
        raise MaskError(f"{path}: mask values must be integer object ids in 0..255")
    image = Image.fromarray(mask.astype(np.uint8))  # mode L; putpalette turns it into P
    image.putpalette(DAVIS_PALETTE.reshape(-1).tolist())
    with atomic_write(path) as tmp:
        image.save(tmp, format="PNG")
