"""The figure of ``plm demo``: every method on every synthetic video, side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from plmlib.core.methods import METHODS, method_label


def comparison_figure(per_video: pd.DataFrame, table: pd.DataFrame) -> Figure:
    """Grouped bars of J per video (rows of ``per_video``) and method (its columns), the mean J of each method in
    its legend entry; ``table`` is :func:`plmlib.demo.run_demo`'s (mean J per method)."""
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
