"""Raw per-frame T of a whole split at full precision, to check that two versions of the code give the same values.

    python benchmarks/temporal_values.py dump OUT.npz --results RESULTS [--davis-root ROOT] [--split val]
    python benchmarks/temporal_values.py compare A.npz B.npz

``dump`` scores RESULTS (``RESULTS/<sequence>/<frame>.png``; the ground truth itself with
``--results $PLM_DAVIS_ROOT/Annotations/480p``) with :func:`plmlib.metrics.evaluate.evaluate`, one process, and
saves every object's per-frame T (unscaled, NaN where a frame has no contour). ``compare`` counts the frames whose
values are bit-identical (NaN equal to NaN) and prints the largest difference; it exits 1 unless all are identical.
To compare with an older commit, dump from a checkout of it (``git worktree add /tmp/old <commit>``, then run this
file with ``PYTHONPATH=/tmp/old``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # after PYTHONPATH: a checkout named there wins


def dump(out: Path, results: Path, davis_root: Path, split: str) -> None:
    import plmlib
    from plmlib.metrics.evaluate import evaluate

    print(f"plmlib from {Path(plmlib.__file__).parent}")

    began = time.perf_counter()
    evaluation = evaluate(results, davis_root, split=split, workers=1, temporal=True, progress=False)
    values = {o.name: o.T for o in evaluation.objects}
    np.savez(out, **values)
    frames = sum(v.size for v in values.values())
    print(f"{out}: {len(values)} objects, {frames} frames, T {evaluation.global_scores['T']:.6f}, "
          f"{time.perf_counter() - began:.1f} s (one process, J and F included)")


def compare(first: Path, second: Path) -> bool:
    a, b = np.load(first), np.load(second)
    if sorted(a.files) != sorted(b.files):
        print("different objects:", sorted(set(a.files) ^ set(b.files)))
        return False
    frames = identical = 0
    largest = 0.0
    for name in a.files:
        x, y = a[name], b[name]
        if x.shape != y.shape:
            print(f"{name}: {x.shape} frames against {y.shape}")
            return False
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        frames += x.size
        identical += int(same.sum())
        both = ~np.isnan(x) & ~np.isnan(y)
        largest = max(largest, float(np.max(np.abs(x[both] - y[both]), initial=0.0)))
    print(f"{identical} of {frames} frames bit-identical; largest |difference| {largest:.3g}")
    return identical == frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="write the per-frame T of a results folder")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--results", type=Path, required=True)
    dumping.add_argument("--davis-root", type=Path, default=os.environ.get("PLM_DAVIS_ROOT"))
    dumping.add_argument("--split", default="val")
    comparing = commands.add_parser("compare", help="compare two dumps")
    comparing.add_argument("first", type=Path)
    comparing.add_argument("second", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        if args.davis_root is None:
            raise SystemExit("pass --davis-root or set PLM_DAVIS_ROOT")
        dump(args.out, args.results, args.davis_root, args.split)
        return 0
    return 0 if compare(args.first, args.second) else 1


if __name__ == "__main__":
    raise SystemExit(main())
