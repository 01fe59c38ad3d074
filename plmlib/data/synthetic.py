"""Synthetic videos with exact ground truth, for tests, the smoke profile and the main job's default.

Each scenario is one of the situations the PLM paper discusses (slides: DAVIS attributes, the camel
and paragliding failure cases). A textured object (a sprite: texture + alpha) is moved by an affine
pose per frame and composited over a textured background; the mask is where the object's final
alpha is at least 0.5. The same ``(scenario, seed, n_frames, size)`` always gives the same video.

Scenarios and the DAVIS-style attributes recorded for them:

==============  ==========  =============================================================
name            attributes  what happens
==============  ==========  =============================================================
translate       (none)      the object glides along a smooth path
rotate_scale    SV, ROT     it turns by 90 degrees while its size doubles
occlusion       OCC         an object of another texture passes in front of it
out_of_view     OV          it leaves the frame (empty masks) and comes back
fast_blur       FM, MB      large jumps between frames, with motion blur
distractor      IO, BC      a twin of identical appearance moves nearby (the camel case)
thin            SC          a thin rotating bar (the paragliding-lines case)
clutter         BC, EA      a panning background crowded with blobs of the object's colours
==============  ==========  =============================================================
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

from plmlib.data.sequence import Sequence
from plmlib.io import atomic_folder, write_mask

SCENARIOS: dict[str, tuple[str, ...]] = {
    "translate": (),
    "rotate_scale": ("SV", "ROT"),
    "occlusion": ("OCC",),
    "out_of_view": ("OV",),
    "fast_blur": ("FM", "MB"),
    "distractor": ("IO", "BC"),
    "thin": ("SC",),
    "clutter": ("BC", "EA"),
}

DEFAULT_SIZE = (144, 256)  # (height, width): 16:9 like DAVIS 480p, small enough for CPU tests


# ---------------------------------------------------------------------------------------------
# Textures and sprites
# ---------------------------------------------------------------------------------------------


def smooth_noise(rng: np.random.Generator, height: int, width: int, scales=(4, 16, 48)) -> np.ndarray:
    """Multi-scale smoothed noise in [0, 1], ``H x W``: the base of every texture here."""
    total = np.zeros((height, width), np.float32)
    for weight, scale in enumerate(scales, start=1):
        small = rng.random((max(2, height // scale + 2), max(2, width // scale + 2))).astype(np.float32)
        total += cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC) / weight
    total -= total.min()
    return total / max(float(total.max()), 1e-6)


def colour_texture(rng: np.random.Generator, height: int, width: int, colours: np.ndarray, stripes: float = 0.0):
    """An RGB texture mixing ``colours`` (K x 3, 0..255) by smooth noise, optionally with stripes."""
    mix = smooth_noise(rng, height, width)
    if stripes:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        mix = 0.6 * mix + 0.4 * (0.5 + 0.5 * np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * stripes))
    position = mix * (len(colours) - 1)
    low = np.floor(position).astype(int).clip(0, len(colours) - 2)
    frac = (position - low)[..., None]
    texture = colours[low] * (1 - frac) + colours[low + 1] * frac
    grain = rng.normal(0, 6, (height, width, 1)).astype(np.float32)
    return np.clip(texture + grain, 0, 255).astype(np.float32)


@dataclass
class Sprite:
    """An object to draw: an RGB texture and an alpha in [0, 1], both ``h x w``, centred on the pose."""

    texture: np.ndarray
    alpha: np.ndarray


def blob_sprite(rng: np.random.Generator, size: int, colours: np.ndarray) -> Sprite:
    """A textured, irregular convex-ish blob (an ellipse with a wobbly outline)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) - (size - 1) / 2
    angle = np.arctan2(yy, xx)
    radius = np.hypot(xx / rng.uniform(0.8, 1.0), yy / rng.uniform(0.55, 0.8))
    wobble = 1 + 0.12 * np.sin(3 * angle + rng.uniform(0, 6.28)) + 0.06 * np.sin(5 * angle + rng.uniform(0, 6.28))
    alpha = (radius <= 0.45 * size * wobble).astype(np.float32)
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0.7)
    return Sprite(colour_texture(rng, size, size, colours, stripes=rng.uniform(0.3, 0.6)), alpha)


