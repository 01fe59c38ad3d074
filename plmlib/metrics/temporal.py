"""Temporal stability T of DAVIS 2016 (Perazzi et al., CVPR 2016, Sec. 3.1), in numpy, its loops compiled with numba.

T measures how much a mask's shape jitters from one frame to the next: the longest contour of each of two
consecutive masks is described by shape-context histograms (Belongie et al., PAMI 2002) and the two point
sequences are matched by a monotone, cyclic dynamic-programming alignment; T is the mean chi-squared cost of the
matched pairs. Lower is better. The official code is MATLAB plus C++ (``t_stability.m``, the ``polycont``
contour library and a Boost Dijkstra); its Python-2 port needs a compiled module. We reimplement the same steps,
their inner loops (crack walk, simplification, shape-context binning, chi-squared costs, matching) in
:mod:`plmlib.metrics.temporal_kernels`:

1. **Contours** (``polycont`` ``mask2poly``): the crack contour between pixels, traced on the doubled grid, cut
   at 4-way junctions (diagonal-only pixel contacts) and reassembled into closed Jordan curves the way the
   official code does (turning, never going straight, at a junction); each curve starts at its junction, or,
   without one, at the top corner of its first vertical crack in raster order.
2. **Simplification**: Douglas-Peucker (``psimpl``: radial-distance pre-pass, then DP) with tolerance 0.1 and then
   3 in half-pixel units, i.e. 1.5 px; outer curves oriented clockwise, holes counter-clockwise; curves of at
   most 3 points dropped; the curve with the most points kept (the first one on ties).
3. **Resampling**: segments longer than 3 px are cut into equal parts (``contour_upsample.m``).
4. **Shape context**: 12 angle x 5 log-radius bins, radii from 1/8 to 2 mean distances, each point's own
   position included (``sc_compute.m``); chi-squared histogram cost (``hist_cost_2.m``).
5. **Matching**: the cheapest monotone path from (0, 0) to (n1-1, n2-1) through the cost matrix (steps right,
   down, diagonal; a step costs the cell it enters); the cost matrix is then rolled so that the cheapest cell of
   that path becomes the last one, matched again, the pairs made one-to-one (cheapest pair per point of each
   contour) and T = their mean cost.
6. **Sequence**: frame t (t = 1 .. n-2) is scored against frame t-1, frame 1 against the ground truth of frame
   0 (``eval_sequence.m``); the sequence T is ``5 x`` the NaN-mean (a frame without contour gives NaN); the
   dataset T averages the sequences marked ``eval_t`` in ``db_info.yml`` (the leaderboard's convention).

How close this is (measured against the official code and data):

- contours: identical, point for point, to the official ``mask2poly`` binary on 300 random masks (noise full of
  junctions and holes included) and on every DAVIS frame we checked;
- matching: when two monotone paths tie exactly in cost, the official Boost Dijkstra keeps whichever its heap
  pops first; we prefer the diagonal step, then a step along the first contour (our choice), which gives the
  same path as Boost in 97% of the matchings we compared;
- values: against the official per-frame T of the DAVIS 2016 val ground truth (MATLAB results shipped with the
  official code), 44% of the 1336 frames agree to 1e-6, per-sequence T agree to 0.04% (median) and 0.9% (worst,
  paragliding-launch), and T_gt over the ``eval_t`` sequences is 0.0886 against the official 0.0884 (leaderboard
  0.088). Running the official binaries on our masks reproduces our values, not the stored ones, for the frames
  that disagree; the cause (MATLAB-side arithmetic or annotation files) is not known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

T_SCALE = 5.0  # the official sequence T is 5 x the mean per-frame value (eval_sequence.m), near the range of J and F
SIMPLIFY_TOLERANCE = 3.0  # polycont tolerance, in half-pixel (doubled-grid) units
SIMPLIFY_PREPASS_TOLERANCE = 0.1
UPSAMPLE_STEP = 3.0  # pixels
N_THETA = 12
N_R = 5
R_INNER = 1.0 / 8.0
R_OUTER = 2.0
SHAPE_CONTEXT_BLOCK = 32768  # point pairs per block of angles (3 arrays of 256 KiB; our choice)


def _kernels():
    """The compiled loops (:mod:`plmlib.metrics.temporal_kernels`), imported on first use: numba's import is not
    paid by code that never computes T."""
    from plmlib.metrics import temporal_kernels  # lazy: numba takes ~0.3 s to import

    return temporal_kernels


# --------------------------------------------------------------------------------------------------------------
# 1. Crack contours on the doubled grid
# --------------------------------------------------------------------------------------------------------------
# Grid point (X, Y) of the doubled grid (X = 2 * row, Y = 2 * column for pixel corners; one odd coordinate for a
# crack between two pixels) is stored at flat index (X + 1) * width + (Y + 1) of a padded array.


def _closed_curves(mask: np.ndarray):
    """The crack contour of a 2-D bool mask as closed curves: ``(junction_flat, curve_junction, curve_offset,
    curve_cracks, width)``; curve k starts at grid point ``junction_flat[curve_junction[k] - 1]`` and has the
    cracks ``curve_cracks[curve_offset[k]:curve_offset[k + 1]]`` (flat indices, grid of width ``width``).

    Here the grid, its 4-way junctions (raster order) and vertical cracks; the walks are
    :func:`plmlib.metrics.temporal_kernels.trace_pieces` (pieces from junction to junction) and
    :func:`plmlib.metrics.temporal_kernels.jordan_curves` (pieces chained into curves, turning at junctions).
    """
    h, w = mask.shape
    padded = np.zeros((h + 2, w + 2), dtype=bool)
    padded[1:-1, 1:-1] = mask
    vertical = padded[1:-1, :-1] ^ padded[1:-1, 1:]  # (h, w+1): crack (2i+1, 2j) between columns j-1 and j
    horizontal = padded[:-1, 1:-1] ^ padded[1:, 1:-1]  # (h+1, w): crack (2i, 2j+1) between rows i-1 and i
    gh, gw = 2 * h + 3, 2 * w + 3
    grid = np.zeros((gh, gw), dtype=np.uint8)
    grid[2 : 2 * h + 1 : 2, 1 : 2 * w + 2 : 2] = vertical
    grid[1 : 2 * h + 2 : 2, 2 : 2 * w + 1 : 2] = horizontal
    # Junctions: interior corners (2i, 2j) where all four cracks meet, numbered in raster order.
    four = horizontal[1:h, 1:w] & vertical[1:h, 1:w] & horizontal[1:h, 0 : w - 1] & vertical[0 : h - 1, 1:w]
    ji, jj = np.nonzero(four)
    junctions = ((2 * (ji + 1) + 1) * gw + 2 * (jj + 1) + 1).astype(np.int64)
    vi, vj = np.nonzero(vertical)
    vertical_cracks = ((2 * vi + 2) * gw + 2 * vj + 1).astype(np.int64)
    kernels = _kernels()
    junction_flat, starts, ends, offsets, cracks = kernels.trace_pieces(grid.ravel(), gw, junctions, vertical_cracks)
    curves = kernels.jordan_curves(len(junction_flat), starts, ends, offsets, cracks, gw)
    return (junction_flat, *curves, gw)


# --------------------------------------------------------------------------------------------------------------
# 2. Simplification (psimpl Douglas-Peucker with its radial-distance pre-pass)
# --------------------------------------------------------------------------------------------------------------


def _douglas_peucker(points: np.ndarray, tol: float) -> np.ndarray:
    """psimpl ``simplify_douglas_peucker``: radial-distance reduction, then Douglas-Peucker keys (compiled:
    :func:`plmlib.metrics.temporal_kernels.douglas_peucker`)."""
    return _kernels().douglas_peucker(np.ascontiguousarray(points, dtype=np.float64), float(tol))


# --------------------------------------------------------------------------------------------------------------
# The longest contour of a mask
# --------------------------------------------------------------------------------------------------------------


def _corners(start: np.ndarray, cracks: np.ndarray) -> np.ndarray:
    """Corners of a closed crack path starting at corner ``start``: each crack is the midpoint of two corners."""
    m = len(cracks)
    sign = np.where(np.arange(m) % 2 == 0, -1, 1)[:, None]  # (-1)^(i+1)
    partial = np.zeros((m, 2), dtype=np.int64)
    partial[1:] = np.cumsum(sign[:-1] * cracks[:-1], axis=0)
    alternate = np.where(np.arange(m) % 2 == 0, 1, -1)[:, None]  # (-1)^k
    corners = alternate * (start[None, :] + 2 * partial)
    return np.vstack([corners, start[None, :]])


def _inside(point: np.ndarray, polygon: np.ndarray) -> bool:
    """Even-odd point-in-polygon test (horizontal ray towards +Y, half-open on X)."""
    x, y = float(point[0]), float(point[1])
    a = polygon
    b = np.roll(polygon, -1, axis=0)
    straddle = (a[:, 0] > x) != (b[:, 0] > x)
    if not straddle.any():
        return False
    a, b = a[straddle].astype(np.float64), b[straddle].astype(np.float64)
    y_cross = a[:, 1] + (x - a[:, 0]) * (b[:, 1] - a[:, 1]) / (b[:, 0] - a[:, 0])
    return bool(np.count_nonzero(y_cross > y) % 2)


def _clockwise(path: np.ndarray) -> bool:
    nxt = np.roll(path, -1, axis=0)
    return int(np.sum((nxt[:, 0] - path[:, 0]) * (nxt[:, 1] + path[:, 1]))) > 0


def longest_contour(mask: np.ndarray) -> np.ndarray | None:
    """The longest simplified closed contour of a mask as an ``N x 2`` array of pixel-corner (row, col)
    coordinates, first point repeated at the end; ``None`` when the mask has no contour of more than 3 points.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"a mask must be 2-D, got shape {mask.shape}")
    mask = mask if mask.dtype == bool else mask != 0
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    r0, c0 = int(rows[0]), int(cols[0])
    crop = mask[r0 : int(rows[-1]) + 1, c0 : int(cols[-1]) + 1]
    junction_flat, curve_junction, curve_offset, curve_cracks, gw = _closed_curves(crop)
    offset = np.array([2 * r0 - 1, 2 * c0 - 1], dtype=np.int64)
    lengths = np.diff(curve_offset).tolist()

    def to_xy(flat) -> np.ndarray:
        flat = np.asarray(flat, dtype=np.int64)
        return np.stack([flat // gw, flat % gw], axis=-1) + offset

    def cracks_of(k: int) -> np.ndarray:
        return curve_cracks[curve_offset[k] : curve_offset[k + 1]]

    # The simplified curve has at most one point per corner (+1): visit curves from the longest, stop when no
    # remaining curve can beat the best one (ties go to the earlier curve, as officially).
    best = None
    for index in sorted(range(len(lengths)), key=lambda k: (-lengths[k], k)):
        bound = lengths[index] + 1
        if bound <= 3 or (best is not None and (bound < len(best[1]) or (bound == len(best[1]) and index > best[0]))):
            continue
        start = to_xy(junction_flat[curve_junction[index] - 1])
        corners = _corners(start, to_xy(cracks_of(index))).astype(np.float64)
        simplified = corners
        if SIMPLIFY_TOLERANCE > SIMPLIFY_PREPASS_TOLERANCE:
            simplified = _douglas_peucker(simplified, SIMPLIFY_PREPASS_TOLERANCE)
        simplified = _douglas_peucker(simplified, SIMPLIFY_TOLERANCE)
        if len(simplified) <= 3:
            continue
        if best is None or len(simplified) > len(best[1]) or (len(simplified) == len(best[1]) and index < best[0]):
            best = (index, simplified)
    if best is None:
        return None
    index, path = best
    path = path.astype(np.int64)
    # Outer curves clockwise, holes counter-clockwise; a hole lies inside an odd number of other curves
    # (tested with the first crack of the curve against the crack polygons of the others that can hold it).
    probe = to_xy(cracks_of(index)[0])
    starts = curve_offset[:-1]
    rows, cols = curve_cracks // gw, curve_cracks % gw
    px, py = probe[0] - offset[0], probe[1] - offset[1]
    around = (
        (np.minimum.reduceat(rows, starts) <= px)
        & (np.maximum.reduceat(rows, starts) >= px)
        & (np.maximum.reduceat(cols, starts) > py)
    )
    around[index] = False
    depth = sum(_inside(probe, to_xy(cracks_of(k))) for k in np.flatnonzero(around))
    is_hole = depth % 2 == 1
    if _clockwise(path) == is_hole:
        path = path[::-1]
    return path // 2


# --------------------------------------------------------------------------------------------------------------
# 3-4. Resampling, shape context and histogram cost
# --------------------------------------------------------------------------------------------------------------


def upsample_contour(contour: np.ndarray, step: float = UPSAMPLE_STEP) -> np.ndarray:
    """Insert equally spaced points into every segment longer than ``step`` (the contour is closed first)."""
    contour = np.asarray(contour, dtype=np.float64)
    closed = np.ascontiguousarray(np.vstack([contour, contour[:1]]))
    return _kernels().upsample(closed, float(step))


def shape_context(points: np.ndarray) -> np.ndarray:
    """Log-polar shape-context histograms (``N x 60`` counts), radii normalised by the mean pairwise distance.

    Bin index ``theta_bin + 12 * (r_bin - 1)``, r_bin 5 being the innermost ring; every point also counts itself.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    kernels = _kernels()
    n = len(points)
    r = kernels.pairwise_distances(points)
    mean_r = np.mean(r)
    edges = 10.0 ** np.linspace(math.log10(R_INNER), math.log10(R_OUTER), N_R)
    two_pi = 2 * math.pi
    counts = np.zeros((n, N_THETA * N_R), dtype=np.int64)
    # Angles a block of rows at a time (numpy's arctan2, element by element): the blocks stay in cache.
    rows = max(1, SHAPE_CONTEXT_BLOCK // n)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        dx, dy = kernels.pairwise_offsets(points, start, stop)  # [i, j] = x_j - x_i
        theta = np.arctan2(dy, dx)
        kernels.shape_context_counts(
            r[start:stop], mean_r, theta, edges, N_THETA, two_pi / N_THETA, two_pi, counts[start:stop]
        )
    return counts


def histogram_cost(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """Chi-squared cost ``0.5 * sum((a - b)^2 / (a + b + eps))`` between normalised histograms (``hist_cost_2.m``)."""
    return _kernels().chi2_cost(np.ascontiguousarray(h1, dtype=np.int64), np.ascontiguousarray(h2, dtype=np.int64))


# --------------------------------------------------------------------------------------------------------------
# 5. Monotone matching
# --------------------------------------------------------------------------------------------------------------

def _cheapest_path(cost: np.ndarray, shift_i: int = 0, shift_j: int = 0) -> np.ndarray:
    """Cheapest monotone path from (0, 0) to the last cell of ``cost`` rolled by ``(-shift_i, -shift_j)`` (each step
    costs the cell entered; ties: diagonal, then along the first contour), as ``K x 2`` rolled indices listed from
    the last cell back to (0, 0); compiled: :func:`plmlib.metrics.temporal_kernels.cheapest_path`."""
    return _kernels().cheapest_path(np.asarray(cost, dtype=np.float64), int(shift_i), int(shift_j))


def _one_to_one(pairs: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Keep, for every point of the first contour and then of the second, its cheapest pair (first on ties)."""
    for side in (0, 1):
        values = cost[pairs[:, 0], pairs[:, 1]]
        keys = pairs[:, side]
        order = np.lexsort((np.arange(len(pairs)), values, keys))  # by point, then cost, then position
        sorted_keys = keys[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = sorted_keys[1:] != sorted_keys[:-1]
        pairs = pairs[order[first]]
    return pairs


def match_cost(cost: np.ndarray) -> float:
    """Mean cost of the one-to-one cyclic monotone matching of two closed contours (``t_stability.m``)."""
    n1, n2 = cost.shape
    path = _cheapest_path(cost)
    on_path = cost[path[:-1, 0], path[:-1, 1]]  # (0, 0) itself is never a candidate
    cheapest = int(np.argmin(on_path))  # first from the end on ties
    shift_i, shift_j = int(path[cheapest, 0]) + 1, int(path[cheapest, 1]) + 1
    shift_i, shift_j = shift_i % n1, shift_j % n2
    pairs = _cheapest_path(cost, shift_i, shift_j)  # the path through the rolled matrix
    pairs = np.stack([(pairs[:, 0] + shift_i) % n1, (pairs[:, 1] + shift_j) % n2], axis=1)
    pairs = _one_to_one(pairs, cost)
    return float(np.mean(cost[pairs[:, 0], pairs[:, 1]]))


# --------------------------------------------------------------------------------------------------------------
# Public interface
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContourDescriptor:
    """What T needs from one mask: its resampled longest contour and the shape contexts of its points."""

    points: np.ndarray
    histograms: np.ndarray


def describe(mask: np.ndarray) -> ContourDescriptor | None:
    """Shape-context description of a mask's longest contour, or ``None`` for a mask without one."""
    contour = longest_contour(mask)
    if contour is None:
        return None
    points = upsample_contour(contour)
    return ContourDescriptor(points, shape_context(points))


def stability_between(first: ContourDescriptor | None, second: ContourDescriptor | None) -> float:
    """Raw (unscaled) T between two described masks; NaN when either has no contour."""
    if first is None or second is None:
        return float("nan")
    return match_cost(histogram_cost(first.histograms, second.histograms))


def temporal_stability(previous: np.ndarray, current: np.ndarray) -> float:
    """Raw per-frame T of ``current`` against ``previous`` (official ``t_stability``; NaN if either is empty)."""
    return stability_between(describe(previous), describe(current))


def sequence_temporal_stability(masks, first_ground_truth: np.ndarray | None = None) -> np.ndarray:
    """Raw per-frame T of consecutive masks: value k compares ``masks[k]`` with ``masks[k-1]``, or for k = 0
    with ``first_ground_truth`` (NaN if not given). Pass the masks of frames 1 .. n-2 and the ground truth of
    frame 0 to follow the official protocol; the sequence T is ``T_SCALE * nanmean`` of the result.
    """
    previous = describe(first_ground_truth) if first_ground_truth is not None else None
    values = []
    for index, mask in enumerate(masks):
        current = describe(mask)
        values.append(stability_between(previous, current) if (index > 0 or first_ground_truth is not None) else float("nan"))
        previous = current
    return np.asarray(values, dtype=np.float64)
