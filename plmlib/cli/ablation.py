"""``plm ablation``: the paper's ablation on DAVIS 2016 val, resumable (:func:`plmlib.experiments.ablation.run_davis_ablation`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.experiments.ablation import VARIANTS, run_davis_ablation
from plmlib.cli import add_threads_option


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--davis-root", default=None, help="DAVIS root (default: $PLM_DAVIS_ROOT)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--sequences", nargs="+", default=None, help="val sequences (default: all 20)")
    parser.add_argument("--base", default="small", help="preset the structures are applied to (default: small)")
    parser.add_argument("--checkpoint", nargs="*", default=[], metavar="STRUCTURE=PATH",
                        help="a pre-trained network for a structure, e.g. plm=runs/x/model.pt (default: fresh)")
    parser.add_argument("--finetune-iterations", type=int, default=None,
                        help="fine-tuning steps per structure and video (default: plmlib.train.finetune_defaults)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    add_threads_option(parser)
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    checkpoints = {}
    for item in args.checkpoint:
        structure, sep, path = item.partition("=")
        if not sep or not path:
            raise ValueError(f"--checkpoint wants STRUCTURE=PATH, got {item!r}")
        checkpoints[structure] = path
    options = None if args.finetune_iterations is None else {"iterations": args.finetune_iterations}
    summary = run_davis_ablation(args.davis_root, args.out, args.variants, sequences=args.sequences, base=args.base,
                                 checkpoints=checkpoints, finetune_options=options, seed=args.seed,
                                 progress=not args.quiet)
    print(summary.to_string())
    return 0
