"""``plm segment``: segment any video from its first-frame mask and write DAVIS PNGs and an overlay video.

    plm segment VIDEO --mask FIRST_MASK.png --out DIR [--method plm_grabcut|plm|plm_p|plm_u|bvs|flow|...]
                      [--checkpoint MODEL.pt] [--device cpu|cuda] [--no-finetune]

VIDEO is a folder of frames or a video file. The mask is a PNG id map (DAVIS 2016: one object; DAVIS 2017 style
palette masks: several objects, written back with the same ids). PLM methods fine-tune on the first frame first
(slides: two-stage training) unless ``--no-finetune``. Which network PLM uses: ``--checkpoint`` if given, else the
release pre-trained on DAVIS 2016 train that ships with plmlib (plmlib/weights/README.md); ``--checkpoint none``: a
fresh ``small`` model with the hed encoder weights, fine-tuned on the first frame only (fast, weak). ``timing.json`` splits the time into start (fine-tuning), network, the rest of each step, and I/O.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from plmlib.data import Sequence, load_video
from plmlib.io import atomic_write, write_mask, write_overlay_video
from plmlib.provenance import save_config
from plmlib.segmenter import DEFAULT_METHOD, METHODS, PLM_METHODS, create_segmenter, segment_video


class _TimedFrames:
    """Wraps a frame sequence: counts the seconds spent reading frames, keeps its length (for segment_video)."""

    def __init__(self, frames):
        self.frames, self.seconds = frames, 0.0

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator:
        iterator = iter(self.frames)
        while True:
            started = time.perf_counter()
            try:
                frame = next(iterator)
            except StopIteration:
                return
            finally:
                self.seconds += time.perf_counter() - started
            yield frame


def segment_sequence(
    sequence: Sequence,
    out_dir: str | Path,
    method: str = DEFAULT_METHOD,
    overlay: bool = True,
    fps: float = 10.0,
    progress: bool = True,
    **method_options,
) -> dict:
    """Segment ``sequence`` from its first mask; write ``out_dir/<frame>.png`` (DAVIS palette) and an overlay.

    Masks are streamed to disk as they are produced, so memory does not grow with the video's length.
    Returns a timing summary (also written to ``out_dir/timing.json``): ``seconds`` (all), ``seconds_per_frame``
    (all / propagated frames), ``start_seconds`` (first frame: fine-tuning for PLM), ``step_seconds_per_frame``
    (segmenting only), ``io_seconds_per_frame`` (reading frames, writing masks); PLM methods add
    ``finetune_seconds``, ``network_seconds_per_frame`` and ``rest_seconds_per_frame`` (step minus network).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if method in PLM_METHODS:
        method_options["progress"] = progress  # the fine-tuning's progress bar
    segmenter = create_segmenter(method, **method_options)
    names = sequence.frame_names
    frames = _TimedFrames(sequence.frames)
    started = time.perf_counter()
    bar = tqdm(total=len(sequence), desc=f"{method} {sequence.name}", unit="frame", disable=not progress)
    write_seconds, start_seconds = 0.0, 0.0
    for index, mask in enumerate(segment_video(segmenter, frames, sequence.first_mask)):
        if index == 0:
            start_seconds = time.perf_counter() - started - frames.seconds
        written = time.perf_counter()
        write_mask(out_dir / f"{names[index]}.png", mask)
        write_seconds += time.perf_counter() - written
        bar.update(1)
    bar.close()
    seconds = time.perf_counter() - started
    steps = max(len(sequence) - 1, 1)
    timing = {
        "sequence": sequence.name,
        "method": method,
        "frames": len(sequence),
        "size": list(sequence.size),
        "seconds": round(seconds, 4),
        "seconds_per_frame": round(seconds / steps, 4),
        "start_seconds": round(start_seconds, 4),
        "step_seconds_per_frame": round((seconds - start_seconds - frames.seconds - write_seconds) / steps, 4),
        "io_seconds_per_frame": round((frames.seconds + write_seconds) / steps, 4),
    }
    if hasattr(segmenter, "timing_summary"):
        timing.update(segmenter.timing_summary())
    if overlay:
        from plmlib.io import read_mask

        masks = (read_mask(out_dir / f"{name}.png") for name in names)
        write_overlay_video(out_dir / "overlay.mp4", iter(sequence.frames), masks, fps=fps)
    with atomic_write(out_dir / "timing.json") as tmp:
        tmp.write_text(json.dumps(timing, indent=2))
    return timing


