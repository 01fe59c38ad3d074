"""SegTrack IoU (Li et al., ICCV 2013; the PLM paper's SegTrack table): intersection over union per object.

Per frame, each annotated object's IoU is J (:func:`plmlib.metrics.region.region_similarity`, 1 when both masks
are empty). A sequence scores the mean over its frames, the first (given) frame excluded, and a multi-object
sequence the mean over its objects of those per-object scores (our choice; pass ``combine="union"`` to score all
objects together as one foreground instead, as some papers do).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from plmlib.metrics.region import region_similarity


def segtrack_sequence_iou(
    gts: Sequence[np.ndarray],
    preds: Sequence[np.ndarray],
    skip_first: bool = True,
    combine: str = "mean",
) -> float:
    """IoU of a sequence from object-id masks (0 = background, 1..K = objects), frame by frame.

    ``combine="mean"`` averages the per-object sequence IoUs; ``"union"`` treats every object as one foreground.
    Objects are those present in any ground-truth frame.
    """
    if len(gts) != len(preds):
        raise ValueError(f"{len(gts)} ground-truth masks but {len(preds)} predictions")
    if combine not in ("mean", "union"):
        raise ValueError(f"combine must be 'mean' or 'union', got {combine!r}")
    frames = range(1 if skip_first else 0, len(gts))
    if len(frames) == 0:
        return float("nan")
    if combine == "union":
        return float(np.mean([region_similarity(gts[t] != 0, preds[t] != 0) for t in frames]))
    ids = sorted(set().union(*(np.unique(g).tolist() for g in gts)) - {0})
    if not ids:
        return float("nan")
    per_object = [np.mean([region_similarity(gts[t] == k, preds[t] == k) for t in frames]) for k in ids]
    return float(np.mean(per_object))
