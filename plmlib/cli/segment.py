"""``plm segment``: segment any video from its first-frame mask (:func:`plmlib.infer.run.segment_file`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.cli import add_threads_option
from plmlib.core.methods import DEFAULT_METHOD, METHODS, PLM_METHODS


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", type=Path, help="a folder of frames (jpg/png) or a video file (mp4/avi)")
    parser.add_argument("--mask", required=True, type=Path,
                        help="the first frame's mask (PNG id map; several ids = several objects)")
    parser.add_argument("--out", required=True, type=Path, help="output folder for <frame>.png masks and overlay.mp4")
    parser.add_argument("--method", default=DEFAULT_METHOD, choices=sorted(METHODS),
                        help=f"segmentation method (default {DEFAULT_METHOD}: our best PLM; fine-tunes first)")
    parser.add_argument("--force", action="store_true",
                        help="replace a finished plm segment run in --out (only once the new run completes)")
    parser.add_argument("--no-overlay", action="store_true", help="do not write overlay.mp4")
    parser.add_argument("--fps", type=float, default=10.0, help="frame rate of the overlay video")
    plm = parser.add_argument_group(f"PLM methods ({', '.join(PLM_METHODS)})")
    plm.add_argument("--checkpoint", default=None,
                     help="plmlib checkpoint or release to start from, or a shipped model's name (plmlib/weights/; "
                          "default: the shipped default release; "
                          "'none': a fresh 'small' model with hed encoder weights, fine-tuned on the first frame)")
    plm.add_argument("--device", default=None, help="cpu, cuda, mps (default: cuda > mps > cpu)")
    plm.add_argument("--no-finetune", action="store_true", help="do not fine-tune on the first frame")
    plm.add_argument("--finetune-iterations", type=int, default=None, help="fine-tuning steps (default: the shipped "
                          "model's, 100 from another checkpoint, 150 for a fresh model: "
                          "plmlib.train.finetune_defaults)")
    plm.add_argument("--candidates", nargs="+", default=[], metavar="KEY=VALUE",
                     help="CandidateConfig fields (plmlib.infer.candidates), e.g. visual_tracker=csrt motion=flow")
    add_threads_option(parser)  # the thread count changes the fine-tuning's float sums: set it to repeat a run


def run(args: argparse.Namespace) -> int:
    from plmlib.infer.run import segment_file  # lazy: it imports torch; --help and the baselines' options do not

    timing = segment_file(args.video, args.mask, args.out, method=args.method, force=args.force,
                          overlay=not args.no_overlay, fps=args.fps, checkpoint=args.checkpoint, device=args.device,
                          finetune=not args.no_finetune, finetune_iterations=args.finetune_iterations,
                          candidates=args.candidates, threads=args.threads)
    line = (f"{timing['frames']} frames segmented with {args.method} in {timing['seconds']:.1f} s "
            f"({timing['seconds_per_frame']:.3f} s/frame)")
    if "finetune_seconds" in timing:
        line += (f"; fine-tuning {timing['finetune_seconds']:.1f} s, then per frame: network "
                 f"{timing['network_seconds_per_frame']:.3f} s, rest {timing['rest_seconds_per_frame']:.3f} s")
    print(f"{line}; masks{'' if args.no_overlay else ' and overlay.mp4'} in {args.out}")
    return 0
