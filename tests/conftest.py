"""Shared fixtures: the read-only ../shared folder (skipped when absent) and generated synthetic data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DAVIS_SAMPLE = SHARED / "data" / "davis2016-sample"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (it exists only on the developers' and CI machines)")
    return SHARED


@pytest.fixture(scope="session")
def davis_sample(shared_dir) -> Path:
    if not DAVIS_SAMPLE.is_dir():
        pytest.skip(f"{DAVIS_SAMPLE} is absent")
    return DAVIS_SAMPLE


@pytest.fixture(scope="session")
def davis_full() -> Path:
    root = os.environ.get("PLM_DAVIS_ROOT")
    if not root or not (Path(root) / "ImageSets" / "480p" / "val.txt").is_file():
        pytest.skip("the full DAVIS 2016 is not staged (set PLM_DAVIS_ROOT; see ../shared/data/README.md)")
    return Path(root)


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """All synthetic scenarios as a DAVIS-layout dataset (12 frames each, val split, plus 2 train videos)."""
    from plmlib.data import write_dataset

    return write_dataset(tmp_path_factory.mktemp("synthetic") / "dataset", n_frames=12, train=("translate", "thin"))
