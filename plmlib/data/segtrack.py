"""SegTrack v2 (Li et al., ICCV 2013): 14 low-resolution sequences, some with several objects.

Layout (``SegTrackv2/``): ``JPEGImages/<seq>/`` (png or bmp frames), ``GroundTruth/<seq>/`` (one object)
or ``GroundTruth/<seq>/<k>/`` (object k; folders in natural order become ids 1..K), ``ImageSets/``.
Some masks are anti-aliased: they are binarised at 128 (see :mod:`plmlib.io.masks`).
Masks are matched to frames by file name (stem); when the names differ but the counts agree they are
paired in order (our choice, documented because a few sequences name them differently).
"""

from __future__ import annotations

import os
from pathlib import Path

from plmlib.data.sequence import MaskFolder, Sequence, SequenceDataset, match_masks_to_frames
from plmlib.data.roots import dataset_root
from plmlib.io import FrameFolder, MaskError, list_images, natural_key


def _pair(frame_paths: list[Path], mask_paths: list[Path], where: Path) -> list[Path | None]:
    if {p.stem for p in mask_paths} <= {p.stem for p in frame_paths}:
        return match_masks_to_frames(frame_paths, mask_paths, where)
    if len(mask_paths) == len(frame_paths):
        return list(mask_paths)
    raise MaskError(f"{where}: {len(mask_paths)} masks whose names do not match the {len(frame_paths)} frames")


class SegTrackV2(SequenceDataset):
    """SegTrack v2; ``root`` is the ``SegTrackv2`` folder (or its parent)."""

    def __init__(self, root: str | os.PathLike | None = None):
        root = dataset_root("segtrack", root)
        if (root / "SegTrackv2").is_dir():
            root = root / "SegTrackv2"
        self.root = dataset_root("segtrack", root, expect=("JPEGImages", "GroundTruth"))
        self.names = sorted((p.name for p in (self.root / "JPEGImages").iterdir() if p.is_dir()), key=natural_key)

    def object_folders(self, name: str) -> list[Path]:
        """One folder of masks per object (a single one for single-object sequences)."""
        gt = self.root / "GroundTruth" / name
        if not gt.is_dir():
            raise FileNotFoundError(f"{gt}: no ground truth for sequence {name!r}")
        subfolders = sorted((p for p in gt.iterdir() if p.is_dir()), key=lambda p: natural_key(p.name))
        return subfolders or [gt]

    def __getitem__(self, name: str) -> Sequence:
        if name not in self.names:
            raise KeyError(f"{name!r} is not in SegTrack v2 (it has: {', '.join(self.names)})")
        frames = FrameFolder(self.root / "JPEGImages" / name)
        per_object = [_pair(frames.paths, list_images(folder), folder) for folder in self.object_folders(name)]
        if len(per_object) == 1:
            mask_paths = per_object[0]
        else:
            mask_paths = [None if None in paths else tuple(paths) for paths in zip(*per_object)]
        return Sequence(
            name=name,
            frames=frames,
            masks=MaskFolder(mask_paths, frame_size=frames.size),
            info={"objects": len(per_object)},
        )

    def __repr__(self) -> str:
        return f"SegTrackV2({str(self.root)!r}, sequences={len(self)})"
