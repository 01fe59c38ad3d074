"""Seconds per pre-training and per fine-tuning iteration, ``small`` and ``plm`` presets, on this machine.

    python benchmarks/bench_training.py                      # -> results/benchmarks/training.csv (+ .yaml)
    python benchmarks/bench_training.py --quick              # small preset only
    python benchmarks/bench_training.py --threads 2          # torch threads (default 1, see below)

Each row runs the real loop (plmlib.train.pretrain / finetune) for a few steps and reads loss.csv's elapsed_s:
seconds_per_step is the median step time after the first step (which also pays for building the feature pool and
warming up), so it includes cutting the pairs (JPEG decoding, augmentation) or drawing them from the pool, the
forward and backward passes and the optimiser step. pool_s_per_pair is the time to encode one pair into the
feature pool (query + search crops through the frozen VGG-16). Data: DAVIS 2016 train ($PLM_DAVIS_ROOT) when
present, else synthetic videos. Timings on a shared CPU are indicative: the 1-minute load average is recorded.
One torch thread by default: on the shared 2-core machine two threads spin-wait for each other under load and
were 2-10x slower (RunConfig.threads).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plmlib.core.provenance import git_sha, save_config  # noqa: E402
from plmlib.train import (CacheConfig, OptimConfig, finetune, finetune_profile, pretrain,  # noqa: E402
                          pretrain_profile, read_loss_csv)
from plmlib.train.pairs import DataConfig  # noqa: E402

FROZEN = (1, 2, 3, 4, 5)

# (preset, variant, stage, model overrides, frozen blocks, batch, cached, steps): what each row measures.
CASES = [
    ("small", "preset (encoder frozen)", "pretrain", {}, FROZEN, 16, False, 4),
    ("small", "preset (encoder frozen)", "pretrain", {}, FROZEN, 16, True, 12),
    ("small", "preset (encoder frozen)", "finetune", {}, FROZEN, 8, True, 12),
    ("plm", "paper-sized, everything trained", "pretrain", {}, (), 16, False, 3),
    ("plm", "paper-sized, conv1-3 frozen", "finetune", {}, (1, 2, 3), 8, False, 3),
    ("plm", "H=1024, encoder frozen", "pretrain", {"fc_widths": [1024, 1024]}, FROZEN, 16, True, 12),
    ("plm", "H=1024, encoder frozen", "finetune", {"fc_widths": [1024, 1024]}, FROZEN, 8, True, 12),
]


def data_config(stage: str) -> DataConfig:
    root = os.environ.get("PLM_DAVIS_ROOT")
    if root and (Path(root) / "ImageSets").is_dir():
        return DataConfig(dataset="davis2016", root=root, split="train" if stage == "pretrain" else "val")
    return DataConfig(dataset="synthetic", n_frames=12)


def measure(preset, variant, stage, overrides, frozen, batch, cached, steps, work: Path, threads: int) -> dict:
    out = work / f"{preset}-{stage}-{int(cached)}"
    cfg = pretrain_profile("smoke") if stage == "pretrain" else finetune_profile("smoke")
    cfg.model.preset, cfg.model.overrides, cfg.model.frozen_blocks = preset, dict(overrides), tuple(frozen)
    cfg.model.pretrained, cfg.model.checkpoint = True, None
    cfg.data = data_config(stage)
    if stage == "finetune":
        cfg.sequence = "blackswan" if cfg.data.dataset == "davis2016" else ""
    cfg.iterations, cfg.batch_size = steps, batch
    cfg.optim = OptimConfig(lr=1e-4, schedule="constant")
    pool = 64 if stage == "finetune" else 128
    cfg.cache = CacheConfig(enabled=cached, pool_size=pool, chunk=16, refresh_every=0)
    cfg.run.out_dir, cfg.run.progress, cfg.run.checkpoint_every, cfg.run.resume = str(out), False, 0, "never"
    cfg.run.threads = threads
    load = os.getloadavg()[0]
    started = time.perf_counter()
    (pretrain if stage == "pretrain" else finetune)(cfg)
    wall = time.perf_counter() - started
    elapsed = read_loss_csv(out / "loss.csv")["elapsed_s"]
    per_step = float(statistics.median(list(elapsed[1:] - elapsed[:-1])))
    pool_s = float(elapsed[0] - per_step) / pool if cached else float("nan")
    shutil.rmtree(out, ignore_errors=True)
    row = {
        "preset": preset, "variant": variant, "stage": stage, "batch_size": batch,
        "feature_pool": cached, "frozen_blocks": "".join(map(str, frozen)) or "none",
        "fc_widths": "x".join(map(str, overrides.get("fc_widths", [4096, 4096] if preset == "plm" else [512, 512]))),
        "data": cfg.data.dataset, "steps_timed": len(elapsed) - 1,
        "seconds_per_step": round(per_step, 3), "seconds_per_pair": round(per_step / batch, 4),
        "pool_s_per_pair": round(pool_s, 3), "run_wall_s": round(wall, 1), "torch_threads": threads,
        "load_avg_1min_start": round(load, 2), "load_avg_1min_end": round(os.getloadavg()[0], 2),
    }
    print(row, flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "results" / "benchmarks" / "training.csv")
    parser.add_argument("--quick", action="store_true", help="small preset only")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.quick or c[0] == "small"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_training_") as tmp:
        for case in cases:
            rows.append(measure(*case, work=Path(tmp), threads=args.threads))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    save_config(args.out.with_suffix(".yaml"), {
        "benchmark": "bench_training", "cases": [list(map(str, c)) for c in cases],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {args.threads} torch threads, "
                   f"torch {torch.__version__}", "git": git_sha(),
        "note": "shared machine (other jobs running): timings are indicative; see load_avg columns"})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
