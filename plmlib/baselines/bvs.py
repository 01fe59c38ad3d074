"""Bilateral-space video segmentation (BVS), after Maerki et al., "Bilateral Space Video Segmentation", CVPR 2016.

The PLM paper's strongest hand-crafted baseline (DAVIS 2016 val: J 0.600, F 0.588; 0.37 s per frame).
The method has four steps (the paper's Sec. 3), each a function below:

1. **lift**: every pixel becomes a point in a 6-D bilateral space, its YUV colour, its position (x, y)
   and its time t;
2. **splat**: the points are accumulated on the vertices of a regular grid over that space with
   multilinear weights: per vertex, the pixel occupancy S_v and, from the annotated frame, the
   mass of each label;
3. **graph cut**: one binary label per *occupied* vertex minimises unary costs (the splatted labels
   of the other class, times ``unary_weight``) plus pairwise costs between grid neighbours along each
   of the six axes (``dimension weight x S_v x S_w``, at least ``min_edge_weight``), solved exactly
   with a max-flow (Boykov-Kolmogorov, PyMaxflow);
4. **slice**: each pixel reads the labels of its grid vertices back with the same multilinear weights;
   the object is where that score exceeds ``threshold``.

The default grid (35 Y x 20 U x 20 V x 20 x x 20 y x 5 t vertices) and weights (unary 1e5, pairwise 1,
colour 0.03, spatial 0.3, temporal 1e5, minimum edge weight 0.01) are those of the BVS authors'
public MATLAB re-implementation (Wang; demo.m and graphcut.m). Colour, x and y are scaled so that the
grid spans the data, as there.

**Streaming (our choice).** The paper splats the whole video, scales time so that the five temporal
vertices span it, solves once and slices every frame: an offline method. Our interface is causal
(``step(frame) -> mask`` at once), so each step solves BVS on a sliding window of the video so far:
temporal vertices lie ``temporal_spacing`` frames apart (17 by default: the paper's five vertices over
DAVIS 2016's mean length of 69 frames), and the grid holds the last five of them, the newest touching
the current frame. Each frame is lifted and splatted once, into the dense (Y, U, V, x, y) occupancy
of its two temporal vertices, so memory is bounded by the grid (six slices of 5.6 M vertices) and a
step costs one splat, one graph cut and one slice, whatever the video's length. Only the first frame
carries labels, as in the paper (predictions are never fed back); once its vertex leaves the window,
it is kept on the window's first vertex. The trade-off: zero latency and bounded cost, but a frame
never benefits from later frames (the offline solution does), frames older than four temporal
vertices are forgotten, and each step repeats a graph cut over the window.
"""

from __future__ import annotations

import cv2
import maxflow  # PyMaxflow: Boykov-Kolmogorov max-flow
import numpy as np

from plmlib.core.segmenter import VideoSegmenter

GRID_SIZE = (35, 20, 20, 20, 20, 5)  # vertices along Y, U, V, x, y, t (Wang's re-implementation of BVS)
REFERENCE_PIXELS = 854 * 480  # occupancies are counted in pixels of a DAVIS 480p frame (our choice)


# ---------------------------------------------------------------------------------------------
# 1. Lift
# ---------------------------------------------------------------------------------------------


def colour_bounds(frame: np.ndarray, margin: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """The YUV range the grid spans: the first frame's min..max per channel, widened by ``margin`` (our choice)."""
    yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV).reshape(-1, 3).astype(np.float32)
    low, high = yuv.min(0), yuv.max(0)
    pad = margin * np.maximum(high - low, 1.0)
    return low - pad, high + pad


def lift(frame: np.ndarray, low: np.ndarray, high: np.ndarray, grid_size=GRID_SIZE) -> np.ndarray:
    """Pixels -> points in grid coordinates (Y, U, V, x, y), ``N x 5`` float32, vertex i at coordinate i.

    Colours outside ``low..high`` are clipped to the grid's border. Time is added when splatting.
    """
    height, width = frame.shape[:2]
    yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV).reshape(-1, 3).astype(np.float32)
    colour = (yuv - low) / (high - low) * (np.array(grid_size[:3], np.float32) - 1)
    colour = np.clip(colour, 0, np.array(grid_size[:3], np.float32) - 1)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    x = xx.reshape(-1) * (grid_size[3] - 1) / max(width - 1, 1)
    y = yy.reshape(-1) * (grid_size[4] - 1) / max(height - 1, 1)
    return np.column_stack([colour, x, y]).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# 2. Splat (and its transpose, 4. slice)
