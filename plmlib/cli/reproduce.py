"""``plm reproduce``: the paper's protocol on DAVIS 2016 val for PLM and its variants
(:func:`plmlib.experiments.reproduce.reproduce`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from plmlib.cli import add_threads_option
from plmlib.core.methods import PLM_METHODS
from plmlib.metrics.evaluate import report
from plmlib.experiments.reproduce import VARIANTS, reproduce


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--davis-root", default=None, help="DAVIS 2016 root (default: $PLM_DAVIS_ROOT)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(PLM_METHODS))
    parser.add_argument("--checkpoint", default=None, help="network to fine-tune: a checkpoint or release file, or "
                        "the name of a shipped model (default: the shipped default, plmlib.model.release.SHIPPED_NAME)")
    parser.add_argument("--sequences", nargs="+", default=None, help="val sequences (default: all 20)")
    parser.add_argument("--out", type=Path, default=Path("outputs/davis2016_val"), help="masks, resumable")
    parser.add_argument("--results", type=Path, default=Path("results/davis2016_val"), help="scores and configs")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--finetune-iterations", type=int, default=None,
                        help="fine-tuning steps per sequence (default: the network's, "
                        "plmlib.train.finetune_defaults)")
    parser.add_argument("--finetune-lr", type=float, default=None,
                        help="fine-tuning learning rate (default: the network's, "
                        "plmlib.train.finetune_defaults)")
    parser.add_argument("--candidates", nargs="+", default=[], metavar="KEY=VALUE",
                        help="CandidateConfig fields for every variant, e.g. box_threshold=0.3 motion=flow")
    parser.add_argument("--threshold", type=float, default=None,
                        help="slides (h) for every variant (default: plmlib.infer.thresholds.PLM_THRESHOLD)")
    add_threads_option(parser)
    parser.add_argument("--no-evaluate", dest="evaluate", action="store_false", help="segment only")
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    reproduce(args.davis_root, args.out, args.results, args.variants, checkpoint=args.checkpoint,
              sequences=args.sequences, device=args.device, finetune_iterations=args.finetune_iterations,
              finetune_lr=args.finetune_lr, candidates=args.candidates, threshold=args.threshold,
              threads=args.threads, evaluate=args.evaluate, progress=not args.quiet,
              command=" ".join(["plm", "reproduce", *sys.argv[2:]]),
              scored=lambda variant, evaluation: print(f"{variant}:\n{report(evaluation, 'val')}"))
    return 0
