"""The paper's two other benchmarks as protocols that run any method on any dataset: ``plm protocol``.

- **JumpCut protocol** (Fan et al., SIGGRAPH Asia 2015; the slides' JumpCut table): key frames every 16 frames; from
  each key frame's ground-truth mask the method transfers the mask 16 frames ahead, and the error is
  ``100 x mislabelled / foreground`` at the target frame (:mod:`plmlib.metrics.jumpcut`). The transfer is
  *non-successive*: the method sees the key frame and then the target frame directly, a two-frame video (our reading
  of "transfer"; a method that needs the frames in between would see them in the JumpCut paper's own setting only).
- **SegTrack protocol** (Li et al., ICCV 2013; the slides' SegTrack table): propagate from the first frame through the
  whole video, IoU per object averaged over frames (:mod:`plmlib.metrics.segtrack`).

The JumpCut dataset cannot be had on this project's machines, so the protocol is also run on DAVIS 2016 val and is
labelled so everywhere (``dataset: davis2016`` in the CSV and the config): those numbers are not comparable to the
paper's JumpCut table, only the code is the same. With the real data downloaded (``data_download/jumpcut.py``,
``data_download/segtrack_v2.py``) the same command gives the paper's protocol.

    plm protocol jumpcut --dataset davis2016 --methods bvs flow --out results/jumpcut_protocol_on_davis2016
    plm protocol jumpcut --dataset jumpcut --methods plm bvs --out results/jumpcut
    plm protocol segtrack --dataset segtrack --methods plm bvs --out results/segtrack
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from plmlib.metrics.jumpcut import JUMP, jumpcut_frame_error, jumpcut_pairs
from plmlib.metrics.segtrack import segtrack_sequence_iou
from plmlib.provenance import save_config
from plmlib.segmenter import METHODS, create_segmenter, segment_video

DATASETS = ("davis2016", "jumpcut", "segtrack")


def open_dataset(name: str, root: str | Path | None = None):
    """The sequences of a dataset by name (DAVIS 2016: the val split)."""
    from plmlib.data import Davis2016, JumpCut, SegTrackV2

    if name == "davis2016":
        return Davis2016(root, split="val")
    if name == "jumpcut":
        return JumpCut(root)
    if name == "segtrack":
        return SegTrackV2(root)
    raise ValueError(f"unknown dataset {name!r} (expected one of {', '.join(DATASETS)})")


def jumpcut_transfers(sequence, method: str, jump: int = JUMP, **options) -> list[dict]:
    """One row per (key frame, target frame) of ``sequence``: the JumpCut error of ``method``'s transfer."""
    rows = []
    for key, target in jumpcut_pairs(len(sequence), jump):
        first = sequence.masks[key]
        if first is None or not np.any(first):  # no object to transfer: nothing to score (our choice)
            continue
        gt = sequence.masks[target]
        if gt is None or not np.any(gt):
            continue
        started = time.perf_counter()
        masks = list(segment_video(create_segmenter(method, **options), [sequence.frames[key], sequence.frames[target]],
                                   first))
        rows.append({"sequence": sequence.name, "key_frame": key, "target_frame": target,
                     "error": round(jumpcut_frame_error(gt, masks[-1]), 3),
                     "seconds": round(time.perf_counter() - started, 3)})
    return rows


def segtrack_scores(sequence, method: str, **options) -> dict:
    """IoU of ``method`` propagated from the first frame through ``sequence`` (SegTrack protocol)."""
    started = time.perf_counter()
    predicted = list(segment_video(create_segmenter(method, **options), sequence.frames, sequence.first_mask))
    gts = [m for m in sequence.masks]
    keep = [i for i, m in enumerate(gts) if m is not None]
    iou = segtrack_sequence_iou([gts[i] for i in keep], [predicted[i] for i in keep])
    return {"sequence": sequence.name, "frames": len(sequence), "iou": round(float(iou), 4),
            "seconds": round(time.perf_counter() - started, 3)}


def run_protocol(protocol: str, dataset: str, methods: list[str], out: str | Path, root: str | Path | None = None,
                 sequences: list[str] | None = None, progress: bool = True, **options) -> pd.DataFrame:
    """Run ``protocol`` ("jumpcut" or "segtrack") for each method; write ``OUT/<method>.csv`` per transfer or
    sequence, ``OUT/summary.csv`` (one row per method) and ``OUT/config.yaml``; return the summary."""
    from plmlib.io import atomic_write

    if protocol not in ("jumpcut", "segtrack"):
        raise ValueError(f"unknown protocol {protocol!r} (expected jumpcut or segtrack)")
    data = open_dataset(dataset, root)
    names = list(sequences or data.names)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = []
    for method in methods:
        rows = []
        for name in tqdm(names, desc=f"{protocol} {method}", unit="sequence", disable=not progress):
            sequence = data[name]
            if protocol == "jumpcut":
                rows += jumpcut_transfers(sequence, method, **options)
            else:
                rows.append(segtrack_scores(sequence, method, **options))
        table = pd.DataFrame(rows)
        with atomic_write(out / f"{method}.csv") as tmp:
            table.to_csv(tmp, index=False)
        if protocol == "jumpcut":
            per_sequence = table.groupby("sequence")["error"].mean()  # NaN-free: empty targets were skipped
            score = {"error_percent": round(float(per_sequence.mean()), 2), "transfers": len(table)}
        else:
            score = {"iou": round(float(table["iou"].mean()), 4), "sequences": len(table)}
        summary.append({"method": method, "dataset": dataset, **score,
                        "seconds": round(float(table["seconds"].sum()), 1) if len(table) else math.nan})
    summary = pd.DataFrame(summary)
    with atomic_write(out / "summary.csv") as tmp:
        summary.to_csv(tmp, index=False)
    save_config(out / "config.yaml", {"protocol": protocol, "dataset": dataset, "methods": methods,
                                      "sequences": sequences or "all", "jump": JUMP, "options": options,
                                      "note": ("the JumpCut protocol run on DAVIS 2016 val, not the JumpCut dataset"
                                               if protocol == "jumpcut" and dataset == "davis2016" else "")})
    return summary


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("protocol", choices=["jumpcut", "segtrack"])
    parser.add_argument("--dataset", default="davis2016", choices=DATASETS)
    parser.add_argument("--root", default=None, help="dataset root (default: its environment variable)")
    parser.add_argument("--methods", nargs="+", default=["bvs"], choices=sorted(METHODS))
    parser.add_argument("--sequences", nargs="+", default=None)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    summary = run_protocol(args.protocol, args.dataset, args.methods, args.out, args.root, args.sequences,
                           progress=not args.quiet)
    print(summary.to_string(index=False))
    return 0
