"""The paper's ablation (slides, "Self-structure evaluation"), run with the same segmenter as the full runs.

Variants (``VARIANTS``): what each changes is either *inference only* (PLM_U, PLM_P: same network) or the
*network's structure* (PLM_S, no compressor, no decoder: another network, fine-tuned separately).

=================  =========  ====================  ==========================================================
variant            method     structure (preset)    what changes (paper = slides; ours = reconstruction)
=================  =========  ====================  ==========================================================
plm                plm        plm                   multi-layer features matched against the first frame
plm_u              plm_u      plm                   every 10 frames, fine-tuned on its own prediction (new query)
plm_p              plm_p      plm                   probability maps filtered by the weighted median filter
plm_s              plm        plm_s                 features of the single deepest layer (conv5_3): x = 1
plm_x2             plm        plm_x2                features of the two deepest layers (conv4_3, conv5_3): x = 2
plm_no_compressor  plm        plm_no_compressor     no compressors: 16x longer vectors, 16x wider FC1
plm_no_decoder     plm        plm_no_decoder        no object decoder: FC3's logits map upsampled bilinearly
=================  =========  ====================  ==========================================================

A variant's structure is the difference between its preset and ``plm`` in ``plmlib.model.PRESETS``, applied to a
``base`` preset: ``base="small"`` gives the CPU-sized versions of every variant (notebook 06), ``base="plm"`` the
paper-sized ones. Each video is segmented from its first-frame mask by ``plmlib.core.methods.create_segmenter``; with
``finetune`` on, the network is fine-tuned on the first frame (``plmlib.train.finetune_on_frame``, through ``plmlib.infer.network.NetworkBuilder``) once
per structure and video, and the fine-tuned network is reused by every variant of that structure (PLM, PLM_U and
PLM_P differ only at inference).

    from plmlib.experiments.ablation import run_ablation, summarize
    table = run_ablation(sequences, ["plm", "plm_u", "plm_p", "plm_s"], finetune_options={"iterations": 30})
    summarize(table)                               # J and F Mean per variant (DAVIS protocol)

On all of DAVIS 2016 val, resumable, with its config saved (``run_davis_ablation``):

    plm ablation --davis-root $PLM_DAVIS_ROOT --variants plm plm_u plm_p plm_s plm_x2 plm_no_decoder \
        --out results/ablations/structure_small --threads 1
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from plmlib.core.methods import create_segmenter, method_label
from plmlib.core.provenance import refuse_other_settings, save_config
from plmlib.core.segmenter import segment_video
from plmlib.data import Sequence
from plmlib.experiments.runner import finetune_once, mark_done, open_sequences, unfinished
from plmlib.io import atomic_write
from plmlib.metrics import contour_accuracy, region_similarity
from plmlib.metrics.evaluate import scored_frames
from plmlib.published import paper_table


@dataclass(frozen=True)
class Variant:
    """One row of the ablation: a segmenter name (``plmlib.core.methods.METHODS``) and a network structure (a
    preset)."""

    name: str
    method: str
    structure: str
    paper_name: str  # as printed in the slides (plmlib.core.methods.label) ("" when the slides print no number for it)
    description: str
    label: str = ""  # short name for figures when the slides print none

    @property
    def display(self) -> str:
        return self.paper_name or self.label or self.name


VARIANTS: dict[str, Variant] = {v.name: v for v in [
    Variant("plm", "plm", "plm", method_label("plm"),
            "multi-layer features, compressors, decoder; query = first frame"),
    Variant("plm_u", "plm_u", "plm", method_label("plm_u"), "model updated from its prediction every 10 frames"),
    Variant("plm_p", "plm_p", "plm", method_label("plm_p"), "PLM + weighted median filter of each probability map"),
    Variant("plm_s", "plm", "plm_s", method_label("plm_s"), "single deep layer (conv5_3): x = 1"),
    Variant("plm_x2", "plm", "plm_x2", "", "two deepest layers (conv4_3, conv5_3): x = 2", "PLM x=2"),
    Variant("plm_no_compressor", "plm", "plm_no_compressor", "", "without compressors", "PLM w/o compressor"),
    Variant("plm_no_decoder", "plm", "plm_no_decoder", "", "without object decoder", "PLM w/o decoder"),
]}

#: The variants that differ only at inference (they share one fine-tuned network per video).
INFERENCE_ONLY = ("plm", "plm_u", "plm_p")


def structure_overrides(structure: str) -> dict:
    """PLMConfig fields in which preset ``structure`` differs from ``plm`` (its name excepted): what the ablation
    changes, to be applied to any base preset."""
    from plmlib.model import PRESETS  # lazy: plmlib.model imports torch; this module and `plm ablation --help` do not

    if structure not in PRESETS:
        raise KeyError(f"no preset {structure!r} (available: {', '.join(PRESETS)})")
    reference, changed = PRESETS["plm"], PRESETS[structure]
    return {f.name: getattr(changed, f.name) for f in dataclasses.fields(changed)
            if f.name != "name" and getattr(changed, f.name) != getattr(reference, f.name)}


def variant_network(structure: str, base: str = "small", checkpoint: str | Path | None = None, seed: int = 0):
    """The network of a structure: ``checkpoint`` if given (it must have that structure), else the ``base`` preset
    with the structure's overrides and its encoder weights, the other layers initialised from ``seed``."""
    from plmlib.model import build_model, load_checkpoint  # lazy: torch, as in structure_overrides

    overrides = structure_overrides(structure)
    if checkpoint is not None:
        net = load_checkpoint(checkpoint, map_location="cpu")
        wrong = {k: getattr(net.config, k) for k, v in overrides.items() if getattr(net.config, k) != v}
        if wrong:
            raise ValueError(f"{checkpoint}: not a {structure} network ({wrong}, expected {overrides})")
        return net
    return build_model(base, name=f"{base}+{structure}", seed=seed, **overrides)


