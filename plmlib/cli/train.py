"""``plm train pretrain ...`` and ``plm train finetune ...``: the two training stages on the command line.

    plm train pretrain --profile smoke --out runs/pretrain-smoke
    plm train pretrain --profile classroom --iterations 300 --set cache.pool_size=256
    torchrun --nproc_per_node 2 -m plmlib.cli train pretrain --profile smoke     # DistributedDataParallel
    plm train finetune --profile classroom --checkpoint runs/pretrain-classroom/model.pt --sequence blackswan \
        --eval-frames 0,10,20,30

Every option of the stage configs is reachable with ``--set section.field=value`` (YAML values), e.g.
``--set pairs.context=2.0 --set model.overrides='{fc_widths: [1024, 1024]}'``; ``--config file.yaml`` starts from a
saved config instead of a profile. The config actually used is saved as OUT/config.yaml with the git commit.
The work: :func:`plmlib.train.config.stage_config`, :func:`plmlib.train.pretrain.pretrain_with_curve`,
:func:`plmlib.train.finetune.finetune_with_fit`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from plmlib.cli import add_threads_option
from plmlib.train.config import PROFILE_NAMES, stage_config


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=PROFILE_NAMES, default="smoke", help="starting config (default: smoke)")
    p.add_argument("--config", type=Path, help="start from this YAML config instead of a profile")
    p.add_argument("--out", help="output folder (checkpoints, loss.csv, config.yaml, model.pt)")
    p.add_argument("--iterations", type=int, help="training steps")
    p.add_argument("--batch-size", type=int, help="pairs per step (per process under torchrun)")
    p.add_argument("--lr", type=float, help="peak learning rate")
    p.add_argument("--preset", help="model preset (small, plm, plm_s, ...)")
    p.add_argument("--checkpoint", help="start from this model checkpoint")
    p.add_argument("--data-root", help="DAVIS 2016 root (default: $PLM_DAVIS_ROOT)")
    p.add_argument("--device", help="auto (default), cpu, cuda, ...")
    p.add_argument("--resume", help="auto (newest checkpoint in --out), never, or a checkpoint file")
    p.add_argument("--seed", type=int)
    add_threads_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                   help="set any config field, e.g. --set cache.pool_size=256 (repeatable)")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    stages = parser.add_subparsers(dest="stage", metavar="STAGE", required=True)
    pre = stages.add_parser("pretrain", help="stage 1: pre-train on DAVIS train pairs (or synthetic videos)",
                            description="Pre-train the PLM network on pairs of frames (slides: two-stage training).")
    _common(pre)
    pre.add_argument("--plot", type=Path, help="also write the loss curve here (default: OUT/loss.png)")
    fine = stages.add_parser("finetune", help="stage 2: fine-tune on the first frame of one sequence",
                             description="Fine-tune on the annotated first frame of one sequence and report J of "
                                         "the first frame (and --eval-frames) before and after.")
    _common(fine)
    fine.add_argument("--sequence", help="sequence to fine-tune on (default: the profile's)")
    fine.add_argument("--split", help="DAVIS split holding the sequence (default: val)")
    fine.add_argument("--eval-frames", default="0", help="frames whose J is reported before and after (e.g. 0,10,20)")


def build_config(args: argparse.Namespace):
    """The stage config from a profile or --config, then the explicit options, then --set."""
    return stage_config(args.stage, profile=args.profile, config_file=args.config, iterations=args.iterations,
                        batch_size=args.batch_size, out=args.out, lr=args.lr, preset=args.preset,
                        checkpoint=args.checkpoint, data_root=args.data_root, device=args.device,
                        resume=args.resume, seed=args.seed, threads=args.threads, progress=not args.no_progress,
                        sequence=getattr(args, "sequence", None), split=getattr(args, "split", None),
                        assignments=args.assignments)


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    if args.stage == "pretrain":
        return _run_pretrain(config, args)
    return _run_finetune(config, args)


def _run_pretrain(config, args) -> int:
    from plmlib.train.pretrain import pretrain_with_curve

    png = pretrain_with_curve(config, args.plot)
    if png is not None:
        out = Path(config.run.out_dir)
        print(f"model: {out / 'model.pt'}\nloss curve: {out / 'loss.csv'}, {png}")
    return 0


def _run_finetune(config, args) -> int:
    from plmlib.train.finetune import finetune_with_fit

    frames = [int(f) for f in str(args.eval_frames).split(",") if f.strip()]
    name, rows = finetune_with_fit(config, frames)
    out = Path(config.run.out_dir)
    print(f"{'frame':>6} {'J before':>9} {'J after':>8}   ({name}; window around the previous frame's "
          f"ground-truth box)", file=sys.stdout)
    for r in rows:
        print(f"{r['frame']:>6} {r['J_before']:>9.3f} {r['J_after']:>8.3f}")
    print(f"model: {out / 'model.pt'}; J table: {out / 'fit.csv'}")
    return 0
