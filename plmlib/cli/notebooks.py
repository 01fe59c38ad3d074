"""``plm notebooks``: execute the notebook course with papermill, or clean the committed notebooks
(:mod:`plmlib.course.notebooks`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from plmlib.core.paths import FIGURES_DIR, NOTEBOOKS_DIR
from plmlib.course.notebooks import clean_notebook, list_notebooks, refresh_figures, run_notebooks
from plmlib.course.profiles import COMMITTED_THREADS, PROFILES, RUN_TIMES


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="classroom", choices=sorted(PROFILES))
    parser.add_argument("--out", type=Path, default=Path("outputs/notebooks"),
                        help="executed notebooks, figures, tables (everything a run writes)")
    parser.add_argument("--only", default="", help="comma-separated notebook prefixes, e.g. 00,02")
    parser.add_argument("--data-root", default=None, help="DAVIS 2016 root (default: PLM_DAVIS_ROOT)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR,
                        help=f"the course's folder (default: {NOTEBOOKS_DIR})")
    parser.add_argument(
        "--update-committed", action="store_true", help="write the executed notebooks back into notebooks/ (smoke)"
    )
    parser.add_argument("--refresh-figures", action="store_true",
                        help="then copy the run's figures over the committed figures/ (needs DAVIS 2016: classroom or paper)")
    parser.add_argument("--record-times", nargs="?", const=RUN_TIMES, default=None, type=Path, metavar="CSV",
                        help=f"record each notebook's run time under this profile (default CSV: {RUN_TIMES}); the "
                        "notebooks print them")
    parser.add_argument("--clean", action="store_true", help="only clean the committed notebooks' metadata")


def run(args: argparse.Namespace) -> int:
    if args.clean:
        for notebook in list_notebooks(args.notebooks):
            clean_notebook(notebook)
            print(f"cleaned {notebook}")
        return 0
    if args.refresh_figures:
        # The committed figures are DAVIS 2016's: refuse before any work rather than overwrite them with synthetic ones.
        if args.profile == "smoke":
            raise ValueError("--refresh-figures needs the classroom or paper profile on DAVIS 2016, not smoke")
        from plmlib.data.roots import dataset_root

        args.data_root = str(dataset_root("davis2016", args.data_root))
    names = [n.strip() for n in args.only.split(",") if n.strip()] or None
    started = time.perf_counter()
    records = run_notebooks(args.profile, args.out, names, args.data_root, args.update_committed, args.notebooks,
                            record_times=args.record_times)
    total = time.perf_counter() - started
    print(f"\n{len(records)} notebooks in {total:.0f} s under profile {args.profile!r}.")
    print(f"Executed notebooks: {Path(args.out) / 'executed'}")
    print(f"Figures: {Path(args.out) / 'figures'}; tables and other outputs: {args.out}; "
          f"timings in {Path(args.out) / 'timings.json'}")
    if args.record_times:
        print(f"Run times recorded in {args.record_times}.")
    if args.update_committed:
        print(f"Committed notebooks updated in {args.notebooks} (smoke, {COMMITTED_THREADS} thread(s)).")
    if args.refresh_figures:
        written = refresh_figures(args.out, FIGURES_DIR)
        print(f"{len(written)} committed figures refreshed in {FIGURES_DIR}.")
    return 0