def _frames(sequence: Sequence, max_frames: int | None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    n = len(sequence) if max_frames is None else min(len(sequence), int(max_frames))
    return [np.asarray(sequence.frames[i]) for i in range(n)], [np.asarray(sequence.masks[i]) for i in range(n)]


def score_video(predicted: list[np.ndarray], truth: list[np.ndarray]) -> pd.DataFrame:
    """J and F per frame, the frames the DAVIS protocol scores (plmlib.metrics.evaluate.scored_frames); a clip of
    two frames (ours: smoke runs) scores its second."""
    indices = scored_frames(range(len(truth))) or range(1, len(truth))
    rows = [{"frame": t, "J": region_similarity(truth[t], predicted[t]), "F": contour_accuracy(truth[t], predicted[t])}
            for t in indices]
    return pd.DataFrame(rows)


def segment(segmenter, frames: list[np.ndarray], first_mask: np.ndarray) -> list[np.ndarray]:
    """Every frame's mask (``plmlib.core.segmenter.segment_video``), as a list."""
    return list(segment_video(segmenter, frames, first_mask))


def run_ablation(sequences: Iterable[Sequence], variants: Iterable[str] = tuple(VARIANTS), *, base: str = "small",
                 checkpoints: dict[str, str | Path] | None = None, finetune: bool = True,
                 finetune_options: dict | None = None, segmenter_options: dict | None = None,
                 max_frames: int | None = None, seed: int = 0, per_frame: bool = False,
                 log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Segment every sequence with every variant; one row per (variant, video), or per frame with ``per_frame``.

    sequences          annotated videos (``plmlib.data.Sequence``); only the first ``max_frames`` frames are used
    variants           names of ``VARIANTS``
    base / checkpoints the network of each structure: ``checkpoints[structure]`` if given, else ``base`` preset
                       with the structure's overrides (``variant_network``)
    finetune           fine-tune on the first frame (once per structure and video; reused by PLM, PLM_U, PLM_P on
                       single-object videos), with ``finetune_options`` (PLMSegmenter's, e.g. {"iterations": 30})
                       over PLMSegmenter's defaults (``finetune_defaults``, ``threshold_default``): those of a
                       fresh network, or of a pre-trained one for a structure with a checkpoint
    segmenter_options  any other PLMSegmenter option, for every variant
    log                called with one line per (variant, video) (e.g. ``print``)

    Columns: variant, video, frames, J, F (means over frames 1 .. n-2), finetune_s (0 where a network was reused),
    step_s (seconds per frame of inference); per frame: variant, video, frame, J, F.
    """
    names = list(variants)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise KeyError(f"unknown variants {unknown} (available: {', '.join(VARIANTS)})")
    checkpoints = dict(checkpoints or {})
    rows, frame_rows = [], []
    for sequence in sequences:
        frames, truth = _frames(sequence, max_frames)
        finetuned: dict[str, dict] = {}  # structure -> each of its methods' options and fine-tuning seconds
        for name in names:
            variant = VARIANTS[name]
            started, reused = time.perf_counter(), variant.structure in finetuned
            if not reused:  # fine-tuned once here for every variant of this structure (one object; else each its own)
                network = variant_network(variant.structure, base, checkpoints.get(variant.structure), seed=seed)
                methods = [VARIANTS[n].method for n in names if VARIANTS[n].structure == variant.structure]
                finetuned[variant.structure] = finetune_once(
                    frames[0], truth[0], methods, model=network, finetune=finetune,
                    pretrained_network=variant.structure in checkpoints, finetune_options=finetune_options, seed=seed,
                    **dict(segmenter_options or {}))
            options, finetune_s = finetuned[variant.structure][variant.method]
            segmenter = create_segmenter(variant.method, **options)
            masks = segment(segmenter, frames, truth[0])
            timing = segmenter.timing_summary()
            scores = score_video(masks, truth)
            rows.append({"variant": name, "video": sequence.name, "frames": len(frames),
                         "J": float(scores.J.mean()), "F": float(scores.F.mean()),
                         "finetune_s": round((0.0 if reused else finetune_s) + timing["finetune_seconds"], 3),
                         "step_s": timing["step_seconds_per_frame"]})
            frame_rows.extend({"variant": name, "video": sequence.name, **r} for r in scores.to_dict("records"))
            if log is not None:
                log(f"{sequence.name} {name}: J {rows[-1]['J']:.3f} F {rows[-1]['F']:.3f} "
                    f"({time.perf_counter() - started:.1f} s)")
    return pd.DataFrame(frame_rows if per_frame else rows)


def summarize(table: pd.DataFrame, decimals: int = 3) -> pd.DataFrame:
    """J and F Mean per variant (the plain mean of the videos' means, as DAVIS), in ``VARIANTS`` order."""
    order = [v for v in VARIANTS if v in set(table.variant)]
    summary = table.groupby("variant")[["J", "F"]].mean().reindex(order)
    summary.insert(0, "description", [VARIANTS[v].description for v in order])
    return summary.round(decimals)


def read_full_results(results_dir: str | Path, variants: Iterable[str] = tuple(VARIANTS)) -> pd.DataFrame:
    """J and F Mean of the full runs written by ``plm evaluate`` (``results_dir/<variant>/global_results.csv``);
    variants without results are left out (an empty table when none exists yet)."""
    rows = []
    for name in variants:
        path = Path(results_dir) / name / "global_results.csv"
        if path.is_file():
            result = pd.read_csv(path).iloc[0]
            rows.append({"variant": name, "J": float(result["J-Mean"]), "F": float(result["F-Mean"])})
    return pd.DataFrame(rows, columns=["variant", "J", "F"]).set_index("variant")


def paper_ablation() -> pd.DataFrame:
    """The slides' numbers for the ablation's variants (J and F Mean on DAVIS 2016 val): PLM_S, PLM_U and PLM from
    the ablation table, PLM_P from the main table. The slides print none for the compressor and decoder ablations."""
    ablation = paper_table("ablation_davis2016_average").set_index("variant")
    main = paper_table("davis2016_val_per_sequence")
    average = main[main.sequence == "average"].set_index("measure")
    rows = []
    for name, variant in VARIANTS.items():
        if variant.paper_name in ablation.index:
            rows.append({"variant": name, "J": ablation.loc[variant.paper_name, "J_mean"],
                         "F": ablation.loc[variant.paper_name, "F_mean"]})
        elif variant.paper_name in average.columns:
            rows.append({"variant": name, "J": average.loc["J", variant.paper_name],
                         "F": average.loc["F", variant.paper_name]})
    return pd.DataFrame(rows).set_index("variant").astype(float)


def ablation_figure(columns: dict[str, pd.DataFrame], measure: str = "J", title: str | None = None):
    """Grouped bars of ``measure`` per variant, one bar per source (e.g. {"this run": summary, "paper": ...}); each
    table is indexed by variant with a ``measure`` column. Returns the matplotlib figure."""
    import matplotlib.pyplot as plt  # lazy: only this figure draws; pyplot takes ~0.3 s to import

    order = [v for v in VARIANTS if any(v in table.index for table in columns.values())]
    width = 0.8 / max(len(columns), 1)
    figure, axis = plt.subplots(figsize=(1.3 * len(order) + 2, 3.2))
    for k, (label, table) in enumerate(columns.items()):
        xs = [i + (k - (len(columns) - 1) / 2) * width for i, v in enumerate(order) if v in table.index]
        values = [float(table.loc[v, measure]) for v in order if v in table.index]
        bars = axis.bar(xs, values, width, label=label)
        axis.bar_label(bars, fmt="%.2f", fontsize=7)
    axis.set_xticks(range(len(order)), [VARIANTS[v].display for v in order], fontsize=8)
    axis.set_ylabel(f"{measure} Mean")
    axis.set_ylim(0, 1)
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axis.set_title(title or f"Ablation: {measure} Mean per variant", fontsize=10)
    figure.tight_layout()
    return figure


def run_davis_ablation(davis_root: str | Path | None, out: str | Path, variants: Iterable[str] = tuple(VARIANTS), *,
                       sequences: list[str] | None = None, base: str = "small",
                       checkpoints: dict[str, str | Path] | None = None, finetune_options: dict | None = None,
                       segmenter_options: dict | None = None, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """``run_ablation`` on DAVIS 2016 val (whole sequences), resumable; returns the summary (J, F Mean per variant).

    Each video's rows go to ``OUT/per_video/<sequence>.csv`` as soon as its variants are done, and a video is not
    run again for the variants it holds (a folder without per_video/ gets it back from its ``per_sequence.csv``);
    more variants may be added to ``OUT`` later, with the same settings only (base, checkpoints, fine-tuning,
    segmenter options, seed: another setting is refused, it needs another ``OUT``).
    Then ``OUT/per_sequence.csv`` (variant, video, frames, J, F, finetune_s, step_s) and ``OUT/summary.csv`` (J, F
    Mean and the number of videos of every variant in ``OUT``, for the videos asked for), and ``OUT/config.yaml``
    (the settings, git SHA and command of this run, and those of the earlier runs into ``OUT``)."""
    names = list(variants)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variants {unknown} (available: {', '.join(VARIANTS)})")
    structures = {v.structure for v in VARIANTS.values()}
    if set(checkpoints or {}) - structures:
        raise ValueError(f"checkpoints for unknown structures {sorted(set(checkpoints) - structures)} "
                         f"(structures: {', '.join(sorted(structures))})")
    dataset, videos = open_sequences("davis2016", davis_root, sequences, "DAVIS 2016 val sequences")
    out = Path(out)
    settings = {"dataset": "davis2016 val", "base": base,
                "checkpoints": {k: str(v) for k, v in (checkpoints or {}).items()},
                "finetune_options": finetune_options or "defaults (plmlib.train.finetune_defaults)",
                "segmenter_options": segmenter_options or {}, "seed": seed}
    earlier_variants, earlier_runs = [], []
    if (out / "config.yaml").is_file():
        earlier = yaml.safe_load((out / "config.yaml").read_text())
        refuse_other_settings({k: earlier["config"].get(k) for k in settings}, settings, out / "config.yaml")
        earlier_variants = earlier["config"].get("variants", [])
        earlier_runs = earlier["config"].get("earlier_runs", []) + [earlier["provenance"]]
    all_variants = [v for v in VARIANTS if v in set(earlier_variants) | set(names)]
    save_config(out / "config.yaml", {**settings, "variants": all_variants, "sequences": sequences or "all",
                                      "earlier_runs": earlier_runs})  # first: an interrupted run says what it was
    _restore_per_video(out)

    def per_video(video: str) -> Path:  # a video's rows, its variants' "done" marks
        return out / "per_video" / f"{video}.csv"

    def done(video: str, variant: str) -> bool:
        return per_video(video).is_file() and variant in set(pd.read_csv(per_video(video))["variant"])

    for sequence, todo in unfinished(dataset, videos, names, done, desc="ablation", progress=progress):
        rows = run_ablation([sequence], todo, base=base, checkpoints=checkpoints, finetune_options=finetune_options,
                            segmenter_options=segmenter_options, seed=seed)
        if per_video(sequence.name).is_file():
            rows = pd.concat([pd.read_csv(per_video(sequence.name)), rows], ignore_index=True)
        mark_done(per_video(sequence.name), rows.to_csv(index=False))
    table = pd.concat([pd.read_csv(per_video(video)) for video in videos], ignore_index=True)
    summary = summarize(table)
    summary["videos"] = table.groupby("variant")["video"].nunique().reindex(summary.index)
    with atomic_write(out / "per_sequence.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_write(out / "summary.csv") as tmp:
        summary.to_csv(tmp)
    return summary


def _restore_per_video(out: Path) -> None:
    """A folder kept without its per_video/ (results/ablations/ commits only the tables) gets it back from its
    per_sequence.csv, so that a resumed run neither redoes its videos nor drops them from the tables it rewrites."""
    table_path = out / "per_sequence.csv"
    if not table_path.is_file():
        return
    table = pd.read_csv(table_path)
    for name, rows in table.groupby("video", sort=False):
        path = out / "per_video" / f"{name}.csv"
        if not path.is_file():
            mark_done(path, rows.to_csv(index=False))
