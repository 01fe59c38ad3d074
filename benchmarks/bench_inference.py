"""Inference speed and memory of PLM, PLM_P and PLM + GrabCut (ours) here -> results/benchmarks/inference.csv.

    python benchmarks/bench_inference.py                  # speed on a DAVIS sequence at 854x480, memory 100 vs 1000
    python benchmarks/bench_inference.py --quick          # fewer frames (a smoke run)

Speed: seconds per 854x480 frame split into fine-tuning (once per video, also shown amortised over the video),
the network (candidate windows batched, the query's vector computed once) and the rest (cropping, stacking,
thresholding, box tracking, PLM_P's filter, GrabCut), for PLM, PLM_P and plm_grabcut with the default network
(the shipped release, fine-tuned on the first frame; ``--preset small``: a fresh small model instead), next to the
paper's figures on a TITAN X (slides: 0.15 s PLM, 0.3 s PLM_P) and the BVS baseline's row of
results/benchmarks/baselines.csv when present.
Memory: peak resident memory of a process streaming a 100-frame and a 1000-frame synthetic video (frames generated
on the fly, masks dropped as they come), each in a fresh subprocess.

Timings on a shared 2-core CPU are noisy: run it on an idle machine, and compare rows of one run only. Each speed
row records the load average before and after, and ``cpu_seconds_per_frame`` (process CPU time per frame, all
threads): on a busy machine wall time inflates, CPU time much less; CPU time / threads approximates an idle run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "benchmarks" / "inference.csv"
FIELDS = ["measure", "method", "source", "device", "frame_size", "frames", "windows_per_frame", "finetune_seconds",
          "finetune_seconds_per_frame", "network_seconds_per_frame", "rest_seconds_per_frame",
          "seconds_per_frame", "cpu_seconds_per_frame", "peak_rss_mb", "note"]
PAPER = {"plm": 0.15, "plm_p": 0.3}  # slides, TITAN X, "whole processing time"


def davis_sequence(name: str):
    """A DAVIS 2016 sequence at 480p: $PLM_DAVIS_ROOT, else the shared sample; None if neither has it."""
    from plmlib.data import Davis2016

    for root in (os.environ.get("PLM_DAVIS_ROOT"), ROOT.parent / "shared" / "data" / "davis2016-sample"):
        if root and Path(root, "ImageSets").is_dir():
            for split in ("val", "train"):
                try:
                    davis = Davis2016(root, split=split)
                except Exception:  # noqa: BLE001 - a layout without this split
                    continue
                if name in davis.names:
                    return davis[name]
    return None


def speed(method: str, sequence, frames: int, finetune: bool, threads: int, preset: str | None = None,
          checkpoint: str | None = None, finetune_options: dict | None = None) -> dict:
    """One method on the first ``frames`` frames of ``sequence``; timings from the segmenter's own counters.
    ``checkpoint``: a shipped model's name or a file (None: the shipped default); ``preset``: a fresh network."""
    import torch

    from plmlib import create_segmenter

    torch.set_num_threads(threads)
    load_before = os.getloadavg()[0]
    if preset:
        network, described = {"checkpoint": None, "preset": preset}, f"preset {preset}"
    elif checkpoint:
        network, described = {"checkpoint": checkpoint}, f"network {checkpoint}"
    else:
        from plmlib.model.release import SHIPPED_NAME

        network, described = {}, f"shipped release {SHIPPED_NAME}"
    if finetune_options:
        network["finetune_options"] = dict(finetune_options)
        described += f" (fine-tuning {finetune_options})"
    segmenter = create_segmenter(method, device="cpu", finetune=finetune, **network)
    started = time.perf_counter()
    segmenter.start(np.asarray(sequence.frames[0]), sequence.first_mask)
    images = [np.asarray(sequence.frames[t]) for t in range(1, frames)]  # read before timing
    cpu = time.process_time()
    for image in images:
        segmenter.step(image)
    cpu = (time.process_time() - cpu) / max(len(images), 1)
    summary = segmenter.timing_summary()
    height, width = sequence.size
    return {
        "measure": "speed", "method": method, "source": "ours", "device": f"cpu ({threads} threads)",
        "frame_size": f"{width}x{height}", "frames": frames, "windows_per_frame": summary["windows_per_frame"],
        "finetune_seconds": summary["finetune_seconds"] if finetune else 0.0,
        "finetune_seconds_per_frame": round(summary["finetune_seconds"] / frames, 4) if finetune else 0.0,
        "network_seconds_per_frame": summary["network_seconds_per_frame"],
        "rest_seconds_per_frame": summary["rest_seconds_per_frame"],
        "seconds_per_frame": summary["step_seconds_per_frame"],
        "cpu_seconds_per_frame": round(cpu, 4),
        "note": f"{sequence.name}; {described}; {'fine-tuned' if finetune else 'not fine-tuned'}; "
                f"wall {time.perf_counter() - started:.1f} s; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}",
    }


