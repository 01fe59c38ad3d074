"""Temporal stability T: contour extraction, matching, and values of the official DAVIS evaluation.

Official numbers used here (facts): the per-frame T of the DAVIS 2016 ground truth computed by the official MATLAB
code (davis-matlab ``eval_results/gt-T-val-2016-single-480p.mat``), and the leaderboard's T_gt = 0.088.
The expected contours were produced by the official ``mask2poly`` binary with tolerance 3.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from plmlib.io import read_mask
from plmlib.metrics import T_SCALE, sequence_temporal_stability, temporal_stability
from plmlib.metrics.temporal import longest_contour, match_cost, upsample_contour

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLE = SHARED / "data" / "davis2016-sample" / "Annotations" / "480p"

# Two diagonal-touching squares (a 4-way junction), the second with a hole, scaled x3.
JUNCTION_MASK = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 0, 0, 0, 0],
        [0, 1, 1, 0, 0, 0, 0],
        [0, 0, 0, 1, 1, 1, 0],
        [0, 0, 0, 1, 0, 1, 0],
        [0, 0, 0, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    dtype=bool,
).repeat(3, 0).repeat(3, 1)
JUNCTION_CONTOUR = [[12, 12], [15, 12], [15, 15], [12, 15], [12, 12]]  # the hole comes first among equals

# A 24x31 blob with several junctions and holes (bits packed row-major).
BLOB_BITS = [193, 135, 240, 62, 1, 255, 224, 124, 7, 255, 224, 56, 15, 255, 255, 248, 31, 255, 255, 224, 39, 249, 239, 192, 7, 227, 143, 128, 31, 199, 3, 192, 103, 143, 195, 136, 207, 239, 195, 56, 31, 143, 135, 248, 31, 207, 143, 240, 127, 207, 31, 249, 255, 255, 62, 127, 254, 254, 113, 255, 121, 236, 195, 159, 225, 137, 6, 63, 198, 24, 0, 126, 252, 56, 0, 193, 248, 115, 128, 3, 249, 225, 0, 126, 243, 195, 0, 204, 231, 71, 3, 136, 206]  # noqa: E501
BLOB_CONTOUR = [[0, 7], [0, 20], [3, 21], [0, 31], [9, 30], [5, 25], [6, 23], [8, 23], [9, 27], [18, 31], [24, 30], [24, 27], [16, 28], [17, 24], [24, 25], [21, 20], [24, 19], [22, 18], [23, 14], [21, 14], [21, 18], [19, 17], [20, 11], [16, 11], [18, 6], [14, 7], [18, 0], [8, 0], [8, 2], [11, 2], [10, 6], [14, 10], [13, 13], [8, 13], [10, 9], [7, 11], [5, 10], [6, 7], [0, 7]]  # noqa: E501

OFFICIAL_BLACKSWAN_FIRST = [0.0022047568217363877, 0.002792577990142493, 0.002191503796109296, 0.002322632595768906]
OFFICIAL_SEQUENCE_T = {"blackswan": 0.013923687519838284, "car-shadow": 0.05224545321033645}
LEADERBOARD_T_GT = 0.088


def blob_mask() -> np.ndarray:
    return np.unpackbits(np.array(BLOB_BITS, dtype=np.uint8))[: 24 * 31].reshape(24, 31).astype(bool)


def test_contours_equal_the_official_binary():
    assert longest_contour(JUNCTION_MASK).tolist() == JUNCTION_CONTOUR
    assert longest_contour(blob_mask()).tolist() == BLOB_CONTOUR


def test_contour_of_a_rectangle_is_clockwise_from_its_top_left_corner():
    mask = np.zeros((20, 30), dtype=bool)
    mask[4:10, 5:25] = True
    assert longest_contour(mask).tolist() == [[4, 5], [4, 25], [10, 25], [10, 5], [4, 5]]


def test_no_contour_means_nan():
    empty = np.zeros((20, 20), dtype=bool)
    dot = empty.copy()
    dot[5, 5] = True  # a one-pixel object simplifies to nothing (as officially)
    square = empty.copy()
    square[3:9, 3:9] = True
    assert longest_contour(empty) is None and longest_contour(dot) is None
    assert math.isnan(temporal_stability(empty, square))
    assert math.isnan(temporal_stability(square, dot))


def test_identical_and_translated_shapes_are_stable():
    yy, xx = np.mgrid[:120, :160]
    ellipse = ((yy - 50) / 30.0) ** 2 + ((xx - 70) / 45.0) ** 2 <= 1
    assert temporal_stability(ellipse, ellipse) == 0.0
    assert temporal_stability(ellipse, np.roll(ellipse, (7, 11), axis=(0, 1))) == pytest.approx(0.0, abs=1e-12)
    squashed = ((yy - 50) / 20.0) ** 2 + ((xx - 70) / 55.0) ** 2 <= 1
    assert temporal_stability(ellipse, squashed) > 0.01


def test_touching_the_border():
    mask = np.zeros((40, 50), dtype=bool)
    mask[:, :20] = True
    mask[10:30, 20:35] = True
    assert longest_contour(mask)[0].tolist() == [0, 0]
    assert temporal_stability(mask, np.fliplr(mask)) >= 0.0


def test_upsampling_closes_the_contour():
    square = np.array([[0, 0], [0, 9], [9, 9], [9, 0], [0, 0]])
    points = upsample_contour(square)
    assert len(points) == 4 * 3 + 1  # each 9 px side cut in three; the repeated first point kept
    assert np.allclose(points[:4], [[0, 0], [0, 3], [0, 6], [0, 9]])


def test_matching_picks_the_cyclic_shift():
    rng = np.random.default_rng(0)
    base = rng.random((12, 12)) + 10.0
    np.fill_diagonal(base, 0.0)
    shifted = np.roll(base, 5, axis=1)  # the free matching wraps around: found by re-aligning the matrix
    assert match_cost(base) == 0.0
    assert match_cost(shifted) == 0.0


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"DAVIS sample not found at {SAMPLE}")
def test_blackswan_first_frames_match_official():
    files = sorted((SAMPLE / "blackswan").glob("*.png"))[:6]
    masks = [read_mask(f) > 0 for f in files]
    ours = sequence_temporal_stability(masks[1:5], masks[0])
    assert ours == pytest.approx(OFFICIAL_BLACKSWAN_FIRST, abs=1e-6)


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"DAVIS sample not found at {SAMPLE}")
@pytest.mark.parametrize("sequence", ["car-shadow"])
def test_sequence_t_close_to_official(sequence):
    files = sorted((SAMPLE / sequence).glob("*.png"))
    masks = [read_mask(f) > 0 for f in files]
    values = sequence_temporal_stability(masks[1:-1], masks[0])
    assert len(values) == len(files) - 2
    assert T_SCALE * np.nanmean(values) == pytest.approx(OFFICIAL_SEQUENCE_T[sequence], rel=1e-3)


def _full_davis() -> Path | None:
    root = os.environ.get("PLM_DAVIS_ROOT")
    return Path(root) if root and (Path(root) / "Annotations" / "480p").is_dir() else None


@pytest.mark.slow
@pytest.mark.skipif(_full_davis() is None, reason="PLM_DAVIS_ROOT does not point to the full DAVIS 2016")
def test_ground_truth_t_matches_leaderboard(tmp_path):
    """T of the ground truth itself over the val sequences whose eval_t is true: the leaderboard's T_gt."""
    from plmlib.metrics.evaluate import evaluate

    root = _full_davis()
    ev = evaluate(root / "Annotations" / "480p", root, split="val", temporal=True, progress=False)
    assert ev.global_scores["J-Mean"] == 1.0 and ev.global_scores["F-Mean"] == 1.0
    assert sum(o.eval_t for o in ev.objects) == 10
    assert ev.global_scores["T"] == pytest.approx(LEADERBOARD_T_GT, abs=1e-3)


