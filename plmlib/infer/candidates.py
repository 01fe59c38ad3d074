"""Slides (a, b), "sample candidates extraction": the search windows of a frame, around the previous prediction.

The slides show several candidate windows around the target, each fed to the network with the query. Where they
are placed, how many, and how the box they are placed around follows the object are not in the paper: everything
here is *our choice*, a named field of :class:`CandidateConfig` so that it can be ablated.

- Windows are cut with ``plmlib.core.crops`` (the geometry training uses): a window is ``context`` times the tracked box,
  square, then jittered in position and scale by the fixed pattern ``jitter`` (deterministic: the same video gives
  the same masks). The default jitters the scale only (see DEFAULT_JITTER for why); POSITION_JITTER also moves it.
- The tracked box (:class:`BoxTracker`) is re-estimated from each prediction. A box taken from the raw mask grows
  frame after frame and drifts. So the box is taken from the **largest connected component** of the predicted
  mask, its **change of scale is damped** (geometric mean with the previous size, and clamped per frame), and its centre moves **half
  way** to the component's.
- **Motion** (``motion="flow"``): before the windows of a frame are placed, the box is moved by the median optical
  flow (OpenCV DIS) of the previous mask's pixels. The box measured from the network's output lags behind a fast
  object (a fine-tuned network is biased towards its window's centre); predicting the motion first keeps the windows
  on it. Off by default: on DAVIS 2016 val it did not help consistently (results/defaults/README.md).
- **A second opinion** (``visual_tracker="csrt"``): a classical visual tracker (OpenCV's CSRT, Lukezic et al.,
  CVPR 2017), started on the first frame's box and updated on every frame independently of the network, adds one
  candidate window around its own box (the first of ``jitter``) while the object is tracked. Where the network's
  box drifts off the object (grown into the background, shrunk to a part of it), that window still holds the
  object, and the stacked map pulls the box back. Off by default, so that the paper's variants keep the candidate
  step their committed results were made with (measured: results/ablations/visual_tracker/; moving the box itself
  towards CSRT's instead did not help: results/defaults/README.md).
- **Lost and recovery**: when a prediction holds (almost) nothing, the object is declared lost (occluded, or out of
  view). The next frames are searched with a **recovery grid** of windows of the last known size tiling the whole
  frame, until a component large enough is found again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from plmlib.core import crops

from .thresholds import BOX_THRESHOLD

Window = tuple[int, int, int, int]  # x0, y0, x1, y1: whole pixels, x1/y1 exclusive (plmlib.core.crops)

# (dx, dy, scale) per candidate: the centre moved by (dx, dy) times the window's side, the side times ``scale``.
# Ours: the window itself, a tighter and a wider one, all centred on the box; POSITION_JITTER also shifts them (an
# ablation). Why: results/defaults/README.md.
DEFAULT_JITTER: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.0, 1.0),
    (0.0, 0.0, 0.85),
    (0.0, 0.0, 1.2),
)
POSITION_JITTER: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.0, 1.0),
    (-0.15, -0.15, 1.2),
    (0.15, -0.15, 1.2),
    (-0.15, 0.15, 1.2),
    (0.15, 0.15, 1.2),
)


MOTION_MODELS = ("flow", "none")
VISUAL_TRACKERS = ("none", "csrt")


@dataclass
class CandidateConfig:
    """How candidate windows are placed and how the box they are placed around is tracked (all ours; the
    measurements behind the defaults: results/defaults/README.md).

      context             window side = context x the box's longer side (plmlib.core.crops; paper README: 1.5)
      jitter              (dx, dy, scale) per candidate window, see DEFAULT_JITTER
      min_side            smallest window side, frame pixels
      scale_damping       0..1: the box's log-size moves this fraction of the way to the measured one each frame
                          (1: no damping, 0: the size never changes)
      max_scale_step      the box's width and height change at most by this factor per frame
      position_damping    0..1: the box's centre moves this fraction of the way to the measured centre (0.5: a
                          part the network misses, a swan's neck, does not drag the windows off the object)
      min_box_side        the tracked box is at least this many pixels wide and high
      motion              "flow": move the box by the previous mask's median optical flow before placing the
                          windows; "none" (default): the windows stay around the last measured box
      box_threshold       the box is measured on the probability map thresholded here (None: the output's
                          threshold; used only when below it). Lower keeps the weak parts of an under-segmented
                          object (a swan's neck, a rider) in the box, so that the box does not shrink with the
                          mask; it costs where the box grows into the background. Default BOX_THRESHOLD, below
                          the output's (plmlib.infer.thresholds)
      lost_fraction       the object is lost when the largest component holds less than this fraction of the
                          reference area (the area of the last mask accepted while tracking)
      found_fraction      during recovery, a component is accepted when it holds at least this fraction of it
      recovery_overlap    overlap of neighbouring recovery windows (0: they tile the frame edge to edge)
      max_recovery_windows  at most this many recovery windows per frame (larger windows when needed)
      visual_tracker      "csrt": one more window per frame around the box of OpenCV's CSRT tracker, followed
                          from the first frame independently of the network (:class:`VisualTracker`);
                          "none" (default, what the committed results of the paper's variants used): only the
                          tracked box's windows
    """

    context: float = crops.DEFAULT_CONTEXT
    jitter: tuple[tuple[float, float, float], ...] = DEFAULT_JITTER
    min_side: float = crops.DEFAULT_MIN_SIDE
    scale_damping: float = 0.5
    max_scale_step: float = 1.2
    position_damping: float = 0.5
    min_box_side: float = 4.0
    motion: str = "none"
    box_threshold: float | None = BOX_THRESHOLD
    lost_fraction: float = 0.05
    found_fraction: float = 0.25
    recovery_overlap: float = 0.25
    max_recovery_windows: int = 15
    visual_tracker: str = "none"

    def __post_init__(self) -> None:
        self.jitter = tuple(tuple(float(v) for v in j) for j in self.jitter)
        if not self.jitter or any(len(j) != 3 or j[2] <= 0 for j in self.jitter):
            raise ValueError(f"jitter is a non-empty list of (dx, dy, scale > 0), got {self.jitter}")
        if not 0.0 <= self.scale_damping <= 1.0 or not 0.0 <= self.position_damping <= 1.0:
            raise ValueError("scale_damping and position_damping must be in [0, 1]")
        if self.max_scale_step < 1.0:
            raise ValueError(f"max_scale_step must be >= 1, got {self.max_scale_step}")
        if self.motion not in MOTION_MODELS:
            raise ValueError(f"motion must be one of {MOTION_MODELS}, got {self.motion!r}")
        if self.visual_tracker not in VISUAL_TRACKERS:
            raise ValueError(f"visual_tracker must be one of {VISUAL_TRACKERS}, got {self.visual_tracker!r}")
        if not 0.0 <= self.recovery_overlap < 1.0 or self.max_recovery_windows < 1:
            raise ValueError("recovery_overlap must be in [0, 1) and max_recovery_windows >= 1")


# ---------------------------------------------------------------------------------------------------------------- #
# the windows


def jittered_windows(box: crops.Box, config: CandidateConfig) -> list[Window]:
    """Slides (a, b): the candidate windows around ``box``: its context window moved and scaled by each jitter."""
    base = crops.context_window(box, config.context, min_side=config.min_side)
    (cx, cy), (side, _) = crops.box_center(base), crops.box_size(base)
    windows = []
    for dx, dy, scale in config.jitter:
        window = crops.round_window(crops.box_from_center(cx + dx * side, cy + dy * side, side * scale, side * scale))
        if window not in windows:
            windows.append(window)
    return windows


def recovery_windows(box: crops.Box, frame_size: tuple[int, int], config: CandidateConfig) -> list[Window]:
    """Our choice: when the object is lost, square windows of the last known size tiling the whole frame.

    The side is the context window's of ``box``, enlarged when more than ``max_recovery_windows`` would be needed
    (and never larger than the frame's longer side). Rows and columns are spread evenly from edge to edge.
    """
    height, width = frame_size
    base = crops.context_window(box, config.context, min_side=config.min_side)
    side = float(min(crops.box_size(base)[0], max(height, width)))
    while True:
        stride = side * (1.0 - config.recovery_overlap)
        cols = max(1, math.ceil((width - side) / stride) + 1) if width > side else 1
        rows = max(1, math.ceil((height - side) / stride) + 1) if height > side else 1
        if rows * cols <= config.max_recovery_windows:
            break
        side *= 1.25
    xs = np.linspace(side / 2, width - side / 2, cols) if cols > 1 else [width / 2]
    ys = np.linspace(side / 2, height - side / 2, rows) if rows > 1 else [height / 2]
    return [crops.round_window(crops.box_from_center(float(x), float(y), side, side)) for y in ys for x in xs]


# ---------------------------------------------------------------------------------------------------------------- #
# the box that follows the object


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected component of a binary mask (all False when empty)."""
    mask = np.asarray(mask, dtype=np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, bool)
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == biggest


class BoxTracker:
    """The box candidate windows are placed around, updated from each frame's predicted mask (our choice).

    States: tracking (windows = :func:`jittered_windows` of the box) or lost (windows = :func:`recovery_windows`).
    ``update(mask)`` returns the component the box was taken from.

    An object leaving the view shrinks to nothing at the frame's edge; its size then says nothing of the object
    that may come back. So the recovery search and the "found again" test use the object's last *whole* size: the
    box and area of the last component that did not touch the frame's edge (``whole_box``, ``whole_area``).
    """

    def __init__(self, first_mask: np.ndarray, config: CandidateConfig | None = None):
        self.config = config or CandidateConfig()
        first = np.asarray(first_mask) > 0
        box = crops.mask_box(first)
        if box is None:
            raise ValueError("the first mask is empty: there is no box to track")
        self.frame_size = first.shape
        self.box: crops.Box = box
        self.reference_area = float(first.sum())
        self.whole_box, self.whole_area = box, self.reference_area
        self.lost = False
        self.lost_frames = 0

    def windows(self, second_box: crops.Box | None = None) -> list[Window]:
        """Slides (a, b): this frame's candidate windows; while tracking, plus the first jitter window around
        ``second_box`` (a visual tracker's box, :class:`VisualTracker`) unless it is one of them already."""
        if self.lost:
            return recovery_windows(self.whole_box, self.frame_size, self.config)
        windows = jittered_windows(self.box, self.config)
        if second_box is not None:
            extra = jittered_windows(second_box, self.config)[0]
            if extra not in windows:
                windows.append(extra)
        return windows

    def update(self, mask: np.ndarray) -> np.ndarray:
        """Re-estimate the box from this frame's binary mask; returns its largest component (H x W bool)."""
        c = self.config
        component = largest_component(mask)
        area = float(component.sum())
        needed = c.found_fraction * self.whole_area if self.lost else c.lost_fraction * self.reference_area
        if area == 0 or area < needed:
            self.lost, self.lost_frames = True, self.lost_frames + 1
            return component
        measured = crops.mask_box(component)
        if self.lost:  # found again: jump to it (nothing to damp against)
            self.box, self.lost, self.lost_frames = measured, False, 0
        else:
            self.box = self._damped(self.box, measured)
        self.reference_area = area
        height, width = self.frame_size
        x0, y0, x1, y1 = measured
        if x0 > 0 and y0 > 0 and x1 < width and y1 < height:  # wholly inside the frame
            self.whole_box, self.whole_area = self.box, area
        return component

    def predict(self, shift: tuple[float, float]) -> None:
        """Move the box by ``shift`` = (dx, dy) pixels (its predicted motion), kept inside the frame. No-op when lost."""
        if self.lost:
            return
        (cx, cy), (w, h) = crops.box_center(self.box), crops.box_size(self.box)
        height, width = self.frame_size
        cx = float(np.clip(cx + shift[0], 0, width))
        cy = float(np.clip(cy + shift[1], 0, height))
        self.box = crops.box_from_center(cx, cy, w, h)

    def _damped(self, old: crops.Box, new: crops.Box) -> crops.Box:
        c = self.config
        (ocx, ocy), (ow, oh) = crops.box_center(old), crops.box_size(old)
        (ncx, ncy), (nw, nh) = crops.box_center(new), crops.box_size(new)
        step = math.log(c.max_scale_step)

        def size(o: float, n: float) -> float:
            change = float(np.clip(math.log(max(n, 1e-6) / max(o, 1e-6)), -step, step))
            return max(c.min_box_side, o * math.exp(c.scale_damping * change))

        cx = ocx + c.position_damping * (ncx - ocx)
        cy = ocy + c.position_damping * (ncy - ocy)
        return crops.box_from_center(cx, cy, size(ow, nw), size(oh, nh))


# ---------------------------------------------------------------------------------------------------------------- #
# a second opinion on where the object is


class VisualTracker:
    """OpenCV's CSRT tracker (Lukezic et al., "Discriminative Correlation Filter with Channel and Spatial
    Reliability", CVPR 2017) on one object, started from the first frame's mask (our choice: a box that does not
    depend on the network's masks; CandidateConfig.visual_tracker)."""

    def __init__(self, frame: np.ndarray, mask: np.ndarray):
        box = crops.mask_box(np.asarray(mask) > 0)
        if box is None:
            raise ValueError("the first mask is empty: there is no box to track")
        x0, y0, x1, y1 = (int(v) for v in box)
        self.tracker = cv2.TrackerCSRT_create()
        self.tracker.init(self._bgr(frame), (x0, y0, x1 - x0, y1 - y0))
        self.box: crops.Box | None = box

    @staticmethod
    def _bgr(frame: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(frame, dtype=np.uint8)[..., ::-1])

    def update(self, frame: np.ndarray) -> crops.Box | None:
        """The object's box in ``frame`` (x0, y0, x1, y1), or None when CSRT reports it lost."""
        found, (x, y, w, h) = self.tracker.update(self._bgr(frame))
        self.box = (float(x), float(y), float(x + w), float(y + h)) if found and w > 0 and h > 0 else None
        return self.box


# ---------------------------------------------------------------------------------------------------------------- #
# the motion of the box between frames


class MotionEstimator:
    """The median optical flow of an object's pixels from one frame to the next (our choice: OpenCV DIS, "fast"
    preset, on the frames shrunk to at most ``max_side`` pixels; the median ignores a background that the mask
    wrongly holds)."""

    def __init__(self, max_side: int = 320):
        self.max_side = int(max_side)
        self.flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self.previous: np.ndarray | None = None
        self.scale = 1.0

    def _grey(self, frame: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        self.scale = min(1.0, self.max_side / max(grey.shape))
        if self.scale < 1.0:
            grey = cv2.resize(grey, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        return grey

    def reset(self, frame: np.ndarray) -> None:
        """Remember ``frame`` as the previous one."""
        self.previous = self._grey(frame)

    def shifts(self, frame: np.ndarray, masks: list[np.ndarray]) -> list[tuple[float, float]]:
        """(dx, dy) in frame pixels per mask (the previous frame's objects) from the previous frame to ``frame``;
        (0, 0) for an empty mask. ``frame`` becomes the previous one."""
        grey = self._grey(frame)
        flow = self.flow.calc(self.previous, grey, None)
        self.previous = grey
        out = []
        for mask in masks:
            small = cv2.resize(np.asarray(mask, np.uint8), (grey.shape[1], grey.shape[0]),
                               interpolation=cv2.INTER_NEAREST) > 0
            if not small.any():
                out.append((0.0, 0.0))
                continue
            dx, dy = np.median(flow[small], axis=0)
            out.append((float(dx) / self.scale, float(dy) / self.scale))
        return out