def memory_child(frames: int, size: tuple[int, int]) -> None:
    """(subprocess) stream a synthetic video of ``frames`` frames; print peak RSS and RSS along the way as JSON."""
    import torch

    from plmlib.data import make_video
    from plmlib.infer import segment_frames

    torch.set_num_threads(1)
    period = make_video("translate", n_frames=48, size=size, seed=0)  # frames generated once, then cycled

    def stream():
        for t in range(frames):
            yield period.frames[t % 48]

    rss = []
    for t, _mask in enumerate(segment_frames(stream(), period.masks[0], device="cpu", finetune=False)):
        if t in (10, frames // 2, frames - 1):
            rss.append(_rss_mb())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"frames": frames, "peak_rss_mb": round(peak, 1), "rss_mb_along": rss}))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def memory(frames: int, size: tuple[int, int]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(frames), "--size", f"{size[0]}x{size[1]}"],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return {
        "measure": "memory", "method": "plm", "source": "ours", "device": "cpu (1 thread)",
        "frame_size": f"{size[1]}x{size[0]}", "frames": frames, "peak_rss_mb": result["peak_rss_mb"],
        "note": f"synthetic, streamed, not fine-tuned; RSS (MB) at frames 10 / middle / last: "
                f"{' / '.join(str(v) for v in result['rss_mb_along'])}",
    }


