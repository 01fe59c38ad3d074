"""``plm train pretrain ...`` and ``plm train finetune ...``: the two training stages on the command line.

    plm train pretrain --profile smoke --out runs/pretrain-smoke
    plm train pretrain --profile classroom --iterations 300 --set cache.pool_size=256
    torchrun --nproc_per_node 2 -m plmlib.cli train pretrain --profile smoke     # DistributedDataParallel
    plm train finetune --profile classroom --checkpoint runs/pretrain-classroom/model.pt --sequence blackswan \
        --eval-frames 0,10,20,30

Every option of the stage configs is reachable with ``--set section.field=value`` (YAML values), e.g.
``--set pairs.context=2.0 --set model.overrides='{fc_widths: [1024, 1024]}'``; ``--config file.yaml`` starts from a
saved config instead of a profile. The config actually used is saved as OUT/config.yaml with the git commit.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from plmlib.cli import add_threads_option

from .config import PROFILE_NAMES, apply_overrides, finetune_profile, load_config, pretrain_profile


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
    stage = args.stage
    if args.config:
        config = load_config(args.config, stage)
    else:
        config = pretrain_profile(args.profile) if stage == "pretrain" else finetune_profile(args.profile)
    simple = {"iterations": args.iterations, "batch_size": args.batch_size}
    for name, value in simple.items():
        if value is not None:
            setattr(config, name, value)
    if args.out:
        config.run.out_dir = args.out
    if args.lr is not None:
        config.optim.lr = args.lr
    if args.preset:
        config.model.preset, config.model.checkpoint = args.preset, None
    if args.checkpoint:
        config.model.checkpoint = args.checkpoint
    if args.data_root:
        config.data.root = args.data_root
    if args.device:
        config.run.device = args.device
    if args.resume:
        config.run.resume = args.resume
    if args.seed is not None:
        config.run.seed = args.seed
    if args.threads is not None:  # recorded in the config (plm main has applied it already)
        config.run.threads = args.threads
    if args.no_progress:
        config.run.progress = False
    if stage == "finetune":
        if args.sequence:
            config.sequence = args.sequence
        if args.split:
            config.data.split = args.split
    return apply_overrides(config, args.assignments)


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    if args.stage == "pretrain":
        return _run_pretrain(config, args)
    return _run_finetune(config, args)


def _run_pretrain(config, args) -> int:
    import os

    from .checkpointing import plot_loss
    from .pretrain import pretrain, use_feature_cache

    net = pretrain(config)
    out = Path(config.run.out_dir)
    if int(os.environ.get("RANK", "0")) == 0 and (out / "loss.csv").is_file():
        device = next(net.parameters()).device
        every = config.cache.refresh_every if use_feature_cache(config.cache, net, device) else 0
        png = plot_loss(out / "loss.csv", args.plot or out / "loss.png",
                        title=f"pre-training loss ({config.profile} profile)",
                        marks=list(range(every, config.iterations, every)) if every else [])
        print(f"model: {out / 'model.pt'}\nloss curve: {out / 'loss.csv'}, {png}")
    return 0


def _run_finetune(config, args) -> int:
    from .finetune import finetune, first_frame_fit, pick_sequence
    from .pretrain import build_net

    frames = [int(f) for f in str(args.eval_frames).split(",") if f.strip()]
    sequence = pick_sequence(config)
    bad = [f for f in frames if not 0 <= f < len(sequence)]
    if bad:
        raise ValueError(f"--eval-frames {bad} outside {sequence.name}'s {len(sequence)} frames")
    before = first_frame_fit(build_net(config.model), sequence, frames, config.pairs)
    net = finetune(config, sequence)
    after = first_frame_fit(net, sequence, frames, config.pairs)
    out = Path(config.run.out_dir)
    rows = [{"sequence": b["sequence"], "frame": b["frame"], "J_before": round(b["J"], 4),
             "J_after": round(a["J"], 4)} for b, a in zip(before, after)]
    with (out / "fit.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{'frame':>6} {'J before':>9} {'J after':>8}   ({sequence.name}; window around the previous frame's "
          f"ground-truth box)", file=sys.stdout)
    for r in rows:
        print(f"{r['frame']:>6} {r['J_before']:>9.3f} {r['J_after']:>8.3f}")
    print(f"model: {out / 'model.pt'}; J table: {out / 'fit.csv'}")
    return 0
