"""Benchmark ``plm evaluate`` on the DAVIS 2016 val set (20 sequences, 1376 frames at 854x480).

Results are a perturbed copy of the ground truth written once to a scratch folder (frame t: identity, erosion,
dilation or a 10 px shift, for t mod 4 = 0..3), so that J and F are not trivially 1. Each tool runs as a command,
wall-clock timed, best of ``--repeat``. Optionally the official davis2017-evaluation runs on the same inputs for
comparison (it needs a DAVIS-2017-style copy of the ground truth with 0/1 masks, written here too):

    python benchmarks/bench_evaluate.py --davis-root $PLM_DAVIS_ROOT \
        [--official-python /tmp/venv/bin/python --official-code /path/to/davis2017-evaluation]

Prints seconds and frames per second, and appends one row per tool to ``results/benchmarks/evaluate.csv``.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plmlib.io import atomic_write, read_mask, write_mask  # noqa: E402
from plmlib.metrics.evaluate import _split_sequences  # noqa: E402

CSV_PATH = REPO / "results" / "benchmarks" / "evaluate.csv"
CSV_COLUMNS = ["date", "git_sha", "machine", "cpus", "tool", "workers", "temporal", "sequences", "frames", "seconds", "frames_per_s", "J&F-Mean", "J-Mean", "F-Mean", "T"]
KERNEL = np.ones((3, 3), dtype=np.uint8)


def perturb(gt: np.ndarray, t: int) -> np.ndarray:
    kind = t % 4
    if kind == 1:
        return cv2.erode(gt, KERNEL, iterations=5, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if kind == 2:
        return cv2.dilate(gt, KERNEL, iterations=5)
    if kind == 3:
        out = np.zeros_like(gt)
        out[:, 10:] = gt[:, :-10]
        return out
    return gt


def prepare(davis_root: Path, scratch: Path, names: list[str], official: bool) -> tuple[Path, Path | None]:
    results = scratch / "results"
    davis17 = scratch / "davis2017_layout" if official else None
    for name in names:
        for t, path in enumerate(sorted((davis_root / "Annotations" / "480p" / name).glob("*.png"))):
            target = results / name / path.name
            gt = (read_mask(path) > 0).astype(np.uint8)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(target), perturb(gt, t))  # 0/1 grey PNG, read the same by both tools
            if davis17 is not None and not (davis17 / "Annotations" / "480p" / name / path.name).exists():
                write_mask(davis17 / "Annotations" / "480p" / name / path.name, gt)
    if davis17 is not None:
        (davis17 / "ImageSets" / "2017").mkdir(parents=True, exist_ok=True)
        (davis17 / "ImageSets" / "2017" / "val.txt").write_text("\n".join(names) + "\n")
        images = davis17 / "JPEGImages" / "480p"
        if not images.exists():
            images.parent.mkdir(parents=True, exist_ok=True)
            images.symlink_to((davis_root / "JPEGImages" / "480p").resolve())
    return results, davis17


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def read_global(path: Path) -> dict[str, str]:
    with path.open() as f:
        return next(csv.DictReader(f))


def read_sequences(path: Path) -> dict[str, tuple[str, str]]:
    with path.open() as f:
        return {r["Sequence"].removesuffix("_1"): (r["J-Mean"], r["F-Mean"]) for r in csv.DictReader(f)}


def git_sha() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def append_rows(rows: list[dict]) -> None:
    existing = CSV_PATH.read_text() if CSV_PATH.exists() else ",".join(CSV_COLUMNS) + "\n"
    lines = [existing.rstrip("\n")]
    for row in rows:
        lines.append(",".join(str(row.get(c, "")) for c in CSV_COLUMNS))
    with atomic_write(CSV_PATH) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--davis-root", default=os.environ.get("PLM_DAVIS_ROOT"), help="DAVIS 2016 root (default: $PLM_DAVIS_ROOT)")
    parser.add_argument("--scratch", default=str(Path(tempfile.gettempdir()) / "plm_bench_evaluate"), help="folder for the perturbed results")
    parser.add_argument("--workers", type=int, default=None, help="worker processes for plm evaluate (default: all cores)")
    parser.add_argument("--with-t", action="store_true", help="also time plm evaluate with the temporal stability T")
    parser.add_argument("--repeat", type=int, default=2, help="runs per tool; the fastest counts")
    parser.add_argument("--official-python", default=None, help="python of an environment with the official code's dependencies")
    parser.add_argument("--official-code", default=None, help="checkout of davis2017-evaluation (with evaluation_method.py)")
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {CSV_PATH.relative_to(REPO)}")
    args = parser.parse_args()
    if not args.davis_root:
        raise SystemExit("pass --davis-root or set PLM_DAVIS_ROOT")
    davis_root = Path(args.davis_root)
    names = _split_sequences(davis_root, "val")
    official = bool(args.official_python and args.official_code)
    scratch = Path(args.scratch)
    results, davis17 = prepare(davis_root, scratch, names, official)
    n_frames = sum(len(list((davis_root / "Annotations" / "480p" / n).glob("*.png"))) - 2 for n in names)
    common = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_sha": git_sha(),
        "machine": platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)),
        "sequences": len(names),
        "frames": n_frames,
    }
    rows = []
    runs = [False] + ([True] if args.with_t else [])
    for temporal in runs:
        out = scratch / ("ours_t" if temporal else "ours")
        command = [sys.executable, "-m", "plmlib.cli", "evaluate", "--results", str(results), "--davis-root", str(davis_root), "--out", str(out), "--quiet"]
        command += [] if temporal else ["--no-t"]
        command += ["--workers", str(args.workers)] if args.workers else []
        seconds = min(timed(command, cwd=REPO)[0] for _ in range(max(1, args.repeat if not temporal else 1)))
        scores = read_global(out / "global_results.csv")
        rows.append({**common, "tool": "plm evaluate", "workers": args.workers or common["cpus"], "temporal": temporal,
                     "seconds": f"{seconds:.2f}", "frames_per_s": f"{n_frames / seconds:.1f}", "J&F-Mean": scores["J&F-Mean"],
                     "J-Mean": scores["J-Mean"], "F-Mean": scores["F-Mean"], "T": scores.get("T", "")})
        print(f"plm evaluate{' (with T)' if temporal else ''}: {seconds:.2f} s, {n_frames / seconds:.1f} frames/s  J&F {scores['J&F-Mean']}")
    if official:
        official_results = scratch / "official_results"
        if official_results.exists():
            shutil.rmtree(official_results)
        shutil.copytree(results, official_results)
        best = None
        for _ in range(max(1, args.repeat)):
            for stale in official_results.glob("*.csv"):
                stale.unlink()
            command = [args.official_python, "evaluation_method.py", "--task", "semi-supervised", "--set", "val",
                       "--davis_path", str(davis17), "--results_path", str(official_results)]
            seconds = timed(command, cwd=Path(args.official_code))[0]
            best = seconds if best is None else min(best, seconds)
        scores = read_global(official_results / "global_results-val.csv")
        rows.append({**common, "tool": "davis2017-evaluation (official)", "workers": 1, "temporal": False,
                     "seconds": f"{best:.2f}", "frames_per_s": f"{n_frames / best:.1f}", "J&F-Mean": scores["J&F-Mean"],
                     "J-Mean": scores["J-Mean"], "F-Mean": scores["F-Mean"]})
        print(f"official davis2017-evaluation: {best:.2f} s, {n_frames / best:.1f} frames/s  J&F {scores['J&F-Mean']}")
        ours = read_sequences(scratch / "ours" / "per_sequence_results.csv")
        theirs = read_sequences(official_results / "per-sequence_results-val.csv")
        same = ours == theirs and all(read_global(scratch / "ours" / "global_results.csv")[k] == scores[k] for k in scores)
        print("same J and F (CSV values) as the official evaluation:", same)
        print(f"speed-up: {best / float(rows[0]['seconds']):.2f}x")
    if not args.no_record:
        append_rows(rows)
        print(f"appended {len(rows)} row(s) to {CSV_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
