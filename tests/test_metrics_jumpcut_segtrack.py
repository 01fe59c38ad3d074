"""JumpCut error and SegTrack IoU."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plmlib.metrics import (jumpcut_error, jumpcut_frame_error, jumpcut_pairs, region_similarity,
                            segtrack_sequence_iou)


def test_jumpcut_pairs():
    assert jumpcut_pairs(50) == [(0, 16), (16, 32), (32, 48)]
    assert jumpcut_pairs(49) == [(0, 16), (16, 32), (32, 48)]
    assert jumpcut_pairs(48) == [(0, 16), (16, 32)]
    assert jumpcut_pairs(10) == []
    assert jumpcut_pairs(20, jump=5) == [(0, 5), (5, 10), (10, 15)]
    with pytest.raises(ValueError):
        jumpcut_pairs(10, jump=0)


def test_jumpcut_errors():
    gt = np.zeros((10, 10), dtype=bool)
    gt[2:6, 2:7] = True  # 20 pixels
    pred = gt.copy()
    pred[2, 2] = False  # 1 missed
    pred[8, 8] = True  # 1 false positive
    assert jumpcut_frame_error(gt, gt) == 0.0
    assert jumpcut_frame_error(gt, pred) == pytest.approx(100 * 2 / 20)
    assert jumpcut_frame_error(gt, np.zeros_like(gt)) == pytest.approx(100.0)
    assert math.isnan(jumpcut_frame_error(np.zeros_like(gt), pred))
    assert jumpcut_error([(gt, gt), (gt, pred)]) == pytest.approx(5.0)
    assert jumpcut_error({16: (gt, pred), 32: (np.zeros_like(gt), gt)}) == pytest.approx(10.0)
    assert math.isnan(jumpcut_error([]))


def test_segtrack_iou_per_object_and_union():
    gt = np.zeros((3, 10, 10), dtype=np.uint8)
    gt[:, 1:4, 1:4] = 1  # 9 px
    gt[:, 6:9, 6:9] = 2  # 9 px
    pred = gt.copy()
    pred[1:, 6:9, 6:9] = 0  # object 2 lost after the first frame
    assert region_similarity(gt[1] == 1, pred[1] == 1) == 1.0
    assert segtrack_sequence_iou(list(gt), list(pred)) == pytest.approx(0.5)  # mean of 1.0 and 0.0
    assert segtrack_sequence_iou(list(gt), list(pred), combine="union") == pytest.approx(0.5)  # 9 / 18
    assert segtrack_sequence_iou(list(gt), list(pred), skip_first=False) == pytest.approx((1.0 + 1 / 3) / 2)
    with pytest.raises(ValueError):
        segtrack_sequence_iou(list(gt), list(pred)[:2])
    with pytest.raises(ValueError):
        segtrack_sequence_iou(list(gt), list(pred), combine="max")