def bar_sprite(rng: np.random.Generator, length: int, thickness: int, colours: np.ndarray) -> Sprite:
    """A thin bar (``thickness`` pixels) with a small knob at one end."""
    alpha = np.zeros((length, length), np.float32)
    centre = length // 2
    cv2.line(alpha, (2, centre), (length - 3, centre), 1.0, thickness)
    cv2.circle(alpha, (length - 1 - thickness * 2, centre), thickness * 2, 1.0, -1)
    return Sprite(colour_texture(rng, length, length, colours), alpha)


def random_palette(rng: np.random.Generator, k: int = 3) -> np.ndarray:
    """``k`` related colours (one hue, several brightnesses), ``k x 3`` float RGB."""
    hue = rng.uniform(0, 180)
    hsv = np.array([[[(hue + rng.uniform(-12, 12)) % 180, rng.uniform(120, 230), v]] for v in np.linspace(90, 240, k)])
    return cv2.cvtColor(hsv.astype(np.uint8).reshape(k, 1, 3), cv2.COLOR_HSV2RGB).reshape(k, 3).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Compositing
# ---------------------------------------------------------------------------------------------


def place(sprite: Sprite, shape: tuple[int, int], centre, angle: float = 0.0, scale: float = 1.0):
    """Warp a sprite to a frame of ``shape``: returns (texture H x W x 3, alpha H x W)."""
    h, w = sprite.alpha.shape
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, scale)
    matrix[:, 2] += np.array(centre, np.float64) - np.array([(w - 1) / 2, (h - 1) / 2])
    size = (shape[1], shape[0])
    texture = cv2.warpAffine(sprite.texture, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(sprite.alpha, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    return texture, alpha


def motion_blur(layer: np.ndarray, velocity) -> np.ndarray:
    """Blur along the velocity vector (pixels per frame), as a moving camera shutter would."""
    length = int(round(np.hypot(*velocity)))
    if length < 2:
        return layer
    kernel = np.zeros((length, length), np.float32)
    direction = np.array(velocity, np.float64) / np.hypot(*velocity)
    c = (length - 1) / 2
    p0 = tuple(int(round(v)) for v in (c - direction * c))
    p1 = tuple(int(round(v)) for v in (c + direction * c))
    cv2.line(kernel, p0, p1, 1.0, 1)
    return cv2.filter2D(layer, -1, kernel / kernel.sum(), borderType=cv2.BORDER_CONSTANT)


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


def _scenario_rng(scenario: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(scenario.encode())])


def make_video(
    scenario: str = "translate",
    n_frames: int = 24,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    name: str | None = None,
) -> Sequence:
    """Generate one synthetic video as a :class:`Sequence` (frames ``T x H x W x 3``, masks 0/1 ``T x H x W``)."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r} (expected one of {', '.join(SCENARIOS)})")
    if n_frames < 1:
        raise ValueError(f"n_frames must be at least 1, got {n_frames}")
    height, width = size
    if height < 32 or width < 32:
        raise ValueError(f"size must be at least 32x32, got {width}x{height} (width x height)")
    rng = _scenario_rng(scenario, seed)
    shape = (height, width)
    short = min(height, width)

    # Background: a larger texture so that "clutter" can pan across it.
    pan = 2 if scenario == "clutter" else 0
    bg_h, bg_w = height, width + pan * n_frames
    background = colour_texture(rng, bg_h, bg_w, random_palette(rng, 3), stripes=rng.uniform(0.05, 0.2))
    target_colours = random_palette(rng, 3)
    if scenario == "clutter":
        for _ in range(int(bg_w * bg_h / 900)):
            blob = blob_sprite(rng, int(rng.integers(8, max(10, short // 5))), target_colours * rng.uniform(0.7, 1.1))
            tex, a = place(blob, (bg_h, bg_w), (rng.uniform(0, bg_w), rng.uniform(0, bg_h)), rng.uniform(0, 360))
            background = background * (1 - a[..., None]) + tex * a[..., None]

    if scenario == "thin":
        target = bar_sprite(rng, int(short * 0.7), max(2, short // 40), target_colours)
    else:
        target = blob_sprite(rng, int(short * 0.5), target_colours)
    occluder = blob_sprite(rng, int(short * 0.45), random_palette(rng, 3)) if scenario == "occlusion" else None

    # Time in units of 24 frames: speeds do not depend on the video's length (a long video repeats
    # the motion), and stay in DAVIS's range (about 2-4% of the frame width per frame).
    t = np.arange(n_frames) / 24.0
    phase = rng.uniform(0, 2 * np.pi)
    cx = width * (0.5 + 0.25 * np.sin(2 * np.pi * t * 0.5 + phase))
    cy = height * (0.5 + 0.18 * np.sin(2 * np.pi * t * 0.7 + phase / 2))
    angle = np.zeros(n_frames) + rng.uniform(-10, 10)
    scale = np.ones(n_frames)
    if scenario == "rotate_scale":
        ramp = 0.5 - 0.5 * np.cos(np.pi * t)  # 0 -> 1 over 24 frames, then back
        angle = angle + 90 * ramp
        scale = 0.7 + 0.7 * ramp
    elif scenario == "out_of_view":
        # To the right, out of the frame around frame 12, and back by frame 24.
        cx = width * (0.5 + 0.75 * np.sin(np.pi * t))
    elif scenario == "fast_blur":
        jumps = rng.uniform(0.15, 0.25, n_frames) * width * rng.choice([-1, 1], n_frames)
        cx = np.clip(width / 2 + np.cumsum(jumps) % (width * 0.6) - width * 0.3, width * 0.2, width * 0.8)
        cy = height * (0.5 + 0.2 * np.sin(2 * np.pi * t * 3 + phase))
    elif scenario == "thin":
        angle = angle + 60 * t
    twin_cx = width - cx + width * 0.05 * np.sin(4 * np.pi * t)
    twin_cy = height - cy

    frames = np.empty((n_frames, height, width, 3), np.uint8)
    masks = np.empty((n_frames, height, width), np.uint8)
    for i in range(n_frames):
        offset = pan * i
        frame = background[:, offset : offset + width].copy()
        if scenario == "distractor":
            tex, a = place(target, shape, (twin_cx[i], twin_cy[i]), angle[i] + 15, scale[i])
            frame = frame * (1 - a[..., None]) + tex * a[..., None]
        tex, a = place(target, shape, (cx[i], cy[i]), angle[i], scale[i])
        if scenario == "fast_blur" and i > 0:
            velocity = (cx[i] - cx[i - 1], cy[i] - cy[i - 1])
            blur_length = 0.25  # shutter open for a quarter of the frame interval
            premultiplied = motion_blur(tex * a[..., None], (velocity[0] * blur_length, velocity[1] * blur_length))
            a = motion_blur(a, (velocity[0] * blur_length, velocity[1] * blur_length))
            tex = premultiplied / np.maximum(a[..., None], 1e-6)
        frame = frame * (1 - a[..., None]) + tex * a[..., None]
        visible = a
        if occluder is not None:
            ox = width * (1.1 - 1.2 * (t[i] % 1.0))  # crosses the frame every 24 frames
            otex, oa = place(occluder, shape, (ox, cy[i] + height * 0.05), 0.0, 1.0)
            frame = frame * (1 - oa[..., None]) + otex * oa[..., None]
            visible = a * (1 - oa)
        frames[i] = np.clip(frame, 0, 255).astype(np.uint8)
        masks[i] = (visible >= 0.5).astype(np.uint8)

    return Sequence(
        name=name or f"synthetic-{scenario}",
        frames=frames,
        masks=masks,
        attributes=SCENARIOS[scenario],
        info={"scenario": scenario, "seed": seed, "synthetic": True},
    )


def write_dataset(
    root: str | Path,
    val: tuple[str, ...] | list[str] = tuple(SCENARIOS),
    train: tuple[str, ...] | list[str] = (),
    n_frames: int = 24,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Write synthetic videos in the DAVIS 2016 layout, so every DAVIS tool reads them.

    Val sequences are named ``synthetic-<scenario>`` (seed ``seed``); train sequences
    ``synthetic-train-<scenario>`` (seed ``seed + 1000``, so train and val never share a video).
    Frames are lossless PNG (the ground truth stays exact); ``480p`` folder names are kept for layout
    compatibility even though the frames are smaller. The dataset is built in a temporary folder and
    renamed to ``root`` when complete; an existing ``root`` is replaced only with ``overwrite=True``.
    Returns ``root``.
    """
    final = Path(root)
    if final.exists() and any(final.iterdir()) and not overwrite:
        raise FileExistsError(f"{final}: already exists and is not empty (pass overwrite=True / --overwrite)")
    with atomic_folder(final) as partial:
        _write_layout(partial, val, train, n_frames, size, seed)
    return final


def _write_layout(root: Path, val, train, n_frames: int, size: tuple[int, int], seed: int) -> None:
    entries, lines = [], {"train": [], "val": []}
    jobs = [("val", s, seed, f"synthetic-{s}") for s in val]
    jobs += [("train", s, seed + 1000, f"synthetic-train-{s}") for s in train]
    for split, scenario, video_seed, name in jobs:
        video = make_video(scenario, n_frames=n_frames, size=size, seed=video_seed, name=name)
        frame_dir = root / "JPEGImages" / "480p" / name
        mask_dir = root / "Annotations" / "480p" / name
        frame_dir.mkdir(parents=True, exist_ok=True)
        for index, (frame, mask) in enumerate(zip(video.frames, video.masks)):
            cv2.imwrite(str(frame_dir / f"{index:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            write_mask(mask_dir / f"{index:05d}.png", mask)
            lines[split].append(f"/JPEGImages/480p/{name}/{index:05d}.png /Annotations/480p/{name}/{index:05d}.png")
        entries.append(
            {
                "attributes": list(video.attributes),
                "name": name,
                "num_frames": n_frames,
                "set": "training" if split == "train" else "test",
                "eval_t": True,
            }
        )
    (root / "ImageSets" / "480p").mkdir(parents=True, exist_ok=True)
    for split, split_lines in lines.items():
        (root / "ImageSets" / "480p" / f"{split}.txt").write_text("".join(line + "\n" for line in split_lines))
    db_info = {"attributes": sorted({a for e in entries for a in e["attributes"]}), "sets": ["training", "test"]}
    db_info["sequences"] = entries
    (root / "Annotations" / "db_info.yml").write_text(yaml.safe_dump(db_info, sort_keys=False))


# ---------------------------------------------------------------------------------------------
# sizes and scenario lists as the command line gives them (plm synth, plm demo)
# ---------------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    """``'256x144'`` (width x height) -> ``(144, 256)`` (height, width)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise ValueError(f"expected WIDTHxHEIGHT such as 256x144, got {text!r}") from err
    return height, width


def scenario_list(text: str) -> list[str]:
    """Scenario names from ``"all"`` or a comma-separated list (empty text: none)."""
    if not text:
        return []
    names = list(SCENARIOS) if text == "all" else [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r} (expected one of {', '.join(SCENARIOS)})")
    return names
