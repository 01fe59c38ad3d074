"""DAVIS 2016 (Perazzi et al., CVPR 2016): 50 single-object sequences, the benchmark of the PLM paper.

Layout: ``ROOT/JPEGImages/480p/<seq>/00000.jpg``, ``ROOT/Annotations/480p/<seq>/00000.png``,
``ROOT/ImageSets/480p/{train,val}.txt`` (lines of ``/JPEGImages/... /Annotations/...`` pairs) and
``ROOT/Annotations/db_info.yml`` (attributes, set, ``eval_t``: whether T is scored on a sequence).
Masks are binary (0/1); every frame is annotated (``bmx-bumps`` has 14 empty masks, ``surf`` one).
The readers of the layout below are shared with DAVIS 2017 (:mod:`plmlib.data.davis2017`) and ``plm evaluate``
(:mod:`plmlib.metrics.evaluate`).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from plmlib.data.roots import dataset_root
from plmlib.data.sequence import MaskFolder, Sequence, SequenceDataset, match_masks_to_frames
from plmlib.io import FrameFolder, MaskError, list_images

SPLITS = ("train", "val", "all")

# The official split (ImageSets/480p/*.txt), kept here so that published per-sequence numbers can be
# read without the dataset.
DAVIS2016_TRAIN = (
    "bear", "bmx-bumps", "boat", "breakdance-flare", "bus", "car-turn", "dance-jump", "dog-agility", "drift-turn",
    "elephant", "flamingo", "hike", "hockey", "horsejump-low", "kite-walk", "lucia", "mallard-fly", "mallard-water",
    "motocross-bumps", "motorbike", "paragliding", "rhino", "rollerblade", "scooter-gray", "soccerball", "stroller",
    "surf", "swing", "tennis", "train",
)
DAVIS2016_VAL = (
    "blackswan", "bmx-trees", "breakdance", "camel", "car-roundabout", "car-shadow", "cows", "dance-twirl", "dog",
    "drift-chicane", "drift-straight", "goat", "horsejump-high", "kite-surf", "libby", "motocross-jump",
    "paragliding-launch", "parkour", "scooter-black", "soapbox",
)


def read_db_info(root: Path) -> dict[str, dict]:
    """``Annotations/db_info.yml`` as ``{sequence: {attributes, num_frames, set, eval_t}}`` (empty if absent)."""
    path = root / "Annotations" / "db_info.yml"
    if not path.is_file():
        return {}
    try:
        info = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({err})") from err
    return {entry["name"]: entry for entry in info.get("sequences", [])}


def read_image_set(path: Path) -> list[str]:
    """Sequence names listed in a DAVIS 2016 ImageSets file, in order of first appearance."""
    names: list[str] = []
    for line_number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()[0].strip("/").split("/")
        if len(parts) < 3:
            raise ValueError(f"{path}:{line_number}: expected '/JPEGImages/480p/<seq>/<frame>.jpg ...', got {line!r}")
        if parts[-2] not in names:
            names.append(parts[-2])
    return names


def read_sequence_list(path: Path) -> list[str]:
    """Sequence names listed in a DAVIS 2017 ImageSets file (one a line), in order of first appearance."""
    return list(dict.fromkeys(line.strip() for line in path.read_text().splitlines() if line.strip()))


def split_sequences(root: Path, split: str, resolution: str = "480p") -> list[str]:
    """Sequence names of ``split`` (``all``: train, then val) from the list in ``root``:
    ``ImageSets/<resolution>/<split>.txt`` (DAVIS 2016), else ``ImageSets/2017/<split>.txt`` (DAVIS 2017)."""
    names: list[str] = []
    for part in ("train", "val") if split == "all" else (split,):
        davis2016 = root / "ImageSets" / resolution / f"{part}.txt"
        davis2017 = root / "ImageSets" / "2017" / f"{part}.txt"
        if davis2016.is_file():
            listed = read_image_set(davis2016)
        elif davis2017.is_file():
            listed = read_sequence_list(davis2017)
        else:
            raise FileNotFoundError(f"{root}: no list of the {part!r} sequences (neither {davis2016} nor {davis2017} found)")
        names += [name for name in listed if name not in names]
    return names


def annotation_folder(root: Path, name: str, resolution: str = "480p") -> Path:
    """The folder of sequence ``name``'s masks: ``Annotations/<resolution>/<name>``."""
    return root / "Annotations" / resolution / name


def sequence_files(root: Path, name: str, resolution: str = "480p") -> tuple[FrameFolder, list[Path | None]]:
    """The frames of sequence ``name`` (``JPEGImages/<resolution>/<name>``) and its mask files matched to them by
    name (:func:`annotation_folder`; ``None`` for a frame without one)."""
    frames = FrameFolder(root / "JPEGImages" / resolution / name)
    mask_dir = annotation_folder(root, name, resolution)
    return frames, match_masks_to_frames(frames.paths, list_images(mask_dir), mask_dir)


class Davis2016(SequenceDataset):
    """The DAVIS 2016 dataset, one split. ``Davis2016(root, split="val")["blackswan"]`` is a :class:`Sequence`."""

    def __init__(self, root: str | os.PathLike | None = None, split: str = "val", resolution: str = "480p"):
        if split not in SPLITS:
            raise ValueError(f"unknown DAVIS 2016 split {split!r} (expected one of {', '.join(SPLITS)})")
        self.root = dataset_root("davis2016", root, expect=(f"JPEGImages/{resolution}", f"Annotations/{resolution}"))
        self.split, self.resolution = split, resolution
        self.db_info = read_db_info(self.root)
        if split == "all" and not (self.root / "ImageSets" / resolution).is_dir():
            self.names = sorted(p.name for p in (self.root / "JPEGImages" / resolution).iterdir() if p.is_dir())
        else:
            self.names = split_sequences(self.root, split, resolution)

    def __getitem__(self, name: str) -> Sequence:
        if name not in self.names:
            raise KeyError(f"{name!r} is not in DAVIS 2016 {self.split} (it has: {', '.join(self.names)})")
        frames, mask_paths = sequence_files(self.root, name, self.resolution)
        missing = [frames.paths[i].name for i, p in enumerate(mask_paths) if p is None]
        if missing:
            raise MaskError(f"{annotation_folder(self.root, name, self.resolution)}: no mask for frame {missing[0]} "
                            f"({len(missing)} frames without a mask)")
        entry = self.db_info.get(name, {})
        return Sequence(
            name=name,
            frames=frames,
            masks=MaskFolder(mask_paths, frame_size=frames.size, binary=True),
            attributes=tuple(entry.get("attributes", [])),
            info={k: v for k, v in entry.items() if k not in ("name", "attributes")},
        )

    def __repr__(self) -> str:
        return f"Davis2016({str(self.root)!r}, split={self.split!r}, sequences={len(self)})"
