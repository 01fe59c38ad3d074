"""``plm figures results ...`` and ``plm figures drift ...``: the reproduction's figures, drawn from ``results/``.

    plm figures results --davis-root $PLM_DAVIS_ROOT --masks outputs/davis2016_val   # figures/results_*.png
    plm figures drift     # figures/02_davis_drift_*.png and results/davis2016_val/baselines_vs_published.csv

The work: :func:`plmlib.viz.results.save_figures` and :func:`plmlib.viz.drift.save_drift_outputs`.
"""

from __future__ import annotations

import argparse


def configure_parser(parser: argparse.ArgumentParser) -> None:
    from plmlib.viz.drift import DRIFT_SEQUENCES
    from plmlib.viz.drift import RESULTS as DRIFT_RESULTS
    from plmlib.core.paths import FIGURES_DIR
    from plmlib.viz.results import RESULTS

    kinds = parser.add_subparsers(dest="figures", metavar="FIGURES", required=True)
    results = kinds.add_parser("results", help="per-sequence bars, J per frame, and the qualitative grid "
                               "(figures/results_*.png)", description="The reproduction's figures (figures/results_*.png).")
    results.add_argument("--results", default=str(RESULTS))
    results.add_argument("--davis-root", default=None, help="DAVIS 2016 (for the qualitative grid)")
    results.add_argument("--masks", default=None, help="plm reproduce's --out folder (for the qualitative grid)")
    results.add_argument("--out", default=str(FIGURES_DIR))
    drift = kinds.add_parser("drift", help="drift figures and the table of our baselines against the published ones",
                             description="Drift figures and the table of our baselines against the published ones.")
    drift.add_argument("--sequence", action="append",
                       help=f"DAVIS 2016 val sequence (repeatable; default {', '.join(DRIFT_SEQUENCES)})")
    drift.add_argument("--results", default=str(DRIFT_RESULTS), help="folder with <method>/per_frame_results.csv")
    drift.add_argument("--out", default=str(FIGURES_DIR), help="where the drift figures go")


def run(args: argparse.Namespace) -> int:
    if args.figures == "results":
        from plmlib.viz.results import save_figures

        written = save_figures(args.results, args.davis_root, args.masks, out=args.out)
    else:
        from plmlib.viz.drift import DRIFT_SEQUENCES, save_drift_outputs

        written = save_drift_outputs(args.sequence or DRIFT_SEQUENCES, args.results, args.out)
    for path in written:
        print(path)
    return 0
