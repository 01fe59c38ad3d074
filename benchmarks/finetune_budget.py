"""How much first-frame fine-tuning does a pre-trained network need? J on DAVIS val against fine-tuning steps.

    python benchmarks/finetune_budget.py --davis-root $PLM_DAVIS_ROOT --checkpoint runs/lite0/model.pt \
        --sequences blackswan soapbox --iterations 0 25 50 100 --lr 1e-4 --frames 40 --threads 1

For every sequence and every ``--iterations`` value the network is fine-tuned on the first frame with PLMSegmenter's
fine-tuning (its defaults, with ``iterations`` and ``lr`` replaced; 0 = no fine-tuning) and segments the first
``--frames`` frames with PLMSegmenter's defaults (PLM). One row per (sequence, iterations, lr) goes to ``--csv``
(default results/diagnostics/finetune_budget.csv): mean J over frames 1 .. frames-1, the fine-tuning seconds, the
checkpoint's name and the git SHA. Seconds depend on the machine and its load: compare rows of one run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.csv_rows import appending_csv  # noqa: E402
from plmlib.core.provenance import git_sha  # noqa: E402
from plmlib.data import Davis2016  # noqa: E402
from plmlib.data.roots import dataset_root  # noqa: E402
from plmlib.infer import PLMSegmenter  # noqa: E402
from plmlib.metrics.region import region_similarity  # noqa: E402
from plmlib.model import load_checkpoint, pretrained  # noqa: E402

COLUMNS = ["checkpoint", "sequence", "frames", "iterations", "lr", "J_mean", "finetune_seconds", "threads", "git_sha"]


def score(net, sequence, frames: int, iterations: int, lr: float) -> tuple[float, float]:
    """(mean J over frames 1 .. frames-1, fine-tuning seconds) of PLM with this fine-tuning budget."""
    options = {"iterations": iterations, "lr": lr}
    segmenter = PLMSegmenter(net, finetune=iterations > 0, finetune_options=options if iterations else None)
    segmenter.start(sequence.frames[0], sequence.first_mask)
    seconds = segmenter.timing["finetune_seconds"] if iterations else 0.0
    n = min(frames, len(sequence))
    js = [region_similarity(sequence.masks[k] > 0, segmenter.step(sequence.frames[k]) > 0) for k in range(1, n)]
    return float(np.mean(js)), float(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--davis-root", default=None, help="DAVIS 2016 root (default: $PLM_DAVIS_ROOT)")
    parser.add_argument("--checkpoint", type=Path, default=None, help="checkpoint or release (default: shipped)")
    parser.add_argument("--sequences", nargs="+", required=True, help="DAVIS 2016 val sequences")
    parser.add_argument("--iterations", nargs="+", type=int, default=[0, 25, 50, 100])
    parser.add_argument("--lr", nargs="+", type=float, default=[1e-4])
    parser.add_argument("--frames", type=int, default=10**6, help="segment at most this many frames")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--csv", type=Path, default=ROOT / "results" / "diagnostics" / "finetune_budget.csv")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.checkpoint is not None and not args.checkpoint.is_file():
        parser.error(f"no checkpoint at {args.checkpoint}")
    net = load_checkpoint(args.checkpoint) if args.checkpoint else pretrained()
    name = f"{args.checkpoint.parent.name}/{args.checkpoint.name}" if args.checkpoint else "shipped"
    dataset = Davis2016(str(dataset_root("davis2016", args.davis_root)), split="val")
    with appending_csv(args.csv, COLUMNS) as writer:
        for seq_name in args.sequences:
            sequence = dataset[seq_name]
            for iterations in args.iterations:
                for lr in (args.lr if iterations else args.lr[:1]):
                    j, seconds = score(net, sequence, args.frames, iterations, lr)
                    print(f"{seq_name:18s} {iterations:4d} steps lr {lr:.0e}: J {j:.3f}, fine-tuning {seconds:.1f} s",
                          flush=True)
                    writer.writerow({"checkpoint": name, "sequence": seq_name, "frames": min(args.frames, len(sequence)),
                                     "iterations": iterations, "lr": lr, "J_mean": round(j, 4),
                                     "finetune_seconds": round(seconds, 2), "threads": args.threads,
                                     "git_sha": git_sha()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
