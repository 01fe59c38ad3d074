"""Domain-shifted videos: a "thermal-like" rendering of any RGB video, with its masks unchanged.

The slides' transferability experiment (Thermal-Road: pre-trained on RGB, fine-tuned on one thermal-infrared frame,
the network tracks the drivable region) uses a dataset that is not public. This module makes a stand-in that
anyone can regenerate: an RGB video (synthetic or DAVIS) rendered to *look* like a thermal camera's. It is **not**
thermal data: no temperature is simulated, only the properties that make such a video a different input domain for
a network trained on RGB. The transform, per frame (every step is ours, with its parameter in ``ThermalLike``):

1. **Intensity from colour**: a camera's three colour channels collapse to one "heat" value, a smooth function of
   colour that is not luminance: ``heat = 0.5 + 0.5 * tanh(gain * (w . rgb - centre))`` with ``rgb`` in [0, 1],
   weights ``w`` (default red warm, blue cold: contrasts between hues change, some vanish, some invert) and
   ``centre`` fixed once per video from the first frame's median (like a camera's automatic gain, then locked).
2. **Low resolution and optics blur**: downscaled by ``downscale`` (area), Gaussian blur of ``blur_sigma`` pixels
   (of the downscaled image), upscaled back to the frame's size (bilinear).
3. **Sensor noise**: temporal Gaussian noise of ``noise_std`` (new for every frame) and fixed-pattern column
   stripes of ``stripe_std`` (the same in every frame), both seeded by ``seed`` and the frame's index, so that
   any frame can be read alone and always gives the same image.
4. **Palette**: ``colormap`` ``"inferno"`` (OpenCV's, a common thermal display), ``"grey"`` (the heat repeated in
   the three channels) or any ``cv2.COLORMAP_*`` name in lower case.

The output is an ``H x W x 3`` uint8 RGB frame of the input's size, so every method reads it unchanged.

    from plmlib.data import make_video
    from plmlib.data.domain import ThermalLike, thermal_like_sequence
    thermal = thermal_like_sequence(make_video("translate", seed=0))         # name "synthetic-...-thermal-like"
    thermal = thermal_like_sequence(davis["car-shadow"], ThermalLike(colormap="grey"), seed=1)
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass

import cv2
import numpy as np

from plmlib.core.config import to_dict
from plmlib.data.sequence import Sequence

SUFFIX = "-thermal-like"


@dataclass(frozen=True)
class ThermalLike:
    """Parameters of the thermal-like rendering (all ours; see the module's docstring)."""

    weights: tuple[float, float, float] = (0.9, 0.35, -0.6)  # w . rgb: red and green warm, blue cold
    gain: float = 3.0  # steepness of the tanh
    downscale: float = 0.4  # resolution kept (thermal sensors: 320 x 240 or less)
    blur_sigma: float = 1.0  # optics blur, pixels of the downscaled image
    noise_std: float = 0.03  # temporal noise, in units of the [0, 1] heat
    stripe_std: float = 0.02  # fixed-pattern column noise
    colormap: str = "inferno"  # "inferno", "grey", or a cv2.COLORMAP_* name in lower case

    def __post_init__(self) -> None:
        if len(self.weights) != 3:
            raise ValueError(f"weights: one per colour channel, got {self.weights}")
        if not 0.0 < self.downscale <= 1.0:
            raise ValueError(f"downscale must be in (0, 1], got {self.downscale}")
        if min(self.gain, self.blur_sigma + 1, self.noise_std + 1, self.stripe_std + 1) <= 0 or self.blur_sigma < 0 \
                or self.noise_std < 0 or self.stripe_std < 0:
            raise ValueError("gain must be positive; blur_sigma, noise_std and stripe_std non-negative")
        _colormap_code(self.colormap)  # raises on an unknown name

    def to_dict(self) -> dict:
        return to_dict(self)


def _colormap_code(name: str) -> int | None:
    if name == "grey":
        return None
    code = getattr(cv2, f"COLORMAP_{name.upper()}", None)
    if code is None:
        raise ValueError(f"unknown colormap {name!r} ('grey' or a cv2.COLORMAP_* name in lower case)")
    return code


def heat(frame: np.ndarray, config: ThermalLike = ThermalLike(), centre: float | None = None) -> np.ndarray:
    """Step 1: the ``H x W`` float32 heat in [0, 1] of an RGB uint8 frame; ``centre`` None = this frame's median."""
    linear = np.asarray(frame, np.float32) @ (np.asarray(config.weights, np.float32) / 255.0)
    if centre is None:
        centre = float(np.median(linear))
    return (0.5 + 0.5 * np.tanh(config.gain * (linear - centre))).astype(np.float32)


def thermal_like(frame: np.ndarray, config: ThermalLike = ThermalLike(), *, centre: float | None = None,
                 seed: int = 0, index: int = 0) -> np.ndarray:
    """One frame rendered thermal-like (steps 1-4): ``H x W x 3`` uint8 RGB. ``centre``: see :func:`heat`;
    ``seed`` and ``index`` seed the noise (stripes depend on ``seed`` only)."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected an H x W x 3 uint8 RGB frame, got {frame.dtype} of shape {frame.shape}")
    height, width = frame.shape[:2]
    value = heat(frame, config, centre)
    if config.downscale < 1.0:  # step 2
        small = (max(1, round(width * config.downscale)), max(1, round(height * config.downscale)))
        value = cv2.resize(value, small, interpolation=cv2.INTER_AREA)
    if config.blur_sigma > 0:
        value = cv2.GaussianBlur(value, (0, 0), config.blur_sigma)
    if value.shape != (height, width):
        value = cv2.resize(value, (width, height), interpolation=cv2.INTER_LINEAR)
    stripes = np.random.default_rng([seed, 0]).normal(0.0, config.stripe_std, width).astype(np.float32)  # step 3
    noise = np.random.default_rng([seed, 1, index]).normal(0.0, config.noise_std, (height, width)).astype(np.float32)
    grey = np.clip((value + stripes[None, :] + noise) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    code = _colormap_code(config.colormap)  # step 4
    if code is None:
        return np.repeat(grey[..., None], 3, axis=2)
    return cv2.cvtColor(cv2.applyColorMap(grey, code), cv2.COLOR_BGR2RGB)


class ThermalLikeFrames(SequenceABC):
    """A video's frames rendered thermal-like on demand (lazy like the frames it wraps, deterministic by index)."""

    def __init__(self, frames: SequenceABC, config: ThermalLike = ThermalLike(), seed: int = 0):
        if len(frames) == 0:
            raise ValueError("the video has no frames")
        self.frames, self.config, self.seed = frames, config, int(seed)
        first = np.asarray(frames[0], np.float32) @ (np.asarray(config.weights, np.float32) / 255.0)
        self.centre = float(np.median(first))  # the "automatic gain", locked on the first frame
        self.names = list(getattr(frames, "names", [f"{i:05d}" for i in range(len(frames))]))

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indices, IndexError
        return thermal_like(np.asarray(self.frames[index]), self.config, centre=self.centre, seed=self.seed,
                            index=index)


def thermal_like_sequence(sequence: Sequence, config: ThermalLike = ThermalLike(), seed: int = 0) -> Sequence:
    """``sequence`` rendered thermal-like: same masks (the geometry is unchanged), name + ``"-thermal-like"``,
    ``info["domain"]`` saying what it is (and is not)."""
    frames = ThermalLikeFrames(sequence.frames, config, seed)
    info = {**dict(sequence.info), "source": sequence.name,
            "domain": "thermal-like: an RGB video rendered by plmlib.data.domain (not a thermal camera)",
            "transform": {**config.to_dict(), "seed": int(seed), "centre": round(frames.centre, 6)}}
    return Sequence(name=sequence.name + SUFFIX, frames=frames, masks=sequence.masks,
                    frame_names=list(sequence.frame_names), attributes=tuple(sequence.attributes), info=info)


def domain_figure(original: Sequence, shifted: Sequence, indices: list[int] | None = None, width: float = 2.6):
    """Frames of a video (top row) and of its domain-shifted version (bottom row), the ground-truth outline on both.
    Returns the matplotlib figure."""
    import matplotlib.pyplot as plt  # lazy: only this figure draws; pyplot takes ~0.3 s to import

    indices = list(indices if indices is not None else np.linspace(0, len(original) - 1, 4).round().astype(int))
    height, frame_width = original.size
    figure, axes = plt.subplots(2, len(indices), squeeze=False,
                                figsize=(width * len(indices), 2 * width * height / frame_width + 0.4))
    for r, sequence in enumerate((original, shifted)):
        for c, index in enumerate(indices):
            frame = np.asarray(sequence.frames[index]).copy()
            mask = None if sequence.masks is None else sequence.masks[index]
            if mask is not None:
                edges = cv2.morphologyEx((np.asarray(mask) > 0).astype(np.uint8), cv2.MORPH_GRADIENT,
                                         np.ones((3, 3), np.uint8)) > 0
                frame[edges] = (0, 255, 0)
            axes[r, c].imshow(frame)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(f"frame {index}", fontsize=9)
        axes[r, 0].set_ylabel("RGB" if r == 0 else "thermal-like", fontsize=9)
    figure.tight_layout()
    return figure
