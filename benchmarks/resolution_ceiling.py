"""How much J and F can PLM's S x S windows hold at all? The ceiling of a perfect network behind perfect tracking.

    python benchmarks/resolution_ceiling.py --davis-root $PLM_DAVIS_ROOT --crop-sizes 64 128 256

For every frame scored by DAVIS (1 .. n-2) of each val sequence, the candidate windows are placed as PLMSegmenter
places them (``jittered_windows`` with the default CandidateConfig) around the frame's **own ground-truth box**,
and each window's "response" is the ground truth itself cut and resized to S x S (``crops.crop_fraction``: the
foreground fraction of each crop pixel, what a perfect network could output). The responses then go through
PLM's own size restoring, stacking and thresholding (slides (f, g, h): ``restore_and_stack``), and the mask is
scored with J and F. What is lost is what the S x S representation loses: the object's detail below a crop pixel.

Reads no network and needs no training: a ceiling, not a method. One row per (sequence, S, threshold) goes to
``--csv`` (default results/diagnostics/resolution_ceiling.csv, rewritten), means over the scored frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plmlib.core import crops  # noqa: E402
from plmlib.core.provenance import git_sha  # noqa: E402
from plmlib.data import Davis2016  # noqa: E402
from plmlib.data.roots import dataset_root  # noqa: E402
from plmlib.infer import CandidateConfig, jittered_windows, restore_and_stack  # noqa: E402
from plmlib.io import atomic_write  # noqa: E402
from plmlib.metrics import contour_accuracy, region_similarity  # noqa: E402

COLUMNS = ["sequence", "crop_size", "threshold", "frames", "J", "F", "git_sha"]


def ceiling_mask(truth: np.ndarray, crop_size: int, level: float, config: CandidateConfig) -> np.ndarray | None:
    """The mask a perfect network gives through S x S windows placed around ``truth``'s box (None: no object)."""
    box = crops.mask_box(truth)
    if box is None:
        return None
    windows = jittered_windows(box, config)
    responses = np.stack([crops.crop_fraction(truth, window, crop_size) for window in windows])
    return restore_and_stack(responses, windows, truth.shape) >= level


def sequence_rows(sequence, crop_sizes: list[int], thresholds: list[float], config: CandidateConfig) -> list[dict]:
    """One row per (S, threshold): mean J and F over the frames DAVIS scores (1 .. n-2) that hold the object."""
    scores = {(s, t): [] for s in crop_sizes for t in thresholds}
    for k in range(1, len(sequence) - 1):
        truth = np.asarray(sequence.masks[k]) > 0
        for s in crop_sizes:
            for t in thresholds:
                mask = ceiling_mask(truth, s, t, config)
                if mask is not None:
                    scores[s, t].append((region_similarity(truth, mask), contour_accuracy(truth, mask)))
    return [{"sequence": sequence.name, "crop_size": s, "threshold": t, "frames": len(v),
             "J": round(float(np.mean([j for j, _ in v])), 4), "F": round(float(np.mean([f for _, f in v])), 4)}
            for (s, t), v in scores.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--davis-root", default=None, help="DAVIS 2016 root (default: $PLM_DAVIS_ROOT)")
    parser.add_argument("--sequences", nargs="+", default=None, help="val sequences (default: all 20)")
    parser.add_argument("--crop-sizes", nargs="+", type=int, default=[64, 128, 256])
    parser.add_argument("--thresholds", nargs="+", type=float, default=[0.3, 0.5])
    parser.add_argument("--csv", type=Path, default=ROOT / "results" / "diagnostics" / "resolution_ceiling.csv")
    args = parser.parse_args(argv)
    dataset = Davis2016(dataset_root("davis2016", args.davis_root), split="val")
    names = args.sequences or dataset.names
    rows = []
    for name in tqdm(names, desc="resolution ceiling", unit="sequence"):
        rows += sequence_rows(dataset[name], args.crop_sizes, args.thresholds, CandidateConfig())
    table = pd.DataFrame(rows).assign(git_sha=git_sha())[COLUMNS]
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(args.csv) as tmp:
        table.to_csv(tmp, index=False)
    print(table.groupby(["crop_size", "threshold"])[["J", "F"]].mean().round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
