"""Background drift, measured: our traditional baselines next to the published ones on DAVIS 2016 val.

The PLM slides open on it ("Traditional Video Object Segmentation Method": hand-crafted methods such as
BVS and JMP drift into the background). Two products, both read from results:

- :func:`drift_figure`: J against frame index on one sequence. Our curves come from ``plm evaluate
  --per-frame`` (``results/davis2016_val/<method>/per_frame_results.csv``), the published ones from the
  official DAVIS 2016 leaderboard's per-frame data (:func:`plmlib.published.leaderboard_per_frame`, frames
  1..n-2, as ours);
- :func:`comparison_table`: per-sequence J and F of our baselines beside the paper's table (HVS, NLC, JMP,
  SEA, BVS, PLM, PLM_P, two decimals as printed) and the leaderboard's BVS (three decimals).

    plm figures drift     # our baselines and PLM: figures/02_davis_drift_{drift-chicane,bmx-trees}.png (notebook 02 draws them too) and
                          # results/davis2016_val/baselines_vs_published.csv  (save_drift_outputs)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from plmlib.core.methods import METHODS, method_label
from plmlib.core.paths import RESULTS_DIR
from plmlib.published import leaderboard_per_frame, paper_table

RESULTS = RESULTS_DIR / "davis2016_val"
OURS = tuple(m.name for m in METHODS.values() if m.family == "traditional")  # flow, superpixel, bvs
DRIFT_OURS = (*OURS, "plm")  # the drift figure's solid lines: our baselines and our PLM
PUBLISHED = ("bvs", "jmp", "plm")  # the paper's strongest baselines, and the paper's own entry (PLM_P)
# the leaderboard entries whose label is not our method's of that name (ours: plmlib.core.methods.label)
PUBLISHED_NAMES = {"jmp": "JMP", "plm": "PLM (PLM_P)"}


def our_per_frame(method: str, sequence: str, results: str | Path = RESULTS) -> pd.DataFrame:
    """Per-frame J of one of our methods on one sequence (columns frame, J), from its ``per_frame_results.csv``."""
    path = Path(results) / method / "per_frame_results.csv"
    table = pd.read_csv(path, dtype={"Frame": str})
    rows = table[table["Sequence"].isin([sequence, f"{sequence}_1"])]
    if rows.empty:
        raise KeyError(f"{path}: no rows for sequence {sequence!r}")
    return pd.DataFrame({"frame": rows["Frame"].astype(int).to_numpy(), "J": rows["J"].to_numpy()})


def published_per_frame(method: str, sequence: str) -> pd.DataFrame:
    """Per-frame J of a published method on one sequence (columns frame, J), from the leaderboard data."""
    table = leaderboard_per_frame(method)
    rows = table[table["sequence"] == sequence]
    if rows.empty:
        raise KeyError(f"the leaderboard's {method!r} data has no sequence {sequence!r}")
    return pd.DataFrame({"frame": rows["frame"].to_numpy(), "J": rows["J"].to_numpy()})


def drift_figure(
    sequence: str,
    results: str | Path = RESULTS,
    ours: tuple[str, ...] = DRIFT_OURS,
    published: tuple[str, ...] = PUBLISHED,
    title: str = "Drift on DAVIS 2016",
) -> Figure:
    """J per frame on ``sequence``: our methods as solid lines, published ones dashed; mean J in the legend, which
    sits beside the axes (never over a curve)."""
    figure = Figure(figsize=(10.5, 4.2), layout="constrained")
    axes = figure.add_subplot()
    colours = {"flow": "tab:blue", "superpixel": "tab:green", "bvs": "tab:red", "plm": "tab:orange",
               "plm_p": "tab:brown", "plm_u": "tab:olive", "plm_grabcut": "tab:purple"}
    for method in ours:
        curve = our_per_frame(method, sequence, results)
        axes.plot(curve["frame"], curve["J"], "-", lw=2, color=colours.get(method),
                  label=f"ours: {method_label(method)} (mean {curve['J'].mean():.2f})")
    published_colours = {"bvs": "tab:red", "jmp": "tab:purple", "plm": "black"}
    for method in published:
        curve = published_per_frame(method, sequence)
        axes.plot(curve["frame"], curve["J"], "--", lw=1.5, color=published_colours.get(method),
                  label=f"published: {PUBLISHED_NAMES.get(method) or method_label(method)} "
                        f"(mean {curve['J'].mean():.2f})")
    axes.set(xlabel="frame", ylabel="J (region IoU)", ylim=(0, 1.02), title=f"{title} {sequence}")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return figure


def drift_figure_name(sequence: str) -> str:
    """The file name notebook 02 gives a sequence's drift figure."""
    return f"02_davis_drift_{sequence}.png"


def save_drift_figure(sequence: str, out: str | Path, **options) -> Path:
    """Draw :func:`drift_figure` and save it as a PNG at ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    drift_figure(sequence, **options).savefig(out, dpi=120)
    return out


def comparison_table(results: str | Path = RESULTS, ours: tuple[str, ...] = OURS) -> pd.DataFrame:
    """Per-sequence J and F of our methods beside the paper's table and the leaderboard's BVS, plus the averages.

    Columns: ``sequence, measure`` (J or F), ours (lower case, from ``<method>/per_sequence_results.csv``),
    ``BVS_leaderboard`` (mean of the leaderboard's per-frame values), then the paper's columns as printed.
    The ``average`` row is the mean over the sequences (ours: equal to ``J-Mean``/``F-Mean`` of ``global_results.csv``).
    """
    paper = paper_table("davis2016_val_per_sequence")
    table = paper[paper["sequence"] != "average"].copy()
    for method in ours:
        scores = pd.read_csv(Path(results) / method / "per_sequence_results.csv")
        scores["sequence"] = scores["Sequence"].str.removesuffix("_1")
        long = scores.melt(id_vars="sequence", value_vars=["J-Mean", "F-Mean"], var_name="measure", value_name=method)
        long["measure"] = long["measure"].str[0]
        table = table.merge(long, on=["sequence", "measure"], how="left")
    leaderboard = leaderboard_per_frame("bvs").groupby("sequence")[["J", "F"]].mean()
    board = leaderboard.reset_index().melt(id_vars="sequence", var_name="measure", value_name="BVS_leaderboard")
    table = table.merge(board, on=["sequence", "measure"], how="left")
    average = table.groupby("measure", sort=False).mean(numeric_only=True).reset_index()
    average.insert(0, "sequence", "average")
    table = pd.concat([table, average], ignore_index=True)
    published = [c for c in paper.columns if c not in ("sequence", "measure")]
    return table[["sequence", "measure", *ours, "BVS_leaderboard", *published]].round(3)


DRIFT_SEQUENCES = ("drift-chicane", "bmx-trees")  # where the traditional methods drift (plm figures drift)


def save_drift_outputs(sequences: list[str] | tuple[str, ...], results: str | Path, figures: str | Path) -> list[Path]:
    """The drift figure of each sequence into ``figures`` (:func:`save_drift_figure`, named as notebook 02 names
    it), then the comparison table as ``results/baselines_vs_published.csv``; returns the files written, in that
    order."""
    written = [save_drift_figure(sequence, Path(figures) / drift_figure_name(sequence), results=results)
               for sequence in sequences]
    table_path = Path(results) / "baselines_vs_published.csv"
    comparison_table(results).to_csv(table_path, index=False)
    return [*written, table_path]
