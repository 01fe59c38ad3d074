"""``plm synth``: write synthetic videos with exact ground truth (:mod:`plmlib.data.synthetic`) in the DAVIS 2016
layout."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.data.synthetic import DEFAULT_SIZE, SCENARIOS, parse_size, scenario_list, write_dataset


def size_argument(text: str) -> tuple[int, int]:
    """``--size WIDTHxHEIGHT`` -> ``(height, width)`` (:func:`plmlib.data.synthetic.parse_size`, its message kept)."""
    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="dataset folder to write (DAVIS 2016 layout)")
    parser.add_argument("--scenarios", default="all", help=f"comma-separated, or 'all': {', '.join(SCENARIOS)}")
    parser.add_argument("--train", default="", help="scenarios to also write as a train split ('all' for every one)")
    parser.add_argument("--frames", type=int, default=24, help="frames per video (default 24)")
    parser.add_argument("--size", type=size_argument, default=DEFAULT_SIZE, help="WIDTHxHEIGHT (default 256x144)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def run(args: argparse.Namespace) -> int:
    val, train = scenario_list(args.scenarios), scenario_list(args.train)
    root = write_dataset(
        args.out, val=val, train=train, n_frames=args.frames, size=args.size, seed=args.seed, overwrite=args.overwrite
    )
    print(f"wrote {len(val)} val and {len(train)} train synthetic videos to {root} (DAVIS 2016 layout)")
    print(f"read them with: plmlib.data.Davis2016({str(root)!r}, split='val')")
    return 0
