"""Score a folder of result masks against a DAVIS dataset (``plm evaluate``: :mod:`plmlib.cli.evaluate`).

The protocol is the official DAVIS one (Perazzi et al., CVPR 2016; ``davis2017-evaluation``, semi-supervised task):

- results are PNG masks in the DAVIS layout, ``RESULTS/<sequence>/<frame>.png``, one per annotated frame; the first
  and the last frame of every sequence are not scored (so they may be missing);
- the number of objects of a sequence is the largest id in its first ground-truth frame (255 = void is background,
  as the official semi-supervised evaluation does); a single-object sequence (all of DAVIS 2016) takes any
  non-zero result pixel as the object (our choice: DAVIS 2016 results are often written 0/255);
- per object: J and F per frame, then Mean, Recall and Decay (:mod:`plmlib.metrics.statistics`); T per frame
  (:mod:`plmlib.metrics.temporal`), the sequence T being ``5 x`` the NaN-mean;
- dataset scores are plain means over objects (over sequences in DAVIS 2016); ``J&F-Mean`` is the mean of J-Mean
  and F-Mean; the dataset T averages only the sequences whose ``eval_t`` is true in ``db_info.yml`` (all of them
  when there is no such file), as the DAVIS 2016 leaderboard does.

Outputs, written atomically: ``global_results.csv`` (``J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay,T``)
and ``per_sequence_results.csv`` (``Sequence,J-Mean,F-Mean,T``), three decimals as the official CSVs; rows are named
by sequence (``<sequence>_<k>`` for each object of a multi-object sequence, as the official code names all rows).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from plmlib.data.davis import annotation_folder, read_db_info, split_sequences
from plmlib.data.roots import dataset_root
from plmlib.io import FrameError, atomic_write, list_images, read_mask
from plmlib.io.frames import image_size
from plmlib.metrics.contour import contour_accuracy
from plmlib.metrics.region import region_similarity
from plmlib.metrics.statistics import dataset_mean, statistics
from plmlib.metrics.temporal import T_SCALE, describe, stability_between

RESOLUTION = "480p"
VOID_ID = 255
GLOBAL_CSV = "global_results.csv"
PER_SEQUENCE_CSV = "per_sequence_results.csv"
PER_FRAME_CSV = "per_frame_results.csv"
GLOBAL_COLUMNS = ["J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"]
CHUNK_FRAMES = 12  # frames per worker task
CHUNK_FRAMES_T = 36  # with T, longer: a chunk also describes the frame before it (our choice)


# --------------------------------------------------------------------------------------------------------------
# The dataset side: the DAVIS layout is plmlib.data.davis's, the files are read with plmlib.io
# --------------------------------------------------------------------------------------------------------------


def scored_frames(frames: SequenceABC) -> SequenceABC:
    """The frames the DAVIS protocol scores: all but the first (its mask is given) and the last."""
    return frames[1:-1]


@dataclass
class _SequenceJob:
    name: str
    frames: list[str]  # all annotated frame names, in order
    gt_paths: list[Path]  # their ground truth
    result_dir: Path
    n_objects: int = 1
    eval_t: bool = True


def _prepare(results: Path, root: Path, names: list[str]) -> list[_SequenceJob]:
    """Check everything up front; raise one error that names each missing or mis-sized file."""
    if not results.is_dir():
        raise FileNotFoundError(f"results folder {results} not found")
    db_info = read_db_info(root)
    jobs, problems = [], []
    for name in names:
        gt_dir = annotation_folder(root, name, RESOLUTION)
        try:
            gt_paths = list_images(gt_dir)
        except (FileNotFoundError, NotADirectoryError, FrameError):
            problems.append(f"sequence {name!r}: no ground truth in {gt_dir}")
            continue
        frames = [p.stem for p in gt_paths]
        if len(frames) < 3:
            problems.append(f"sequence {name!r}: {len(frames)} annotated frames, at least 3 are needed")
            continue
        result_dir = results / name
        if not result_dir.is_dir():
            problems.append(f"sequence {name!r}: results folder {result_dir} not found")
            continue
        if (result_dir / "config.yaml").is_file() and not (result_dir / "timing.json").is_file():
            problems.append(f"sequence {name!r}: {result_dir} is an unfinished run (config.yaml without "
                            "timing.json): run it again")
            continue
        scored = scored_frames(frames)
        missing = [f for f in scored if not (result_dir / f"{f}.png").is_file()]
        if missing:
            shown = ", ".join(f"{f}.png" for f in missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            problems.append(f"sequence {name!r}: {len(missing)} of {len(scored)} result frames missing in {result_dir}: {shown}")
            continue
        height, width = image_size(gt_paths[0])
        wrong = []
        for f in scored:
            got = image_size(result_dir / f"{f}.png")
            if got != (height, width):
                wrong.append(f"{f}.png is {got[1]}x{got[0]}")
        if wrong:
            shown = ", ".join(wrong[:5]) + (f" and {len(wrong) - 5} more" if len(wrong) > 5 else "")
            problems.append(f"sequence {name!r}: result masks must be {width}x{height} like the ground truth: {shown} (in {result_dir})")
            continue
        first = read_mask(gt_paths[0])
        first = np.where(first == VOID_ID, 0, first)
        n_objects = int(first.max())
        if n_objects == 0:
            problems.append(f"sequence {name!r}: the first ground-truth frame {gt_paths[0].name} has no object")
            continue
        eval_t = bool(db_info.get(name, {}).get("eval_t", True))
        jobs.append(_SequenceJob(name, frames, gt_paths, result_dir, n_objects, eval_t))
    if problems:
        raise FileNotFoundError("cannot evaluate " + str(results) + ":\n  " + "\n  ".join(problems))
    return jobs


# --------------------------------------------------------------------------------------------------------------
# The work: chunks of consecutive frames of one sequence
# --------------------------------------------------------------------------------------------------------------


def _worker_init() -> None:
    cv2.setNumThreads(1)


def _object_masks(ids: np.ndarray, n_objects: int, is_result: bool, path: Path) -> list[np.ndarray]:
    if n_objects == 1:
        return [ids > 0] if is_result else [(ids > 0) & (ids != VOID_ID)]
    if is_result and int(ids.max()) > n_objects:
        raise ValueError(f"{path}: object id {int(ids.max())} but the sequence has only {n_objects} objects")
    return [ids == k for k in range(1, n_objects + 1)]


def _score_chunk(task) -> tuple:
    """J, F (and T) of frames ``scored[start:stop]`` of one sequence; returns per-object arrays."""
    seq_index, job, start, stop, temporal = task
    scored, gt_paths = scored_frames(job.frames), scored_frames(job.gt_paths)
    n = stop - start
    j_values = np.zeros((job.n_objects, n))
    f_values = np.zeros((job.n_objects, n))
    t_values = np.full((job.n_objects, n), np.nan) if temporal else None
    previous = None
    if temporal:
        # The frame before the chunk: a result, or for the first scored frame the ground truth of frame 0.
        if start == 0:
            path = job.gt_paths[0]
            previous = [describe(m) for m in _object_masks(read_mask(path), job.n_objects, False, path)]
        else:
            path = job.result_dir / f"{scored[start - 1]}.png"
            previous = [describe(m) for m in _object_masks(read_mask(path), job.n_objects, True, path)]
    for k, (frame, gt_path) in enumerate(zip(scored[start:stop], gt_paths[start:stop])):
        res_path = job.result_dir / f"{frame}.png"
        gt = read_mask(gt_path)
        res = read_mask(res_path)
        if gt.shape != res.shape:
            raise ValueError(f"{res_path}: mask is {res.shape[1]}x{res.shape[0]} but the ground truth is {gt.shape[1]}x{gt.shape[0]}")
        gts = _object_masks(gt, job.n_objects, False, gt_path)
        preds = _object_masks(res, job.n_objects, True, res_path)
        current = []
        for obj, (g, p) in enumerate(zip(gts, preds)):
            j_values[obj, k] = region_similarity(g, p)
            f_values[obj, k] = contour_accuracy(g, p)
            if temporal:
                described = describe(p)
                t_values[obj, k] = stability_between(previous[obj], described)
                current.append(described)
        previous = current
    return seq_index, start, j_values, f_values, t_values


# --------------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------------


@dataclass
class ObjectScores:
    """Per-frame and summary scores of one object of one sequence (frames 1 .. n-2)."""

    name: str
    sequence: str
    frames: list[str]
    J: np.ndarray
    F: np.ndarray
    T: np.ndarray | None
    eval_t: bool = True

    @property
    def j_stats(self):
        return statistics(self.J)

    @property
    def f_stats(self):
        return statistics(self.F)

    @property
    def t_mean(self) -> float:
        if self.T is None or np.all(np.isnan(self.T)):
            return float("nan")
        return T_SCALE * float(np.nanmean(self.T))


@dataclass
class Evaluation:
    """Everything ``plm evaluate`` computes: one :class:`ObjectScores` per row, and the dataset scores."""

    objects: list[ObjectScores]
    temporal: bool
    seconds: float = 0.0
    n_frames: int = 0
    global_scores: dict[str, float] = field(default_factory=dict)

    def summarize(self) -> dict[str, float]:
        j = [o.j_stats for o in self.objects]
        f = [o.f_stats for o in self.objects]
        scores = {
            "J-Mean": dataset_mean(s.mean for s in j),
            "J-Recall": dataset_mean(s.recall for s in j),
            "J-Decay": dataset_mean(s.decay for s in j),
            "F-Mean": dataset_mean(s.mean for s in f),
            "F-Recall": dataset_mean(s.recall for s in f),
            "F-Decay": dataset_mean(s.decay for s in f),
        }
        scores = {"J&F-Mean": (scores["J-Mean"] + scores["F-Mean"]) / 2.0, **scores}
        if self.temporal:
            scores["T"] = dataset_mean([o.t_mean for o in self.objects if o.eval_t])
        self.global_scores = scores
        return scores

    def global_rows(self) -> tuple[list[str], list[float]]:
        scores = self.global_scores or self.summarize()
        columns = GLOBAL_COLUMNS + (["T"] if self.temporal else [])
        return columns, [scores[c] for c in columns]

    def sequence_rows(self) -> tuple[list[str], list[list]]:
        columns = ["Sequence", "J-Mean", "F-Mean"] + (["T"] if self.temporal else [])
        rows = []
        for o in self.objects:
            row = [o.name, o.j_stats.mean, o.f_stats.mean]
            if self.temporal:
                row.append(o.t_mean)
            rows.append(row)
        return columns, rows


def evaluate(
    results: str | os.PathLike,
    davis_root: str | os.PathLike | None = None,
    split: str = "val",
    sequences: SequenceABC[str] | None = None,
    workers: int | None = None,
    temporal: bool = True,
    progress: bool = True,
) -> Evaluation:
    """Score ``results`` (``RESULTS/<sequence>/<frame>.png``) against the DAVIS ground truth in ``davis_root``.

    ``sequences`` overrides ``split`` (``val``, ``train`` or ``all``); ``workers`` processes (default: all cores);
    ``temporal=False`` skips T (which takes most of the time when it is computed).
    """
    root = dataset_root("davis2016", davis_root, expect=(f"Annotations/{RESOLUTION}",))
    results = Path(results)
    names = list(sequences) if sequences else split_sequences(root, split, RESOLUTION)
    if not sequences and split == "all":
        names.sort()  # one list in name order, not train then val (our choice)
    jobs = _prepare(results, root, names)
    tasks = []
    for index, job in enumerate(jobs):
        n_scored = len(job.frames) - 2
        chunk = CHUNK_FRAMES_T if temporal else CHUNK_FRAMES
        for start in range(0, n_scored, chunk):
            tasks.append((index, job, start, min(start + chunk, n_scored), temporal))
    n_frames = sum(len(job.frames) - 2 for job in jobs)
    workers = _worker_count(workers)
    per_job = {i: [] for i in range(len(jobs))}
    began = time.perf_counter()
    with tqdm(total=n_frames, unit="frame", desc="evaluate", disable=not progress, file=sys.stderr) as bar:
        if workers <= 1 or len(tasks) <= 1:
            _worker_init()
            for task in tasks:
                out = _score_chunk(task)
                per_job[out[0]].append(out)
                bar.update(out[2].shape[1])
        else:
            with multiprocessing.get_context("forkserver").Pool(min(workers, len(tasks)), initializer=_worker_init) as pool:
                for out in pool.imap_unordered(_score_chunk, tasks):
                    per_job[out[0]].append(out)
                    bar.update(out[2].shape[1])
    objects = []
    for index, job in enumerate(jobs):
        chunks = sorted(per_job[index], key=lambda c: c[1])
        j_all = np.concatenate([c[2] for c in chunks], axis=1)
        f_all = np.concatenate([c[3] for c in chunks], axis=1)
        t_all = np.concatenate([c[4] for c in chunks], axis=1) if temporal else None
        for obj in range(job.n_objects):
            name = job.name if job.n_objects == 1 else f"{job.name}_{obj + 1}"
            objects.append(
                ObjectScores(name, job.name, scored_frames(job.frames), j_all[obj], f_all[obj], t_all[obj] if temporal else None, job.eval_t)
            )
    evaluation = Evaluation(objects, temporal, time.perf_counter() - began, n_frames)
    evaluation.summarize()
    return evaluation


# --------------------------------------------------------------------------------------------------------------
# Writing and printing
# --------------------------------------------------------------------------------------------------------------


def _fmt(value, digits: int = 3) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""  # as pandas writes NaN
    return f"{value:.{digits}f}"


def _csv_text(columns: list[str], rows: list[list], digits: int = 3) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_fmt(v, digits) for v in row])
    return buffer.getvalue()


def write_csvs(evaluation: Evaluation, out_dir: str | os.PathLike, per_frame: bool = False) -> list[Path]:
    """Write the global and per-sequence CSVs (and optionally the per-frame one) into ``out_dir``: every text is
    made first and each file written atomically, one after the other, so that they hold one evaluation."""
    out_dir = Path(out_dir)
    columns, values = evaluation.global_rows()
    texts = {out_dir / GLOBAL_CSV: _csv_text(columns, [values]),
             out_dir / PER_SEQUENCE_CSV: _csv_text(*evaluation.sequence_rows())}
    if per_frame:
        columns = ["Sequence", "Frame", "J", "F"] + (["T"] if evaluation.temporal else [])
        rows = []
        for o in evaluation.objects:
            for k, frame in enumerate(o.frames):
                row = [o.name, frame, o.J[k], o.F[k]]
                if evaluation.temporal:
                    row.append(T_SCALE * o.T[k])
                rows.append(row)
        texts[out_dir / PER_FRAME_CSV] = _csv_text(columns, rows, digits=6)
    with contextlib.ExitStack() as stack:  # all temporary files written, then all moved into place
        for path, text in texts.items():
            stack.enter_context(atomic_write(path)).write_text(text)
    return list(texts)


def format_table(columns: list[str], rows: list[list]) -> str:
    """A plain text table: text columns left-aligned, numbers right-aligned with three decimals."""
    cells = [list(columns)] + [[v if isinstance(v, str) else (_fmt(v) or "-") for v in row] for row in rows]
    text_column = [bool(rows) and isinstance(rows[0][i], str) for i in range(len(columns))]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(c.ljust(w) if text else c.rjust(w) for c, w, text in zip(r, widths, text_column)).rstrip() for r in cells
    )


def report(evaluation: Evaluation, split: str) -> str:
    columns, values = evaluation.global_rows()
    text = [f"---------- Global results for {split} ----------", format_table(columns, [values]), ""]
    text += [f"---------- Per sequence results for {split} ----------", format_table(*evaluation.sequence_rows())]
    if evaluation.temporal and not all(o.eval_t for o in evaluation.objects):
        skipped = ", ".join(o.name for o in evaluation.objects if not o.eval_t)
        text.append(f"(T of the dataset leaves out the sequences whose eval_t is false: {skipped})")
    rate = evaluation.n_frames / evaluation.seconds if evaluation.seconds > 0 else float("nan")
    text.append(f"\n{evaluation.n_frames} frames in {evaluation.seconds:.1f} s ({rate:.1f} frames/s)")
    return "\n".join(text)


# --------------------------------------------------------------------------------------------------------------
# Defaults of evaluate()
# --------------------------------------------------------------------------------------------------------------


def _worker_count(workers: int | None) -> int:
    if workers is None or workers <= 0:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            return os.cpu_count() or 1
    return workers
