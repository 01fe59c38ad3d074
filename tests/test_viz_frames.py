"""The course's pictures of masks against the truth (plmlib.io.error_overlay, plmlib.viz.frames), the stage figure of
notebook 03 and the drift figure of notebook 02: drawing only, fast."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from plmlib.io import ERROR_COLOURS, error_overlay  # noqa: E402
from plmlib.viz.frames import frame_strip, zoom_window  # noqa: E402


@pytest.fixture()
def scene():
    frame = np.full((60, 100, 3), 128, np.uint8)
    truth = np.zeros((60, 100), np.uint8)
    truth[20:30, 40:50] = 1
    pred = np.zeros_like(truth)
    pred[20:30, 45:55] = 1
    return frame, truth, pred


def test_error_overlay_colours_found_false_alarm_and_missed(scene):
    frame, truth, pred = scene
    out = error_overlay(frame, pred, truth, alpha=1.0)
    assert tuple(out[25, 47]) == ERROR_COLOURS["true_positive"]
    assert tuple(out[25, 52]) == ERROR_COLOURS["false_positive"]
    assert tuple(out[25, 42]) == ERROR_COLOURS["missed"]
    assert tuple(out[5, 5]) == (128, 128, 128)


def test_zoom_window_covers_the_masks_with_the_frames_aspect(scene):
    _, truth, pred = scene
    rows, cols = zoom_window([truth, pred, None], truth.shape)
    assert rows.start <= 20 and rows.stop >= 30 and cols.start <= 40 and cols.stop >= 55
    assert 0 <= rows.start and rows.stop <= 60 and 0 <= cols.start and cols.stop <= 100
    height, width = rows.stop - rows.start, cols.stop - cols.start
    assert abs(width / height - 100 / 60) < 0.1
    assert zoom_window([np.zeros_like(truth)], truth.shape) == (slice(0, 60), slice(0, 100))


def test_frame_strip_judges_each_row_against_the_truth(scene):
    frame, truth, pred = scene
    frames, truths, preds = [frame] * 3, [truth] * 3, [pred] * 3
    figure = frame_strip(frames, indices=[0, 2], rows={"ground truth": truths, "method": preds}, truth=truths,
                         zoom=True, title="t")
    axes = np.asarray(figure.axes).reshape(2, 2)
    shown = axes[1, 0].get_images()[0].get_array()
    assert shown.shape[0] < 60  # zoomed in
    colours = {tuple(int(v) for v in p) for p in np.asarray(shown).reshape(-1, 3)}
    assert len(colours) >= 4  # grey frame, found, false alarm, missed
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["found", "false alarm", "missed"]
    plt.close(figure)


def test_stages_figure_with_the_truth_draws_the_thresholded_probability():
    from plmlib.model import build_model
    from plmlib.viz.network import stages_figure

    torch.manual_seed(0)
    model = build_model("small", pretrained=False).eval()
    size = model.config.crop_size
    query, search = torch.rand(1, 3, size, size), torch.rand(1, 3, size, size)
    mask = torch.zeros(1, 1, size, size)
    mask[..., size // 4: size // 2, size // 4: size // 2] = 1
    with torch.no_grad():
        trace = model.trace(query, mask, search)
    figure = stages_figure(trace, query, mask, search, truth=mask[0, 0].numpy(), level=0.5, title="stages")
    titles = [a.get_title() for a in figure.axes]
    assert "decoded: P(foreground)" in titles and "P >= 0.5 vs truth" in titles
    assert not any("logits" in t for t in titles)
    plt.close(figure)


def test_drift_figure_draws_our_plm_and_keeps_the_legend_off_the_curves():
    from plmlib.viz.drift import drift_figure

    figure = drift_figure("drift-chicane")
    axes = figure.axes[0]
    labels = [line.get_label() for line in axes.get_lines()]
    assert any(label.startswith("ours: PLM (") for label in labels), labels
    anchor = axes.get_legend().get_bbox_to_anchor().transformed(axes.transAxes.inverted())
    assert anchor.x0 >= 1.0  # beside the axes
