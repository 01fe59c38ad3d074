"""JumpCut error (Fan et al., SIGGRAPH Asia 2015), as the PLM paper uses it on the JumpCut benchmark.

Non-successive mask transfer: the ground-truth mask of a key frame i is given and the method must produce the mask
of frame i + d (d = 16). The error of one transfer is ``100 * (#mislabelled pixels) / (#foreground pixels)`` at frame
i + d, and the sequence error is the mean over key frames: ``Err = 100/N * sum_i mislabelled(i+d) / fg(i+d)``.
Key frames are 0, d, 2d, ... while i + d is a frame of the sequence (our reading of "key frames every d frames").
A target frame without foreground has no defined error: it gives NaN and is left out of the mean (our choice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

JUMP = 16


def jumpcut_pairs(n_frames: int, jump: int = JUMP, first: int = 0) -> list[tuple[int, int]]:
    """``(key frame, target frame)`` index pairs of a sequence of ``n_frames`` frames."""
    if jump <= 0:
        raise ValueError(f"jump must be positive, got {jump}")
    return [(k, k + jump) for k in range(first, n_frames - jump, jump)]


def jumpcut_frame_error(gt: np.ndarray, pred: np.ndarray) -> float:
    """``100 * |pred XOR gt| / |gt|`` for one transferred mask; NaN when the ground truth is empty."""
    gt = np.asarray(gt) != 0
    pred = np.asarray(pred) != 0
    if gt.shape != pred.shape:
        raise ValueError(f"ground truth is {gt.shape[1]}x{gt.shape[0]} but prediction is {pred.shape[1]}x{pred.shape[0]}")
    foreground = np.count_nonzero(gt)
    if foreground == 0:
        return float("nan")
    return 100.0 * np.count_nonzero(gt ^ pred) / foreground


def jumpcut_error(transfers: Iterable[tuple[np.ndarray, np.ndarray]] | Mapping) -> float:
    """Mean JumpCut error over ``(ground truth, transferred mask)`` pairs of the target frames.

    A mapping ``{target: (gt, pred)}`` is accepted too. NaN errors (empty ground truth) are left out.
    """
    items = transfers.values() if isinstance(transfers, Mapping) else transfers
    errors = np.array([jumpcut_frame_error(gt, pred) for gt, pred in items], dtype=np.float64)
    if errors.size == 0 or np.all(np.isnan(errors)):
        return float("nan")
    return float(np.nanmean(errors))
