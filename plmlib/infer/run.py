"""Segment any video from its first-frame mask and write DAVIS PNGs and an overlay video: ``plm segment``
(:func:`segment_file`; the command line is :mod:`plmlib.cli.segment`).

    plm segment VIDEO --mask FIRST_MASK.png --out DIR [--method plm_grabcut|plm|plm_p|plm_u|bvs|flow|...]
                      [--checkpoint MODEL.pt] [--device cpu|cuda] [--no-finetune]

VIDEO is a folder of frames or a video file. The mask is a PNG id map (DAVIS 2016: one object; DAVIS 2017 style
palette masks: several objects, written back with the same ids). PLM methods fine-tune on the first frame first
(slides: two-stage training) unless ``--no-finetune``. Which network PLM uses: ``--checkpoint`` if given, else the
release pre-trained on DAVIS 2016 train that ships with plmlib (plmlib/weights/README.md); ``--checkpoint none``: a
fresh ``small`` model with the hed encoder weights, fine-tuned on the first frame only (fast, weak). ``timing.json`` splits the time into start (fine-tuning), network, the rest of each step, and I/O.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
import time
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from plmlib.core.config import apply_overrides
from plmlib.core.methods import DEFAULT_METHOD, PLM_METHODS, create_segmenter
from plmlib.core.provenance import save_config
from plmlib.core.segmenter import check_first_mask, segment_video
from plmlib.data import Sequence, load_video
from plmlib.infer.candidates import CandidateConfig
from plmlib.io import (FrameError, atomic_folder, atomic_write, check_writable_folder, read_mask, write_mask,
                       write_overlay_video)
from plmlib.model.release import resolve_network


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
    config: dict | None = None,
    **method_options,
) -> dict:
    """Segment ``sequence`` from its first mask; write ``out_dir/<frame>.png`` (DAVIS palette) and an overlay.

    ``out_dir`` is one complete run or nothing: everything (masks, overlay, ``timing.json``, ``config.yaml`` with
    ``config`` when given) is written into a temporary folder beside it, which replaces ``out_dir`` whole only when
    the run has finished (``plmlib.core.files.atomic_folder``); an interrupted run leaves ``out_dir`` as it was, and the
    temporary folder is created first, so an unwritable place fails before any work.
    Masks are streamed to disk as they are produced, so memory does not grow with the video's length.
    Returns a timing summary (also written to ``out_dir/timing.json``): ``seconds`` (all), ``seconds_per_frame``
    (all / propagated frames), ``start_seconds`` (first frame: fine-tuning for PLM), ``step_seconds_per_frame``
    (segmenting only), ``io_seconds_per_frame`` (reading frames, writing masks); PLM methods add
    ``finetune_seconds``, ``network_seconds_per_frame`` and ``rest_seconds_per_frame`` (step minus network).
    """
    with atomic_folder(Path(out_dir)) as partial:
        timing = _segment_into(sequence, partial, method, overlay, fps, progress, method_options)
        if config is not None:
            save_config(partial / "config.yaml", config)
    return timing


def _segment_into(sequence: Sequence, out_dir: Path, method: str, overlay: bool, fps: float, progress: bool,
                  method_options: dict) -> dict:
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


def check_out_folder(out: Path, force: bool) -> None:
    """Before any work: ``--out`` must be new, empty, or (with ``--force``) a finished ``plm segment`` run, which
    the new run replaces when it completes. A folder holding anything else is never cleared."""
    check_writable_folder(out.parent, f"--out {out}: its folder")
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out}: a file, not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not ((out / "timing.json").is_file() and (out / "config.yaml").is_file()):
        raise FileExistsError(f"--out {out}: not empty and not a plm segment run folder; choose a new folder")
    if not force:
        raise FileExistsError(f"--out {out}: holds a finished plm segment run; pass --force to replace it "
                              "(replaced only when the new run completes) or choose a new folder")


def segment_file(video: str | Path, mask: str | Path, out: str | Path, *, method: str = DEFAULT_METHOD,
                 force: bool = False, overlay: bool = True, fps: float = 10.0, checkpoint: str | None = None,
                 device: str | None = None, finetune: bool = True, finetune_iterations: int | None = None,
                 candidates: list[str] | None = None, threads: int | None = None) -> dict:
    """What ``plm segment`` does: segment the video file or frames folder ``video`` from its first-frame ``mask``
    into ``out`` (:func:`segment_sequence`), every cheap check first (the options, ``out``, the mask against the
    frames), before any fine-tuning. ``checkpoint``, ``device``, ``finetune``, ``finetune_iterations`` and
    ``candidates`` apply to the PLM methods only; ``threads`` is recorded in the config. Returns the timing."""
    video, mask, out = Path(video), Path(mask), Path(out)
    candidates = list(candidates or [])
    if not fps > 0:
        raise ValueError(f"--fps must be a positive frame rate, got {fps}")
    options = {}
    if method in PLM_METHODS:
        if checkpoint is not None and checkpoint.lower() != "none":
            path = resolve_network(checkpoint)  # a file, or a shipped model's name: else an error naming it
            if not zipfile.is_zipfile(path):  # torch files are zip archives: a cheap check before any work
                raise ValueError(f"--checkpoint {path}: not a plmlib checkpoint or release (not a torch file)")
        options = plm_options(checkpoint, device, finetune, finetune_iterations, candidates)
    elif checkpoint is not None or not finetune or finetune_iterations is not None or candidates:
        raise ValueError(f"--checkpoint, --no-finetune, --finetune-iterations and --candidates apply to "
                         f"{', '.join(PLM_METHODS)}, not to {method}")
    check_out_folder(out, force)
    sequence = load_video(video, first_mask=mask)
    if len(sequence) < 2:
        raise FrameError(f"{video}: {len(sequence)} frame(s): propagation needs at least 2")
    check_first_mask(sequence.first_mask, sequence.size, str(mask))
    config = {"video": str(video), "mask": str(mask), "method": method, "threads": threads, **options}
    return segment_sequence(sequence, out, method=method, overlay=overlay, fps=fps, config=config, **options)
