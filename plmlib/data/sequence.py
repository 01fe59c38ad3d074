"""A video sequence: frames, ground-truth masks where annotated, a name and attributes.

Every dataset reader (DAVIS 2016/2017, SegTrack v2, JumpCut, a plain folder, the synthetic
generator) returns :class:`Sequence` objects, so the rest of plmlib never depends on a layout.
Frames and masks are lazy: indexing reads one file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plmlib.io import MaskError, check_mask_size, read_mask


class MaskFolder(SequenceABC):
    """Masks aligned with frames: entry ``i`` is the mask of frame ``i``, or ``None`` if not annotated.

    ``paths[i]`` is a mask file, ``None`` (frame not annotated), or a tuple of files, one per object
    (SegTrack v2 multi-object layout), merged as ids 1..K in order. ``binary=True`` maps every object
    to 1 (DAVIS 2016 is single-object). Each mask is checked against ``frame_size`` (height, width).
    """

    def __init__(
        self,
        paths: list[Path | tuple[Path, ...] | None],
        frame_size: tuple[int, int] | None = None,
        binary: bool = False,
    ):
        self.paths = list(paths)
        self.frame_size = frame_size
        self.binary = binary

    def __len__(self) -> int:
        return len(self.paths)

    def _read(self, entry: Path | tuple[Path, ...]) -> np.ndarray:
        if isinstance(entry, tuple):
            masks = [read_mask(p) for p in entry]
            for p, m in zip(entry[1:], masks[1:]):
                if m.shape != masks[0].shape:
                    raise MaskError(f"{p}: mask is {m.shape[1]}x{m.shape[0]}, unlike {entry[0]}")
            mask = np.zeros(masks[0].shape, dtype=np.uint8)
            for object_id, m in enumerate(masks, start=1):
                mask[m > 0] = object_id
            name = entry[0]
        else:
            mask, name = read_mask(entry), entry
        if self.frame_size is not None:
            check_mask_size(mask, self.frame_size, name)
        return (mask > 0).astype(np.uint8) if self.binary else mask

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        entry = self.paths[index]
        return None if entry is None else self._read(entry)

    def __iter__(self) -> Iterator[np.ndarray | None]:
        for index in range(len(self)):
            yield self[index]

    @property
    def annotated(self) -> list[int]:
        """Indices of the frames that have a mask."""
        return [i for i, p in enumerate(self.paths) if p is not None]


@dataclass
class Sequence:
    """One video with its annotation.

    ``frames``: a sequence of ``H x W x 3`` uint8 RGB arrays (lazy for files, an array for synthetic video).
    ``masks``: a sequence of ``H x W`` uint8 object-id maps (``None`` where a frame is not annotated), or
    ``None`` when the video has no annotation beyond what the user passes in.
    """

    name: str
    frames: SequenceABC
    masks: SequenceABC | None = None
    frame_names: list[str] = field(default_factory=list)
    attributes: tuple[str, ...] = ()
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.frame_names:
            self.frame_names = list(getattr(self.frames, "names", [f"{i:05d}" for i in range(len(self.frames))]))
        if len(self.frame_names) != len(self.frames):
            raise ValueError(f"{self.name}: {len(self.frame_names)} frame names for {len(self.frames)} frames")
        if self.masks is not None and len(self.masks) != len(self.frames):
            raise ValueError(f"{self.name}: {len(self.masks)} masks for {len(self.frames)} frames")

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` of the frames."""
        size = getattr(self.frames, "size", None)
        if isinstance(size, tuple):
            return size
        return tuple(np.asarray(self.frames[0]).shape[:2])

    @property
    def first_mask(self) -> np.ndarray:
        """The first frame's mask: what a semi-supervised method is given."""
        mask = None if self.masks is None else self.masks[0]
        if mask is None:
            raise MaskError(f"{self.name}: the first frame has no mask")
        return mask

    def __repr__(self) -> str:
        height, width = self.size
        annotated = "none" if self.masks is None else len(getattr(self.masks, "annotated", self.masks))
        return (
            f"Sequence({self.name!r}, frames={len(self)}, size={width}x{height}, masks={annotated}, "
            f"attributes={list(self.attributes)})"
        )


def match_masks_to_frames(
    frame_paths: list[Path],
    mask_paths: list[Path],
    where: str | os.PathLike,
    key: Callable[[Path], str] = lambda p: p.stem,
) -> list[Path | None]:
    """Pair mask files with frame files by name (stem); frames without a mask get ``None``.

    A mask whose name matches no frame is an error (it would otherwise be silently dropped).
    """
    by_name = {key(p): p for p in mask_paths}
    frame_names = {key(p) for p in frame_paths}
    orphans = sorted(set(by_name) - frame_names)
    if orphans:
        raise MaskError(f"{where}: mask {orphans[0]!r} has no frame of the same name ({len(orphans)} such masks)")
    return [by_name.get(key(p)) for p in frame_paths]


class SequenceDataset:
    """What every dataset reader shares: ``names`` (in the dataset's order), ``len``, iteration, ``in``.

    Subclasses set ``self.names`` and implement ``__getitem__(name) -> Sequence`` (raising KeyError for a name they
    do not hold)."""

    names: list[str]

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[Sequence]:
        for name in self.names:
            yield self[name]

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> Sequence:  # pragma: no cover - every reader defines it
        raise NotImplementedError
