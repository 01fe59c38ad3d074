"""DAVIS 2017 (Pont-Tuset et al., 2017): multi-object sequences with palette masks.

Layout: ``ROOT/JPEGImages/480p/<seq>/``, ``ROOT/Annotations/480p/<seq>/`` (indexed PNGs whose palette
indices are object ids), ``ROOT/ImageSets/2017/{train,val}.txt`` (one sequence name per line).
Frames without an annotation file (test sets annotate only the first frame) have mask ``None``.
"""

from __future__ import annotations

import os

from plmlib.data.davis import sequence_files, split_sequences
from plmlib.data.roots import dataset_root
from plmlib.data.sequence import MaskFolder, Sequence, SequenceDataset


class Davis2017(SequenceDataset):
    """The DAVIS 2017 dataset, one split (``train``, ``val``, or any ``ImageSets/2017/<split>.txt``)."""

    def __init__(self, root: str | os.PathLike | None = None, split: str = "val", resolution: str = "480p"):
        self.root = dataset_root("davis2017", root, expect=(f"JPEGImages/{resolution}", f"Annotations/{resolution}"))
        self.split, self.resolution = split, resolution
        self.names = split_sequences(self.root, split, resolution)

    def __getitem__(self, name: str) -> Sequence:
        if name not in self.names:
            raise KeyError(f"{name!r} is not in DAVIS 2017 {self.split}")
        frames, mask_paths = sequence_files(self.root, name, self.resolution)
        return Sequence(name=name, frames=frames, masks=MaskFolder(mask_paths, frame_size=frames.size))

    def __repr__(self) -> str:
        return f"Davis2017({str(self.root)!r}, split={self.split!r}, sequences={len(self)})"
