"""``plm evaluate``: score a results folder against a DAVIS dataset (:mod:`plmlib.metrics.evaluate`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.io import check_writable_folder
from plmlib.metrics import evaluate as _evaluate
from plmlib.data.roots import DATASETS
from plmlib.metrics.evaluate import PER_FRAME_CSV, report, write_csvs


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", required=True, help="folder of result masks: RESULTS/<sequence>/<frame>.png")
    parser.add_argument(
        "--davis-root", default=None, help=f"DAVIS dataset root (default: ${DATASETS['davis2016'][1]})"
    )
    parser.add_argument("--set", dest="split", default="val", choices=["val", "train", "all"], help="split to score (default: val)")
    parser.add_argument("--sequences", default=None, help="comma-separated sequence names (overrides --set)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--no-t", dest="temporal", action="store_false", help="skip the temporal stability T (the larger part of the time)")
    parser.add_argument("--out", default=None, help="folder for the CSVs (default: the results folder)")
    parser.add_argument("--per-frame", action="store_true", help=f"also write {PER_FRAME_CSV}")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    sequences = [s.strip() for s in args.sequences.split(",") if s.strip()] if args.sequences else None
    out_dir = Path(args.out) if args.out else Path(args.results)
    check_writable_folder(out_dir, "--out")  # before the evaluation, not after it
    evaluation = _evaluate.evaluate(
        args.results,
        args.davis_root,
        split=args.split,
        sequences=sequences,
        workers=args.workers,
        temporal=args.temporal,
        progress=not args.quiet,
    )
    print(report(evaluation, ",".join(sequences) if sequences else args.split))  # shown even if writing fails
    written = write_csvs(evaluation, out_dir, per_frame=args.per_frame)
    for path in written:
        print(f"written: {path}")
    return 0
