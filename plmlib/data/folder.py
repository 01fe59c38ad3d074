"""Any video: a frames folder (or video file) with a first-frame mask, or a dataset of such folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from plmlib.data.sequence import MaskFolder, Sequence, SequenceDataset, match_masks_to_frames
from plmlib.io import FrameFolder, MaskError, check_mask_size, list_images, natural_key, open_video, read_mask


def load_video(
    video: str | os.PathLike,
    first_mask: str | os.PathLike | np.ndarray | None = None,
    masks: str | os.PathLike | None = None,
    name: str | None = None,
) -> Sequence:
    """A :class:`Sequence` from a frames folder or video file.

    ``first_mask``: the first frame's mask (a PNG path or an id array), checked against the frame size.
    ``masks``: optionally a folder of ground-truth masks named like the frames (for scoring).
    If both are given, ``first_mask`` replaces the first ground-truth mask.
    """
    frames = open_video(video)
    name = name or Path(video).stem
    ground_truth = None
    if masks is not None:
        # A video file has no frame files: its masks are named 00000.png ... by frame index.
        frame_paths = getattr(frames, "paths", None) or [Path(n) for n in frames.names]
        paths = match_masks_to_frames(frame_paths, list_images(masks), masks)
        ground_truth = MaskFolder(paths, frame_size=frames.size)
    if first_mask is None:
        return Sequence(name=name, frames=frames, masks=ground_truth)
    if isinstance(first_mask, np.ndarray):
        where, mask = "first mask", first_mask
    else:
        where, mask = first_mask, read_mask(first_mask)
    if mask.ndim != 2 or not (np.issubdtype(mask.dtype, np.integer) or mask.dtype == bool):
        raise MaskError(f"{where}: a mask must be a 2-D integer id map, got {mask.dtype} of shape {mask.shape}")
    check_mask_size(mask, frames.size, where)
    mask = mask.astype(np.uint8)
    if ground_truth is not None:
        return Sequence(name=name, frames=frames, masks=_FirstMaskOverride(ground_truth, mask))
    return Sequence(name=name, frames=frames, masks=[mask] + [None] * (len(frames) - 1))


class _FirstMaskOverride(MaskFolder):
    """Ground-truth masks with the first one replaced by the user's."""

    def __init__(self, base: MaskFolder, first: np.ndarray):
        super().__init__(base.paths, base.frame_size, base.binary)
        self.first = first

    def __getitem__(self, index):
        if not isinstance(index, slice) and index in (0, -len(self)):
            return self.first
        return super().__getitem__(index)


class FolderDataset(SequenceDataset):
    """Sequences stored as ``ROOT/<frames_dir>/<seq>/`` with masks in ``ROOT/<masks_dir>/<seq>/``.

    This is the DAVIS layout without resolution folders (as many derived datasets and the outputs of
    ``plm synth`` use). Frames without a mask file have mask ``None``.
    """

    def __init__(self, root: str | os.PathLike, frames_dir: str = "JPEGImages", masks_dir: str = "Annotations"):
        self.root = Path(root)
        self.frames_root, self.masks_root = self.root / frames_dir, self.root / masks_dir
        for folder in (self.frames_root, self.masks_root):
            if not folder.is_dir():
                raise FileNotFoundError(f"{folder}: no such folder (expected {frames_dir}/ and {masks_dir}/ in {root})")
        self.names = sorted((p.name for p in self.frames_root.iterdir() if p.is_dir()), key=natural_key)
        if not self.names:
            raise FileNotFoundError(f"{self.frames_root}: no sequence folders in it")

    def __getitem__(self, name: str) -> Sequence:
        if name not in self.names:
            raise KeyError(f"{name!r} is not in {self.frames_root}")
        frames = FrameFolder(self.frames_root / name)
        mask_dir = self.masks_root / name
        paths = match_masks_to_frames(frames.paths, list_images(mask_dir), mask_dir) if mask_dir.is_dir() else None
        masks = MaskFolder(paths, frame_size=frames.size) if paths is not None else None
        return Sequence(name=name, frames=frames, masks=masks)
