"""Peak training memory per preset and batch size, with the slides' figures beside ours.

    .venv/bin/python benchmarks/bench_memory.py                 # measured where it fits, computed everywhere
    .venv/bin/python benchmarks/bench_memory.py --no-measure    # computed only (seconds)

Writes results/memory/memory_report.csv and memory_report.md. Method: see plmlib/model/memory.py.
Each measured configuration runs in its own subprocess (2 training steps); only configurations whose computed peak
is at most --max-measure-gb are measured (the default keeps within a shared 24 GiB machine).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from pathlib import Path

import torch

from plmlib.model.memory import DEFAULT_PLAN, compressor_ratio, memory_report, read_report, write_report

ROOT = Path(__file__).resolve().parents[1]


def git_sha() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:  # noqa: BLE001
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "memory")
    ap.add_argument("--no-measure", action="store_true", help="computed figures only")
    ap.add_argument("--max-measure-gb", type=float, default=10.0)
    ap.add_argument("--rewrite-md", action="store_true", help="only rewrite the .md from the existing .csv")
    args = ap.parse_args()
    notes_file = args.out / "run_notes.txt"
    if args.rewrite_md:
        rows, run = read_report(args.out / "memory_report.csv"), notes_file.read_text().strip()
    else:
        load0, t0 = os.getloadavg()[0], time.time()
        rows = memory_report(DEFAULT_PLAN, measure=not args.no_measure, max_measure_gb=args.max_measure_gb)
        run = (f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
               f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, git {git_sha()}; "
               f"{time.time() - t0:.0f} s in all; 1-minute load average {load0:.1f} at the start and "
               f"{os.getloadavg()[0]:.1f} at the end (other jobs shared the machine: seconds are indicative).")
        args.out.mkdir(parents=True, exist_ok=True)
        notes_file.write_text(run + "\n")
    notes = (run + "\n"
             "Columns: computed_gb / measured_gb are peak bytes of one training step, float32, in GB (1e9), the "
             "measured one net of the interpreter's own peak; forward_s / backward_s / optimizer_s are seconds of "
             "the second step (CPU, random weights; shared machine, so timings are indicative). paper_gb: the "
             "slides' figures (TITAN X, the authors' implementation, optimiser unstated: SGD with momentum is "
             "what a 2017 Caffe setup used, hence the sgd rows).\n"
             "plm_no_compressor does not fit this machine's RAM to train, so it is computed only; the computed "
             "column is checked against the measured one on the other rows (within about 10%; it leaves out the "
             "forward pass's unsaved intermediates, which show when the encoder is frozen, as in small). "
             "computed_weights_gb is the float32 weights alone: without compressors they are 14 GB, more than a "
             "12 GB TITAN X holds before any training state, which is the slides' point.")
    csv_path, md_path = write_report(rows, args.out, notes)
    for opt in ("sgd", "adam"):
        print(compressor_ratio(rows, opt))
    print(f"wrote {csv_path} and {md_path}")


if __name__ == "__main__":
    main()
