"""Reading and writing masks: object-id maps, whatever the PNG's mode, and DAVIS palette PNGs.

A mask in plmlib is an ``H x W`` uint8 array of object ids: 0 is background, 1..K are objects
(a single-object mask holds 0 and 1). How each PNG mode becomes ids:

- ``P`` (palette, as DAVIS 2017 writes): the palette indices are the ids.
- ``1`` (bilevel): 0 and 1.
- ``L``, ``LA``, ``I`` (grey; ``LA``: channel 0, as in DAVIS 2016 ``bear/00077.png``): if every value is
  below ``plmlib.core.masks.ID_LIMIT`` (128) the values are ids (0/1 masks, or 0..K label maps); otherwise the mask is an
  intensity mask, binarised as ``value >= 128`` (half intensity: anti-aliased 0..255 edges, as in
  SegTrack v2, go to the nearer side; 0/255 masks such as DAVIS 2016 give exactly ``mask > 0``).
- ``RGBA``/``LA`` with transparency (our rule): when the colour is the same everywhere, the alpha channel is the
  mask (``alpha >= 128``: a transparent background, an opaque object); otherwise pixels with ``alpha < 128`` are
  background and the colours of the others are read as below.
- ``RGB``/``RGBA``: grey images are treated as ``L``; coloured ones map each colour to an id: its index
  in the DAVIS palette when every colour is in it, otherwise 1..K in sorted colour order (black is 0).
  Anti-aliased edges (as image editors export) are snapped first (``snap_blended_colours``, our rule): a colour
  that lies between two more frequent colours of the mask (black included) is a blend of the two and takes the
  nearer one, so a soft-edged object stays one object. More than ``MANY_OBJECTS`` ids after that are warned about.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from plmlib.core.errors import MaskError
from plmlib.core.files import atomic_write
from plmlib.core.masks import BINARY_THRESHOLD, grey_to_ids
from plmlib.io.frames import decoded_image

BLEND_TOLERANCE = 6.0  # colour distance (0..255 units) from the line between two colours that still counts as a blend
MANY_OBJECTS = 10  # more object ids than this in a colour mask: warn (a photo, or an unusual export?)


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


def snap_blended_colours(colours: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For each of ``colours`` (``N x 3``, with their pixel ``counts``), the index of the colour it stands for, or
    -1 for background.

    Colours are taken from the most frequent down. One that is, within BLEND_TOLERANCE, a mix of black and at most
    two colours already kept (``c = wa a + wb b``, ``wa, wb >= 0``, ``wa + wb <= 1``: an anti-aliased edge against
    the background or between two touching objects) snaps to its largest part, black meaning background (the
    object from half-way on against black, as grey masks are thresholded at 128); any other colour is kept, as
    an object of its own."""
    colours = colours.astype(np.float64)
    order = np.argsort(-counts, kind="stable")
    target = np.full(len(colours), -1)
    kept: list[int] = []
    for i in order:
        c = colours[i]
        if not c.any():
            continue  # black: background
        best = None
        pairs = [(a, b) for x, a in enumerate(kept) for b in kept[x + 1:]] or [(a, a) for a in kept]
        for a, b in pairs:
            basis = np.stack([colours[a], colours[b]], axis=1) if a != b else colours[a][:, None]
            weights = np.linalg.lstsq(basis, c, rcond=None)[0]
            residual = float(np.linalg.norm(basis @ weights - c))
            if residual > BLEND_TOLERANCE or weights.min() < -0.05 or weights.sum() > 1.05:
                continue
            parts = [*map(float, weights), 1.0 - float(weights.sum())]  # a[, b], black: a tie goes to the object
            owner = ((a, b, -1) if a != b else (a, -1))[int(np.argmax(parts))]
            if best is None or residual < best[0]:
                best = (residual, owner)
        if best is None:
            kept.append(int(i))
            target[i] = i
        else:
            target[i] = best[1]
    return target


def _colours_to_ids(rgb: np.ndarray, path: Path, transparent: np.ndarray | None = None) -> np.ndarray:
    flat = rgb.reshape(-1, 3)
    if transparent is not None:  # transparent pixels are background whatever their colour
        flat = np.where(transparent.reshape(-1, 1), 0, flat)
    colours, inverse, counts = np.unique(flat, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if len(colours) > 4096:
        raise MaskError(f"{path}: {len(colours)} colours: too many to be object ids (is this a photo?)")
    palette_index = {tuple(c): i for i, c in enumerate(DAVIS_PALETTE.tolist())}
    target = snap_blended_colours(colours, counts)
    background = target < 0  # black, or mostly black
    kept = sorted({int(t) for t in target[~background]})
    kept_colours = [tuple(colours[k].tolist()) for k in kept]
    if all(c in palette_index for c in kept_colours):
        id_of = {k: palette_index[c] for k, c in zip(kept, kept_colours)}
    else:
        if len(kept_colours) > 255:  # (black is never kept: it is background)
            raise MaskError(f"{path}: {len(kept_colours)} colours: too many to be object ids (is this a photo?)")
        rank = {c: i + 1 for i, c in enumerate(sorted(kept_colours))}
        id_of = {k: rank[c] for k, c in zip(kept, kept_colours)}
    lookup = np.array([0 if b else id_of[int(t)] for t, b in zip(target, background)], dtype=np.uint8)
    ids = lookup[inverse].reshape(rgb.shape[:2])
    n = len({i for i in id_of.values() if i})
    if n > MANY_OBJECTS:
        warnings.warn(f"{path}: {n} object colours after snapping anti-aliased edges: is this a mask?", stacklevel=3)
    return ids


def _alpha_is_the_mask(colour: np.ndarray, alpha: np.ndarray) -> bool:
    """Transparency present and one colour everywhere (our rule: then the alpha channel is the mask)."""
    return bool((alpha < 255).any()) and bool((colour == colour.reshape(-1, colour.shape[-1])[0]).all())


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a mask PNG (any mode, see the module docstring) as an ``H x W`` uint8 object-id map."""
    path = Path(path)
    with decoded_image(path, "mask file", MaskError) as image:
        mode, array = image.mode, np.asarray(image)
    if mode == "P":
        return array.astype(np.uint8)
    if mode == "1":
        return array.astype(np.uint8)
    if mode in ("L", "I", "I;16", "F"):
        return grey_to_ids(array)
    if mode in ("LA", "La"):
        if _alpha_is_the_mask(array[..., :1], array[..., 1]):
            return (array[..., 1] >= BINARY_THRESHOLD).astype(np.uint8)
        return grey_to_ids(array[..., 0])
    if mode in ("RGB", "RGBA", "RGBa"):
        rgb = array[..., :3]
        transparent = None
        if mode != "RGB":
            alpha = array[..., 3]
            if _alpha_is_the_mask(rgb, alpha):
                return (alpha >= BINARY_THRESHOLD).astype(np.uint8)
            transparent = alpha < BINARY_THRESHOLD if (alpha < 255).any() else None
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
            grey = rgb[..., 0] if transparent is None else np.where(transparent, 0, rgb[..., 0])
            return grey_to_ids(grey)
        return _colours_to_ids(rgb, path, transparent)
    raise MaskError(f"{path}: unsupported mask mode {mode!r} (expected P, 1, L, LA, I, RGB or RGBA)")


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
