"""``plm demo``: the README's main job on the embedded default data, end to end, in a few minutes on a CPU.

1. generate the synthetic videos (every scenario of :mod:`plmlib.data.synthetic`) in the DAVIS 2016 layout;
2. segment each from its first-frame mask with PLM (the shipped pre-trained network, fine-tuned on the first
   frame; one fine-tuning per video shared by the PLM methods) and with the three traditional baselines;
3. write DAVIS palette PNGs and an overlay mp4 per method and video;
4. score them with the DAVIS protocol (``plm evaluate``: J, F, T) and write one comparison table (with seconds per
   frame and fine-tuning seconds) and one figure.

Nothing is downloaded: the data is generated, deterministically, from the seed. The fine-tuning budget is the
demo's (:data:`DEMO_FINETUNE_ITERATIONS`: the classroom profile's, plmlib.course.profiles), smaller than ``plm segment``'s, so that the whole job stays within
minutes on 2 cores; the table says what it was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from plmlib.core.methods import DEFAULT_METHOD, METHODS, PLM_METHODS, method_label
from plmlib.core.provenance import save_config
from plmlib.course.profiles import PROFILES
from plmlib.data import SCENARIOS, Davis2016, write_dataset
from plmlib.data.synthetic import DEFAULT_SIZE
from plmlib.io import atomic_write
from plmlib.infer import share_finetuning
from plmlib.infer.run import segment_sequence
from plmlib.metrics.evaluate import evaluate, write_csvs
from plmlib.model import pretrained
from plmlib.viz.demo import comparison_figure

DEMO_METHODS = ("flow", "superpixel", "bvs", "plm", DEFAULT_METHOD)  # baselines, the paper's PLM, our best PLM
# the demo's fine-tuning budget per video: the classroom profile's (a laptop CPU), smaller than plm segment's
DEMO_FINETUNE_ITERATIONS = PROFILES["classroom"].budgets.finetune_iterations
DEMO_POOL_SIZE = 32  # ours: pairs whose encoder features are cached for that fine-tuning (plm segment's: 64)
TABLE_COLUMNS = ["method", "J-Mean", "F-Mean", "T", "seconds_per_frame", "finetune_seconds", "videos"]


def run_demo(
    out: str | Path,
    methods: tuple[str, ...] = DEMO_METHODS,
    scenarios: tuple[str, ...] = tuple(SCENARIOS),
    n_frames: int = 24,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    finetune_iterations: int | None = DEMO_FINETUNE_ITERATIONS,
    progress: bool = True,
) -> pd.DataFrame:
    """Run the whole demo into ``out``; returns the comparison table (one row per method, also written to
    ``out/comparison.csv`` and ``.md``, with ``out/comparison.png``).

    Per method: ``out/results/<method>/<video>/`` (masks, ``overlay.mp4``, ``timing.json``) and the DAVIS CSVs
    with ``config.yaml`` in ``out/results/<method>/``.
    """
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown method(s) {unknown} (available: {', '.join(METHODS)})")
    out = Path(out)
    finetune_options = {"cache.pool_size": DEMO_POOL_SIZE}
    if finetune_iterations is not None:  # None: the shipped network's own budget (RELEASE_FINETUNE)
        finetune_options["iterations"] = finetune_iterations
    config = {"methods": list(methods), "scenarios": list(scenarios), "n_frames": n_frames,
              "size_width_height": [size[1], size[0]], "seed": seed,
              "plm": {"checkpoint": "shipped", "finetune_options": finetune_options,
                      "finetuning": "once per video, shared by the PLM methods"}}
    data_root = write_dataset(out / "data", val=scenarios, n_frames=n_frames, size=size, seed=seed, overwrite=True)
    videos = list(Davis2016(data_root, split="val"))
    timings: dict[str, list[dict]] = {method: [] for method in methods}
    network = {}
    if any(m in PLM_METHODS for m in methods):
        network = {"model": pretrained(), "finetune_options": finetune_options, "seed": seed}  # loaded once
    for number, sequence in enumerate(videos, start=1):
        if progress:
            print(f"[{number}/{len(videos)}] {sequence.name}", flush=True)
        shared, finetune_seconds = ({}, 0.0)
        if network:
            shared, finetune_seconds = share_finetuning(sequence.frames[0], sequence.first_mask, progress=progress,
                                                        **network)
        for method in methods:
            options = {**network, **shared} if method in PLM_METHODS else {}
            timing = segment_sequence(sequence, out / "results" / method / sequence.name, method=method,
                                      overlay=True, progress=progress, **options)
            if method in PLM_METHODS:  # the shared fine-tuning counts in each PLM method's time
                timing["finetune_seconds"] = round(timing.get("finetune_seconds", 0.0) + finetune_seconds, 3)
            timings[method].append(timing)
    rows = []
    for method in methods:
        results = out / "results" / method
        save_config(results / "config.yaml", {**config, "method": method})
        evaluation = evaluate(results, data_root, split="val", progress=False)
        write_csvs(evaluation, results)
        scores = evaluation.summarize()
        rows.append({
            "method": method,
            "J-Mean": scores["J-Mean"],
            "F-Mean": scores["F-Mean"],
            "T": scores.get("T", float("nan")),
            "seconds_per_frame": float(np.mean([t["step_seconds_per_frame"] for t in timings[method]])),
            "finetune_seconds": float(np.mean([t.get("finetune_seconds", 0.0) for t in timings[method]])),
            "videos": len(timings[method]),
        })
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    _write_outputs(out, table, per_video_scores(out, methods), config)
    return table


def per_video_scores(out: str | Path, methods: tuple[str, ...] = DEMO_METHODS, measure: str = "J-Mean") -> pd.DataFrame:
    """One row per video, one column per method: ``measure`` (``J-Mean`` or ``F-Mean``) of a finished demo in
    ``out`` (read from each method's ``per_sequence_results.csv``): the head-to-head table."""
    return pd.concat(
        {m: pd.read_csv(Path(out) / "results" / m / "per_sequence_results.csv", index_col="Sequence")[measure]
         for m in methods}, axis=1)


def _write_outputs(out: Path, table: pd.DataFrame, per_video: pd.DataFrame, config: dict) -> None:
    """The comparison table (CSV, Markdown), its figure and the demo's config, each written atomically."""
    with atomic_write(out / "comparison.csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.3f")
    with atomic_write(out / "comparison.md") as tmp:
        tmp.write_text(comparison_markdown(table, config))
    figure = comparison_figure(per_video, table)
    with atomic_write(out / "comparison.png") as tmp:
        figure.savefig(tmp, dpi=110)
    save_config(out / "config.yaml", config)


def comparison_markdown(table: pd.DataFrame, config: dict) -> str:
    """The comparison table as Markdown, with what it was measured on."""
    iterations = config["plm"]["finetune_options"].get("iterations")
    steps = "with its own budget" if iterations is None else f"{iterations} steps"
    lines = [f"Synthetic videos ({len(config['scenarios'])}, {config['n_frames']} frames, "
             f"{config['size_width_height'][0]}x{config['size_width_height'][1]}, seed {config['seed']}); DAVIS "
             f"protocol. PLM: the shipped network fine-tuned {steps} on each first frame, once for both PLM methods.", "",
             "| method | J | F | T | seconds per frame | fine-tuning seconds per video |", "|---|---|---|---|---|---|"]
    for row in table.itertuples(index=False):
        lines.append(f"| {method_label(row.method)} | {row[1]:.3f} | {row[2]:.3f} | {row[3]:.3f} | "
                     f"{row.seconds_per_frame:.3f} | {row.finetune_seconds:.1f} |")
    return "\n".join(lines) + "\n"
