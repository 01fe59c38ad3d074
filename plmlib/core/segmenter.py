"""The one interface every video segmentation method implements, and its input checks.

Semi-supervised video object segmentation (the PLM paper's task): a method is given the first frame
and its mask (:meth:`VideoSegmenter.start`), then segments each later frame in turn
(:meth:`VideoSegmenter.step`). The PLM segmenter (``plmlib.infer``) and the traditional baselines
(``plmlib.baselines``) share it, so the CLI, the notebooks, evaluation and the widget switch
methods by name (``plmlib.core.methods.create_segmenter``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

import numpy as np

from plmlib.core.errors import FrameError, MaskError
from plmlib.core.masks import check_mask_size, ids_from_array, object_ids


class VideoSegmenter(ABC):
    """Segment a video from its first-frame mask, one frame at a time, in memory that does not grow.

    Masks are ``H x W`` uint8 object-id maps (0 = background). After each :meth:`step`,
    ``probabilities`` holds the method's per-pixel scores, ``(K + 1) x H x W`` float32 with the
    background first, for methods that have them.
    """

    name = "base"

    def __init__(self):
        self.ids: list[int] = []
        self.size: tuple[int, int] | None = None
        self.frame_index = -1
        self.probabilities: np.ndarray | None = None

    def start(self, frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Initialise on the first frame; returns the given mask. An empty mask is an error."""
        frame = check_frame(frame, None)
        mask = check_first_mask(mask, frame.shape[:2])
        self.ids = object_ids(mask)
        self.size = frame.shape[:2]
        self.frame_index = 0
        mask = mask.astype(np.uint8)
        self._start(frame, mask)
        return mask

    def step(self, frame: np.ndarray) -> np.ndarray:
        """Segment the next frame; returns its id map (the first mask's ids)."""
        if self.size is None:
            raise RuntimeError(f"{type(self).__name__}.step() called before start()")
        frame = check_frame(frame, self.size)
        self.frame_index += 1
        return self._step(frame)

    @abstractmethod
    def _start(self, frame: np.ndarray, mask: np.ndarray) -> None: ...

    @abstractmethod
    def _step(self, frame: np.ndarray) -> np.ndarray: ...


def check_frame(frame: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """``frame`` as an H x W x 3 uint8 array, of ``size`` (height, width) if given; a FrameError otherwise."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise FrameError(f"expected an H x W x 3 uint8 RGB frame, got {frame.dtype} of shape {frame.shape}")
    if size is not None and frame.shape[:2] != tuple(size):
        raise FrameError(
            f"frame is {frame.shape[1]}x{frame.shape[0]} but the video started at {size[1]}x{size[0]} (width x height)"
        )
    return frame


def check_first_mask(mask: np.ndarray, size: tuple[int, int], what: str = "first mask") -> np.ndarray:
    """``mask`` as a 2-D uint8 id map of ``size`` (height, width) holding at least one object
    (``plmlib.core.masks.ids_from_array``: bool, float and 0/255 masks as ``plm segment`` reads them from a file);
    a MaskError otherwise."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise MaskError(f"{what}: expected a 2-D id map (H x W, one value per pixel), got shape {mask.shape}")
    mask = ids_from_array(mask, what)  # bool / float / 0-255 by the rule files follow (plmlib.core.masks)
    check_mask_size(mask, size, what)
    if not mask.any():
        raise MaskError(f"{what} is empty: there is no object to segment")
    return mask


def segment_video(segmenter: VideoSegmenter, frames: Iterable[np.ndarray], first_mask: np.ndarray) -> Iterator[np.ndarray]:
    """Yield the mask of every frame: the given first mask, then one :meth:`step` per later frame.

    ``frames`` may be any iterable (a lazy folder, a video file, a camera); nothing is kept but the
    segmenter's own state. A video with fewer than two frames has nothing to propagate: an error.
    """
    if hasattr(frames, "__len__") and len(frames) < 2:
        raise FrameError(f"the video has {len(frames)} frame(s): propagation needs at least 2")
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration:
        raise FrameError("the video has no frames") from None
    yield segmenter.start(first, first_mask)
    for frame in iterator:
        yield segmenter.step(frame)