def reference_rows() -> list[dict]:
    rows = [{"measure": "speed", "method": m, "source": "paper (slides)", "device": "NVIDIA TITAN X",
             "frame_size": "854x480", "seconds_per_frame": s, "note": "whole processing time per frame"}
            for m, s in PAPER.items()]
    baselines = ROOT / "results" / "benchmarks" / "baselines.csv"
    if baselines.is_file():
        with baselines.open() as f:
            for row in csv.DictReader(f):  # bench_baselines.py's columns
                if row.get("method", "").lower() == "bvs":
                    rows.append({"measure": "speed", "method": "bvs", "source": "results/benchmarks/baselines.csv",
                                 "device": f"cpu ({row.get('cpus', '?')} cores)",
                                 "frame_size": f"{row.get('width', '')}x{row.get('height', '')}",
                                 "frames": row.get("frames", ""),
                                 "seconds_per_frame": row.get("seconds_per_frame_mean", ""),
                                 "note": f"BVS baseline on {row.get('sequence', '')} (bench_baselines.py, "
                                         f"{row.get('date', '')}); paper: {row.get('published_seconds_per_frame', '')} s"})
    else:
        rows.append({"measure": "speed", "method": "bvs", "source": "paper (slides)", "device": "(not stated)",
                     "frame_size": "854x480", "seconds_per_frame": 0.37,
                     "note": "BVS as printed in the paper's table; baselines.csv not found"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequence", default="blackswan", help="DAVIS 2016 sequence for the speed rows")
    parser.add_argument("--frames", type=int, default=30, help="frames timed per method")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--memory-frames", default="100,1000", help="video lengths for the memory rows")
    parser.add_argument("--size", default="480x854", help="memory rows: frame size HxW")
    parser.add_argument("--quick", action="store_true", help="8 frames, memory 20 vs 100")
    parser.add_argument("--no-memory", action="store_true", help="speed rows only")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--checkpoint", default=None, help="the network of the first rows: a shipped model's name or "
                        "a file (default: the shipped default)")
    parser.add_argument("--only-checkpoint", action="store_true", help="time only that network's rows (PLM, PLM_P, "
                        "PLM + GrabCut), not the fresh small and paper-sized ones")
    parser.add_argument("--finetune-iterations", type=int, default=None, help="fine-tuning steps of the first rows "
                        "(default: PLMSegmenter's)")
    parser.add_argument("--finetune-lr", type=float, default=None, help="fine-tuning rate of the first rows")
    parser.add_argument("--append", action="store_true", help="add this run's rows to --out, keeping its earlier rows "
                        "(e.g. one network's rows beside another's)")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    if args.memory_child is not None:
        memory_child(args.memory_child, size)
        return 0
    if args.quick:
        args.frames, args.memory_frames = 8, "20,100"

    from plmlib.data import make_video

    sequence = davis_sequence(args.sequence)
    if sequence is None:
        sequence = make_video("translate", n_frames=args.frames, size=(480, 854), seed=0)
        print(f"DAVIS {args.sequence} not found: timing a synthetic 854x480 video instead")
    frames = min(args.frames, len(sequence))
    rows = []
    # the default network (the shipped release, fine-tuned), then a fresh small one, then the paper-sized one
    # (S = 128, FC 4096) without fine-tuning
    runs = [("plm", True, None), ("plm_p", True, None), ("plm_grabcut", True, None)]
    if not args.only_checkpoint:
        runs += [("plm", True, "small"), ("plm", False, "plm")]
    for method, finetune, preset in runs:
        options = {k: v for k, v in (("iterations", args.finetune_iterations), ("lr", args.finetune_lr))
                   if v is not None and preset is None}
        row = speed(method, sequence, frames, finetune, args.threads, preset, args.checkpoint, options)
        print(f"{method:6s} fine-tune {row['finetune_seconds']:6.1f} s | per frame: network "
              f"{row['network_seconds_per_frame']:.3f} s, rest {row['rest_seconds_per_frame']:.3f} s, "
              f"total {row['seconds_per_frame']:.3f} s, CPU {row['cpu_seconds_per_frame']:.3f} s "
              f"({row['windows_per_frame']} windows; {row['note']})")
        rows.append(row)
    for n in ([] if args.no_memory else [int(v) for v in args.memory_frames.split(",")]):
        row = memory(n, size)
        print(f"memory {n:5d} frames: peak {row['peak_rss_mb']} MB ({row['note']})")
        rows.append(row)
    peaks = [r["peak_rss_mb"] for r in rows if r["measure"] == "memory"]
    if len(peaks) >= 2:
        growth = peaks[-1] / peaks[0] - 1.0
        print(f"peak memory, longest vs shortest video: {100 * growth:+.1f}% (goal: within 10%)")
    if args.append and args.out.is_file():  # every earlier row stays; this run's go below them
        with args.out.open() as f:
            rows = list(csv.DictReader(f)) + rows
    elif args.no_memory and args.out.is_file():  # keep the memory rows of an earlier run
        with args.out.open() as f:
            rows += [r for r in csv.DictReader(f) if r["measure"] == "memory"]
    if not args.append:
        rows += reference_rows()
    note = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, shared machine: noisy"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            if row["source"] == "ours" and "shared machine" not in row["note"]:
                row["note"] = f"{row['note']}; {note}"
            writer.writerow({k: row.get(k, "") for k in FIELDS})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
