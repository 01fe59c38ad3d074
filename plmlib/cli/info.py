"""``plm info``: what a dataset root or a video holds (:func:`plmlib.data.info.describe`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.data.davis import SPLITS
from plmlib.data.info import describe


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a dataset root (DAVIS 2016 layout), a frames folder or a video file")
    parser.add_argument("--split", default="all", choices=SPLITS, help="DAVIS split to list (default all)")


def run(args: argparse.Namespace) -> int:
    print("\n".join(describe(args.path, args.split)))
    return 0
