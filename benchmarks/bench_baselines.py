"""Seconds per frame of the traditional baselines (flow, superpixel, BVS) on a real 854x480 DAVIS sequence.

Each method segments the whole sequence from its first mask (frames are read into memory first, so disk
reads are not timed); the time of every ``step`` is recorded and the mean and median over the sequence are
written to ``results/benchmarks/baselines.csv`` beside the paper's figure for BVS (0.37 s, Maerki et al.'s
own C++ code on their machine). BVS's step cost grows with its memory of past frames (up to 32 by default),
so a full sequence is timed, not a few frames.

    python benchmarks/bench_baselines.py                         # blackswan from ../shared's DAVIS sample
    python benchmarks/bench_baselines.py --davis-root $PLM_DAVIS_ROOT --sequence bmx-trees --methods bvs
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plmlib import create_segmenter  # noqa: E402
from plmlib.data import Davis2016  # noqa: E402
from plmlib.io import atomic_write  # noqa: E402

CSV_PATH = REPO / "results" / "benchmarks" / "baselines.csv"
COLUMNS = ["date", "git_sha", "machine", "cpus", "method", "sequence", "width", "height", "frames",
           "seconds_per_frame_mean", "seconds_per_frame_median", "start_seconds", "published_seconds_per_frame"]
PUBLISHED = {"bvs": 0.37}  # the PLM slides' speed row (Maerki et al.'s implementation)
SAMPLE = REPO.parent / "shared" / "data" / "davis2016-sample"


def time_method(method: str, frames: list[np.ndarray], first_mask: np.ndarray) -> tuple[float, list[float]]:
    """Seconds of ``start`` and of every ``step`` of one method over the frames."""
    segmenter = create_segmenter(method)
    began = time.perf_counter()
    segmenter.start(frames[0], first_mask)
    start = time.perf_counter() - began
    steps = []
    for frame in tqdm(frames[1:], desc=method, unit="frame"):
        began = time.perf_counter()
        segmenter.step(frame)
        steps.append(time.perf_counter() - began)
    return start, steps


def git_sha() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def write_rows(rows: list[dict]) -> None:
    """Replace the rows of the same (method, sequence) in the CSV, keep the others."""
    kept = []
    if CSV_PATH.exists():
        with CSV_PATH.open() as f:
            done = {(r["method"], r["sequence"]) for r in rows}
            kept = [r for r in csv.DictReader(f) if (r["method"], r["sequence"]) not in done]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept + rows)
    CSV_PATH.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(CSV_PATH) as tmp:
        tmp.write_text(buffer.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--davis-root", default=None, help=f"DAVIS 2016 root (default: $PLM_DAVIS_ROOT, else {SAMPLE})")
    parser.add_argument("--sequence", default="blackswan", help="a val sequence (default: blackswan, 50 frames)")
    parser.add_argument("--methods", default="flow,superpixel,bvs", help="comma-separated method names")
    parser.add_argument("--no-record", action="store_true", help=f"do not write {CSV_PATH.relative_to(REPO)}")
    args = parser.parse_args()
    root = args.davis_root or os.environ.get("PLM_DAVIS_ROOT") or SAMPLE
    sequence = Davis2016(root, split="val")[args.sequence]
    frames = list(sequence.frames)
    height, width = frames[0].shape[:2]
    common = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_sha": git_sha(),
        "machine": platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)),
        "sequence": sequence.name,
        "width": width,
        "height": height,
        "frames": len(frames),
    }
    rows = []
    for method in args.methods.split(","):
        start, steps = time_method(method, frames, sequence.first_mask)
        rows.append({**common, "method": method, "seconds_per_frame_mean": f"{np.mean(steps):.3f}",
                     "seconds_per_frame_median": f"{np.median(steps):.3f}", "start_seconds": f"{start:.3f}",
                     "published_seconds_per_frame": PUBLISHED.get(method, "")})
        print(f"{method}: {np.mean(steps):.3f} s/frame (median {np.median(steps):.3f}) on {sequence.name} at {width}x{height}")
    if not args.no_record:
        write_rows(rows)
        print(f"written: {CSV_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
