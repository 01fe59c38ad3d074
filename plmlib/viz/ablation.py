"""The ablation per video (notebook 06): how far each variant is from PLM on every video, not only on average.

A mean over a few videos hides its spread: a variant can be below PLM on average and above it on most videos, or
the other way round. :func:`per_video_differences` puts one dot per video at the variant's score minus PLM's on that
video, the mean as a bar, and says in the tick label on how many videos the variant is above PLM.

    from plmlib.experiments.ablation import run_ablation
    table = run_ablation(videos, ["plm", "plm_u", "plm_p"], ...)   # columns variant, video, J, F
    per_video_differences({"this run": table}, "J")
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def differences(table: pd.DataFrame, measure: str = "J", reference: str = "plm") -> pd.DataFrame:
    """``measure`` of every variant minus the ``reference`` variant's, per video: one row per video, one column
    per other variant (videos without the reference are left out). ``table``: columns variant, video, measure."""
    wide = table.pivot_table(index="video", columns="variant", values=measure)
    if reference not in wide.columns:
        raise KeyError(f"no {reference!r} rows in the table (variants: {', '.join(wide.columns)})")
    wide = wide.dropna(subset=[reference])
    others = [v for v in dict.fromkeys(table.variant) if v != reference]
    return wide[others].sub(wide[reference], axis=0)


def per_video_differences(sources: Mapping[str, pd.DataFrame], measure: str = "J", reference: str = "plm",
                          labels: Mapping[str, str] | None = None, title: str | None = None) -> Figure:
    """One panel per source (e.g. ``{"this run": table, "full run, 20 videos": full}``): for each variant, a dot
    per video at its ``measure`` minus the reference's on that video, the mean as a bar; the tick says on how many
    videos the variant is above the reference. ``labels``: display names of the variants."""
    labels = dict(labels or {})
    name = labels.get(reference, reference)
    tables = {source: differences(table, measure, reference) for source, table in sources.items()}
    widths = [1.3 * len(diff.columns) + 1.0 for diff in tables.values()]
    figure, axes = plt.subplots(1, len(sources), figsize=(sum(widths) + 1.0, 3.8), squeeze=False, sharey=True,
                                gridspec_kw={"width_ratios": widths})
    rng = np.random.default_rng(0)  # horizontal jitter of the dots only
    for axis, (source, diff) in zip(axes[0], tables.items()):
        for k, variant in enumerate(diff.columns):
            values = diff[variant].dropna().to_numpy()
            axis.bar(k, values.mean(), 0.6, color="0.85", edgecolor="0.5", zorder=1)
            axis.scatter(k + rng.uniform(-0.18, 0.18, len(values)), values, s=18, color="tab:blue", zorder=2)
        ticks = [f"{labels.get(v, v)}\nabove {name} on\n{int((diff[v] > 0).sum())} of {int(diff[v].notna().sum())}"
                 for v in diff.columns]
        axis.set_xticks(range(len(diff.columns)), ticks, fontsize=8)
        axis.axhline(0.0, color="black", lw=0.8)
        axis.set_title(f"{source} ({len(diff)} video{'' if len(diff) == 1 else 's'})", fontsize=9)
        axis.grid(axis="y", alpha=0.3)
    axes[0, 0].set_ylabel(f"{measure} minus {name}'s {measure}\n(dots: videos; bars: mean)")
    figure.suptitle(title or f"Each variant against {name}, video by video", fontsize=10)
    figure.tight_layout()
    return figure
