"""Compiled inner loops of the temporal stability T (:mod:`plmlib.metrics.temporal`), with numba.

Our choice: the loops of T (the crack walk, Douglas-Peucker, the shape-context binning, the chi-squared cost
matrix and the monotone matching; numbered as the steps of :mod:`plmlib.metrics.temporal`) are sequential scalar
code, slow in Python and awkward in numpy; numba compiles them as written, on the user's machine, from a wheel (no C
extension to build), and caches the machine code beside this file (``cache=True``): the first run after an install
or an edit compiles them (seconds), later runs load them. Each kernel does the same floating-point operations, in
the same order, on the same numbers as the numpy code it replaced (commit 086736b), so T keeps every bit;
``tests/test_metrics_temporal.py`` pins per-frame values. No ``fastmath``: it would let the compiler reorder sums
or fuse a multiply and an add, which changes the last bits. The transcendental functions (``arctan2``) and the
mean stay in numpy, whose results they must equal.

Imported lazily by :mod:`plmlib.metrics.temporal` (importing numba takes a few tenths of a second, which J and F
alone should not pay).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EPS = float(np.finfo(np.float64).eps)
DIAGONAL, ALONG_FIRST, ALONG_SECOND = 0, 1, 2


# --------------------------------------------------------------------------------------------------------------
# 1. Crack contours (polycont ``mask2poly``): pieces from junction to junction, chained into closed curves
# --------------------------------------------------------------------------------------------------------------


@njit(cache=True)
def _explore(junction, first_crack, is_crack, visited, junction_at, junction_flat, gw, cracks, n_cracks):
    """Walk from ``junction`` along ``first_crack`` to the next junction, appending the cracks to ``cracks``
    from ``n_cracks`` on; returns ``(end_junction, n_cracks)``."""
    corner = junction_flat[junction - 1]
    visited[corner] = 1
    crack = first_crack
    while True:
        if (crack // gw) % 2 == 0:  # odd X: vertical crack, its ends are above and below
            end1 = crack + gw
            end2 = crack - gw
        else:  # horizontal crack, ends left and right
            end1 = crack - 1
            end2 = crack + 1
        if not visited[end1]:
            corner = end1
        elif not visited[end2]:
            corner = end2
        else:
            corner = end2 if end1 == corner else end1
        visited[crack] = 1
        visited[corner] = 1
        cracks[n_cracks] = crack
        n_cracks += 1
        found = junction_at[corner]
        if found:
            return found, n_cracks
        if is_crack[corner + gw] and not visited[corner + gw]:
            crack = corner + gw
        elif is_crack[corner - gw] and not visited[corner - gw]:
            crack = corner - gw
        elif is_crack[corner + 1] and not visited[corner + 1]:
            crack = corner + 1
        else:
            crack = corner - 1


@njit(cache=True)
def trace_pieces(is_crack, gw, junctions, vertical_cracks):
    """Cut the crack contour into pieces from junction to junction (``mask2poly``'s order).

    ``is_crack``: the flat doubled grid (1 on cracks); ``junctions``: flat indices of the 4-way junctions in
    raster order (ids 1, 2, ...); ``vertical_cracks``: flat indices of the vertical cracks in raster order.
    Pieces leaving real junctions are explored last-in first-out (right, down, left, up per junction); then every
    closed curve without a junction starts at its first unvisited vertical crack, with an artificial junction at
    the crack's upper end. Returns ``(junction_flat, piece_start, piece_end, piece_offset, cracks)``: all junction
    positions (artificial ones appended), each piece's end junctions, and its cracks
    ``cracks[piece_offset[k]:piece_offset[k + 1]]`` in order.
    """
    size = is_crack.shape[0]
    n_total = 0
    for f in range(size):
        n_total += is_crack[f]
    visited = np.zeros(size, dtype=np.uint8)
    junction_at = np.zeros(size, dtype=np.int32)  # junction id at a grid point, 0 where none
    junction_flat = np.empty(junctions.shape[0] + n_total, dtype=np.int64)
    n_junctions = junctions.shape[0]
    for k in range(n_junctions):
        junction_flat[k] = junctions[k]
        junction_at[junctions[k]] = k + 1
    cracks = np.empty(n_total, dtype=np.int64)
    piece_start = np.empty(n_total + 1, dtype=np.int64)
    piece_end = np.empty(n_total + 1, dtype=np.int64)
    piece_offset = np.zeros(n_total + 2, dtype=np.int64)
    n_pieces = 0
    n_cracks = 0
    stack_junction = np.empty(4 * n_junctions, dtype=np.int64)
    stack_crack = np.empty(4 * n_junctions, dtype=np.int64)
    top = 0
    for k in range(n_junctions):
        f = junctions[k]
        for c in (f + 1, f + gw, f - 1, f - gw):
            stack_junction[top] = k + 1
            stack_crack[top] = c
            top += 1
    while top > 0:
        top -= 1
        crack = stack_crack[top]
        if visited[crack]:
            continue
        junction = stack_junction[top]
        end, n_cracks = _explore(junction, crack, is_crack, visited, junction_at, junction_flat, gw, cracks, n_cracks)
        piece_start[n_pieces] = junction
        piece_end[n_pieces] = end
        n_pieces += 1
        piece_offset[n_pieces] = n_cracks
    for crack in vertical_cracks:
        if visited[crack]:
            continue
        junction_flat[n_junctions] = crack - gw
        n_junctions += 1
        junction_at[crack - gw] = n_junctions
        end, n_cracks = _explore(n_junctions, crack, is_crack, visited, junction_at, junction_flat, gw, cracks, n_cracks)
        piece_start[n_pieces] = n_junctions
        piece_end[n_pieces] = end
        n_pieces += 1
        piece_offset[n_pieces] = n_cracks
    return (junction_flat[:n_junctions].copy(), piece_start[:n_pieces].copy(), piece_end[:n_pieces].copy(),
            piece_offset[: n_pieces + 1].copy(), cracks[:n_cracks].copy())


@njit(cache=True)
def _crack_at(piece, junction, piece_start, piece_offset, cracks):
    """The crack of ``piece`` that touches ``junction``."""
    return cracks[piece_offset[piece]] if piece_start[piece] == junction else cracks[piece_offset[piece + 1] - 1]


@njit(cache=True)
def _other_end(piece, junction, piece_start, piece_end):
    return piece_end[piece] if junction == piece_start[piece] else piece_start[piece]


@njit(cache=True)
def _take(junction, piece, pending, n_pending):
    """Mark ``piece`` explored at ``junction`` (nothing if it is not pending there)."""
    for slot in range(pending.shape[1]):
        if pending[junction, slot] == piece:
            pending[junction, slot] = -1
            n_pending[junction] -= 1


@njit(cache=True)
def jordan_curves(n_junctions, piece_start, piece_end, piece_offset, cracks, gw):
    """Chain the pieces of :func:`trace_pieces` into closed curves, turning at every junction.

    The order reproduces the official code: start at the highest-numbered junction that still has unexplored
    pieces, with its lowest-numbered piece; at each junction take the lowest-numbered pending piece that does not
    continue straight on; a curve closes when the walk comes back to a junction it has swept (its cracks run from
    that junction). Returns ``(curve_junction, curve_offset, curve_cracks)``: curve k starts at junction
    ``curve_junction[k]`` and has the cracks ``curve_cracks[curve_offset[k]:curve_offset[k + 1]]``.
    """
    n_pieces = piece_start.shape[0]
    pending = np.full((n_junctions + 1, 4), -1, dtype=np.int64)  # at most 4 crack ends meet at a point
    n_pending = np.zeros(n_junctions + 1, dtype=np.int64)
    for piece in range(n_pieces):
        for end in range(2):
            junction = piece_start[piece] if end == 0 else piece_end[piece]
            if end == 1 and junction == piece_start[piece]:
                continue  # a loop is pending once at its junction
            if n_pending[junction] == 4:
                raise ValueError("more than four pieces at a junction")
            for slot in range(4):
                if pending[junction, slot] < 0:
                    pending[junction, slot] = piece
                    break
            n_pending[junction] += 1
    curve_junction = np.empty(n_pieces, dtype=np.int64)
    curve_offset = np.zeros(n_pieces + 1, dtype=np.int64)
    curve_cracks = np.empty(cracks.shape[0], dtype=np.int64)
    n_curves = 0
    n_out = 0
    swept_junction = np.empty(n_pieces + 1, dtype=np.int64)
    swept_piece = np.empty(n_pieces + 1, dtype=np.int64)
    position = np.full(n_junctions + 1, -1, dtype=np.int64)  # index in the swept list, -1 when not swept
    top = n_junctions
    while True:
        while top > 0 and n_pending[top] == 0:
            top -= 1
        if top == 0:
            break
        junction = top
        piece = n_pieces
        for slot in range(4):
            if 0 <= pending[junction, slot] < piece:
                piece = pending[junction, slot]
        _take(junction, piece, pending, n_pending)
        _take(_other_end(piece, junction, piece_start, piece_end), piece, pending, n_pending)
        n_swept = 1
        swept_junction[0] = junction
        swept_piece[0] = piece
        position[junction] = 0
        next_junction = _other_end(piece, junction, piece_start, piece_end)
        while True:
            if position[next_junction] >= 0:
                # Close the curve: the swept pieces from next_junction on, each oriented away from its junction.
                at = position[next_junction]
                curve_junction[n_curves] = next_junction
                for index in range(at, n_swept):
                    j = swept_junction[index]
                    p = swept_piece[index]
                    first, last = piece_offset[p], piece_offset[p + 1]
                    if piece_start[p] == j:
                        for c in range(first, last):
                            curve_cracks[n_out] = cracks[c]
                            n_out += 1
                    else:
                        for c in range(last - 1, first - 1, -1):
                            curve_cracks[n_out] = cracks[c]
                            n_out += 1
                    position[j] = -1
                n_curves += 1
                curve_offset[n_curves] = n_out
                n_swept = at
                if n_swept == 0:
                    break
                piece = swept_piece[n_swept - 1]
            junction = next_junction
            incoming = _crack_at(piece, junction, piece_start, piece_offset, cracks)
            # the two lowest-numbered pending pieces
            choice = n_pieces
            second = n_pieces
            for slot in range(4):
                candidate = pending[junction, slot]
                if candidate < 0:
                    continue
                if candidate < choice:
                    second = choice
                    choice = candidate
                elif candidate < second:
                    second = candidate
            if choice == n_pieces:
                raise ValueError("a contour walk reached a junction without pending pieces")
            first = _crack_at(choice, junction, piece_start, piece_offset, cracks)
            # going straight on: the two cracks share a row or a column of the doubled grid
            if first // gw == incoming // gw or first % gw == incoming % gw:
                if second == n_pieces:
                    raise ValueError("a contour walk found no turn at a junction")
                choice = second
            piece = choice
            _take(junction, piece, pending, n_pending)
            _take(_other_end(piece, junction, piece_start, piece_end), piece, pending, n_pending)
            swept_junction[n_swept] = junction
            swept_piece[n_swept] = piece
            position[junction] = n_swept
            n_swept += 1
            next_junction = _other_end(piece, junction, piece_start, piece_end)
    return curve_junction[:n_curves].copy(), curve_offset[: n_curves + 1].copy(), curve_cracks[:n_out].copy()


# --------------------------------------------------------------------------------------------------------------
# 2. Douglas-Peucker (psimpl ``simplify_douglas_peucker``)
# --------------------------------------------------------------------------------------------------------------


@njit(cache=True)
def _segment_distance2(s1x, s1y, s2x, s2y, px, py):
    """Squared distance of point p to the segment s1-s2, with psimpl's float32 projection factor."""
    v0 = s2x - s1x
    v1 = s2y - s1y
    cw = (px - s1x) * v0 + (py - s1y) * v1
    cv = v0 * v0 + v1 * v1
    if cw <= 0:
        d0 = px - s1x
        d1 = py - s1y
    elif cv <= cw:
        d0 = px - s2x
        d1 = py - s2y
    else:
        fraction = np.float64(np.float32(cw) / np.float32(cv))
        d0 = px - (s1x + fraction * v0)
        d1 = py - (s1y + fraction * v1)
    return d0 * d0 + d1 * d1


@njit(cache=True)
def douglas_peucker(points, tol):
    """psimpl ``simplify_douglas_peucker`` of an ``N x 2`` float array: radial-distance reduction (a point closer
    than ``tol`` to the last kept one is dropped), then Douglas-Peucker keys (a point is kept when it is the
    farthest, the last of the farthest on ties, from the chord of its stretch and farther than ``tol``)."""
    n = points.shape[0]
    if n < 3 or tol == 0:
        return points
    tol2 = tol * tol
    keep = np.empty(n, dtype=np.int64)
    m = 1
    keep[0] = 0
    cx = points[0, 0]
    cy = points[0, 1]
    for i in range(1, n - 1):
        dx = points[i, 0] - cx
        dy = points[i, 1] - cy
        if dx * dx + dy * dy < tol2:
            continue
        cx = points[i, 0]
        cy = points[i, 1]
        keep[m] = i
        m += 1
    keep[m] = n - 1
    m += 1
    reduced = np.empty((m, 2))
    for k in range(m):
        reduced[k, 0] = points[keep[k], 0]
        reduced[k, 1] = points[keep[k], 1]
    keys = np.zeros(m, dtype=np.bool_)
    keys[0] = True
    keys[m - 1] = True
    stack = np.empty((m, 2), dtype=np.int64)
    top = 1
    stack[0, 0] = 0
    stack[0, 1] = m - 1
    while top > 0:
        top -= 1
        first = stack[top, 0]
        last = stack[top, 1]
        if last - first < 2:
            continue
        s1x, s1y = reduced[first, 0], reduced[first, 1]
        s2x, s2y = reduced[last, 0], reduced[last, 1]
        best = -1
        best_d2 = -1.0
        for i in range(first + 1, last):
            d2 = _segment_distance2(s1x, s1y, s2x, s2y, reduced[i, 0], reduced[i, 1])
            if d2 >= best_d2:
                best_d2 = d2
                best = i
        if tol2 < best_d2:
            keys[best] = True
            stack[top, 0] = best
            stack[top, 1] = last
            stack[top + 1, 0] = first
            stack[top + 1, 1] = best
            top += 2
    count = 0
    for k in range(m):
        count += keys[k]
    out = np.empty((count, 2))
    j = 0
    for k in range(m):
        if keys[k]:
            out[j, 0] = reduced[k, 0]
            out[j, 1] = reduced[k, 1]
            j += 1
    return out


# --------------------------------------------------------------------------------------------------------------
# 3-4. Resampling, shape-context binning and the chi-squared cost matrix
# --------------------------------------------------------------------------------------------------------------


@njit(cache=True)
def upsample(closed, step):
    """Points of a closed polyline (first point repeated last) with every segment longer than ``step`` cut into
    ``ceil(length / step)`` equal parts; the inserted points are running sums of the increment (as a cumsum)."""
    n = closed.shape[0] - 1
    total = 0
    for s in range(n):
        dx = closed[s + 1, 0] - closed[s, 0]
        dy = closed[s + 1, 1] - closed[s, 1]
        length = np.sqrt(dx * dx + dy * dy)
        total += 1 + (np.int64(np.ceil(length / step)) - 1 if length > step else 0)
    out = np.empty((total, 2))
    k = 0
    for s in range(n):
        x = closed[s, 0]
        y = closed[s, 1]
        out[k, 0] = x
        out[k, 1] = y
        k += 1
        dx = closed[s + 1, 0] - closed[s, 0]
        dy = closed[s + 1, 1] - closed[s, 1]
        length = np.sqrt(dx * dx + dy * dy)
        if length > step:
            n_segments = np.int64(np.ceil(length / step))
            ix = dx / n_segments
            iy = dy / n_segments
            for _ in range(n_segments - 1):
                x = x + ix
                y = y + iy
                out[k, 0] = x
                out[k, 1] = y
                k += 1
    return out


@njit(cache=True)
def pairwise_distances(points):
    """``r[i, j] = sqrt(dx * dx + dy * dy)`` with ``dx = x_j - x_i``, ``dy = y_j - y_i`` (``N x N``)."""
    n = points.shape[0]
    r = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            a = points[j, 0] - points[i, 0]
            b = points[j, 1] - points[i, 1]
            r[i, j] = np.sqrt(a * a + b * b)
    return r


@njit(cache=True)
def pairwise_offsets(points, start, stop):
    """``dx[i - start, j] = x_j - x_i`` and ``dy`` likewise, for the rows i in [start, stop)."""
    n = points.shape[0]
    dx = np.empty((stop - start, n))
    dy = np.empty((stop - start, n))
    for i in range(start, stop):
        for j in range(n):
            dx[i - start, j] = points[j, 0] - points[i, 0]
            dy[i - start, j] = points[j, 1] - points[i, 1]
    return dx, dy


@njit(cache=True)
def shape_context_counts(r, mean_r, theta, edges, n_theta, theta_step, two_pi, counts):
    """Add to ``counts`` (``rows x n_theta * 5``) the histograms of rows of distances ``r`` (normalised here by
    ``mean_r``) and angles ``theta`` (``rows x N``): ring = number of the 5 ``edges`` above r / mean_r (0:
    outside), sector = ``1 + floor(theta' / theta_step)`` capped at ``n_theta``,
    theta' = ``fmod(fmod(theta, 2 pi) + 2 pi, 2 pi)``.

    For the angles of ``arctan2`` (in [-pi, pi]) both ``fmod`` are exact no-ops or one exact subtraction of 2 pi
    (Sterbenz's lemma: x - 2 pi is exact for 2 pi <= x < 4 pi); other angles take the ``fmod`` themselves. The
    loop over a row has no inner loop (the five edges are written out), so that it vectorises."""
    rows, n = theta.shape
    if edges.shape[0] != 5:
        raise ValueError("shape_context_counts is written for 5 rings")
    e0, e1, e2, e3, e4 = edges[0], edges[1], edges[2], edges[3], edges[4]
    plain = True
    for i in range(rows):
        for j in range(n):
            if not (-two_pi < theta[i, j] <= 4.0):  # 4 < 2 pi: theta + 2 pi stays below 4 pi
                plain = False
    bins = np.empty(n, dtype=np.int64)
    for i in range(rows):
        distances = r[i]
        angles = theta[i]
        if plain:
            for j in range(n):
                distance = distances[j] / mean_r
                ring = (np.int64(distance < e0) + np.int64(distance < e1) + np.int64(distance < e2)
                        + np.int64(distance < e3) + np.int64(distance < e4))
                angle = angles[j] + two_pi
                angle = angle - two_pi if angle >= two_pi else angle
                sector = min(1 + np.int64(np.floor(angle / theta_step)), n_theta)
                bins[j] = (sector - 1) + n_theta * (ring - 1) if ring > 0 else -1
        else:
            for j in range(n):
                distance = distances[j] / mean_r
                ring = (np.int64(distance < e0) + np.int64(distance < e1) + np.int64(distance < e2)
                        + np.int64(distance < e3) + np.int64(distance < e4))
                angle = np.fmod(np.fmod(angles[j], two_pi) + two_pi, two_pi)
                sector = min(1 + np.int64(np.floor(angle / theta_step)), n_theta)
                bins[j] = (sector - 1) + n_theta * (ring - 1) if ring > 0 else -1
        row = counts[i]
        for j in range(n):
            if bins[j] >= 0:
                row[bins[j]] += 1


_BLOCK = 4  # columns per block of the cost matrix (2, 4, 8 and 16 tried on this project's CPU: 4 was fastest)


@njit(cache=True)
def chi2_cost(h1, h2):
    """``0.5 * sum_k (a_k - b_k)^2 / (a_k + b_k + eps)`` for every pair of rows of two count matrices, each row
    normalised by ``sum + eps`` (``hist_cost_2.m``); every cell sums its terms over k in increasing order.

    Divisions are what cost time; a term whose a_k or b_k is 0 is the same for a whole row or column, so it is
    computed once: ``b^2 / (b + eps)`` per column when a_k = 0, ``a^2 / (a + eps)`` per row on the stretches of
    columns (``_BLOCK``-aligned) where every b_k is 0. Same operations on the same numbers: same bits."""
    n1, n_bins = h1.shape
    n2 = h2.shape[0]
    n_blocks = (n2 + _BLOCK - 1) // _BLOCK
    width = n_blocks * _BLOCK  # padded with empty histograms, cut off at the end
    a = np.empty((n1, n_bins))
    for p in range(n1):
        total = h1[p].sum() + _EPS
        for k in range(n_bins):
            a[p, k] = h1[p, k] / total
    b = np.zeros((n_bins, width))  # transposed: the inner loops run along the second contour
    for q in range(n2):
        total = h2[q].sum() + _EPS
        for k in range(n_bins):
            b[k, q] = h2[q, k] / total
    empty_first = np.empty((n_bins, width))  # the term when a_k = 0
    for k in range(n_bins):
        for q in range(width):
            d = 0.0 - b[k, q]
            empty_first[k, q] = d * d / (0.0 + b[k, q] + _EPS)
    # Per bin, the block-aligned stretches [start, stop) that hold all its non-zero b_k.
    run_start = np.empty(n_bins * n_blocks, dtype=np.int64)
    run_stop = np.empty(n_bins * n_blocks, dtype=np.int64)
    offset = np.zeros(n_bins + 1, dtype=np.int64)
    m = 0
    for k in range(n_bins):
        for block in range(n_blocks):
            busy = False
            for q in range(block * _BLOCK, block * _BLOCK + _BLOCK):
                busy |= b[k, q] != 0.0
            if not busy:
                continue
            if m > offset[k] and run_stop[m - 1] == block * _BLOCK:
                run_stop[m - 1] += _BLOCK
            else:
                run_start[m] = block * _BLOCK
                run_stop[m] = block * _BLOCK + _BLOCK
                m += 1
        offset[k + 1] = m
    cost = np.zeros((n1, width))
    for p in range(n1):
        row = cost[p]
        for k in range(n_bins):
            x = a[p, k]
            if x == 0.0:
                term = empty_first[k]
                for q in range(width):
                    row[q] += term[q]
                continue
            d = x - 0.0
            empty_second = d * d / (x + 0.0 + _EPS)  # the term when b_k = 0
            bk = b[k]
            done = 0
            for run in range(offset[k], offset[k + 1]):
                for q in range(done, run_start[run]):
                    row[q] += empty_second
                for q in range(run_start[run], run_stop[run]):
                    d = x - bk[q]
                    row[q] += d * d / (x + bk[q] + _EPS)
                done = run_stop[run]
            for q in range(done, width):
                row[q] += empty_second
        for q in range(width):
            row[q] = 0.5 * row[q]
    return cost[:, :n2]


# --------------------------------------------------------------------------------------------------------------
# 5. Monotone matching
# --------------------------------------------------------------------------------------------------------------


@njit(cache=True)
def cheapest_path(cost, shift_i, shift_j):
    """Cheapest monotone path from (0, 0) to (n1-1, n2-1) through ``cost`` rolled by ``(-shift_i, -shift_j)``
    (cell (i, j) costs ``cost[(i + shift_i) % n1, (j + shift_j) % n2]``); each step costs the cell it enters; on
    equal costs the diagonal step wins, then the step along the first contour. Returns the ``K x 2`` cells
    (rolled indices) from the last back to (0, 0).

    Row by row: the diagonal and along-the-first candidates come from the previous row (vectorised); only the
    step along the second contour chains along the row."""
    n1, n2 = cost.shape
    dist = np.empty((n1, n2))
    step = np.empty((n1, n2), dtype=np.int8)
    above = np.empty(n2)  # best of the diagonal and the along-the-first predecessor
    above_step = np.empty(n2, dtype=np.int8)
    entered = np.empty(n2)  # this row's costs
    for i in range(n1):
        ci = i + shift_i
        if ci >= n1:
            ci -= n1
        row = cost[ci]
        split = n2 - shift_j
        for j in range(split):
            entered[j] = row[j + shift_j]
        for j in range(split, n2):
            entered[j] = row[j - split]
        if i == 0:
            dist[0, 0] = 0.0
            step[0, 0] = DIAGONAL
            left = 0.0
            for j in range(1, n2):
                left = left + entered[j]
                dist[0, j] = left
                step[0, j] = ALONG_SECOND
            continue
        above[0] = dist[i - 1, 0]
        above_step[0] = ALONG_FIRST
        for j in range(1, n2):
            diagonal = dist[i - 1, j - 1]
            first = dist[i - 1, j]
            better = first < diagonal
            above[j] = first if better else diagonal
            above_step[j] = ALONG_FIRST if better else DIAGONAL
        left = above[0] + entered[0]
        dist[i, 0] = left
        step[i, 0] = ALONG_FIRST
        for j in range(1, n2):
            take = left < above[j]
            left = (left if take else above[j]) + entered[j]
            dist[i, j] = left
            step[i, j] = ALONG_SECOND if take else above_step[j]
    path = np.empty((n1 + n2 - 1, 2), dtype=np.int64)
    k = 0
    i = n1 - 1
    j = n2 - 1
    while True:
        path[k, 0] = i
        path[k, 1] = j
        k += 1
        if i == 0 and j == 0:
            break
        move = step[i, j]
        if move == DIAGONAL:
            i -= 1
            j -= 1
        elif move == ALONG_FIRST:
            i -= 1
        else:
            j -= 1
    return path[:k].copy()
