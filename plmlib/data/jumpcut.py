"""JumpCut (Fan et al., SIGGRAPH Asia 2015): 22 sequences used for the non-successive transfer error.

The archive (``VideoSeg_dataset.rar``) documents no layout and cannot be downloaded here, so this reader
is deliberately tolerant and says what it expects: every sequence is a folder holding its frames and a
sub-folder of masks named like the frames (one of ``MASK_DIRS``), or the parallel layout
``ROOT/<frames>/<seq>`` + ``ROOT/<masks>/<seq>`` (see :class:`plmlib.data.folder.FolderDataset`).
If the extracted archive looks different, the error lists what it found.
"""

from __future__ import annotations

import os
from pathlib import Path

from plmlib.data.folder import FolderDataset
from plmlib.data.roots import dataset_root
from plmlib.data.sequence import MaskFolder, Sequence, SequenceDataset, match_masks_to_frames
from plmlib.io import FrameFolder, list_images, natural_key

MASK_DIRS = ("gt", "GT", "groundtruth", "GroundTruth", "mask", "masks", "Mask", "Masks", "Annotations")
FRAME_DIRS = ("frames", "images", "JPEGImages", "img", "imgs")


class JumpCut(SequenceDataset):
    """The JumpCut dataset from its extracted archive at ``root``."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = dataset_root("jumpcut", root)
        self._parallel = None
        for frames_dir in FRAME_DIRS:
            for masks_dir in MASK_DIRS:
                if (self.root / frames_dir).is_dir() and (self.root / masks_dir).is_dir():
                    self._parallel = FolderDataset(self.root, frames_dir, masks_dir)
        if self._parallel is not None:
            self.names = self._parallel.names
            return
        self.names = sorted(
            (p.name for p in self.root.iterdir() if p.is_dir() and self._mask_dir(p) is not None), key=natural_key
        )
        if not self.names:
            found = sorted(p.name for p in self.root.iterdir())[:10]
            raise FileNotFoundError(
                f"{self.root}: no JumpCut sequences found. Expected <seq>/ folders holding frames and a mask "
                f"sub-folder ({', '.join(MASK_DIRS[:6])}...), or parallel frames/masks folders; found: {found}"
            )

    @staticmethod
    def _mask_dir(folder: Path) -> Path | None:
        return next((folder / d for d in MASK_DIRS if (folder / d).is_dir()), None)

    @staticmethod
    def _frames_dir(folder: Path) -> Path:
        for d in FRAME_DIRS:
            if (folder / d).is_dir():
                return folder / d
        return folder

    def __getitem__(self, name: str) -> Sequence:
        if self._parallel is not None:
            return self._parallel[name]
        if name not in self.names:
            raise KeyError(f"{name!r} is not in JumpCut at {self.root}")
        folder = self.root / name
        frames = FrameFolder(self._frames_dir(folder))
        mask_dir = self._mask_dir(folder)
        masks = MaskFolder(match_masks_to_frames(frames.paths, list_images(mask_dir), mask_dir), frame_size=frames.size)
        return Sequence(name=name, frames=frames, masks=masks)

