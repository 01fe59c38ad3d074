"""``plm protocol``: the JumpCut or SegTrack protocol for any method on any dataset
(:func:`plmlib.experiments.protocols.run_protocol`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.cli import add_threads_option
from plmlib.core.methods import METHODS
from plmlib.experiments.protocols import PROTOCOLS, parse_options, run_protocol
from plmlib.experiments.runner import DATASETS


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("protocol", choices=list(PROTOCOLS))
    parser.add_argument("--dataset", default="davis2016", choices=DATASETS)
    parser.add_argument("--root", default=None, help="dataset root (default: its environment variable)")
    parser.add_argument("--methods", nargs="+", default=["bvs"], choices=sorted(METHODS))
    parser.add_argument("--sequences", nargs="+", default=None)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--option", dest="options", action="append", default=[], metavar="KEY=VALUE",
                        help="a constructor option for every method, e.g. --option keep_largest=true "
                             "--option threshold=0.5 (repeatable; values read as YAML)")
    add_threads_option(parser)
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    summary = run_protocol(args.protocol, args.dataset, args.methods, args.out, args.root, args.sequences,
                           progress=not args.quiet, **parse_options(args.options))
    print(summary.to_string(index=False))
    return 0
