"""The paper's two other benchmarks as protocols that run any method on any dataset (``plm protocol``).

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

    plm protocol jumpcut --dataset davis2016 --methods bvs flow plm --out results/jumpcut_protocol_on_davis2016
    plm protocol jumpcut --dataset jumpcut --methods plm plm_p bvs --out results/jumpcut
    plm protocol segtrack --dataset segtrack --methods plm bvs --out results/segtrack
    plm protocol jumpcut --methods plm --option keep_largest=true --out results/jumpcut_keep_largest  # any option

Resumable (our choice, for runs of hours): each sequence's rows go to ``OUT/per_sequence/<protocol>-<dataset>/<method>/<sequence>.csv``
as soon as it is done, and a sequence already there is not run again; ``OUT/<method>.csv`` gathers them at the end.
Two processes may therefore share the work (``--sequences`` halves, then one run over all to gather); rows are read
back only with the settings that made them (``settings.yaml`` beside them; other settings need another ``--out``).
Each method's configuration and provenance is written beside its results (``OUT/<method>_config.yaml``), and
``OUT/summary.csv`` keeps the rows of methods run earlier into the same folder.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from plmlib.core.config import parse_assignment
from plmlib.core.methods import METHODS, check_options, create_segmenter
from plmlib.core.provenance import check_settings, save_config
from plmlib.core.segmenter import segment_video
from plmlib.experiments.runner import finetune_once, mark_done, open_sequences, unfinished
from plmlib.io import atomic_write
from plmlib.metrics.jumpcut import JUMP, jumpcut_frame_error, jumpcut_pairs
from plmlib.metrics.segtrack import segtrack_sequence_iou

PROTOCOLS = ("jumpcut", "segtrack")


def segment_clip(frames: list, first_mask: np.ndarray, methods: list[str], **options) -> dict[str, tuple[list, float]]:
    """Each method's masks for ``frames`` (the first one annotated with ``first_mask``) and the seconds it took.

    The PLM variants differ only after the network (PLM_P filters the maps, PLM_U updates the query), so on a clip
    with one object they share one fine-tuning on the first frame (slides: stage 2), as ``plm reproduce`` does
    (plmlib.experiments.runner.finetune_once); its seconds count in each variant's time. With several objects each
    variant fine-tunes its own networks (one per object)."""
    shared = finetune_once(frames[0], first_mask, methods, **options)
    results = {}
    for method in methods:
        method_options, finetune_seconds = shared[method]
        started = time.perf_counter()
        masks = list(segment_video(create_segmenter(method, **method_options), frames, first_mask))
        results[method] = (masks, time.perf_counter() - started + finetune_seconds)
    return results


def jumpcut_transfers(sequence, methods: list[str], jump: int = JUMP, **options) -> dict[str, list[dict]]:
    """Per method, one row per (key frame, target frame) of ``sequence``: the JumpCut error of its transfer."""
    rows = {method: [] for method in methods}
    for key, target in jumpcut_pairs(len(sequence), jump):
        first = sequence.masks[key]
        if first is None or not np.any(first):  # no object to transfer: nothing to score (our choice)
            continue
        gt = sequence.masks[target]
        if gt is None or not np.any(gt):
            continue
        clip = segment_clip([sequence.frames[key], sequence.frames[target]], first, methods, **options)
        for method, (masks, seconds) in clip.items():
            rows[method].append({"sequence": sequence.name, "key_frame": key, "target_frame": target,
                                 "error": round(jumpcut_frame_error(gt, masks[-1]), 3),
                                 "seconds": round(seconds, 3)})
    return rows


def segtrack_scores(sequence, methods: list[str], **options) -> dict[str, list[dict]]:
    """Per method, one row: the IoU of its propagation from the first frame through ``sequence`` (SegTrack)."""
    clip = segment_clip(list(sequence.frames), sequence.first_mask, methods, **options)
    gts = list(sequence.masks)
    keep = [i for i, m in enumerate(gts) if m is not None]
    rows = {}
    for method, (predicted, seconds) in clip.items():
        iou = segtrack_sequence_iou([gts[i] for i in keep], [predicted[i] for i in keep])
        rows[method] = [{"sequence": sequence.name, "frames": len(sequence), "iou": round(float(iou), 4),
                         "seconds": round(seconds, 3)}]
    return rows


def _score(protocol: str, table: pd.DataFrame) -> dict:
    if protocol == "jumpcut":
        if table.empty:
            return {"error_percent": math.nan, "transfers": 0, "sequences": 0}
        per_sequence = table.groupby("sequence")["error"].mean()  # NaN-free: empty targets were skipped
        return {"error_percent": round(float(per_sequence.mean()), 2), "transfers": len(table),
                "sequences": len(per_sequence)}
    return {"iou": round(float(table["iou"].mean()), 4) if len(table) else math.nan, "sequences": len(table)}


def _earlier_summary(path: Path, protocol: str, dataset: str) -> pd.DataFrame | None:
    """The summary already in ``path`` (None if none); an error if it is another protocol's or dataset's."""
    if not path.exists():
        return None
    old = pd.read_csv(path)
    score = "error_percent" if protocol == "jumpcut" else "iou"
    if score not in old.columns or "dataset" not in old.columns or set(old["dataset"]) - {dataset}:
        datasets = ", ".join(map(str, set(old["dataset"]))) if "dataset" in old.columns else "no dataset column"
        raise ValueError(f"{path} holds results of another protocol or dataset ({', '.join(old.columns)}; "
                         f"{datasets}): choose another --out")
    return old


def run_protocol(protocol: str, dataset: str, methods: list[str], out: str | Path, root: str | Path | None = None,
                 sequences: list[str] | None = None, progress: bool = True, **options) -> pd.DataFrame:
    """Run ``protocol`` ("jumpcut" or "segtrack") for each method, resumably; write ``OUT/<method>.csv`` per
    transfer or sequence, ``OUT/<method>_config.yaml`` and ``OUT/summary.csv`` (one row per method); return the
    summary of the methods run."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r} (expected jumpcut or segtrack)")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown method(s) {unknown} (available: {', '.join(METHODS)})")
    data, names = open_sequences(dataset, root, sequences, f"sequences of {dataset}")
    out = Path(out)
    _earlier_summary(out / "summary.csv", protocol, dataset)  # refused now rather than after hours
    for method in methods:
        check_options(method, options)  # likewise
    progress_dir = out / "per_sequence" / f"{protocol}-{dataset}"
    recorded = {key: _recorded(value) for key, value in sorted(options.items())}
    settings = {"options": recorded, "jump": JUMP if protocol == "jumpcut" else None}
    for method in methods:
        check_settings(progress_dir / method / "settings.yaml", settings)

    def done(name: str, method: str) -> bool:  # its rows on the sequence: the "done" mark
        return (progress_dir / method / f"{name}.csv").exists()

    for sequence, todo in unfinished(data, names, methods, done, desc=f"{protocol} {' '.join(methods)}",
                                     progress=progress):
        rows = (jumpcut_transfers if protocol == "jumpcut" else segtrack_scores)(sequence, todo, **options)
        for method, method_rows in rows.items():
            table = pd.DataFrame(method_rows, columns=_columns(protocol))
            mark_done(progress_dir / method / f"{sequence.name}.csv", table.to_csv(index=False))
    summary = []
    for method in methods:
        parts = [pd.read_csv(progress_dir / method / f"{name}.csv") for name in names]
        parts = [part for part in parts if len(part)] or [pd.DataFrame(columns=_columns(protocol))]
        table = pd.concat(parts, ignore_index=True)
        with atomic_write(out / f"{method}.csv") as tmp:
            table.to_csv(tmp, index=False)
        summary.append({"method": method, "dataset": dataset, **_score(protocol, table),
                        "seconds": round(float(table["seconds"].sum()), 1) if len(table) else math.nan})
        save_config(out / f"{method}_config.yaml", {
            "protocol": protocol, "dataset": dataset, "method": method, "sequences": sequences or "all",
            "jump": JUMP if protocol == "jumpcut" else None, "options": recorded,
            "note": ("the JumpCut protocol run on DAVIS 2016 val, not the JumpCut dataset"
                     if protocol == "jumpcut" and dataset == "davis2016" else "")})
    summary = pd.DataFrame(summary)
    earlier = _earlier_summary(out / "summary.csv", protocol, dataset)  # read again: another process may have written
    if earlier is not None:  # methods run earlier into this folder keep their rows
        summary_file = pd.concat([earlier[~earlier["method"].isin(summary["method"])], summary], ignore_index=True)
    else:
        summary_file = summary
    with atomic_write(out / "summary.csv") as tmp:
        summary_file.to_csv(tmp, index=False)
    return summary


def _recorded(value):
    """An option as the settings record it: plain values as they are, a network (``model=``) by the sha256 of
    its weights (a resumption with other weights is refused), anything else by its repr."""
    import torch  # lazy: this module and `plm protocol --help` import no torch (the classical methods need none)

    if isinstance(value, torch.nn.Module):
        from plmlib.model.release import state_digest  # lazy: torch, as above

        return f"{type(value).__name__} sha256:{state_digest(value.state_dict())}"
    if isinstance(value, dict):
        return {str(k): _recorded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_recorded(v) for v in value]
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    return repr(value)


def _columns(protocol: str) -> list[str]:
    if protocol == "jumpcut":
        return ["sequence", "key_frame", "target_frame", "error", "seconds"]
    return ["sequence", "frames", "iou", "seconds"]


def parse_options(items: list[str]) -> dict:
    """``["keep_largest=true", "threshold=0.5"]`` -> ``{"keep_largest": True, "threshold": 0.5}``
    (plmlib.core.config.parse_assignment: YAML values)."""
    return dict(parse_assignment(item, "--option") for item in items)
