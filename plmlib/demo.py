"""``plm demo``: the README's main job on the embedded default data, end to end, in about a minute.

1. generate the synthetic videos (every scenario of :mod:`plmlib.data.synthetic`) in the DAVIS 2016 layout;
2. segment each from its first-frame mask with a method (default: optical-flow propagation);
3. write DAVIS palette PNGs and an overlay mp4 per video;
4. score them with the DAVIS protocol (``plm evaluate``) and print the table.

Nothing is downloaded: the data is generated, deterministically, from the seed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from plmlib.data import SCENARIOS, Davis2016, write_dataset
from plmlib.data.synthetic import DEFAULT_SIZE, parse_size, scenario_list
from plmlib.provenance import save_config
from plmlib.segment import segment_sequence
from plmlib.segmenter import METHODS


def run_demo(
    out: str | Path,
    method: str = "flow",
    scenarios: tuple[str, ...] = tuple(SCENARIOS),
    n_frames: int = 24,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    progress: bool = True,
):
    """Run the whole demo into ``out``; returns the :class:`plmlib.metrics.evaluate.Evaluation` of the results."""
    from plmlib.metrics.evaluate import evaluate, write_csvs

    out = Path(out)
    config = {
        "method": method,
        "scenarios": list(scenarios),
        "n_frames": n_frames,
        "size": list(size),
        "seed": seed,
    }
    data_root = write_dataset(out / "data", val=scenarios, n_frames=n_frames, size=size, seed=seed, overwrite=True)
    results = out / "results" / method
    started = time.perf_counter()
    for sequence in Davis2016(data_root, split="val"):
        segment_sequence(sequence, results / sequence.name, method=method, overlay=True, progress=progress)
    config["segmentation_seconds"] = round(time.perf_counter() - started, 2)
    save_config(results / "config.yaml", config)
    evaluation = evaluate(results, data_root, split="val", progress=progress)
    write_csvs(evaluation, results)
    return evaluation


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="output folder (default outputs/demo)")
    parser.add_argument("--method", default="flow", choices=sorted(METHODS))
    parser.add_argument("--scenarios", default="all", help=f"comma-separated, or 'all': {', '.join(SCENARIOS)}")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", type=parse_size, default=DEFAULT_SIZE, help="WIDTHxHEIGHT (default 256x144)")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    from plmlib.metrics.evaluate import report

    evaluation = run_demo(args.out, args.method, tuple(scenario_list(args.scenarios)), args.frames, args.size, args.seed)
    print(report(evaluation, "val"))
    results = args.out / "results" / args.method
    print(
        f"\nDone in {time.perf_counter() - started:.1f} s. Masks and overlay.mp4 per video in {results}/<video>/; "
        f"scores in {results}/global_results.csv and per_sequence_results.csv; data in {args.out / 'data'}."
    )
    return 0
