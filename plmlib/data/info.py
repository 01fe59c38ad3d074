"""What a dataset root or a video holds (sequences, frames, sizes, masks, attributes)."""

from __future__ import annotations

from pathlib import Path

from plmlib.data.davis import Davis2016
from plmlib.io import open_video


def describe(path: str | Path, split: str = "all") -> list[str]:
    """Lines describing ``path``: a DAVIS 2016-layout root (one line per sequence) or a single video."""
    path = Path(path)
    if (path / "JPEGImages").is_dir() and (path / "Annotations").is_dir():
        dataset = Davis2016(path, split=split)
        lines = [f"{dataset.root}: DAVIS 2016 layout, split {split!r}, {len(dataset)} sequences"]
        for sequence in dataset:
            height, width = sequence.size
            lines.append(
                f"  {sequence.name:24s} {len(sequence):4d} frames  {width}x{height}  "
                f"{sequence.info.get('set', '?'):8s}  {' '.join(sequence.attributes)}"
            )
        return lines
    video = open_video(path)
    height, width = video.size
    return [f"{path}: {len(video)} frames of {width}x{height} ({type(video).__name__})"]
