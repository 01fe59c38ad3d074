"""J, F and their statistics against values computed by the official DAVIS evaluation code.

The reference CSVs live in ``../shared/data`` (see its README for how the perturbations were made); the bmx-trees
rows need the full DAVIS 2016, found through ``PLM_DAVIS_ROOT``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from plmlib.io import read_mask
from plmlib.metrics import contour_accuracy, region_similarity, statistics

ndimage = pytest.importorskip("scipy.ndimage")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLE = SHARED / "data" / "davis2016-sample"
TOL = 1e-6
STRUCTURE = np.ones((3, 3), dtype=bool)

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared data not found at {SHARED}")


def _annotation_dir(sequence: str) -> Path:
    sample = SAMPLE / "Annotations" / "480p" / sequence
    if sample.is_dir():
        return sample
    root = os.environ.get("PLM_DAVIS_ROOT")
    full = Path(root) / "Annotations" / "480p" / sequence if root else None
    if full is None or not full.is_dir():
        pytest.skip(f"sequence {sequence} is not in the sample and PLM_DAVIS_ROOT does not point to the full DAVIS 2016")
    return full


def perturb(gt: np.ndarray, kind: str) -> np.ndarray:
    if kind == "identity":
        return gt.copy()
    if kind == "erode5":
        return ndimage.binary_erosion(gt, STRUCTURE, iterations=5)
    if kind == "dilate5":
        return ndimage.binary_dilation(gt, STRUCTURE, iterations=5)
    if kind == "shift10":
        out = np.zeros_like(gt)
        out[:, 10:] = gt[:, :-10]
        return out
    if kind == "empty":
        return np.zeros_like(gt)
    raise ValueError(kind)


def _rows(name: str) -> list[dict]:
    path = SHARED / "data" / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open() as f:
        return list(csv.DictReader(f))


def _frame_ids() -> list[tuple]:
    path = SHARED / "data" / "metric_reference.csv"
    if not path.is_file():
        return []
    with path.open() as f:
        return [(r["sequence"], r["frame"], r["perturbation"]) for r in csv.DictReader(f)]


@pytest.mark.parametrize("sequence,frame,perturbation", _frame_ids())
def test_frame_matches_official(sequence, frame, perturbation):
    row = next(r for r in _rows("metric_reference.csv") if (r["sequence"], r["frame"], r["perturbation"]) == (sequence, frame, perturbation))
    gt = read_mask(_annotation_dir(sequence) / f"{frame}.png") > 0
    pred = perturb(gt, perturbation)
    assert np.count_nonzero(gt) == int(row["gt_pixels"])
    assert np.count_nonzero(pred) == int(row["pred_pixels"])
    assert region_similarity(gt, pred) == pytest.approx(float(row["J"]), abs=TOL)
    assert contour_accuracy(gt, pred) == pytest.approx(float(row["F"]), abs=TOL)


def test_sequence_statistics_match_official():
    for row in _rows("metric_reference_sequences.csv"):
        files = sorted(_annotation_dir(row["sequence"]).glob("*.png"))
        assert len(files) == int(row["frames"])
        j_values, f_values = [], []
        for path in files[1:-1]:
            gt = read_mask(path) > 0
            pred = perturb(gt, row["perturbation"])
            j_values.append(region_similarity(gt, pred))
            f_values.append(contour_accuracy(gt, pred))
        ours = list(statistics(j_values)) + list(statistics(f_values))
        expected = [float(row[k]) for k in ("J_mean", "J_recall", "J_decay", "F_mean", "F_recall", "F_decay")]
        assert ours == pytest.approx(expected, abs=TOL), row["sequence"] + " " + row["perturbation"]
