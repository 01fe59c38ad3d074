"""Does the pre-trained network generalise, or has it learnt its training pairs by heart?

    python benchmarks/pair_generalisation.py --davis-root $PLM_DAVIS_ROOT \
        --checkpoint runs/pretrain-plm-h1024/model.pt --seen-seed 0 --tag pool768

Scores a network, before any fine-tuning, on three sets of pre-training pairs (plmlib.train.PairDataset with the
pair settings of the ``classroom`` pre-training profile, at the network's crop size):

- ``seen``: pairs 0 .. n-1 of the training run's seed (``--seen-seed``): with a feature pool these are the first pool's
  pairs, which the run saw many times;
- ``unseen_train``: pairs of the same 30 train sequences that no run drew (seed ``--eval-seed``, indices from 10**9
  on): the same pairs for every network, so rows compare;
- ``val``: pairs of the 20 DAVIS 2016 val sequences (never trained on; seed ``--eval-seed``, the same for every network).

A large gap between ``seen`` and ``unseen_train`` says the pool was memorised (more, fresher pairs help); a gap between
``unseen_train`` and ``val`` says the train sequences do not cover the val objects (fine-tuning's job). Mean per-pair
cross-entropy and IoU of the arg-max map are appended to ``--csv`` (default
results/diagnostics/pair_generalisation.csv) with the checkpoint's folder and file name, the tag and the git SHA.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.csv_rows import appending_csv  # noqa: E402
from plmlib.core.provenance import git_sha  # noqa: E402
from plmlib.data.roots import dataset_root  # noqa: E402
from plmlib.model import load_checkpoint  # noqa: E402
from plmlib.train import pretrain_profile  # noqa: E402
from plmlib.train.pairs import PairDataset, collate, load_sequences  # noqa: E402

COLUMNS = ["checkpoint", "tag", "pairs", "seed", "n", "loss", "iou", "git_sha"]
UNSEEN_START = 10**9


@torch.no_grad()
def score_pairs(net, pairs: PairDataset, start: int, n: int, batch: int = 16, desc: str = "") -> tuple[float, float]:
    """(mean cross-entropy, mean IoU of the foreground arg-max) over pairs start .. start + n - 1."""
    losses, ious = [], []
    for first in tqdm(range(start, start + n, batch), desc=desc, unit="batch", leave=False):
        b = collate([pairs[i] for i in range(first, min(first + batch, start + n))])
        logits = net(b["query"], b["query_mask"], b["search"])
        target = b["target"]
        losses += F.cross_entropy(logits, target, reduction="none").mean(dim=(1, 2)).tolist()
        pred = logits.argmax(1) == 1
        inter = (pred & (target == 1)).sum(dim=(1, 2)).float()
        union = (pred | (target == 1)).sum(dim=(1, 2)).float()
        ious += torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union)).tolist()
    return float(np.mean(losses)), float(np.mean(ious))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--davis-root", default=None, help="DAVIS 2016 root (default: $PLM_DAVIS_ROOT)")
    parser.add_argument("--checkpoint", required=True, type=Path, help="a checkpoint or a release file")
    parser.add_argument("--seen-seed", type=int, default=0, help="the seed its pre-training run drew pairs with")
    parser.add_argument("--eval-seed", type=int, default=1000, help="seed of the unseen and val pairs (the same "
                        "for every network compared; not a training run's seed)")
    parser.add_argument("--tag", default="", help="a label for the CSV row (e.g. the run's name)")
    parser.add_argument("--pairs", type=int, default=96, help="pairs per set")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--csv", type=Path, default=ROOT / "results" / "diagnostics" / "pair_generalisation.csv")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.checkpoint.is_file():
        parser.error(f"no checkpoint at {args.checkpoint}")
    root = str(dataset_root("davis2016", args.davis_root))
    net = load_checkpoint(args.checkpoint, map_location="cpu").eval()
    config = pretrain_profile("classroom")
    config.pairs.crop_size = net.config.crop_size
    config.data.root = root

    def dataset(split: str, seed: int) -> PairDataset:
        config.data.split = split
        return PairDataset(load_sequences(config.data), config.pairs, seed=seed)

    if args.eval_seed == args.seen_seed:
        parser.error("--eval-seed must differ from --seen-seed (the unseen pairs would be drawn like the seen ones)")
    sets = {"seen": (dataset("train", args.seen_seed), 0, args.seen_seed),
            "unseen_train": (dataset("train", args.eval_seed), UNSEEN_START, args.eval_seed),
            "val": (dataset("val", args.eval_seed), 0, args.eval_seed)}
    rows = []
    for name, (pairs, start, seed) in sets.items():
        loss, iou = score_pairs(net, pairs, start, args.pairs, desc=name)
        rows.append({"checkpoint": f"{args.checkpoint.parent.name}/{args.checkpoint.name}", "tag": args.tag, "pairs": name, "seed": seed, "n": args.pairs,
                     "loss": round(loss, 4), "iou": round(iou, 4), "git_sha": git_sha()})
        print(f"{name:13s} loss {loss:.4f}  IoU {iou:.3f}", flush=True)
    with appending_csv(args.csv, COLUMNS) as writer:
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
