"""Figures of the two training stages (notebook 04): training pairs, loss curves, what fine-tuning changes.

    pairs_figure([dataset[i] for i in range(4)])        # query (mask outlined), search, target per pair
    loss_figure({"smoke run": "runs/x/loss.csv"})       # per-step loss and its running mean, log scale
    fit_figure(table)                                   # J per frame before / after first-frame fine-tuning

Only drawing: the pairs come from ``plmlib.train.PairDataset``, the losses from the ``loss.csv`` a training run
writes (``plmlib.train.read_loss_csv``), the J values from ``plmlib.train.first_frame_fit`` or a saved table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from plmlib.train.checkpointing import read_loss_csv


def _image(tensor: torch.Tensor) -> np.ndarray:
    """(3, S, S) float in [0, 1] -> (S, S, 3) for imshow."""
    return tensor.detach().permute(1, 2, 0).clamp(0, 1).cpu().numpy()


def _clean(axes) -> None:
    axes.set_xticks([])
    axes.set_yticks([])


def pairs_figure(items: Sequence[dict], width: float = 1.9):
    """One row per training pair (items of ``PairDataset``): the query with its mask outlined, the search crop, the
    target mask (what the network must answer), and the frames they were cut from in the row's label."""
    figure, axes = plt.subplots(len(items), 3, figsize=(3 * width, width * len(items) + 0.3), squeeze=False)
    for row, item in zip(axes, items):
        row[0].imshow(_image(item["query"]))
        row[0].contour(item["query_mask"][0].numpy(), levels=[0.5], colors="yellow", linewidths=1.0)
        row[1].imshow(_image(item["search"]))
        row[2].imshow(item["target"].numpy(), cmap="gray", vmin=0, vmax=1)
        row[0].set_ylabel(f"frames {int(item['query_frame'])} -> {int(item['search_frame'])}", fontsize=8)
        for a in row:
            _clean(a)
    for a, title in zip(axes[0], ("query (mask outlined)", "search (augmented)", "target")):
        a.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure


def loss_figure(runs: Mapping[str, str | os.PathLike | Mapping[str, np.ndarray]], smooth: int = 20,
                marks: Sequence[int] = (), marks_label: str = "feature pool refreshed", title: str = ""):
    """Per-step loss (light) and its running mean over ``smooth`` steps (dark) of one or more runs, log-scaled y.

    ``runs`` maps a label to a ``loss.csv`` path (or to what ``read_loss_csv`` returns); ``marks``: steps drawn as
    dotted vertical lines (feature-pool refreshes, where fresh pairs arrive)."""
    figure, axes = plt.subplots(figsize=(7.0, 3.6))
    for k, (label, source) in enumerate(runs.items()):
        log = read_loss_csv(source) if isinstance(source, (str, os.PathLike)) else source
        step, loss = np.asarray(log["step"]), np.asarray(log["loss"])
        colour = f"C{k}"
        window = max(1, min(smooth, len(loss)))
        running = np.convolve(loss, np.ones(window) / window, mode="valid")
        axes.plot(step, loss, color=colour, alpha=0.25, lw=0.8)
        axes.plot(step[window - 1:], running, color=colour, lw=2, label=f"{label} (mean of {window} steps)")
    for i, m in enumerate(marks):
        axes.axvline(m, color="grey", ls=":", lw=1, label=marks_label if i == 0 else None)
    axes.set_yscale("log")
    axes.set(xlabel="step", ylabel="pixel cross-entropy", title=title)
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)  # below the axes
    figure.tight_layout()
    return figure


def fit_figure(table: pd.DataFrame, before: str = "J_before", after: str = "J_after",
               labels: tuple[str, str] = ("before fine-tuning", "after fine-tuning"), title: str = ""):
    """Grouped bars of J per (sequence, frame) before and after fine-tuning; one panel per sequence.

    ``table``: columns ``sequence``, ``frame``, ``before`` and ``after`` (``results/training/finetune_fit.csv``)."""
    sequences = list(dict.fromkeys(table["sequence"]))
    figure, axes = plt.subplots(1, len(sequences), figsize=(3.2 * len(sequences) + 0.6, 3.2), squeeze=False,
                                sharey=True)
    for a, name in zip(axes[0], sequences):
        rows = table[table["sequence"] == name]
        x = np.arange(len(rows))
        a.bar(x - 0.2, rows[before], 0.4, color="tab:grey", label=labels[0])
        a.bar(x + 0.2, rows[after], 0.4, color="tab:green", label=labels[1])
        a.set_xticks(x, [str(f) for f in rows["frame"]])
        a.set(xlabel="frame", title=name, ylim=(0, 1))
        a.grid(alpha=0.3, axis="y")
    axes[0, 0].set_ylabel("J (region IoU)")
    handles, names = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, names, loc="lower center", ncol=2, fontsize=8, frameon=False)  # below the bars
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    return figure
