"""Benchmark ``plm evaluate`` on the DAVIS 2016 val set (20 sequences, 1376 frames at 854x480).

Results are a perturbed copy of the ground truth written once to a scratch folder (frame t: identity, erosion,
dilation or a 10 px shift, for t mod 4 = 0..3), so that J and F are not trivially 1. Each tool runs as a command,
wall-clock timed, best of ``--repeat`` rounds (one run of each tool per round): ``plm evaluate`` without T (J&F)
and with T (J&F+T), and optionally the official davis2017-evaluation on the same inputs (it needs a DAVIS-2017-style
copy of the ground truth with 0/1 masks, written here too; it computes J and F only, DAVIS 2017 has no T):

    python benchmarks/bench_evaluate.py --davis-root $PLM_DAVIS_ROOT \
        [--official-python /tmp/venv/bin/python --official-code /path/to/davis2017-evaluation]

Prints seconds and frames per second, and appends one row per run to ``results/benchmarks/evaluate.csv``: the row
with T also gives ``T_seconds`` (its time less the time without T, i.e. what T costs), every row ``vs_official``
(its time over the official J&F time of the same run), and ``load_1min`` the machine's load average when the
benchmark started (other jobs slow every tool, ``plm evaluate``'s worker processes most). Older rows get the new
columns empty.
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
from plmlib.data.davis import split_sequences  # noqa: E402

CSV_PATH = REPO / "results" / "benchmarks" / "evaluate.csv"
CSV_COLUMNS = [
    "date", "git_sha", "machine", "cpus", "tool", "workers", "temporal", "sequences", "frames", "seconds", "frames_per_s",
    "J&F-Mean", "J-Mean", "F-Mean", "T", "T_seconds", "vs_official", "load_1min",
]
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
    """Append ``rows``; the file is rewritten with the current columns (older rows get the new ones empty)."""
    old_rows = []
    if CSV_PATH.exists():
        with CSV_PATH.open(newline="") as f:
            old_rows = list(csv.DictReader(f))
    lines = [",".join(CSV_COLUMNS)]
    for row in old_rows + rows:
        lines.append(",".join("" if row.get(c) is None else str(row[c]) for c in CSV_COLUMNS))
    with atomic_write(CSV_PATH) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--davis-root", default=os.environ.get("PLM_DAVIS_ROOT"), help="DAVIS 2016 root (default: $PLM_DAVIS_ROOT)")
    parser.add_argument("--scratch", default=str(Path(tempfile.gettempdir()) / "plm_bench_evaluate"), help="folder for the perturbed results")
    parser.add_argument("--workers", type=int, default=None, help="worker processes for plm evaluate (default: all cores)")
    parser.add_argument("--no-t", action="store_true", help="do not time plm evaluate with the temporal stability T")
    parser.add_argument("--with-t", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for old commands
    parser.add_argument("--repeat", type=int, default=2,
                        help="rounds; the fastest run of each tool counts (T's first run ever also compiles its kernels)")
    parser.add_argument("--official-python", default=None, help="python of an environment with the official code's dependencies")
    parser.add_argument("--official-code", default=None, help="checkout of davis2017-evaluation (with evaluation_method.py)")
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {CSV_PATH.relative_to(REPO)}")
    args = parser.parse_args()
    if not args.davis_root:
        raise SystemExit("pass --davis-root or set PLM_DAVIS_ROOT")
    davis_root = Path(args.davis_root)
    names = split_sequences(davis_root, "val")
    official = bool(args.official_python and args.official_code)
    scratch = Path(args.scratch)
    results, davis17 = prepare(davis_root, scratch, names, official)
    n_frames = sum(len(list((davis_root / "Annotations" / "480p" / n).glob("*.png"))) - 2 for n in names)
    common = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_sha": git_sha(),
        "machine": platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)),
        "load_1min": f"{os.getloadavg()[0]:.2f}",  # other jobs on the machine slow every tool
        "sequences": len(names),
        "frames": n_frames,
    }
    # The commands, run round-robin (one of each per round, fastest round counts per tool), so that a machine whose
    # load changes during the benchmark slows all of them alike.
    commands: dict[str, tuple[list[str], Path | None]] = {}
    for temporal in [False] + ([] if args.no_t else [True]):
        out = scratch / ("ours_t" if temporal else "ours")
        command = [sys.executable, "-m", "plmlib.cli", "evaluate", "--results", str(results), "--davis-root", str(davis_root), "--out", str(out), "--quiet"]
        command += [] if temporal else ["--no-t"]
        command += ["--workers", str(args.workers)] if args.workers else []
        commands["ours_t" if temporal else "ours"] = (command, REPO)
    official_results = scratch / "official_results"
    if official:
        if official_results.exists():
            shutil.rmtree(official_results)
        shutil.copytree(results, official_results)
        command = [args.official_python, "evaluation_method.py", "--task", "semi-supervised", "--set", "val",
                   "--davis_path", str(davis17), "--results_path", str(official_results)]
        commands["official"] = (command, Path(args.official_code))
    best: dict[str, float] = {}
    for round_ in range(max(1, args.repeat)):
        for key, (command, cwd) in commands.items():
            if key == "official":
                for stale in official_results.glob("*.csv"):  # it would read them back instead of evaluating
                    stale.unlink()
            seconds = timed(command, cwd=cwd)[0]
            print(f"round {round_ + 1}: {key} {seconds:.2f} s")
            best[key] = min(seconds, best.get(key, seconds))
    rows = []
    for key in [k for k in ("ours", "ours_t") if k in commands]:
        temporal = key == "ours_t"
        seconds = best[key]
        scores = read_global(scratch / key / "global_results.csv")
        rows.append({**common, "tool": "plm evaluate", "workers": args.workers or common["cpus"], "temporal": temporal,
                     "seconds": f"{seconds:.2f}", "frames_per_s": f"{n_frames / seconds:.1f}", "J&F-Mean": scores["J&F-Mean"],
                     "J-Mean": scores["J-Mean"], "F-Mean": scores["F-Mean"], "T": scores.get("T", "")})
        if temporal:
            rows[-1]["T_seconds"] = f"{seconds - best['ours']:.2f}"
        print(f"plm evaluate{' (J&F+T)' if temporal else ' (J&F)'}: {seconds:.2f} s, {n_frames / seconds:.1f} frames/s  J&F {scores['J&F-Mean']}"
              + (f"  T {scores['T']} (T alone {rows[-1]['T_seconds']} s)" if temporal else ""))
    if official:
        seconds = best["official"]
        scores = read_global(official_results / "global_results-val.csv")
        rows.append({**common, "tool": "davis2017-evaluation (official)", "workers": 1, "temporal": False,
                     "seconds": f"{seconds:.2f}", "frames_per_s": f"{n_frames / seconds:.1f}", "J&F-Mean": scores["J&F-Mean"],
                     "J-Mean": scores["J-Mean"], "F-Mean": scores["F-Mean"]})
        print(f"official davis2017-evaluation (J&F): {seconds:.2f} s, {n_frames / seconds:.1f} frames/s  J&F {scores['J&F-Mean']}")
        ours = read_sequences(scratch / "ours" / "per_sequence_results.csv")
        theirs = read_sequences(official_results / "per-sequence_results-val.csv")
        same = ours == theirs and all(read_global(scratch / "ours" / "global_results.csv")[k] == scores[k] for k in scores)
        print("same J and F (CSV values) as the official evaluation:", same)
        for row in rows:
            row["vs_official"] = f"{float(row['seconds']) / seconds:.3f}"
        for row in rows[:-1]:
            label = "J&F+T" if row["temporal"] else "J&F"
            print(f"plm evaluate {label} / official J&F time: {row['vs_official']} (speed-up {seconds / float(row['seconds']):.2f}x)")
    if not args.no_record:
        append_rows(rows)
        print(f"appended {len(rows)} row(s) to {CSV_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