# ---------------------------------------------------------------------------------------------


def grid_strides(grid_size) -> np.ndarray:
    """Flat-index strides, first axis fastest: vertex (i0, i1, ...) has index sum(i_d * stride_d).

    With time last, a 6-D index is ``t_vertex * n_space + (Y, U, V, x, y) index``.
    """
    return np.cumprod((1,) + tuple(grid_size[:-1])).astype(np.int64)


def multilinear_corners(points: np.ndarray, grid_size) -> tuple[np.ndarray, np.ndarray]:
    """The 2^D grid vertices around each point and their multilinear weights: ``(N x 2^D)`` flat indices and weights.

    Splatting adds each point's value to its corners with these weights; slicing reads the corners back
    with the same weights (Maerki et al., Sec. 3.2 and 3.4, multilinear interpolation).
    """
    size = np.array(grid_size, np.int64)
    base = np.clip(np.floor(points).astype(np.int64), 0, size - 2)
    frac = np.clip(points - base, 0.0, 1.0).astype(np.float32)
    strides = grid_strides(grid_size)
    dtype = np.int32 if np.prod(size) < 2**31 else np.int64
    index = np.zeros((len(points), 1), dtype)
    weight = np.ones((len(points), 1), np.float32)
    for d in range(points.shape[1]):  # each axis doubles the corners: its floor side and its ceiling side
        sides = (np.stack([base[:, d], base[:, d] + 1], axis=1) * strides[d]).astype(dtype)
        side_weights = np.stack([1 - frac[:, d], frac[:, d]], axis=1)
        index = (index[:, :, None] + sides[:, None, :]).reshape(len(points), -1)
        weight = (weight[:, :, None] * side_weights[:, None, :]).reshape(len(points), -1)
    return index, weight


def splat(index: np.ndarray, weight: np.ndarray, n_space: int, values: np.ndarray | None = None) -> np.ndarray:
    """Accumulate per-pixel ``values`` (default 1: the occupancy) on the grid vertices: a dense float32 array.

    ``index``, ``weight``: the pixels' corners from :func:`multilinear_corners` (Maerki et al., Sec. 3.2).
    """
    contributions = weight if values is None else weight * values.reshape(-1, 1)
    return np.bincount(index.reshape(-1), contributions.reshape(-1), minlength=n_space).astype(np.float32)


def occupied_vertices(slices: list[np.ndarray | None], min_occupancy: float) -> tuple[np.ndarray, np.ndarray]:
    """The occupied vertices of a stack of temporal slices: sorted 6-D flat indices and their occupancy S_v.

    Slice r holds the (Y, U, V, x, y) occupancy of temporal vertex r, so a 6-D index is
    ``r * n_space + index`` (time is the slowest axis). ``None`` is an empty slice.
    """
    vertices, occupancy = [], []
    for r, occ in enumerate(slices):
        if occ is None:
            continue
        found = np.flatnonzero(occ >= min_occupancy) if min_occupancy > 0 else np.flatnonzero(occ)
        vertices.append(found + r * len(occ))
        occupancy.append(occ[found])
    return np.concatenate(vertices), np.concatenate(occupancy).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# 3. Graph cut on the occupied vertices
# ---------------------------------------------------------------------------------------------


