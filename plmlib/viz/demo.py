"""The figure of ``plm demo``: every method on every synthetic video, side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from plmlib.core.methods import METHODS, method_label


def comparison_figure(per_video: pd.DataFrame, table: pd.DataFrame) -> Figure:
    """Grouped bars of J per video (rows of ``per_video``) and method (its columns), the mean J of each method in
    its legend entry; ``table`` is :func:`plmlib.course.demo.run_demo`'s (mean J per method)."""
    means = table.set_index("method")["J-Mean"]
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    axes = figure.add_subplot()
    x = np.arange(len(per_video))
    width = 0.8 / max(len(per_video.columns), 1)
    for k, method in enumerate(per_video.columns):
        axes.bar(x + (k - (len(per_video.columns) - 1) / 2) * width, per_video[method], width,
                 color=METHODS[method].colour if method in METHODS else None,
                 label=f"{method_label(method)} (mean J {means[method]:.2f})")
    names = [name.removeprefix("synthetic-") for name in per_video.index]
    axes.set_xticks(x, names, rotation=20, ha="right")
    axes.set(ylabel="J-Mean (frames 1 .. n-2)", ylim=(0, 1),
             title="plm demo: each method on each synthetic video, from the first frame's mask")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def head_to_head_figure(scores: pd.DataFrame, measure: str = "J") -> Figure:
    """A heat map of ``scores`` (one row per video, one column per method, e.g. :func:`plmlib.course.demo.per_video_scores`
    with readable names), each cell's value written in it and the best method of each row framed."""
    values = scores.to_numpy(dtype=float)
    figure = Figure(figsize=(1.6 + 1.3 * values.shape[1], 0.9 + 0.42 * values.shape[0]), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(values, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for row, best in enumerate(np.nanargmax(values, axis=1)):
        for column in range(values.shape[1]):
            value = values[row, column]
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=9,
                      color="black" if value > 0.6 else "white")
        axes.add_patch(Rectangle((best - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
    axes.set_xticks(range(values.shape[1]), list(scores.columns))
    axes.set_yticks(range(values.shape[0]), list(scores.index))
    axes.set_title(f"{measure} per video and method (the best of each row framed)")
    figure.colorbar(image, ax=axes, label=measure)
    return figure
