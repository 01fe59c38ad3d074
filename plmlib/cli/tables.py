"""``plm tables``: the paper's tables with our numbers beside them (:func:`plmlib.experiments.tables.write_tables`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.experiments.tables import JUMPCUT_PROTOCOL, RESULTS, RESULTS_HED, TABLES, write_tables


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of <method>/per_sequence_results.csv")
    parser.add_argument("--results-hed", type=Path, default=RESULTS_HED,
                        help="the paper-architecture network's results, for the encoder table")
    parser.add_argument("--protocol-results", type=Path, default=JUMPCUT_PROTOCOL,
                        help="folder of <method>.csv written by plm protocol jumpcut")
    parser.add_argument("--out", type=Path, default=TABLES, help="where the tables go")


def run(args: argparse.Namespace) -> int:
    for path in write_tables(args.results, args.out, args.protocol_results, args.results_hed):
        print(path)
    return 0
