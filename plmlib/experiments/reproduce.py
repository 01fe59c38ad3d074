"""The paper's protocol on DAVIS 2016 val for PLM and its variants, resumable, then scored (``plm reproduce``).

    plm reproduce --davis-root $PLM_DAVIS_ROOT --variants plm plm_p plm_u --out outputs/davis2016_val \\
                  --results results/davis2016_val

For every val sequence: the network (``--checkpoint``, default the release that ships with plmlib) is fine-tuned
**once** on the first frame (slides: two-stage training), then each variant segments the sequence from that same
fine-tuned network (PLM, PLM_P and PLM_U differ only at inference, so sharing the fine-tuning is exact, and
cheaper). Masks go to ``OUT/<variant>/<sequence>/``; a sequence is done when its ``timing.json`` exists (written
last, atomically), so an interrupted run resumes where it stopped (plmlib.experiments.runner); ``OUT/settings.yaml``
records what the masks were made with, and a run with other settings into the same ``OUT`` is refused before any
work, so that one folder never mixes masks made two ways. Then each variant is
scored with the official protocol (plmlib.metrics.evaluate) into ``RESULTS/<variant>/`` with the config (git SHA,
command) and a timing CSV.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import is_dataclass
from pathlib import Path

from plmlib.core.config import apply_overrides, to_dict
from plmlib.core.methods import PAPER_PLM_METHODS, create_segmenter
from plmlib.core.provenance import check_settings, save_config
from plmlib.data.roots import dataset_root
from plmlib.experiments.runner import finetune_once, mark_done, open_sequences, unfinished
from plmlib.io import atomic_write, check_writable_folder, file_digest
from plmlib.metrics.evaluate import evaluate as evaluate_results, write_csvs

# the paper's (plm, plm_p, plm_u), run by default; --variants also takes plm_grabcut (ours)
VARIANTS = PAPER_PLM_METHODS


def segment_davis(davis_root: str | Path, out: str | Path, variants=VARIANTS, checkpoint: str | Path | None = None,
                  sequences: list[str] | None = None, device: str = "cpu", finetune_options: dict | None = None,
                  progress: bool = True, seed: int = 0, candidates=None, threshold: float | None = None) -> list[dict]:
    """Segment the DAVIS 2016 val sequences with each variant (resumable); returns one timing dict per run.

    ``candidates``: a CandidateConfig (or a dict of its fields) for every variant (plmlib.infer.candidates);
    ``threshold``: slides (h) for every variant (None: PLMSegmenter's default, plmlib.infer.thresholds.PLM_THRESHOLD).
    """
    # lazy: plmlib.model and plmlib.infer import torch; this module and `plm reproduce --help` do not
    from plmlib.infer.run import segment_sequence
    from plmlib.model import load_checkpoint, pretrained
    from plmlib.model.release import resolve_network

    segmenter_options = {} if threshold is None else {"threshold": float(threshold)}

    out = Path(out)
    dataset, names = open_sequences("davis2016", davis_root, sequences, "DAVIS 2016 val sequences")
    check_settings(out / "settings.yaml", {
        "checkpoint": "shipped" if checkpoint is None else str(checkpoint),
        "finetune_options": finetune_options or "defaults", "seed": seed, "threshold": threshold,
        "candidates": to_dict(candidates) if is_dataclass(candidates) else candidates or "defaults"})

    def timing_file(name: str, variant: str) -> Path:  # the "done" mark of a variant on a sequence
        return out / variant / name / "timing.json"

    def done(name: str, variant: str) -> bool:
        return timing_file(name, variant).is_file()

    base = None
    for sequence, todo in unfinished(dataset, names, variants, done, desc="reproduce", progress=progress):
        if base is None:
            base = load_checkpoint(resolve_network(checkpoint)) if checkpoint is not None else pretrained()
        network = {"model": base, "device": device, "finetune_options": finetune_options, "seed": seed,
                   "progress": progress}
        shared = finetune_once(sequence.frames[0], sequence.first_mask, todo, **network)  # once for all variants
        for variant in todo:
            options, finetune_seconds = shared[variant]
            timing = segment_sequence(sequence, out / variant / sequence.name, method=variant, overlay=False,
                                      candidates=candidates, **options, **segmenter_options)
            timing["finetune_seconds"] = round(timing["finetune_seconds"] + finetune_seconds, 3)
            mark_done(timing_file(sequence.name, variant), json.dumps(timing, indent=2))  # now with the shared seconds
    return [json.loads(timing_file(name, variant).read_text()) for name in names for variant in variants]


def variant_settings(variant: str, finetune_options: dict | None = None, candidates=None,
                     threshold: float | None = None, checkpoint: str | Path | None = None) -> dict:
    """Every setting ``segment_davis`` ran ``variant`` with, defaults filled in (PLMSegmenter.settings: the
    fine-tuning, candidates, threshold, PLM_P's filter, GrabCut ...), for the config beside its results. Built
    from the segmenter's own defaults at this git SHA, so a later change of a default shows in the file."""
    options = {"finetune_options": finetune_options, "candidates": candidates,
               "checkpoint": "shipped" if checkpoint is None else checkpoint}  # its fine-tuning defaults
    if threshold is not None:
        options["threshold"] = float(threshold)
    return create_segmenter(variant, **options).settings()


def write_timing_csv(timings: list[dict], path: str | Path) -> Path:
    """One row per sequence: frames, fine-tuning seconds, seconds per frame (network, rest, whole step)."""
    columns = ["sequence", "frames", "finetune_seconds", "update_seconds", "network_seconds_per_frame",
               "rest_seconds_per_frame", "step_seconds_per_frame", "windows_per_frame"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(timings)
    with atomic_write(path) as tmp:
        tmp.write_text(buffer.getvalue())
    return Path(path)


def reproduce(davis_root: str | Path | None = None, out: str | Path = "outputs/davis2016_val",
              results: str | Path = "results/davis2016_val", variants=VARIANTS, *,
              checkpoint: str | None = None, sequences: list[str] | None = None, device: str = "cpu",
              finetune_iterations: int | None = None, finetune_lr: float | None = None,
              candidates: list[str] | None = None, threshold: float | None = None, threads: int | None = None,
              evaluate: bool = True, progress: bool = True, command: str = "",
              scored: Callable[[str, object], None] | None = None) -> None:
    """What ``plm reproduce`` does: check every option (before any fine-tuning), segment the DAVIS 2016 val
    sequences with each variant into ``out`` (:func:`segment_davis`, resumable), then, with ``evaluate``, score each
    variant into ``results/<variant>/`` (per-frame CSVs, timing CSV, config with provenance). ``candidates``:
    ``key=value`` strings of CandidateConfig fields; ``threads`` and ``command`` are recorded in the configs;
    ``scored(variant, evaluation)`` is called as each variant's scores are written."""
    # lazy: plmlib.model and plmlib.infer import torch; this module and `plm reproduce --help` do not
    from plmlib.infer.candidates import CandidateConfig
    from plmlib.infer.segmenter import PLM_THRESHOLD
    from plmlib.model.release import SHIPPED_NAME, resolve_network, shipped_path

    out, results, candidate_items = Path(out), Path(results), list(candidates or [])
    root = dataset_root("davis2016", davis_root)
    options = {k: v for k, v in (("iterations", finetune_iterations), ("lr", finetune_lr)) if v is not None}
    options = options or None
    # checked now, not after a fine-tuning
    check_writable_folder(out, "--out")
    if evaluate:
        check_writable_folder(results, "--results")
    candidate_config = apply_overrides(CandidateConfig(), candidate_items, option="--candidates")
    if threshold is not None and not 0.0 < threshold < 1.0:
        raise ValueError(f"--threshold must be between 0 and 1, got {threshold}")
    timings = segment_davis(root, out, variants, checkpoint, sequences, device,
                            finetune_options=options, progress=progress, candidates=candidate_config,
                            threshold=threshold)
    if not evaluate:
        return
    for variant in variants:
        evaluation = evaluate_results(out / variant, root, split="val", sequences=sequences, progress=progress)
        target = results / variant
        write_csvs(evaluation, target, per_frame=True)
        write_timing_csv([t for t in timings if t["method"] == variant], target / "timing.csv")
        save_config(target / "config.yaml", {
            "variant": variant, "checkpoint": checkpoint or f"shipped release ({SHIPPED_NAME})",
            "checkpoint_sha256": file_digest(resolve_network(checkpoint) if checkpoint else shipped_path()),
            "dataset": "DAVIS 2016 val, 480p", "sequences": sequences or "all 20", "device": device,
            "threads": threads, "finetune": options or "defaults",
            "candidates": candidate_items or "defaults",
            "threshold": PLM_THRESHOLD if threshold is None else threshold,
            "segmenter": variant_settings(variant, options, candidate_config, threshold, checkpoint),
            "command": command,
        })
        if scored is not None:
            scored(variant, evaluation)
