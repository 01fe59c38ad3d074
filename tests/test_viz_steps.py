"""plmlib.viz.steps and plmlib.viz.training: the figures of notebooks 02, 04 and 05 (drawing only; fast, no training)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from plmlib.infer import BoxTracker, Matcher, WeightedMedianConfig, restore_and_stack, threshold  # noqa: E402
from plmlib.model import build_model  # noqa: E402
from plmlib.viz.steps import (j_per_frame_figure, responses_figure, stacking_figure, trace_step,  # noqa: E402
                              windows_figure)
from plmlib.viz.training import fit_figure, loss_figure, pairs_figure  # noqa: E402


@pytest.fixture(scope="module")
def scene():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (72, 120, 3), dtype=np.uint8)
    mask = np.zeros((72, 120), np.uint8)
    mask[20:45, 40:70] = 1
    torch.manual_seed(0)
    net = build_model("small", pretrained=False)
    matcher = Matcher(net)
    matcher.set_query(frame, mask)
    return frame, mask, matcher, BoxTracker(mask)


def test_trace_step_matches_the_library_steps(scene):
    frame, mask, matcher, tracker = scene
    windows = tracker.windows()
    trace = trace_step(matcher, frame, windows)
    n, size = len(windows), matcher.size
    assert trace["search"].shape == (n, size, size, 3) and trace["search"].dtype == np.uint8
    assert trace["responses"].shape == (n, size, size)
    assert trace["restored"].shape == (n, *frame.shape[:2])
    np.testing.assert_allclose(trace["stacked"], restore_and_stack(matcher.responses(frame, windows), windows,
                                                                   frame.shape[:2]), atol=1e-6)
    np.testing.assert_array_equal(trace["mask"], threshold(trace["stacked"]))
    assert trace["filtered"] is None
    filtered = trace_step(matcher, frame, windows, postprocess=WeightedMedianConfig(radius=3))
    assert filtered["filtered"].shape == frame.shape[:2]
    np.testing.assert_array_equal(filtered["mask"], threshold(filtered["filtered"]))


def test_step_figures_draw(scene):
    frame, mask, matcher, tracker = scene
    windows = tracker.windows()
    trace = trace_step(matcher, frame, windows, postprocess=True)
    figures = [windows_figure(frame, windows, tracker.box, previous_mask=mask),
               responses_figure(trace, query=frame[:32, :32]), responses_figure(trace),
               stacking_figure(frame, trace, truth=mask),
               j_per_frame_figure({"a": [1.0, 0.5, 0.25], "b": [1.0, 0.9, 0.8]}, title="t"),
               j_per_frame_figure({"a": [1.0, 0.5, 0.25]}, means={"a": 0.5})]
    assert len(figures[3].axes) == len(windows) + 4  # restored maps, stacked, filtered, mask, colour bar
    mask_panel = figures[3].axes[len(windows) + 2]
    assert mask_panel.get_title() == f"(h) threshold {trace['level']:g} vs truth"
    assert [t.get_text() for t in mask_panel.get_legend().get_texts()] == ["found", "false alarm", "missed"]
    legend = [t.get_text() for t in figures[4].axes[0].get_legend().get_texts()]
    assert legend == ["a (mean 0.38)", "b (mean 0.85)"]  # frame 0 left out of the mean
    assert figures[5].axes[0].get_legend().get_texts()[0].get_text() == "a (mean 0.50)"  # the caller's mean
    for figure in figures:
        plt.close(figure)


def test_training_figures_draw(tmp_path):
    item = {"query": torch.rand(3, 16, 16), "query_mask": torch.ones(1, 16, 16), "search": torch.rand(3, 16, 16),
            "target": torch.zeros(16, 16, dtype=torch.int64), "query_frame": 0, "search_frame": 3}
    item["query_mask"][0, :4] = 0
    csv = tmp_path / "loss.csv"
    pd.DataFrame({"step": range(1, 31), "loss": np.linspace(0.7, 0.1, 30), "lr": 1e-3,
                  "elapsed_s": range(30)}).to_csv(csv, index=False)
    fit = pd.DataFrame({"sequence": ["a", "a", "b"], "frame": [0, 5, 0], "J_before": [0.2, 0.3, 0.5],
                        "J_after": [0.8, 0.6, 0.7]})
    figures = [pairs_figure([item, item]), loss_figure({"run": csv}, smooth=5, marks=[10]), fit_figure(fit)]
    assert len(figures[0].axes) == 6 and len(figures[2].axes) == 2
    for figure in figures:
        plt.close(figure)


def test_probe_figure_labels_rows_and_columns(scene):
    from plmlib.viz.steps import probe_figure
    from plmlib.widgets.matching import MatchingProbe

    frame, mask, matcher, _ = scene
    probe = MatchingProbe(frame, mask, matcher=matcher)
    figure = probe_figure({"on the object": probe.probe(frame, 55, 30, 3), "background": probe.probe(frame, 5, 5, 3)})
    assert [a.get_title() for a in figure.axes[:3]] == ["query (first frame, background suppressed)", "search window",
                                                        "response over the window"]
    assert figure.axes[3].get_ylabel() == "background\nframe 3, pixel (5, 5)"
    assert figure.axes[-1].get_ylabel() == "foreground probability"  # the colour bar
    plt.close(figure)
