"""Drawing masks over frames and writing overlay videos (mp4)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from plmlib.core.errors import FrameError
from plmlib.core.files import atomic_write
from plmlib.core.masks import check_mask_size
from plmlib.io.masks import DAVIS_PALETTE

# A mask against the ground truth (ours, the course's one colouring): found object green, false alarm red, missed
# object blue. Notebook 01's J picture, the course's frame strips and the widget's "error" overlay all use it.
ERROR_COLOURS = {"true_positive": (40, 200, 40), "false_positive": (230, 30, 30), "missed": (40, 90, 255)}
ERROR_LABELS = {"true_positive": "found", "false_positive": "false alarm", "missed": "missed"}


def overlay_mask(frame: np.ndarray, mask: np.ndarray, alpha: float = 0.5, contour: bool = True) -> np.ndarray:
    """Blend each object's DAVIS colour over an RGB frame; optionally draw its contour in white."""
    check_mask_size(mask, frame.shape[:2], "overlay")
    out = frame.astype(np.float32)
    colours = DAVIS_PALETTE[mask].astype(np.float32)
    objects = mask > 0
    out[objects] = (1 - alpha) * out[objects] + alpha * colours[objects]
    out = np.clip(out, 0, 255).astype(np.uint8)
    if contour:
        for object_id in np.unique(mask[objects]):
            binary = (mask == object_id).astype(np.uint8)
            contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(out, contours, -1, (255, 255, 255), 1)
    return out


def error_overlay(frame: np.ndarray, mask: np.ndarray, truth: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The frame with ``mask`` judged against ``truth`` (:data:`ERROR_COLOURS` blended in at ``alpha``): found object
    green, false alarm red, missed object blue; the rest of the frame as it is."""
    check_mask_size(mask, frame.shape[:2], "overlay")
    check_mask_size(truth, frame.shape[:2], "overlay")
    pred, gt = np.asarray(mask) > 0, np.asarray(truth) > 0
    out = frame.astype(np.float32)
    for name, where in (("true_positive", pred & gt), ("false_positive", pred & ~gt), ("missed", ~pred & gt)):
        out[where] = (1 - alpha) * out[where] + alpha * np.asarray(ERROR_COLOURS[name], np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def write_overlay_video(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    masks: Iterable[np.ndarray],
    fps: float = 10.0,
    alpha: float = 0.5,
) -> int:
    """Write frames with their masks blended in as an mp4 (MPEG-4 Part 2), atomically.

    Frames and masks are consumed one pair at a time. Returns the number of frames written.
    """
    path = Path(path)
    written = 0
    with atomic_write(path) as tmp:
        writer = None
        try:
            for frame, mask in zip(frames, masks, strict=True):
                if writer is None:
                    height, width = frame.shape[:2]
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
                    if not writer.isOpened():
                        raise FrameError(f"{path}: OpenCV could not open an mp4 writer")
                elif frame.shape[:2] != (height, width):
                    raise FrameError(f"{path}: frame {written} is {frame.shape[1]}x{frame.shape[0]}, not {width}x{height}")
                writer.write(cv2.cvtColor(overlay_mask(frame, mask, alpha), cv2.COLOR_RGB2BGR))
                written += 1
        finally:
            if writer is not None:
                writer.release()
        if written == 0:
            raise FrameError(f"{path}: no frames to write")
    return written
