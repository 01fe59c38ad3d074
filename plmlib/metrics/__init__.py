"""Evaluation measures: J (region), F (contour), T (temporal stability), DAVIS statistics, JumpCut error,
SegTrack IoU, and the folder evaluation behind ``plm evaluate``. numpy and OpenCV, and numba for the loops of T
(imported when T is first computed); imports ``plmlib.io``, and ``plmlib.data`` for the DAVIS layout."""

from plmlib.metrics.contour import boundary_precision_recall, boundary_tolerance, contour_accuracy, seg2bmap
from plmlib.metrics.jumpcut import jumpcut_error, jumpcut_frame_error, jumpcut_pairs
from plmlib.metrics.region import region_similarity
from plmlib.metrics.segtrack import segtrack_sequence_iou
from plmlib.metrics.statistics import Statistics, dataset_mean, decay, mean, recall, statistics
from plmlib.metrics.temporal import T_SCALE, describe, sequence_temporal_stability, temporal_stability

__all__ = [
    "T_SCALE",
    "Statistics",
    "boundary_precision_recall",
    "boundary_tolerance",
    "contour_accuracy",
    "dataset_mean",
    "decay",
    "describe",
    "jumpcut_error",
    "jumpcut_frame_error",
    "jumpcut_pairs",
    "mean",
    "recall",
    "region_similarity",
    "seg2bmap",
    "segtrack_sequence_iou",
    "sequence_temporal_stability",
    "statistics",
    "temporal_stability",
]
