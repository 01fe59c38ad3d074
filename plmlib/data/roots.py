"""Where datasets live: an explicit argument, else an environment variable, else a clear error."""

from __future__ import annotations

import os
from pathlib import Path

# dataset -> (human name, environment variable, download script)
DATASETS: dict[str, tuple[str, str, str]] = {
    "davis2016": ("DAVIS 2016", "PLM_DAVIS_ROOT", "data_download/davis2016.py"),
    "davis2017": ("DAVIS 2017", "PLM_DAVIS2017_ROOT", "data_download/davis2017.py"),
    "segtrack": ("SegTrack v2", "PLM_SEGTRACK_ROOT", "data_download/segtrack_v2.py"),
    "jumpcut": ("JumpCut", "PLM_JUMPCUT_ROOT", "data_download/jumpcut.py"),
}


def environment_root(dataset: str) -> str | None:
    """The root of ``dataset`` that its environment variable names (``DATASETS``), or None when it is not set:
    for callers that fall back to other data when a dataset is absent."""
    return os.environ.get(DATASETS[dataset][1]) or None


class DatasetNotFoundError(FileNotFoundError):
    """A dataset root is not given, not set, or not where it was said to be."""


def dataset_root(dataset: str, root: str | os.PathLike | None = None, expect: tuple[str, ...] = ()) -> Path:
    """Resolve the root folder of ``dataset`` and check that the sub-folders ``expect`` exist in it."""
    name, variable, script = DATASETS[dataset]
    how = f"Download it with `python {script}` (it prints the line to set), then set {variable} or pass root=..."
    if root is None:
        root = os.environ.get(variable)
        if not root:
            raise DatasetNotFoundError(f"{name} not found: no root was given and {variable} is not set. {how}")
        source = f" (from {variable})"
    else:
        source = ""
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetNotFoundError(f"{name} not found: {path}{source} is not a folder. {how}")
    for sub in expect:
        if not (path / sub).is_dir():
            raise DatasetNotFoundError(f"{name} at {path}{source} is incomplete: expected the folder {sub}/ in it. {how}")
    return path
