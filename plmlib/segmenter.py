"""The one interface every video segmentation method implements, and the registry of methods by name.

Semi-supervised video object segmentation (the PLM paper's task): a method is given the first frame
and its mask (:meth:`VideoSegmenter.start`), then segments each later frame in turn
(:meth:`VideoSegmenter.step`). The PLM segmenter (``plmlib.infer``) and the traditional baselines
(``plmlib.baselines``) share it, so the CLI, the notebooks, evaluation and the widget switch
methods by name with :func:`create_segmenter`.
"""

from __future__ import annotations

import importlib
import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

import numpy as np

from plmlib.io import FrameError, MaskError, check_mask_size, ids_from_array, object_ids

# name -> "module:Class"; imported only when asked for.
METHODS: dict[str, str] = {
    "flow": "plmlib.baselines.flow:FlowPropagation",
    "superpixel": "plmlib.baselines.superpixel:SuperpixelPropagation",
    "bvs": "plmlib.baselines.bvs:BilateralSpaceSegmentation",
    "plm": "plmlib.infer.segmenter:PLMSegmenter",
    "plm_p": "plmlib.infer.segmenter:PLMPSegmenter",
    "plm_u": "plmlib.infer.segmenter:PLMUSegmenter",
    "plm_grabcut": "plmlib.infer.segmenter:PLMGrabCutSegmenter",
}
# The PLM methods: one network each, fine-tuned on the first frame; they differ only after the network, so they can
# share one fine-tuning (share_finetuning). plm_grabcut is ours, not the paper's (plmlib.infer.grabcut).
PLM_METHODS = ("plm", "plm_p", "plm_u", "plm_grabcut")
# The project's best PLM method on DAVIS 2016 val (results/davis2016_val, README Results): the default of plm segment,
# plm demo's PLM row beside the paper's, and the widget.
DEFAULT_METHOD = "plm_grabcut"


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
    (``plmlib.io.masks.ids_from_array``: bool, float and 0/255 masks as ``plm segment`` reads them from a file);
    a MaskError otherwise."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise MaskError(f"{what}: expected a 2-D id map (H x W, one value per pixel), got shape {mask.shape}")
    mask = ids_from_array(mask, what)  # bool / float / 0-255 by the rule files follow (plmlib.io.masks)
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


def create_segmenter(method: str, **options) -> VideoSegmenter:
    """Build a segmenter by name (see ``METHODS``); ``options`` go to its constructor (``check_options``)."""
    return _method_class(method)(**check_options(method, options))


def share_finetuning(frame: np.ndarray, first_mask: np.ndarray, **options) -> tuple[dict, float]:
    """Fine-tune PLM's network once on the first frame, for variants that differ only after the network
    (``PLM_METHODS``; slides, stage 2): returns the options to add to each such variant's (``model`` = the fine-tuned
    network, ``finetune=False``, ``pretrained_network``, and the fine-tuning options it was tuned with, defaults
    filled in, which PLM_U's model updates reuse) and the seconds the fine-tuning took, which count in each
    variant's time. ``options`` are PLM's (checkpoint or model, seed, fine-tuning options, device ...).

    Sharing applies to a first mask with one object and ``finetune`` not False; otherwise ``({}, 0.0)``: each
    variant fine-tunes its own networks (one per object), as it would alone."""
    if not options.get("finetune", True) or len(object_ids(np.asarray(first_mask))) != 1:
        return {}, 0.0
    tuner = create_segmenter("plm", **options)
    network = tuner.finetuned_network(frame, first_mask)
    shared = {"model": network, "finetune": False, "pretrained_network": tuner.pretrained_network,
              "finetune_options": dict(tuner.finetune_options)}
    return shared, tuner.timing["finetune_seconds"]


def check_options(method: str, options: dict) -> dict:
    """``options`` if method ``method``'s constructor takes them all; else a ValueError naming the others."""
    accepted = _constructor_options(_method_class(method))
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"{method} has no option {', '.join(map(repr, unknown))} "
                         f"(its options: {', '.join(sorted(accepted))})")
    return options


def _method_class(method: str) -> type:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (available: {', '.join(METHODS)})")
    module_name, class_name = METHODS[method].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def _constructor_options(cls) -> set[str]:
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up to the base class that takes them."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(vars(klass)["__init__"]).parameters.values()
        names |= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self"}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names
