"""Segmenting a video with PLM: the slides' "Overall Step" for every frame, PLM_U, PLM_P, several objects.

    from plmlib.infer import PLMSegmenter, segment_frames
    segmenter = PLMSegmenter()                            # the shipped network, fine-tuned on the first frame
    for mask in segment_frames(frames, first_mask):       # any iterable of frames (a camera too): a generator
        ...
    # or by name, like every method: plmlib.create_segmenter("plm" | "plm_u" | "plm_p", **options)
    # ("plm_grabcut": ours, not the paper's: PLM's maps refined by GrabCut)

Modules, in the slides' order: candidates (a, b), responses (c, d, e), stacking (f size restoring, g stacking,
h thresholding), postprocess (PLM_P's weighted median filter), grabcut (our GrabCut refinement), network (where
the network comes from, and its first-frame fine-tuning: NetworkBuilder), segmenter (PLMSegmenter, the per-frame
core, and its variants).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from plmlib.core.segmenter import segment_video

from .candidates import (DEFAULT_JITTER, POSITION_JITTER, BoxTracker, CandidateConfig, MotionEstimator, VisualTracker,
                         jittered_windows, largest_component, recovery_windows)
from .grabcut import GrabCutConfig, grabcut_refine
from .network import NetworkBuilder
from .postprocess import WeightedMedianConfig, weighted_median
from .responses import Matcher
from .segmenter import (PLMGrabCutSegmenter, PLMPSegmenter, PLMSegmenter, PLMUSegmenter,
                        share_finetuning)
from .stacking import merge_objects, restore_and_stack, threshold
from .thresholds import DEFAULT_THRESHOLD, PLM_THRESHOLD


def segment_frames(frames: Iterable[np.ndarray], first_mask: np.ndarray, segmenter: PLMSegmenter | None = None,
                   **options) -> Iterator[np.ndarray]:
    """Yield one id map per frame (the first mask first), streaming: nothing is kept but the segmenter's state.

    ``segmenter``: a PLMSegmenter (or any VideoSegmenter); default ``PLMSegmenter(**options)``."""
    return segment_video(segmenter if segmenter is not None else PLMSegmenter(**options), frames, first_mask)


__all__ = [
    "BoxTracker", "CandidateConfig", "DEFAULT_JITTER", "DEFAULT_THRESHOLD", "GrabCutConfig", "POSITION_JITTER",
    "Matcher", "MotionEstimator", "NetworkBuilder", "PLM_THRESHOLD", "PLMGrabCutSegmenter", "PLMPSegmenter",
    "PLMSegmenter", "PLMUSegmenter", "VisualTracker", "WeightedMedianConfig", "jittered_windows", "grabcut_refine",
    "largest_component", "merge_objects", "recovery_windows", "restore_and_stack", "segment_frames", "share_finetuning",
    "threshold",
    "weighted_median",
]
