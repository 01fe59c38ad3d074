"""``plm segment``: segment any video from its first-frame mask and write DAVIS PNGs and an overlay video."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tqdm.auto import tqdm

from plmlib.data import Sequence, load_video
from plmlib.io import atomic_write, write_mask, write_overlay_video
from plmlib.provenance import save_config
from plmlib.segmenter import METHODS, create_segmenter, segment_video


def segment_sequence(
    sequence: Sequence,
    out_dir: str | Path,
    method: str = "flow",
    overlay: bool = True,
    fps: float = 10.0,
    progress: bool = True,
    **method_options,
) -> dict:
    """Segment ``sequence`` from its first mask; write ``out_dir/<frame>.png`` (DAVIS palette) and an overlay.

    Masks are streamed to disk as they are produced, so memory does not grow with the video's length.
    Returns a timing summary (also written to ``out_dir/timing.json``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    segmenter = create_segmenter(method, **method_options)
    names = sequence.frame_names
    started = time.perf_counter()
    bar = tqdm(total=len(sequence), desc=f"{method} {sequence.name}", unit="frame", disable=not progress)
    for index, mask in enumerate(segment_video(segmenter, sequence.frames, sequence.first_mask)):
        write_mask(out_dir / f"{names[index]}.png", mask)
        bar.update(1)
    bar.close()
    seconds = time.perf_counter() - started
    timing = {
        "sequence": sequence.name,
        "method": method,
        "frames": len(sequence),
        "seconds": round(seconds, 4),
        "seconds_per_frame": round(seconds / max(len(sequence) - 1, 1), 4),
    }
    if overlay:
        from plmlib.io import read_mask

        masks = (read_mask(out_dir / f"{name}.png") for name in names)
        write_overlay_video(out_dir / "overlay.mp4", iter(sequence.frames), masks, fps=fps)
    with atomic_write(out_dir / "timing.json") as tmp:
        tmp.write_text(json.dumps(timing, indent=2))
    return timing


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", type=Path, help="a folder of frames (jpg/png) or a video file (mp4/avi)")
    parser.add_argument("--mask", required=True, type=Path, help="the first frame's mask (PNG, any mode)")
    parser.add_argument("--out", required=True, type=Path, help="output folder for <frame>.png masks and overlay.mp4")
    parser.add_argument("--method", default="flow", choices=sorted(METHODS), help="segmentation method")
    parser.add_argument("--no-overlay", action="store_true", help="do not write overlay.mp4")
    parser.add_argument("--fps", type=float, default=10.0, help="frame rate of the overlay video")


def run(args: argparse.Namespace) -> int:
    sequence = load_video(args.video, first_mask=args.mask)
    timing = segment_sequence(sequence, args.out, method=args.method, overlay=not args.no_overlay, fps=args.fps)
    save_config(args.out / "config.yaml", {"video": str(args.video), "mask": str(args.mask), "method": args.method})
    print(
        f"{timing['frames']} frames segmented with {args.method} in {timing['seconds']:.1f} s "
        f"({timing['seconds_per_frame']:.3f} s/frame); masks and overlay.mp4 in {args.out}"
    )
    return 0