def grid_edges(vertices: np.ndarray, grid_size) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Pairs of occupied vertices that are neighbours along each axis: ``[(axis, i, j), ...]`` (positions in ``vertices``)."""
    strides = grid_strides(grid_size)
    edges = []
    for axis, (stride, size) in enumerate(zip(strides, grid_size)):
        has_next = (vertices // stride) % size < size - 1
        candidates = np.flatnonzero(has_next)
        neighbour = vertices[candidates] + stride
        position = np.searchsorted(vertices, neighbour)
        position = np.minimum(position, len(vertices) - 1)
        found = vertices[position] == neighbour
        edges.append((axis, candidates[found], position[found]))
    return edges


def graph_cut(occupancy: np.ndarray, costs: np.ndarray, edges, dimension_weights, pairwise_weight: float, min_edge_weight: float) -> np.ndarray:
    """Binary labels of the occupied vertices minimising sum unary + sum pairwise (Maerki et al., Sec. 3.3).

    ``costs``: ``2 x n``, the cost of labelling each vertex background (row 0) or object (row 1).
    The pairwise cost of cutting the edge (v, w) along an axis is
    ``pairwise_weight * dimension_weight * S_v * S_w``, at least ``min_edge_weight``.
    """
    graph = maxflow.Graph[float]()
    nodes = graph.add_nodes(len(occupancy))
    # A node left on the sink side is "object": it pays its source capacity, i.e. the cost of the object label.
    graph.add_grid_tedges(nodes, costs[1], costs[0])
    for axis, i, j in edges:
        if dimension_weights[axis] == 0 or len(i) == 0:
            continue
        w = np.maximum(pairwise_weight * dimension_weights[axis] * occupancy[i] * occupancy[j], min_edge_weight)
        graph.add_edges(nodes[i], nodes[j], w, w)
    graph.maxflow()
    return graph.get_grid_segments(nodes).astype(np.float32)  # True (sink side) = object


# ---------------------------------------------------------------------------------------------
# The segmenter
# ---------------------------------------------------------------------------------------------


class BilateralSpaceSegmentation(VideoSegmenter):
    """BVS (Maerki et al., CVPR 2016), solved causally on a sliding temporal window; see the module's docstring.

    ``grid_size``: vertices along (Y, U, V, x, y, t). ``unary_weight``, ``pairwise_weight``,
    ``colour_weight``, ``spatial_weight``, ``temporal_weight``, ``min_edge_weight``: the energy's weights
    (per-axis weights are colour for Y, U, V; spatial for x, y; temporal for t).
    Our choices: ``temporal_spacing``, frames between temporal vertices; ``min_occupancy``, vertices with
    less occupancy (in 480p pixels) are left out of the graph cut; ``threshold``, the sliced object score
    above which a pixel is the object; ``processing_pixels``, larger frames are lifted, splatted and sliced
    at this many pixels (half of 854x480 by default: the grid's cells are tens of pixels wide) and their
    scores resized back.
    Several objects: one object-vs-rest cut each, the highest score wins.
    """

    name = "bvs"

    def __init__(
        self,
        grid_size: tuple[int, ...] = GRID_SIZE,
        unary_weight: float = 1e5, pairwise_weight: float = 1.0,  # the energy's two terms (Wang)
        colour_weight: float = 0.03, spatial_weight: float = 0.3, temporal_weight: float = 1e5,  # per axis (Wang)
        min_edge_weight: float = 0.01,  # (Wang)
        temporal_spacing: float = 17.0, min_occupancy: float = 2.0, threshold: float = 0.5,  # our choices
        processing_pixels: int = 427 * 240,  # our choice
    ):
        super().__init__()
        if len(grid_size) != 6 or min(grid_size) < 2:
            raise ValueError(f"grid_size must be 6 vertex counts (Y, U, V, x, y, t), each >= 2; got {grid_size}")
        if temporal_spacing <= 0:
            raise ValueError(f"temporal_spacing must be positive (frames per temporal vertex), got {temporal_spacing}")
        self.grid_size = tuple(int(g) for g in grid_size)
        self.n_space, self.n_times = int(np.prod(self.grid_size[:5])), self.grid_size[5]
        self.unary_weight, self.pairwise_weight, self.min_edge_weight = unary_weight, pairwise_weight, min_edge_weight
        self.dimension_weights = (colour_weight,) * 3 + (spatial_weight,) * 2 + (temporal_weight,)
        self.temporal_spacing, self.min_occupancy, self.threshold = temporal_spacing, min_occupancy, threshold
        self.processing_pixels = processing_pixels

    def _lift_and_splat(self, frame: np.ndarray):
        """1. lift and 2. splat one frame (at the processing size, returned): corners, weights, dense occupancy."""
        frame = self._resize(frame)
        points = lift(frame, self.low, self.high, self.grid_size)
        index, weight = multilinear_corners(points, self.grid_size[:5])
        weight *= REFERENCE_PIXELS / (frame.shape[0] * frame.shape[1])  # occupancy in 480p pixels
        return index, weight, splat(index, weight, self.n_space), frame.shape[:2]

    def _resize(self, image: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        """Down to at most ``processing_pixels`` pixels, or back up to ``size`` (width, height)."""
        if size is None:
            scale = np.sqrt(self.processing_pixels / (image.shape[0] * image.shape[1]))
            if scale >= 1:
                return image
            size = (max(2, round(image.shape[1] * scale)), max(2, round(image.shape[0] * scale)))
            return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return image if image.shape[1::-1] == size else cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)

    def _add_to_slices(self, occupancy: np.ndarray) -> tuple[int, float]:
        """Spread a frame's occupancy on its two temporal vertices; returns the lower one and the weight of the upper."""
        position = self.frame_index / self.temporal_spacing
        lower = int(np.floor(position))
        upper_weight = position - lower
        for vertex, w in ((lower, 1 - upper_weight), (lower + 1, upper_weight)):
            if w > 1e-6:
                self.slices[vertex] = self.slices.get(vertex, 0) + w * occupancy
        return lower, upper_weight

    def _start(self, frame: np.ndarray, mask: np.ndarray) -> None:
        self.low, self.high = colour_bounds(frame)
        self.labels = np.array([0] + self.ids, dtype=np.uint8)
        index, weight, occupancy, (height, width) = self._lift_and_splat(frame)
        label_index = cv2.resize(np.searchsorted(self.labels, mask).astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
        self.slices: dict[int, np.ndarray] = {}  # temporal vertex -> (Y, U, V, x, y) occupancy, dense
        self._add_to_slices(occupancy)
        self.first_vertices = np.flatnonzero(occupancy)  # the annotated frame, kept for the whole video
        self.first_occupancy = occupancy[self.first_vertices]
        self.first_masses = np.stack(
            [splat(index, weight, self.n_space, label_index == k)[self.first_vertices] for k in range(len(self.labels))]
        )
        self.probabilities = (mask[None] == self.labels[:, None, None]).astype(np.float32)

    def _step(self, frame: np.ndarray) -> np.ndarray:
        index, weight, occupancy, small = self._lift_and_splat(frame)
        lower, upper_weight = self._add_to_slices(occupancy)
        # The window: the last n_times temporal vertices, up to the current frame's upper vertex.
        newest = lower + (upper_weight > 1e-6)
        oldest = max(0, newest - self.n_times + 1)
        for vertex in [v for v in self.slices if v < oldest]:
            del self.slices[vertex]
        window = [self.slices.get(v) for v in range(oldest, oldest + self.n_times)]
        if oldest > 0:  # the annotated frame has left the window: it stays, on the window's first vertex (our choice)
            window[0] = np.zeros(self.n_space, np.float32) if window[0] is None else window[0].copy()
            window[0][self.first_vertices] += self.first_occupancy
        vertices, occ = occupied_vertices(window, self.min_occupancy)
        first_at = np.searchsorted(vertices, self.first_vertices)  # the annotated frame lies on the first slice
        first_at = np.minimum(first_at, len(vertices) - 1)
        found = vertices[first_at] == self.first_vertices
        masses = np.zeros((len(self.labels), len(vertices)))
        masses[:, first_at[found]] = self.first_masses[:, found]
        edges = grid_edges(vertices, self.grid_size)

        scores = []
        for k in range(1, len(self.labels)):
            others = masses.sum(0) - masses[k]
            costs = self.unary_weight * np.stack([masses[k], others])  # background costs the object's mass, and so on
            vertex_labels = graph_cut(occ, costs, edges, self.dimension_weights, self.pairwise_weight, self.min_edge_weight)
            score, kept = self._slice(vertices, vertex_labels, lower - oldest, index, weight)
            if upper_weight > 1e-6:
                upper_score, upper_kept = self._slice(vertices, vertex_labels, lower + 1 - oldest, index, weight)
                score = (1 - upper_weight) * score + upper_weight * upper_score
                kept = (1 - upper_weight) * kept + upper_weight * upper_kept
            scores.append(score / np.maximum(kept, 1e-6))  # slicing weights renormalised over the kept vertices
        scores = np.stack([self._resize(score.reshape(small), frame.shape[1::-1]) for score in scores])
        best = scores.argmax(0)
        mask = np.where(scores.max(0) > self.threshold, self.labels[1:][best], 0).astype(np.uint8)
        background = np.clip(1 - scores.max(0, keepdims=True), 0, 1)
        probabilities = np.concatenate([background, scores]).astype(np.float32)
        self.probabilities = probabilities / np.maximum(probabilities.sum(0, keepdims=True), 1e-6)
        return mask

    def _slice(self, vertices, vertex_labels, r: int, index, weight) -> tuple[np.ndarray, np.ndarray]:
        """4. slice: per pixel, the weighted sum of its corners' labels on temporal slice ``r``, and of their weights."""
        start = np.searchsorted(vertices, [r * self.n_space, (r + 1) * self.n_space])
        lookup = np.zeros(self.n_space, np.float32)
        lookup[vertices[start[0] : start[1]] - r * self.n_space] = 1.0
        kept = np.einsum("ij,ij->i", lookup[index], weight)
        lookup[vertices[start[0] : start[1]] - r * self.n_space] = vertex_labels[start[0] : start[1]]
        return np.einsum("ij,ij->i", lookup[index], weight), kept
