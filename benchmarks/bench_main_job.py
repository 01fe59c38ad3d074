"""Wall time of the README's two set-up commands, as a newcomer meets them: a fresh clone, nothing installed.

    python benchmarks/bench_main_job.py                    # clone HEAD, make reproduce, make test: one row each
    python benchmarks/bench_main_job.py --keep-demo results/demo   # also keep the demo's table as a committed result

Clones this repository's HEAD into a temporary folder, runs ``make reproduce`` then ``make test`` there (each
creates or reuses the clone's own ``.venv``: the first command pays for the install), checks that ``git status
--porcelain`` is empty after each, and appends one row per command to ``results/benchmarks/main_job.csv``. Speed
is measured here, never in a test (the machine's load is noted in each row).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CSV = REPO / "results" / "benchmarks" / "main_job.csv"
COLUMNS = ["command", "wall_seconds", "git_sha", "python", "machine", "cores", "load_before", "load_after",
           "checkout_clean", "date", "note"]
DEMO_FILES = ("comparison.csv", "comparison.md", "comparison.png", "config.yaml")


def timed(command: list[str], cwd: Path, log: Path) -> tuple[float, float, float]:
    """Run ``command`` in ``cwd`` with its output in ``log``; (seconds, load before, load after)."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with open(log, "w") as out:
        done = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "PLM_DAVIS_ROOT": ""})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd} (exit {done.returncode}); see {log}")
    return seconds, load_before, os.getloadavg()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3.11", help="the interpreter make creates .venv with")
    parser.add_argument("--keep-demo", type=Path, default=None,
                        help="copy the demo's table, figure and config here (a committed result)")
    parser.add_argument("--note", default="", help="free text for the CSV rows")
    args = parser.parse_args(argv)
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.strip()
    if subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.strip():
        print(f"note: the working tree has uncommitted changes; the clone measures HEAD ({sha})", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="plm-main-job-") as tmp:
        clone = Path(tmp) / "plmlib"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        for target in ("reproduce", "test"):
            log = REPO / "outputs" / "bench_main_job" / f"make-{target}.log"  # outlives the temporary clone
            log.parent.mkdir(parents=True, exist_ok=True)
            print(f"make {target} in a fresh clone of {sha} (log: {log}) ...", flush=True)
            seconds, before, after = timed(["make", target, f"PYTHON={args.python}"], clone, log)
            status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                                    text=True).stdout.strip()
            print(f"make {target}: {seconds / 60:.1f} min; checkout clean: {not status}", flush=True)
            rows.append({"command": f"make {target}", "wall_seconds": round(seconds, 1), "git_sha": sha,
                         "python": args.python, "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                         "cores": os.cpu_count(), "load_before": round(before, 2), "load_after": round(after, 2),
                         "checkout_clean": not status, "date": datetime.date.today().isoformat(),
                         "note": args.note or ("first command: includes creating .venv" if target == "reproduce"
                                               else "reuses the .venv of make reproduce")})
        if args.keep_demo is not None:
            args.keep_demo.mkdir(parents=True, exist_ok=True)
            for name in DEMO_FILES:
                shutil.copy(clone / "outputs" / "demo" / name, args.keep_demo / name)
    CSV.parent.mkdir(parents=True, exist_ok=True)
    new = not CSV.is_file()
    with open(CSV, "a", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows appended to {CSV}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
