"""Per-sequence statistics of a per-frame measure, and the dataset score (DAVIS protocol).

As in the official DAVIS evaluation (Perazzi et al., CVPR 2016, Sec. 3.2; ``db_statistics``), applied to the
per-frame values of one object in one sequence, first and last frame already excluded:

- **Mean** M: the average, NaN values ignored;
- **Recall** O: the fraction of frames scoring more than 0.5 (a NaN frame counts as a miss, as officially);
- **Decay** D: mean of the first quarter minus mean of the last quarter, with four overlapping bins
  ``ids = round(linspace(1, N, 5)) - 1`` (halves rounded up), bin i = ``x[ids[i] : ids[i+1] + 1]``.

The official Python code stores ``ids`` as uint8, which wraps around for sequences longer than 255 frames and
silently gives a wrong decay; we keep the indices as integers (the MATLAB original had no such limit).
The dataset score is the plain mean over sequences (over objects, for multi-object sequences).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

N_DECAY_BINS = 4
RECALL_THRESHOLD = 0.5


class Statistics(NamedTuple):
    """Mean, recall and decay of one measure over one sequence (one object)."""

    mean: float
    recall: float
    decay: float


def _values(per_frame: Iterable[float]) -> np.ndarray:
    values = np.asarray(list(per_frame) if not isinstance(per_frame, np.ndarray) else per_frame, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"per-frame values must be 1-D, got shape {values.shape}")
    return values


def _nanmean(values: np.ndarray) -> float:
    if values.size == 0 or np.all(np.isnan(values)):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return float(np.nanmean(values))


def mean(per_frame: Iterable[float]) -> float:
    """Average of the per-frame values, NaN ignored (NaN if there are none)."""
    return _nanmean(_values(per_frame))


def recall(per_frame: Iterable[float], threshold: float = RECALL_THRESHOLD) -> float:
    """Fraction of frames whose value is above ``threshold`` (NaN frames count as misses)."""
    values = _values(per_frame)
    if values.size == 0:
        return float("nan")
    with np.errstate(invalid="ignore"):
        return float(np.mean(values > threshold))


def decay_bins(n_frames: int, n_bins: int = N_DECAY_BINS) -> list[tuple[int, int]]:
    """The ``[start, stop)`` index ranges of the overlapping decay bins for ``n_frames`` values."""
    if n_frames <= 0:
        return []
    ids = (np.round(np.linspace(1, n_frames, n_bins + 1) + 1e-10) - 1).astype(np.int64)
    return [(int(ids[i]), int(ids[i + 1]) + 1) for i in range(n_bins)]


def decay(per_frame: Iterable[float], n_bins: int = N_DECAY_BINS) -> float:
    """Mean of the first bin minus mean of the last bin (positive = the method loses quality over time)."""
    values = _values(per_frame)
    bins = decay_bins(values.size, n_bins)
    if not bins:
        return float("nan")
    first, last = bins[0], bins[-1]
    return _nanmean(values[first[0] : first[1]]) - _nanmean(values[last[0] : last[1]])


def statistics(per_frame: Iterable[float]) -> Statistics:
    """Mean, recall and decay of one sequence's per-frame values."""
    values = _values(per_frame)
    return Statistics(mean(values), recall(values), decay(values))


def dataset_mean(per_sequence: Iterable[float]) -> float:
    """Dataset score: the plain mean over sequences (NaN entries, e.g. sequences without T, ignored)."""
    return mean(per_sequence)