# --------------------------------------------------------------------------------------------------------------
# Value preservation: per-frame T pinned to the values of the numpy implementation (tests/temporal_reference.py)
# --------------------------------------------------------------------------------------------------------------

REFERENCE_TOLERANCE = 1e-9


def _check_reference(pairs, expected: dict) -> float:
    """Assert every pair's raw T equals the fixture's to 1e-9 (NaN where the fixture has null); the largest gap."""
    assert [name for name, _, _ in pairs] == list(expected)
    worst = 0.0
    for name, previous, current in pairs:
        value = temporal_stability(previous, current)
        if expected[name] is None:
            assert math.isnan(value), name
        else:
            assert abs(value - expected[name]) <= REFERENCE_TOLERANCE, (name, value, expected[name])
            worst = max(worst, abs(value - expected[name]))
    return worst


def test_random_masks_keep_their_reference_t():
    import temporal_reference as reference

    expected = json.loads(reference.FIXTURE.read_text())["random"]
    _check_reference(reference.random_pairs(), expected)


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"DAVIS sample not found at {SAMPLE}")
def test_davis_masks_keep_their_reference_t():
    import temporal_reference as reference

    expected = json.loads(reference.FIXTURE.read_text())["real"]
    _check_reference(reference.real_pairs(), expected)
