"""Mean, recall, decay (DAVIS protocol) and the dataset mean."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plmlib.metrics import dataset_mean, decay, mean, recall, statistics
from plmlib.metrics.statistics import decay_bins


def reference_decay(x: np.ndarray) -> float:
    """The official formula with plain integer indices."""
    ids = (np.round(np.linspace(1, len(x), 5) + 1e-10) - 1).astype(np.int64)
    bins = [x[ids[i] : ids[i + 1] + 1] for i in range(4)]
    return float(np.nanmean(bins[0]) - np.nanmean(bins[3]))


def test_basic_statistics():
    x = np.array([1.0, 0.9, 0.6, 0.5, 0.4, 0.2])
    s = statistics(x)
    assert s.mean == pytest.approx(x.mean())
    assert s.recall == pytest.approx(3 / 6)  # strictly above 0.5
    assert s.decay == pytest.approx(reference_decay(x))
    assert decay_bins(6) == [(0, 2), (1, 4), (3, 5), (4, 6)]  # overlapping, as officially


def test_nan_handling():
    x = np.array([0.9, np.nan, 0.8, 0.7])
    assert mean(x) == pytest.approx(0.8)
    assert recall(x) == pytest.approx(3 / 4)  # a NaN frame is a miss
    assert math.isnan(mean([]))
    assert math.isnan(recall([]))
    assert math.isnan(decay([]))
    assert decay([0.7]) == 0.0


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 48, 100, 255, 256, 257, 300, 1000, 3547])
def test_decay_any_length(n):
    x = np.linspace(1.0, 0.0, n) ** 2
    assert decay(x) == pytest.approx(reference_decay(x))


def test_decay_beyond_255_frames_does_not_wrap():
    # The official Python code stores the bin indices as uint8: for 300 values they wrap around.
    x = np.linspace(1.0, 0.0, 300)
    wrapped = (np.round(np.linspace(1, 300, 5) + 1e-10) - 1).astype(np.uint8)
    assert wrapped[4] == 299 % 256  # the last bin ends at index 43: it is empty
    last_bin = x[wrapped[3] : wrapped[4] + 1]
    assert last_bin.size == 0
    ours = decay(x)
    assert ours == pytest.approx(reference_decay(x))
    assert ours == pytest.approx(0.75, abs=0.01)  # first quarter ~0.875, last ~0.125


def test_dataset_mean_is_plain_mean_over_sequences():
    assert dataset_mean([0.5, 0.7, 0.9]) == pytest.approx(0.7)
    assert dataset_mean([0.5, float("nan")]) == pytest.approx(0.5)
