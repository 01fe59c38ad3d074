"""The traditional baselines (flow, superpixel, BVS): their building blocks, and their behaviour on synthetic video."""

from __future__ import annotations

import numpy as np
import pytest

from plmlib.baselines import bvs
from plmlib.baselines.superpixel import ColourModel, adjacency
from plmlib.core.methods import create_segmenter
from plmlib.core.segmenter import segment_video
from plmlib.data import make_video

BASELINES = ("flow", "superpixel", "bvs")


def iou(a, b):
    a, b = a > 0, b > 0
    union = (a | b).sum()
    return 1.0 if union == 0 else (a & b).sum() / union


# ---------------------------------------------------------------------------------------------
# Behaviour on synthetic video
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moving():
    return make_video("translate", n_frames=10, seed=3)


@pytest.mark.parametrize("method", BASELINES)
def test_a_static_object_is_kept(method):
    video = make_video("translate", n_frames=1, seed=1)
    masks = list(segment_video(create_segmenter(method), [video.frames[0]] * 6, video.first_mask))
    assert all(iou(m, video.first_mask) > 0.95 for m in masks)


@pytest.mark.parametrize("method", BASELINES)
def test_a_moving_object_is_followed(method, moving):
    masks = list(segment_video(create_segmenter(method), moving.frames, moving.first_mask))
    followed = [iou(m, gt) for m, gt in zip(masks, moving.masks)]
    static = [iou(moving.first_mask, gt) for gt in moving.masks]
    assert static[-1] < 0.6, "the test video should move its object well away from where it started"
    # Flow propagation loses a little of the object's outline every frame (it drifts, even here).
    assert np.mean(followed[1:]) > 0.6 and followed[-1] > static[-1] + 0.4


def test_bvs_segments_a_clearly_separable_object(moving):
    masks = list(segment_video(create_segmenter("bvs"), moving.frames, moving.first_mask))
    assert np.mean([iou(m, gt) for m, gt in zip(masks[1:], moving.masks[1:])]) > 0.9


@pytest.mark.parametrize("method", ("superpixel", "bvs"))
def test_probabilities_are_a_distribution_over_labels(method, moving):
    segmenter = create_segmenter(method)
    segmenter.start(moving.frames[0], moving.first_mask)
    mask = segmenter.step(moving.frames[1])
    p = segmenter.probabilities
    assert p.shape == (2, *mask.shape) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(0), 1.0, atol=1e-4)
    assert np.mean((p.argmax(0) > 0) == (mask > 0)) > 0.99


def test_bvs_keeps_only_its_temporal_window(moving):
    segmenter = create_segmenter("bvs", temporal_spacing=1.0)
    list(segment_video(segmenter, moving.frames, moving.first_mask))
    assert sorted(segmenter.slices) == [5, 6, 7, 8, 9]  # five temporal vertices, one frame apart


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="grid_size"):
        create_segmenter("bvs", grid_size=(35, 20, 20, 20, 20))
    with pytest.raises(ValueError, match="DIS preset"):
        create_segmenter("superpixel", preset="slow")


# ---------------------------------------------------------------------------------------------
# BVS building blocks
# ---------------------------------------------------------------------------------------------


def test_multilinear_weights_interpolate_exactly():
    rng = np.random.default_rng(0)
    grid = (4, 3, 5)
    points = rng.uniform(0, np.array(grid) - 1, (50, 3)).astype(np.float32)
    index, weight = bvs.multilinear_corners(points, grid)
    assert index.shape == weight.shape == (50, 8)
    np.testing.assert_allclose(weight.sum(1), 1.0, atol=1e-6)
    # Slicing a linear function of the vertex coordinates gives back its value at the point.
    coords = np.stack(np.unravel_index(np.arange(np.prod(grid)), grid, order="F"), axis=1)
    values = coords @ np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose((values[index] * weight).sum(1), points @ np.array([1.0, -2.0, 0.5]), atol=1e-4)


def test_splat_accumulates_occupancy_and_label_masses():
    points = np.array([[0.5, 0.0], [1.0, 1.0]], np.float32)
    index, weight = bvs.multilinear_corners(points, (3, 2))  # vertex (i, j) has index i + 3 j
    np.testing.assert_allclose(bvs.splat(index, weight, 6), [0.5, 0.5, 0, 0, 1.0, 0])
    np.testing.assert_allclose(bvs.splat(index, weight, 6, np.array([False, True])), [0, 0, 0, 0, 1.0, 0])


