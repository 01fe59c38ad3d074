"""plmlib.viz.ablation and the region colours of plmlib.viz.metrics: the figures of notebooks 05 and 06."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from plmlib.viz.ablation import differences, per_video_differences  # noqa: E402
from plmlib.viz.frames import frame_strip  # noqa: E402
from plmlib.io import ERROR_COLOURS, ERROR_LABELS, error_overlay  # noqa: E402
from plmlib.viz.metrics import region_picture  # noqa: E402

TABLE = pd.DataFrame({"variant": ["plm", "plm_u", "plm_p"] * 2, "video": ["a"] * 3 + ["b"] * 3,
                      "J": [0.5, 0.4, 0.6, 0.7, 0.8, 0.7]})


def test_differences_are_per_video_against_the_reference():
    diff = differences(TABLE, "J")
    assert list(diff.columns) == ["plm_u", "plm_p"]
    assert diff.loc["a", "plm_u"] == pytest.approx(-0.1) and diff.loc["b", "plm_u"] == pytest.approx(0.1)
    assert diff.loc["b", "plm_p"] == pytest.approx(0.0)
    with pytest.raises(KeyError, match="no 'plm_s' rows"):
        differences(TABLE, "J", reference="plm_s")


def test_per_video_figure_counts_the_videos_above_the_reference():
    figure = per_video_differences({"run": TABLE, "other": TABLE[TABLE.video == "a"]}, "J",
                                   labels={"plm": "PLM", "plm_u": "PLM_U", "plm_p": "PLM_P"})
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert ticks == ["PLM_U\nabove PLM on\n1 of 2", "PLM_P\nabove PLM on\n1 of 2"]  # b's PLM_P ties: not above
    assert figure.axes[1].get_title() == "other (1 video)" and "minus PLM" in figure.axes[0].get_ylabel()
    plt.close(figure)


def test_one_error_colouring_for_the_j_picture_the_overlays_and_the_legends():
    frame = np.zeros((4, 4, 3), np.uint8)
    truth, mask = np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8)
    truth[0, :2], mask[0, 1:3] = 1, 1  # (0,0) missed, (0,1) found, (0,2) false alarm
    picture, overlay = region_picture(truth, mask), error_overlay(frame, mask, truth, alpha=1.0)
    for (y, x), name in {(0, 0): "missed", (0, 1): "true_positive", (0, 2): "false_positive"}.items():
        assert tuple(picture[y, x]) == tuple(overlay[y, x]) == ERROR_COLOURS[name]
    assert (overlay[1:] == 0).all()  # elsewhere the frame
    figure = frame_strip([frame] * 2, indices=[0, 1], rows={"m": [mask] * 2}, truth=[truth] * 2)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == list(ERROR_LABELS.values())
    plt.close(figure)