def plm_options(checkpoint: str | Path | None = None, device: str | None = None, finetune: bool = True,
                finetune_iterations: int | None = None, candidates: list[str] | None = None) -> dict:
    """Constructor options of the PLM methods from the command line's flags; ``candidates``: ``key=value``
    strings of CandidateConfig fields (checked here: a ValueError names a wrong one)."""
    options: dict = {"finetune": finetune}
    if candidates:
        import dataclasses

        from plmlib.infer.candidates import CandidateConfig
        from plmlib.train.config import apply_overrides

        config = apply_overrides(CandidateConfig(), candidates, option="--candidates")
        defaults = CandidateConfig()
        options["candidates"] = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
                                 if getattr(config, f.name) != getattr(defaults, f.name)}
    if checkpoint is not None:
        options["checkpoint"] = None if str(checkpoint).lower() == "none" else str(checkpoint)
    if device is not None:
        options["device"] = device
    if finetune_iterations is not None:
        options["finetune_options"] = {"iterations": int(finetune_iterations)}
    return options


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", type=Path, help="a folder of frames (jpg/png) or a video file (mp4/avi)")
    parser.add_argument("--mask", required=True, type=Path,
                        help="the first frame's mask (PNG id map; several ids = several objects)")
    parser.add_argument("--out", required=True, type=Path, help="output folder for <frame>.png masks and overlay.mp4")
    parser.add_argument("--method", default=DEFAULT_METHOD, choices=sorted(METHODS),
                        help=f"segmentation method (default {DEFAULT_METHOD}: our best PLM; fine-tunes first)")
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
                          "plmlib.infer.segmenter.finetune_defaults)")
    plm.add_argument("--candidates", nargs="+", default=[], metavar="KEY=VALUE",
                     help="CandidateConfig fields (plmlib.infer.candidates), e.g. visual_tracker=csrt motion=flow")
    from plmlib.cli import add_threads_option

    add_threads_option(parser)  # the thread count changes the fine-tuning's float sums: set it to repeat a run


def run(args: argparse.Namespace) -> int:
    sequence = load_video(args.video, first_mask=args.mask)
    options = {}
    if args.method in PLM_METHODS:
        if args.checkpoint is not None and args.checkpoint.lower() != "none" and not Path(args.checkpoint).is_file():
            raise FileNotFoundError(f"{args.checkpoint}: no such checkpoint file")
        options = plm_options(args.checkpoint, args.device, not args.no_finetune, args.finetune_iterations,
                              args.candidates)
    elif args.checkpoint is not None or args.no_finetune or args.finetune_iterations is not None or args.candidates:
        raise ValueError(f"--checkpoint, --no-finetune, --finetune-iterations and --candidates apply to "
                         f"{', '.join(PLM_METHODS)}, not to {args.method}")
    timing = segment_sequence(sequence, args.out, method=args.method, overlay=not args.no_overlay, fps=args.fps,
                              **options)
    save_config(args.out / "config.yaml", {"video": str(args.video), "mask": str(args.mask), "method": args.method,
                                           "threads": args.threads, **options})
    line = (f"{timing['frames']} frames segmented with {args.method} in {timing['seconds']:.1f} s "
            f"({timing['seconds_per_frame']:.3f} s/frame)")
    if "finetune_seconds" in timing:
        line += (f"; fine-tuning {timing['finetune_seconds']:.1f} s, then per frame: network "
                 f"{timing['network_seconds_per_frame']:.3f} s, rest {timing['rest_seconds_per_frame']:.3f} s")
    print(f"{line}; masks and overlay.mp4 in {args.out}")
    return 0
