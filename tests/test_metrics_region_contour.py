"""J and F: edge cases, and the cropped fast path against a plain full-frame implementation of the official formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plmlib.metrics import boundary_precision_recall, boundary_tolerance, contour_accuracy, region_similarity, seg2bmap
from plmlib.metrics.contour import disk

ndimage = pytest.importorskip("scipy.ndimage")


def naive_f(gt: np.ndarray, pred: np.ndarray, bound_th: float = 0.008) -> float:
    """The official db_eval_boundary, written plainly on the full frame (scipy dilation instead of OpenCV)."""
    radius = bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(*gt.shape))
    gb, fb = seg2bmap(gt), seg2bmap(pred)
    footprint = disk(float(radius)).astype(bool)
    gt_dil = ndimage.binary_dilation(gb, footprint) if gb.any() else gb
    fg_dil = ndimage.binary_dilation(fb, footprint) if fb.any() else fb
    n_fg, n_gt = fb.sum(), gb.sum()
    if n_fg == 0 and n_gt > 0:
        p, r = 1, 0
    elif n_fg > 0 and n_gt == 0:
        p, r = 0, 1
    elif n_fg == 0 and n_gt == 0:
        p, r = 1, 1
    else:
        p, r = (fb & gt_dil).sum() / float(n_fg), (gb & fg_dil).sum() / float(n_gt)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def test_seg2bmap_small_example():
    seg = np.zeros((4, 5), dtype=bool)
    seg[1:3, 1:3] = True
    expected = np.array(
        [
            [1, 1, 1, 0, 0],
            [1, 0, 1, 0, 0],
            [1, 1, 1, 0, 0],
            [0, 0, 0, 0, 0],
        ],
        dtype=bool,
    )
    assert (seg2bmap(seg) == expected).all()


def test_full_frame_mask_has_no_boundary():
    full = np.ones((7, 9), dtype=bool)
    assert not seg2bmap(full).any()
    assert region_similarity(full, full) == 1.0
    assert contour_accuracy(full, full) == 1.0


def test_empty_masks():
    empty = np.zeros((20, 30), dtype=bool)
    blob = empty.copy()
    blob[5:10, 5:12] = True
    assert region_similarity(empty, empty) == 1.0
    assert contour_accuracy(empty, empty) == 1.0
    assert boundary_precision_recall(empty, empty)[1:] == (1.0, 1.0)
    assert region_similarity(blob, empty) == 0.0
    assert boundary_precision_recall(blob, empty) == (0.0, 1.0, 0.0)  # nothing predicted: P = 1, R = 0
    assert region_similarity(empty, blob) == 0.0
    assert boundary_precision_recall(empty, blob) == (0.0, 0.0, 1.0)  # nothing to find: P = 0, R = 1


def test_one_pixel_objects():
    a = np.zeros((480, 854), dtype=bool)
    b = a.copy()
    a[100, 200] = True
    b[100, 203] = True
    assert region_similarity(a, a) == 1.0
    assert contour_accuracy(a, a) == 1.0
    assert region_similarity(a, b) == 0.0
    assert contour_accuracy(a, b) == 1.0  # 3 px apart, within the 8 px tolerance
    c = np.zeros_like(a)
    c[300, 700] = True
    assert contour_accuracy(a, c) == 0.0


def test_tolerance():
    assert boundary_tolerance((480, 854)) == 8.0
    assert boundary_tolerance((1080, 1920)) == math.ceil(0.008 * math.hypot(1080, 1920))
    assert boundary_tolerance((480, 854), 3) == 3.0
    with pytest.raises(ValueError):
        boundary_tolerance((10, 10), 0)


@pytest.mark.parametrize("seed", range(12))
def test_cropped_f_equals_full_frame_formula(seed):
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 90, size=2))  # odd and tiny sizes included
    gt = ndimage.gaussian_filter(rng.random((h, w)), 2) > 0.5
    pred = ndimage.gaussian_filter(rng.random((h, w)), 2) > 0.5
    if seed % 3 == 0:  # touching every border
        gt[0, :] = gt[-1, :] = gt[:, 0] = gt[:, -1] = True
    if seed % 4 == 1:
        pred = np.roll(gt, 1, axis=1)
    for bound_th in (0.008, 0.05, 2):
        assert contour_accuracy(gt, pred, bound_th) == naive_f(gt, pred, bound_th)
    inter, union = (gt & pred).sum(), (gt | pred).sum()
    assert region_similarity(gt, pred) == (1.0 if union == 0 else inter / union)


def test_void_pixels_are_ignored():
    gt = np.zeros((30, 30), dtype=bool)
    gt[5:15, 5:15] = True
    pred = gt.copy()
    pred[20:25, 20:25] = True
    void = np.zeros_like(gt)
    void[18:27, 18:27] = True
    assert region_similarity(gt, pred) < 1.0
    assert region_similarity(gt, pred, void) == 1.0
    assert contour_accuracy(gt, pred, void=void) == 1.0


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="30x20"):
        region_similarity(np.zeros((20, 30)), np.zeros((20, 31)))
    with pytest.raises(ValueError):
        contour_accuracy(np.zeros((20, 30)), np.zeros((21, 30)))