def test_grid_edges_join_occupied_neighbours_only():
    grid = (3, 2)  # index = i + 3 j
    vertices = np.array([0, 1, 2, 4])
    edges = {axis: set(zip(vertices[i].tolist(), vertices[j].tolist())) for axis, i, j in bvs.grid_edges(vertices, grid)}
    assert edges[0] == {(0, 1), (1, 2)}  # (2 -> 3) would leave the row; 3 and 5 are empty
    assert edges[1] == {(1, 4)}


def test_graph_cut_follows_the_seeds_and_cuts_the_weakest_edge():
    # A chain of five vertices, object seed at one end, background seed at the other; the weakest link is 2-3.
    occupancy = np.array([1.0, 1.0, 1.0, 0.2, 1.0])
    costs = np.array([[1e3, 0, 0, 0, 0], [0, 0, 0, 0, 1e3]], float)  # background cost, object cost
    edges = [(0, np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4]))]
    labels = bvs.graph_cut(occupancy, costs, edges, (1.0,), 1.0, 0.0)
    assert labels.tolist() == [1, 1, 1, 0, 0]


def test_occupied_vertices_stack_temporal_slices():
    slices = [np.array([1.0, 0.0, 3.0], np.float32), None, np.array([0.5, 2.0, 0.0], np.float32)]
    vertices, occupancy = bvs.occupied_vertices(slices, min_occupancy=0.0)
    assert vertices.tolist() == [0, 2, 6, 7]  # slice r starts at r * 3
    np.testing.assert_allclose(occupancy, [1.0, 3.0, 0.5, 2.0])
    assert bvs.occupied_vertices(slices, min_occupancy=1.0)[0].tolist() == [0, 2, 7]


# ---------------------------------------------------------------------------------------------
# Superpixel building blocks
# ---------------------------------------------------------------------------------------------


def test_adjacency_counts_shared_boundaries():
    superpixels = np.array([[0, 0, 1], [2, 2, 1]])
    matrix = adjacency(superpixels, 3).toarray()
    np.testing.assert_array_equal(matrix, matrix.T)
    assert matrix[0, 1] == 1 and matrix[0, 2] == 2 and matrix[1, 2] == 1


def test_colour_model_prefers_the_label_of_a_colour():
    lab = np.zeros((20, 20, 3), np.uint8)
    lab[:10] = (200, 50, 50)
    lab[10:] = (20, 200, 200)
    model = ColourModel(lab, (np.arange(20) < 10)[:, None].repeat(20, 1).astype(int), n_labels=2)
    posterior = np.exp(model.log_posterior(lab))
    assert posterior[0, 1] > 0.95 and posterior[-1, 0] > 0.95


# ---------------------------------------------------------------------------------------------
# The drift figure and the comparison table read results
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def fake_results(tmp_path):
    for k, method in enumerate(("flow", "superpixel", "bvs", "plm")):  # the drift figure's ours (DRIFT_OURS)
        folder = tmp_path / method
        folder.mkdir()
        frames = "\n".join(f"drift-chicane,{i:05d},{0.9 - 0.01 * i * (k + 1):.3f},0.5" for i in range(1, 51))
        (folder / "per_frame_results.csv").write_text("Sequence,Frame,J,F\n" + frames + "\n")
        (folder / "per_sequence_results.csv").write_text(f"Sequence,J-Mean,F-Mean,T\ndrift-chicane,0.{k + 1}00,0.500,0.2\n")
    return tmp_path


def test_drift_figure_draws_ours_and_the_published_curves(fake_results, tmp_path):
    from plmlib.viz.drift import drift_figure, save_drift_figure

    figure = drift_figure("drift-chicane", results=fake_results)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert len(labels) == 7 and labels[0].startswith("ours: optical flow") and labels[3].startswith("ours: PLM")
    assert labels[4].startswith("published: BVS")
    assert save_drift_figure("drift-chicane", out=tmp_path / "d.png", results=fake_results).stat().st_size > 10_000


def test_comparison_table_puts_ours_beside_the_paper(fake_results):
    from plmlib.viz.drift import comparison_table

    table = comparison_table(fake_results).set_index(["sequence", "measure"])
    assert table.loc[("drift-chicane", "J"), "bvs"] == pytest.approx(0.3)
    assert table.loc[("drift-chicane", "J"), "BVS"] == pytest.approx(0.03)  # the paper's table, as printed
    assert table.loc[("drift-chicane", "J"), "BVS_leaderboard"] == pytest.approx(0.03, abs=0.01)
    assert len(table) == 42  # 20 sequences and the average, J and F
