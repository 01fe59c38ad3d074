"""``plm demo``: the README's main job on the embedded default data (:func:`plmlib.course.demo.run_demo`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from plmlib.cli import add_threads_option
from plmlib.cli.synth import size_argument
from plmlib.core.methods import METHODS
from plmlib.data.synthetic import DEFAULT_SIZE, SCENARIOS, scenario_list
from plmlib.course.demo import DEMO_FINETUNE_ITERATIONS, DEMO_METHODS, run_demo


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="output folder (default outputs/demo)")
    parser.add_argument("--methods", default=",".join(DEMO_METHODS),
                        help=f"comma-separated methods (default: {','.join(DEMO_METHODS)}; any of {', '.join(METHODS)})")
    parser.add_argument("--scenarios", default="all", help=f"comma-separated, or 'all': {', '.join(SCENARIOS)}")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", type=size_argument, default=DEFAULT_SIZE, help="WIDTHxHEIGHT (default 256x144)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--finetune-iterations", type=int, default=DEMO_FINETUNE_ITERATIONS,
                        help=f"PLM's fine-tuning steps per video (default {DEMO_FINETUNE_ITERATIONS}, the demo's budget)")
    add_threads_option(parser)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    if not methods:
        raise ValueError("--methods: name at least one method")
    if args.finetune_iterations < 1:
        raise ValueError(f"--finetune-iterations: expected a whole number >= 1, got {args.finetune_iterations}")
    table = run_demo(args.out, methods, tuple(scenario_list(args.scenarios)), args.frames, args.size, args.seed,
                     args.finetune_iterations)
    print()
    print((args.out / "comparison.md").read_text())
    print(
        f"Done in {time.perf_counter() - started:.0f} s. Per method: masks and overlay.mp4 per video in "
        f"{args.out / 'results'}/<method>/<video>/, DAVIS scores in {args.out / 'results'}/<method>/*.csv; "
        f"the table: {args.out / 'comparison.csv'}; the figure: {args.out / 'comparison.png'}; data in "
        f"{args.out / 'data'}."
    )
    best = table.loc[table["J-Mean"].idxmax(), "method"]
    print(f"Best J on these videos: {best}.")
    return 0
