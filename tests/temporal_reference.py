"""Reference per-frame T values that pin :mod:`plmlib.metrics.temporal` (``tests/fixtures/temporal_reference.json``).

The fixture was generated at commit 086736b (the numpy implementation, before it was made fast) by

    PYTHONPATH=. python tests/temporal_reference.py

and ``tests/test_metrics_temporal.py`` checks that the current code gives the same raw per-frame T to 1e-9.
Two kinds of cases (our choice):

- **random**: seeded masks made here with ``numpy.random.default_rng`` (nothing committed but the numbers):
  rectangles, ellipses, smoothed-noise blobs with holes and diagonal contacts, raw noise full of junctions,
  masks touching the border, and the edge cases (empty, one pixel, a tiny square, the full frame), each scored
  against a jittered copy of itself and a few against unrelated masks;
- **real**: pairs of DAVIS 2016 ground-truth masks of the sample in ``../shared/data/davis2016-sample`` (consecutive
  frames and frames far apart; ``bear/00077.png`` is the two-channel PNG), read with :func:`plmlib.io.read_mask`.
  DAVIS masks are never committed (licence): only their T values are.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "temporal_reference.json"
SAMPLE = REPO.parent / "shared" / "data" / "davis2016-sample" / "Annotations" / "480p"
SEED = 27

# (sequence, previous frame, current frame)
REAL_PAIRS = [
    ("car-shadow", "00000", "00001"),
    ("car-shadow", "00017", "00018"),
    ("car-shadow", "00038", "00039"),
    ("car-shadow", "00000", "00030"),
    ("blackswan", "00000", "00001"),
    ("blackswan", "00024", "00025"),
    ("blackswan", "00010", "00049"),
    ("bear", "00000", "00001"),
    ("bear", "00040", "00041"),
    ("bear", "00076", "00077"),
    ("bear", "00077", "00078"),
    ("bear", "00005", "00080"),
]


def _smooth(field: np.ndarray, passes: int) -> np.ndarray:
    """Box-blur ``passes`` times with wrap-around (numpy only)."""
    for _ in range(passes):
        field = (field + np.roll(field, 1, 0) + np.roll(field, -1, 0) + np.roll(field, 1, 1) + np.roll(field, -1, 1)) / 5.0
    return field


def _ellipse(shape, center, axes, angle) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    c, s = math.cos(angle), math.sin(angle)
    u = (yy - center[0]) * c + (xx - center[1]) * s
    v = -(yy - center[0]) * s + (xx - center[1]) * c
    return (u / axes[0]) ** 2 + (v / axes[1]) ** 2 <= 1.0


def _jitter(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A nearby mask: shifted by a few pixels and with a few pixels of its boundary flipped."""
    shifted = np.roll(mask, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1))
    boundary = shifted ^ np.roll(shifted, 1, 0) | shifted ^ np.roll(shifted, 1, 1)
    flips = boundary & (rng.random(mask.shape) < 0.3)
    return shifted ^ flips


def random_pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Deterministic ``(name, previous, current)`` bool mask pairs (same masks on every machine)."""
    rng = np.random.default_rng(SEED)
    bases: list[tuple[str, np.ndarray]] = []
    h, w = 48, 64
    empty = np.zeros((h, w), dtype=bool)
    bases.append(("empty", empty))
    dot = empty.copy()
    dot[20, 30] = True
    bases.append(("one_pixel", dot))
    tiny = empty.copy()
    tiny[10:12, 40:42] = True
    bases.append(("tiny_square", tiny))
    for side in (3, 4, 5):
        small = empty.copy()
        small[30 : 30 + side, 8 : 8 + side] = True
        bases.append((f"square_{side}", small))
    line = empty.copy()
    line[5, 3:50] = True
    bases.append(("one_pixel_line", line))
    bases.append(("full_frame", np.ones((h, w), dtype=bool)))
    for k in range(4):
        r0, c0 = int(rng.integers(0, 20)), int(rng.integers(0, 30))
        rect = empty.copy()
        rect[r0 : r0 + int(rng.integers(3, 28)), c0 : c0 + int(rng.integers(3, 34))] = True
        bases.append((f"rectangle_{k}", rect))
    for k in range(5):
        shape = (int(rng.integers(60, 140)), int(rng.integers(60, 180)))
        center = (shape[0] * rng.uniform(0.3, 0.7), shape[1] * rng.uniform(0.3, 0.7))
        axes = (shape[0] * rng.uniform(0.1, 0.45), shape[1] * rng.uniform(0.1, 0.45))
        bases.append((f"ellipse_{k}", _ellipse(shape, center, axes, rng.uniform(0, math.pi))))
    for k in range(6):
        shape = (int(rng.integers(50, 160)), int(rng.integers(50, 200)))
        field = _smooth(rng.standard_normal(shape), int(rng.integers(2, 12)))
        bases.append((f"blob_{k}", field > rng.uniform(-0.2, 0.3) * field.std()))
    for k in range(3):
        shape = (int(rng.integers(20, 50)), int(rng.integers(20, 50)))
        bases.append((f"noise_{k}", rng.random(shape) < rng.uniform(0.3, 0.7)))
    for k in range(2):
        shape = (int(rng.integers(60, 120)), int(rng.integers(60, 120)))
        border = _smooth(rng.standard_normal(shape), 6) > 0
        border[:, :8] = True
        border[-5:, :] = True
        bases.append((f"border_{k}", border))
    large = _smooth(rng.standard_normal((240, 320)), 20)
    bases.append(("large_blob", large > 0))
    checker = (np.indices((12, 12)).sum(axis=0) % 2 == 0).repeat(3, 0).repeat(3, 1)
    bases.append(("checkerboard", checker))

    pairs = []
    for k, (name, mask) in enumerate(bases):
        if k % 4 == 0:
            pairs.append((f"{name}/itself", mask, mask))
        jittered = _jitter(mask, rng)
        pairs.append((f"{name}/jittered", mask, jittered))
        pairs.append((f"{name}/jittered_twice", jittered, _jitter(jittered, rng)))
    # Unrelated masks of the same size.
    for k in range(4):
        shape = (int(rng.integers(60, 120)), int(rng.integers(60, 160)))
        a = _smooth(rng.standard_normal(shape), 5) > 0
        b = _ellipse(shape, (shape[0] / 2, shape[1] / 2), (shape[0] / 3, shape[1] / 4), rng.uniform(0, math.pi))
        pairs.append((f"unrelated_{k}", a, b))
    return pairs


def real_pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The DAVIS sample pairs of :data:`REAL_PAIRS` (needs ``../shared``)."""
    from plmlib.io import read_mask

    out = []
    for sequence, previous, current in REAL_PAIRS:
        a = read_mask(SAMPLE / sequence / f"{previous}.png") > 0
        b = read_mask(SAMPLE / sequence / f"{current}.png") > 0
        out.append((f"{sequence}/{previous}-{current}", a, b))
    return out


def values(pairs) -> dict[str, float | None]:
    """Raw per-frame T of every pair (``None`` for NaN, as JSON has no NaN)."""
    from plmlib.metrics.temporal import temporal_stability

    out = {}
    for name, previous, current in pairs:
        value = temporal_stability(previous, current)
        out[name] = None if math.isnan(value) else value
    return out


def main() -> None:
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    data = {
        "generated_at": sha,
        "generator": "tests/temporal_reference.py",
        "seed": SEED,
        "random": values(random_pairs()),
        "real": values(real_pairs()),
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {FIXTURE}: {len(data['random'])} random and {len(data['real'])} real pairs")


if __name__ == "__main__":
    main()
