"""PLMSegmenter: the slides' "Overall Step" for every frame, with the PLM_U and PLM_P variants as options.

    start(first frame, its mask):  per object, fine-tune the network on the first frame (slides: "Two-stage
                                   Training", fine-tuning "using single frame"), crop the query, compute its vector once
    step(frame):                   per object,
        motion                     the box moved by the object's median optical flow (ours; candidates.motion)
        (a, b) candidates          windows around the tracked box (or a recovery grid when the object was lost),
                                   [visual_tracker] plus one around a CSRT tracker's box (ours; candidates)
        (c, d, e) responses        the network's foreground probability of each window, batched
        (f) size restoring, (g) stacking   back into a full-frame map, averaged where windows overlap
        [PLM_P]                    weighted median filter guided by the frame
        [grabcut]                  ours: GrabCut on the frame seeded by the map (plmlib.infer.grabcut)
        (h) thresholding           then objects merged per pixel by the highest probability
        box update                 the tracked box follows the object's largest component (our choice); an
                                   object declared lost is left out of the mask until it is found again
        [PLM_U]                    every ``update_every`` frames the model is updated from its own result: the
                                   network fine-tuned on the current frame and its predicted mask, the query
                                   replaced by that prediction (``update_model=False``: the query only)

Matching is against the first frame only (PLM), unless ``update_every`` is set (PLM_U: the slides' "model update
after ten-frame processing", which drifts). State is a few boxes and one query vector per object: memory does not
grow with the video's length.

Which network, and its fine-tuning: plmlib.infer.network.NetworkBuilder (``model``, else ``checkpoint``: by default
``"shipped"``, the release that ships inside plmlib; ``checkpoint=None``: a fresh ``preset`` model). This module is
the per-frame core: it asks the builder for a network per object and matches with it.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from plmlib.core.config import as_config
from plmlib.core.masks import object_ids
from plmlib.core.methods import check_options
from plmlib.core.segmenter import VideoSegmenter
from plmlib.model import PLMNet

from .candidates import BoxTracker, CandidateConfig, MotionEstimator, VisualTracker
from .grabcut import GrabCutConfig, check_levels, grabcut_refine
from .network import SHIPPED, NetworkBuilder
from .postprocess import WeightedMedianConfig, weighted_median
from .responses import Matcher
from .stacking import STACKING, merge_objects, restore_and_stack
from .thresholds import DEFAULT_THRESHOLD, PLM_THRESHOLD  # slides (h): the levels and their order

PLM_U_UPDATE_EVERY = 10  # slides: "model update after ten-frame processing"
PLM_U_UPDATE_MODEL = True  # slides: "successive frames matching with model update": the network too, not only the query


def threshold_default(from_checkpoint: bool) -> float:
    """Slides (h) unless told: PLM_THRESHOLD for a pre-trained network, the paper README's 0.5 for a fresh one (our
    choice: one fine-tuned from scratch on the first frame is not under-confident; results/defaults/README.md)."""
    return PLM_THRESHOLD if from_checkpoint else DEFAULT_THRESHOLD


class PLMSegmenter(VideoSegmenter):
    """PLM (ICCV 2017) as a VideoSegmenter; ``update_every`` gives PLM_U, ``postprocess`` PLM_P. The network
    options (model, checkpoint, preset, device, finetune_options, progress, seed, pretrained_network) make its
    ``builder`` (plmlib.infer.network.NetworkBuilder: the network, and its fine-tuned copies); the rest is the
    per-frame core's.

      model / checkpoint / preset   the network (plmlib.infer.network): checkpoint "shipped" (default), a path, or
                                    None for a fresh ``preset`` model (default ``small``)
      device                        "cpu", "cuda", ... (None: plmlib.model.default_device())
      finetune                      fine-tune on the first frame first (slides: two-stage training); one copy of
                                    the network per object
      finetune_options              overrides of plmlib.train.finetune_defaults(): iterations, batch_size, lr, and
                                    any plmlib.train.FinetuneConfig field as "a.b" keys (e.g. {"cache.pool_size": 64})
      candidates                    CandidateConfig (or a dict of its fields): windows and box tracking (ours)
      stacking                      slides (g): "mean" of overlapping windows (paper README) or "max" (ours)
      threshold                     slides (h): the probability above which a pixel is the object (None:
                                    threshold_default(), 0.3 for a pre-trained network, 0.5 for a fresh one)
      update_every                  PLM_U: update from the current prediction every this many frames (0: never, PLM)
      update_model                  PLM_U: at each update, also fine-tune each object's network on the current frame
                                    and its predicted mask (the same fine-tuning options as the first frame's), from
                                    the network it has; False: replace the query only
      postprocess                   PLM_P: True or a WeightedMedianConfig (or dict) to filter each probability map
      grabcut                       ours: True or a GrabCutConfig (or dict) to refine each map (after PLM_P's
                                    filter, if both) with GrabCut on the frame; the refined mask also places the
                                    next frame's windows
      keep_largest                  output only the largest component of each object (our choice; default off:
                                    DAVIS objects are often in pieces)
      batch_size                    candidate windows per forward pass
      progress                      progress bar while fine-tuning
      seed                          fine-tuning seed, and the initialisation of a fresh ``preset`` network
      pretrained_network            whether the network is pre-trained: keys the fine-tuning and threshold defaults
                                    (None: True when ``model`` or a checkpoint is given; pass False for a fresh
                                    network handed over as ``model``, as plmlib.experiments.ablation does)
    """

    name = "plm"

    def __init__(self, model: PLMNet | None = None, *, checkpoint: str | Path | None = SHIPPED, preset: str = "small",
                 device: str | torch.device | None = None, finetune: bool = True, finetune_options: dict | None = None,
                 candidates: CandidateConfig | dict | None = None, stacking: str = "mean",
                 threshold: float | None = None,
                 update_every: int = 0, update_model: bool = False,
                 postprocess: bool | WeightedMedianConfig | dict = False,
                 grabcut: bool | GrabCutConfig | dict = False,
                 keep_largest: bool = False, batch_size: int = 16, progress: bool = False, seed: int = 0,
                 pretrained_network: bool | None = None):
        super().__init__()
        self.builder = NetworkBuilder(model, checkpoint, preset, device=device, seed=seed,
                                      pretrained=pretrained_network, finetune_options=finetune_options,
                                      progress=progress)
        self.finetune = bool(finetune)
        self.candidates = as_config(CandidateConfig, candidates)
        if stacking not in STACKING:
            raise ValueError(f"stacking must be one of {STACKING}, got {stacking!r}")
        if threshold is None:
            threshold = threshold_default(self.builder.pretrained)
        if not 0.0 < float(threshold) < 1.0:
            raise ValueError(f"threshold must be between 0 and 1 (a probability), got {threshold}")
        self.stacking, self.threshold = stacking, float(threshold)
        self.update_every = int(update_every or 0)
        self.update_model = bool(update_model)
        if postprocess is True:
            postprocess = WeightedMedianConfig()
        self.postprocess = as_config(WeightedMedianConfig, postprocess) if postprocess else None
        if grabcut is True:
            grabcut = GrabCutConfig()
        self.grabcut = as_config(GrabCutConfig, grabcut) if grabcut else None
        if self.grabcut is not None:
            check_levels(self.grabcut, self.threshold)
        self.keep_largest = bool(keep_largest)
        self.batch_size = int(batch_size)
        self.matchers: list[Matcher] = []
        self.trackers: list[BoxTracker] = []
        self.timing = {"finetune_seconds": 0.0, "update_seconds": 0.0, "network_seconds": 0.0, "step_seconds": 0.0,
                       "steps": 0, "windows": 0}

    # ------------------------------------------------------------------------------------------------------------
    def _start(self, frame: np.ndarray, mask: np.ndarray) -> None:
        """One matcher per object: fine-tuned network (unless told not to), query vector, box tracker."""
        self.matchers, self.trackers, self.visual_trackers = [], [], []
        c = self.candidates
        for object_id in self.ids:
            object_mask = (mask == object_id).astype(np.uint8)
            if self.finetune:
                started = time.perf_counter()
                net = self.builder.finetuned(frame, object_mask)
                self.timing["finetune_seconds"] += time.perf_counter() - started
            else:
                net = self.builder.base()
            matcher = Matcher(net, self.builder.device, context=c.context, min_side=c.min_side,
                              batch_size=self.batch_size)
            matcher.set_query(frame, object_mask)
            self.matchers.append(matcher)
            self.trackers.append(BoxTracker(object_mask, c))
            if c.visual_tracker == "csrt":
                self.visual_trackers.append(VisualTracker(frame, object_mask))
        self.probabilities = np.stack([1.0 - (mask > 0)] + [(mask == i) for i in self.ids]).astype(np.float32)
        self.motion = MotionEstimator() if c.motion == "flow" else None
        self.previous_mask = mask
        if self.motion is not None:
            self.motion.reset(frame)

    def _step(self, frame: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        network_before = self._network_seconds()
        if self.motion is not None:  # the box moved with the object before the windows are placed (ours)
            shifts = self.motion.shifts(frame, [self.previous_mask == i for i in self.ids])
            for tracker, shift in zip(self.trackers, shifts):
                tracker.predict(shift)
        second_boxes = [v.update(frame) for v in self.visual_trackers] or [None] * len(self.trackers)
        maps = []
        for matcher, tracker, second_box in zip(self.matchers, self.trackers, second_boxes):
            windows = tracker.windows(second_box)                            # (a, b)
            responses = matcher.responses(frame, windows)                    # (c, d, e)
            probability = restore_and_stack(responses, windows, self.size, self.stacking)  # (f, g)
            if self.postprocess is not None:                                 # PLM_P
                probability = weighted_median(probability, frame, self.postprocess, self.threshold)
            if self.grabcut is not None:                                     # ours
                probability = grabcut_refine(probability, frame, self.grabcut, self.threshold)
            maps.append(probability)
            self.timing["windows"] += len(windows)
        mask, self.probabilities = merge_objects(np.stack(maps), self.ids, self.threshold)   # (h)
        box_level = self.candidates.box_threshold
        for k, (object_id, tracker) in enumerate(zip(self.ids, self.trackers)):
            support = mask == object_id
            if box_level is not None and box_level < self.threshold:  # weak parts count for the box (ours)
                support = support | ((maps[k] >= box_level) & (mask == 0))
            component = tracker.update(support)                              # box follows the object (ours)
            if tracker.lost:  # what is left is too small to be the object: specks of a search, not it
                mask[mask == object_id] = 0
            elif self.keep_largest:
                mask[(mask == object_id) & ~component] = 0
        self.previous_mask = mask
        self.timing["network_seconds"] += self._network_seconds() - network_before
        if self.update_every and self.frame_index % self.update_every == 0:  # PLM_U
            self._update(frame, mask)
        self.timing["step_seconds"] += time.perf_counter() - started
        self.timing["steps"] += 1
        return mask

    def _update(self, frame: np.ndarray, mask: np.ndarray) -> None:
        """PLM_U's model update: each object found in this frame becomes its new query, after its network is
        fine-tuned on it (``update_model``). An object not found keeps its network and query."""
        started = time.perf_counter()
        for k, object_id in enumerate(self.ids):
            object_mask = (mask == object_id).astype(np.uint8)
            if not object_mask.any():
                continue
            matcher = self.matchers[k]
            if self.update_model:
                matcher.net = self.builder.finetuned(frame, object_mask, start=matcher.net)
            matcher.set_query(frame, object_mask)
        self.timing["update_seconds"] += time.perf_counter() - started

    # ------------------------------------------------------------------------------------------------------------
    def _network_seconds(self) -> float:
        return sum(m.network_seconds for m in self.matchers)

    def settings(self) -> dict:
        """The settings this segmenter runs with, defaults filled in, as plain values for a config file (what
        ``plm reproduce`` saves beside its results): method, fine-tuning options, candidates, stacking, threshold,
        PLM_U's update period, PLM_P's and GrabCut's configs (None when off), keep_largest, seed. The network is
        not in it: the caller records which one (a checkpoint's path and sha256)."""
        def plain(config):
            return None if config is None else asdict(config)

        return {"method": self.name, "finetune": self.finetune,
                "finetune_options": (dict(self.builder.finetune_options) if self.finetune or self.update_model
                                     else None),
                "candidates": plain(self.candidates), "stacking": self.stacking, "threshold": self.threshold,
                "update_every": self.update_every, "update_model": self.update_model,
                "postprocess": plain(self.postprocess),
                "grabcut": plain(self.grabcut), "keep_largest": self.keep_largest, "seed": self.builder.seed}

    def timing_summary(self) -> dict:
        """Seconds: fine-tuning (total), and per frame the network, the rest and the whole step."""
        t, steps = self.timing, max(self.timing["steps"], 1)
        return {
            "finetune_seconds": round(t["finetune_seconds"], 3),
            "update_seconds": round(t["update_seconds"], 3),
            "network_seconds_per_frame": round(t["network_seconds"] / steps, 4),
            "rest_seconds_per_frame": round((t["step_seconds"] - t["network_seconds"]) / steps, 4),
            "step_seconds_per_frame": round(t["step_seconds"] / steps, 4),
            "windows_per_frame": round(t["windows"] / steps, 2),
        }


class PLMUSegmenter(PLMSegmenter):
    """PLM_U (slides: "successive frames matching with model update", "model update after ten-frame processing"):
    every ten frames the network is fine-tuned on the current frame and its own predicted mask, which also becomes
    the query; ``update_model=False`` replaces the query only."""

    name = "plm_u"

    def __init__(self, *args, update_every: int = PLM_U_UPDATE_EVERY, update_model: bool = PLM_U_UPDATE_MODEL,
                 **kwargs):
        super().__init__(*args, update_every=update_every, update_model=update_model, **kwargs)


class PLMGrabCutSegmenter(PLMSegmenter):
    """PLM with each probability map refined by GrabCut on the frame (ours, not in the paper:
    plmlib.infer.grabcut)."""

    name = "plm_grabcut"

    def __init__(self, *args, grabcut: bool | GrabCutConfig | dict = True, **kwargs):
        super().__init__(*args, grabcut=grabcut, **kwargs)


class PLMPSegmenter(PLMSegmenter):
    """PLM_P (slides): PLM with each probability map filtered by the weighted median filter guided by the frame."""

    name = "plm_p"

    def __init__(self, *args, postprocess: bool | WeightedMedianConfig | dict = True, **kwargs):
        super().__init__(*args, postprocess=postprocess, **kwargs)


def share_finetuning(frame: np.ndarray, first_mask: np.ndarray, **options) -> tuple[dict, float]:
    """Fine-tune PLM's network once on the first frame, for variants that differ only after the network
    (``plmlib.core.methods.PLM_METHODS``; slides, stage 2): returns the options to add to each such variant's
    (``model`` = the fine-tuned network, ``finetune=False``, ``pretrained_network``, and the fine-tuning options it
    was tuned with, defaults filled in, which PLM_U's model updates reuse) and the seconds the fine-tuning took,
    which count in each variant's time. ``options`` are PLM's (checkpoint or model, seed, fine-tuning options, device ...).

    Sharing applies to a first mask with one object and ``finetune`` not False; otherwise ``({}, 0.0)``: each
    variant fine-tunes its own networks (one per object), as it would alone."""
    if not options.get("finetune", True) or len(object_ids(np.asarray(first_mask))) != 1:
        return {}, 0.0
    builder = PLMSegmenter(**check_options("plm", options)).builder
    started = time.perf_counter()
    network = builder.finetuned(frame, first_mask)
    seconds = time.perf_counter() - started
    shared = {"model": network, "finetune": False, "pretrained_network": builder.pretrained,
              "finetune_options": dict(builder.finetune_options)}
    return shared, seconds
