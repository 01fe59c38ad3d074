"""Figures of the reproduction, drawn from ``results/`` and, for the qualitative grid, from masks on disk.

- :func:`per_sequence_bars`: per-sequence J (or F) of ours beside the paper's (slides: "Quantitative results").
- :func:`qualitative_grid`: input, ground truth and ours on a few frames of the failure cases of the slides' Limitation slide
  (slides: camel, paragliding-launch); needs DAVIS 2016 and our masks (``plm reproduce``'s ``--out`` folder).
- :func:`j_per_frame_figures`: J against frame index, ours (PLM, PLM_P, our PLM + GrabCut, BVS) with the
  leaderboard's published curves (:func:`plmlib.viz.drift.drift_figure`).

    plm figures results --davis-root $PLM_DAVIS_ROOT --masks outputs/davis2016_val   # figures/results_*.png (save_figures)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from plmlib.data import Davis2016
from plmlib.io import overlay_mask, read_mask
from plmlib.experiments.tables import RESULTS, davis_table
from plmlib.viz.drift import drift_figure

CASES = ("camel", "paragliding-launch")  # the failure cases of the slides' Limitation slide
PER_FRAME_SEQUENCES = ("drift-chicane", *CASES)  # drift-chicane: where the traditional methods lose the car
PER_FRAME_OURS = ("plm", "plm_p", "plm_grabcut")  # plm_grabcut: ours, not the paper's


def per_sequence_bars(results: str | Path = RESULTS, measure: str = "J",
                      columns: tuple[str, ...] = ("PLM (paper)", "PLM (ours)", "PLM_P (paper)", "PLM_P (ours)",
                                                  "PLM + GrabCut (ours)", "BVS", "BVS (ours)")) -> Figure:
    """Grouped bars, one group per sequence (and the average), one bar per column of :func:`plmlib.experiments.tables.davis_table`."""
    table = davis_table(results)
    table = table[table["measure"] == measure]
    columns = [c for c in columns if c in table.columns]
    figure = Figure(figsize=(13, 4.2), layout="constrained")
    axes = figure.add_subplot()
    x = np.arange(len(table))
    width = 0.8 / max(len(columns), 1)
    colours = {"PLM (paper)": "#9ecae1", "PLM (ours)": "#3182bd", "PLM_P (paper)": "#fdae6b",
               "PLM_P (ours)": "#e6550d", "PLM + GrabCut (ours)": "#756bb1", "BVS": "#c7e9c0",
               "BVS (ours)": "#31a354"}
    for k, column in enumerate(columns):
        axes.bar(x + (k - (len(columns) - 1) / 2) * width, table[column], width, label=column,
                 color=colours.get(column))
    axes.set_xticks(x, table["sequence"], rotation=45, ha="right")
    axes.set(ylabel=f"{measure}-Mean", ylim=(0, 1), title=f"DAVIS 2016 val: per-sequence {measure}, paper vs ours")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: no bar hidden
    return figure


def qualitative_grid(davis_root: str | Path, masks: str | Path, method: str = "plm_p",
                     sequences: tuple[str, ...] = CASES, n_frames: int = 4, width: float = 2.4) -> Figure:
    """Rows: per sequence, the input, the ground truth and ``method``'s masks on ``n_frames`` evenly spaced frames."""
    dataset = Davis2016(davis_root, split="val")
    figure = Figure(figsize=(width * n_frames, width * 0.6 * 3 * len(sequences)), layout="constrained")
    grid = figure.subplots(3 * len(sequences), n_frames, squeeze=False)
    for s, name in enumerate(sequences):
        sequence = dataset[name]
        indices = np.linspace(0, len(sequence) - 1, n_frames).round().astype(int)
        ours_dir = Path(masks) / method / name
        for c, index in enumerate(indices):
            frame = sequence.frames[int(index)]
            stem = sequence.frame_names[int(index)]
            ours = read_mask(ours_dir / f"{stem}.png")
            for r, (label, image) in enumerate((("input", frame),
                                                ("ground truth", overlay_mask(frame, sequence.masks[int(index)]))
                                                , (f"ours ({method})", overlay_mask(frame, ours)))):
                axes = grid[3 * s + r, c]
                axes.imshow(image)
                axes.set_xticks([])
                axes.set_yticks([])
                if c == 0:
                    axes.set_ylabel(f"{name}\n{label}", fontsize=8)
                if r == 0:
                    axes.set_title(f"frame {int(index)}", fontsize=8)
    return figure


def j_per_frame_figures(results: str | Path = RESULTS,
                        sequences: tuple[str, ...] = PER_FRAME_SEQUENCES) -> dict[str, Figure]:
    """Per sequence, J per frame of those of ``PER_FRAME_OURS`` that were run and our BVS, beside the leaderboard's
    PLM (the paper's entry, PLM_P) and BVS; empty when none of ours was run."""
    ours = tuple(m for m in PER_FRAME_OURS if (Path(results) / m / "per_frame_results.csv").is_file())
    if not ours:
        return {}
    return {sequence: drift_figure(sequence, results, ours=ours + ("bvs",), published=("plm", "bvs"),
                                   title="J per frame on DAVIS 2016") for sequence in sequences}


def save_figures(results: str | Path = RESULTS, davis_root: str | Path | None = None,
                 masks: str | Path | None = None, *, out: str | Path) -> list[Path]:
    """Write the results figures that the available inputs allow; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for measure in ("J", "F"):
        path = out / f"results_per_sequence_{measure}.png"
        per_sequence_bars(results, measure).savefig(path, dpi=110)
        written.append(path)
    for sequence, figure in j_per_frame_figures(results).items():
        path = out / f"results_j_per_frame_{sequence}.png"
        figure.savefig(path, dpi=110)
        written.append(path)
    if davis_root is not None and masks is not None and (Path(masks) / "plm_p").is_dir():
        path = out / "results_qualitative.png"
        qualitative_grid(davis_root, masks).savefig(path, dpi=110)
        written.append(path)
    return written
