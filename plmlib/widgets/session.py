"""PropagationSession: the controller of interactive mask propagation, in plain Python (no widgets).

Everything the widget (``plmlib.widgets.view``) does goes through this class, so tests drive it directly:

    session = PropagationSession.from_sequence(make_video("occlusion", n_frames=12))
    session.brush(0, [(40, 30), (60, 30)], radius=6)       # draw on the first frame (x, y pixels)
    session.undo()                                          # every edit can be undone
    session.use_ground_truth(0)                             # or take the dataset's mask, or import_mask(0, "a.png")
    session.method = "flow"                                 # any of plmlib.core.methods.METHODS (default: DEFAULT_METHOD)
    session.propagate(0)                                    # frames 1.. from frame 0's mask
    session.brush(7, [(10, 10)], radius=5, erase=True)      # correct frame 7 ...
    session.propagate(7)                                    # ... and propagate again from there
    session.frame_j()                                       # per-frame J when ground truth exists
    session.export("out/")                                  # DAVIS PNGs + overlay.mp4

Masks are ``H x W`` uint8 object-id maps (0 = background); drawing paints ``object_id`` (default 1). Our choices:
propagation from frame ``k`` keeps frames ``0..k`` and recomputes every later frame (a correction invalidates what
followed it); a stopped propagation leaves the frames it did not reach without a mask.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence as SequenceABC
from pathlib import Path

import cv2
import numpy as np

from plmlib.core.methods import DEFAULT_METHOD, METHODS, create_segmenter
from plmlib.core.segmenter import VideoSegmenter
from plmlib.io import (ERROR_COLOURS, FrameError, MaskError, atomic_folder, check_mask_size, error_overlay,
                       overlay_mask, read_mask, write_mask, write_overlay_video)
from plmlib.io.masks import DAVIS_PALETTE
from plmlib.metrics.region import region_similarity

OVERLAY_MODES = ("fill", "contour", "error")
MAX_UNDO = 50  # our choice: enough for a drawing session, bounded memory


class PropagationSession:
    """Frames, the user's and the method's masks, an undo stack, the chosen method and its results.

    ``frames``: a sequence of ``H x W x 3`` uint8 RGB frames (kept as given: lazy folders stay lazy).
    ``ground_truth``: optional per-frame masks (``None`` entries allowed) for J and error colours.
    ``method`` / ``method_options``: what :meth:`propagate` runs (``create_segmenter(method, **method_options)``).
    """

    def __init__(self, frames: SequenceABC, ground_truth: SequenceABC | None = None, method: str = DEFAULT_METHOD,
                 method_options: dict | None = None, name: str = "video", frame_names: list[str] | None = None):
        if len(frames) < 1:
            raise FrameError("the video has no frames")
        self.frames = frames
        first = self.frame(0)
        self.size: tuple[int, int] = first.shape[:2]
        if ground_truth is not None and len(ground_truth) != len(frames):
            raise ValueError(f"{len(ground_truth)} ground-truth masks for {len(frames)} frames")
        self.ground_truth = ground_truth
        self.name = name
        self.frame_names = list(frame_names) if frame_names else [f"{i:05d}" for i in range(len(frames))]
        if len(self.frame_names) != len(frames):
            raise ValueError(f"{len(self.frame_names)} frame names for {len(frames)} frames")
        self.method_options = dict(method_options or {})
        self.method = method
        self.masks: list[np.ndarray | None] = [None] * len(frames)
        self.masks[0] = np.zeros(self.size, np.uint8)  # the first frame is where drawing starts
        self.edited: set[int] = set()  # frames whose mask the user drew, imported or took from the ground truth
        self.undo_stack: list[tuple[int, np.ndarray | None]] = []
        self.segmenter: VideoSegmenter | None = None  # the last propagation's segmenter (the probe reuses PLM's)
        self.last_run: dict = {}  # start, frames, seconds, method, stopped
        self._stop = threading.Event()
        self._lock = threading.RLock()

    @classmethod
    def from_sequence(cls, sequence, method: str = DEFAULT_METHOD,
                      method_options: dict | None = None) -> PropagationSession:
        """A session on a :class:`plmlib.data.Sequence` (synthetic, DAVIS, folder), its masks as ground truth."""
        return cls(sequence.frames, sequence.masks, method, method_options, sequence.name, sequence.frame_names)

    # ------------------------------------------------------------------------------------------------------------
    # frames and state
    def __len__(self) -> int:
        return len(self.frames)

    @property
    def method(self) -> str:
        return self._method

    @method.setter
    def method(self, name: str) -> None:
        if name not in METHODS:
            raise ValueError(f"unknown method {name!r} (available: {', '.join(METHODS)})")
        self._method = name

    def frame(self, index: int) -> np.ndarray:
        index = self._check_index(index)
        frame = np.asarray(self.frames[index])
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise FrameError(f"frame {index}: expected H x W x 3 uint8 RGB, got {frame.dtype} {frame.shape}")
        return frame

    def mask(self, index: int) -> np.ndarray | None:
        """The frame's current mask (drawn or propagated), ``None`` where there is none yet."""
        return self.masks[self._check_index(index)]

    def gt(self, index: int) -> np.ndarray | None:
        """The frame's ground-truth mask, ``None`` without one."""
        if self.ground_truth is None:
            return None
        mask = self.ground_truth[self._check_index(index)]
        return None if mask is None else np.asarray(mask)

    @property
    def has_ground_truth(self) -> bool:
        return self.ground_truth is not None and self.gt(0) is not None

    def _check_index(self, index: int) -> int:
        index = int(index)
        if not 0 <= index < len(self.frames):
            raise IndexError(f"frame {index} is out of range (the video has {len(self.frames)} frames: 0..{len(self.frames) - 1})")
        return index

    # ------------------------------------------------------------------------------------------------------------
    # editing: every edit pushes the previous mask on the undo stack
    def _edit(self, index: int, mask: np.ndarray) -> np.ndarray:
        index = self._check_index(index)
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise MaskError(f"frame {index}: a mask must be 2-D (height x width), got shape {mask.shape}")
        check_mask_size(mask, self.size, f"frame {index}")
        with self._lock:
            previous = self.masks[index]
            self.undo_stack.append((index, None if previous is None else previous.copy()))
            del self.undo_stack[:-MAX_UNDO]
            self.masks[index] = mask.astype(np.uint8)
            self.edited.add(index)
        return self.masks[index]

    def _base(self, index: int) -> np.ndarray:
        mask = self.masks[self._check_index(index)]
        return np.zeros(self.size, np.uint8) if mask is None else mask.copy()

    def brush(self, index: int, points, radius: float = 8, erase: bool = False, object_id: int = 1) -> np.ndarray:
        """Paint (or with ``erase`` clear) a stroke through ``points`` [(x, y), ...] with a round brush of ``radius``."""
        points = np.round(np.asarray(points, dtype=np.float64).reshape(-1, 2)).astype(np.int32)
        if len(points) == 0:
            raise ValueError("a brush stroke needs at least one point")
        if radius < 1:
            raise ValueError(f"brush radius must be at least 1 pixel, got {radius}")
        mask = self._base(index)
        value = 0 if erase else _check_id(object_id)
        thickness = max(1, int(round(2 * radius)))
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            cv2.line(mask, (int(x0), int(y0)), (int(x1), int(y1)), value, thickness, lineType=cv2.LINE_8)
        for x, y in points:
            cv2.circle(mask, (int(x), int(y)), int(round(radius)), value, -1, lineType=cv2.LINE_8)
        return self._edit(index, mask)

    def polygon(self, index: int, points, erase: bool = False, object_id: int = 1) -> np.ndarray:
        """Fill (or clear) the polygon with vertices ``points`` [(x, y), ...] (at least three)."""
        points = np.round(np.asarray(points, dtype=np.float64).reshape(-1, 2)).astype(np.int32)
        if len(points) < 3:
            raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
        mask = self._base(index)
        cv2.fillPoly(mask, [points], 0 if erase else _check_id(object_id))
        return self._edit(index, mask)

    def set_mask(self, index: int, mask: np.ndarray) -> np.ndarray:
        """Replace the frame's mask (an id map of the frame's size)."""
        mask = np.asarray(mask)
        if mask.dtype == bool:
            mask = mask.astype(np.uint8)
        return self._edit(index, mask)

    def import_mask(self, index: int, path: str | os.PathLike) -> np.ndarray:
        """Read a mask PNG (any mode plmlib.io.read_mask reads) into the frame; its size must match."""
        mask = read_mask(path)
        check_mask_size(mask, self.size, path)
        return self._edit(index, mask)

    def use_ground_truth(self, index: int = 0) -> np.ndarray:
        """Take the dataset's ground-truth mask for the frame."""
        mask = self.gt(index)
        if mask is None:
            raise MaskError(f"frame {index} has no ground-truth mask")
        return self._edit(index, mask)

    def clear(self, index: int) -> np.ndarray:
        """Erase the frame's mask entirely."""
        return self._edit(index, np.zeros(self.size, np.uint8))

    def undo(self) -> int | None:
        """Undo the last edit; returns the frame it changed, ``None`` when there is nothing to undo."""
        with self._lock:
            if not self.undo_stack:
                return None
            index, previous = self.undo_stack.pop()
            self.masks[index] = previous
            if not any(i == index for i, _ in self.undo_stack):
                self.edited.discard(index)
            return index

    # ------------------------------------------------------------------------------------------------------------
    # propagation
    def stop(self) -> None:
        """Ask a running propagation to stop after the frame it is on (thread-safe)."""
        self._stop.set()

    def propagate_iter(self, start: int = 0, stop: int | None = None) -> Iterator[int]:
        """Propagate ``start``'s mask to frames ``start + 1 .. stop - 1`` (default: the end), yielding each frame
        index as its mask is stored. Later frames lose their old masks first. Stops early after :meth:`stop`."""
        start = self._check_index(start)
        stop = len(self.frames) if stop is None else min(int(stop), len(self.frames))
        first = self.masks[start]
        if first is None or not first.any():
            raise MaskError(f"frame {start} has no mask to propagate: draw one first (or use the ground truth)")
        if stop - start < 2:
            raise FrameError(f"nothing to propagate after frame {start}: it is the last frame")
        self._stop.clear()
        self.segmenter = create_segmenter(self.method, **self.method_options)
        started = time.perf_counter()
        self.last_run = {"method": self.method, "start": start, "frames": 0, "seconds": 0.0, "stopped": False}
        self.segmenter.start(self.frame(start), first)  # PLM fine-tunes here: minutes on a CPU, not stoppable
        with self._lock:  # only once the method has started: a failure leaves the old masks
            for i in range(start + 1, len(self.frames)):
                self.masks[i] = None
                self.edited.discard(i)
        for i in range(start + 1, stop):
            if self._stop.is_set():
                self.last_run["stopped"] = True
                break
            mask = self.segmenter.step(self.frame(i))
            with self._lock:
                self.masks[i] = mask
            self.last_run["frames"] += 1
            self.last_run["seconds"] = time.perf_counter() - started
            yield i
        self.last_run["seconds"] = time.perf_counter() - started

    def propagate(self, start: int = 0, stop: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> dict:
        """Run :meth:`propagate_iter` to the end (or until :meth:`stop`); ``progress(done, total)`` after each
        frame. Returns ``last_run``: method, start frame, frames propagated, seconds, whether it was stopped."""
        stop_at = len(self.frames) if stop is None else min(int(stop), len(self.frames))
        total = stop_at - int(start) - 1
        for done, _ in enumerate(self.propagate_iter(start, stop), start=1):
            if progress is not None:
                progress(done, total)
        return dict(self.last_run)

    # ------------------------------------------------------------------------------------------------------------
    # evaluation and display
    def frame_j(self) -> np.ndarray:
        """Per-frame J against the ground truth, NaN where a frame has no mask or no ground truth."""
        values = np.full(len(self.frames), np.nan)
        if self.ground_truth is None:
            return values
        for i, mask in enumerate(self.masks):
            gt = self.gt(i)
            if mask is not None and gt is not None:
                values[i] = region_similarity(gt, mask)
        return values

    def worst_frame(self) -> int | None:
        """The frame of lowest J among the propagated ones (the user's own frames left out), ``None`` without any."""
        values = self.frame_j()
        values[sorted(self.edited)] = np.nan
        if np.all(np.isnan(values)):
            return None
        return int(np.nanargmin(values))

    def render(self, index: int, mode: str = "fill", opacity: float = 0.5) -> np.ndarray:
        """The frame with its mask drawn over it, ``H x W x 3`` uint8.

        ``fill``: each object's DAVIS colour blended at ``opacity``, white contour; ``contour``: the contour only;
        ``error``: against the ground truth, found object green, false alarm red, missed object blue.
        """
        if mode not in OVERLAY_MODES:
            raise ValueError(f"unknown overlay mode {mode!r} (expected one of {', '.join(OVERLAY_MODES)})")
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        frame = self.frame(index)
        mask = self.masks[index]
        if mask is None:
            return frame.copy()
        if mode == "fill":
            return overlay_mask(frame, mask, alpha=opacity, contour=True)
        if mode == "contour":
            return overlay_mask(frame, mask, alpha=0.0, contour=True)
        gt = self.gt(index)
        if gt is None:
            raise MaskError(f"frame {index} has no ground truth: error colours need one (use 'fill' or 'contour')")
        return error_overlay(frame, mask, gt, opacity)  # ERROR_COLOURS

    def status(self) -> str:
        """One line: how many frames have a mask, and the mean J when ground truth exists."""
        done = sum(m is not None for m in self.masks)
        line = f"{self.name}: {done}/{len(self.frames)} frames with a mask; method {self.method}"
        values = self.frame_j()
        values[sorted(self.edited)] = np.nan
        if not np.all(np.isnan(values)):
            line += f"; mean J {np.nanmean(values):.3f} (propagated frames)"
        return line

    # ------------------------------------------------------------------------------------------------------------
    # export
    def export(self, out_dir: str | os.PathLike, video: bool = True, fps: float = 10.0, opacity: float = 0.5) -> Path:
        """Write every frame's mask as a DAVIS palette PNG (``<frame name>.png``) and, with ``video``, an overlay
        mp4 (``overlay.mp4``). Every frame must have a mask (propagate first). The folder is written whole: an
        earlier export there is replaced (none of its masks is left beside the new ones); a folder that holds
        anything else is refused."""
        missing = [i for i, m in enumerate(self.masks) if m is None]
        if missing:
            raise MaskError(f"{len(missing)} frame(s) have no mask yet (first: {missing[0]}): propagate before exporting")
        out_dir = Path(out_dir)
        if out_dir.exists():
            if not out_dir.is_dir():
                raise ValueError(f"{out_dir}: not an export folder (a file): export into a new folder")
            others = sorted(p.name for p in out_dir.iterdir() if p.suffix != ".png" and p.name != "overlay.mp4")
            if others:
                raise ValueError(f"{out_dir}: not an export folder (it holds {', '.join(others[:3])}): export into "
                                 "a new folder or an earlier export's")
        with atomic_folder(out_dir) as partial:
            for name, mask in zip(self.frame_names, self.masks):
                write_mask(partial / f"{name}.png", mask)
            if video:
                frames = (self.frame(i) for i in range(len(self.frames)))
                write_overlay_video(partial / "overlay.mp4", frames, self.masks, fps=fps, alpha=opacity)
        return out_dir


def _check_id(object_id: int) -> int:
    object_id = int(object_id)
    if not 1 <= object_id < len(DAVIS_PALETTE):
        raise ValueError(f"object id must be in 1..{len(DAVIS_PALETTE) - 1}, got {object_id}")
    return object_id


__all__ = ["ERROR_COLOURS", "OVERLAY_MODES", "PropagationSession"]
