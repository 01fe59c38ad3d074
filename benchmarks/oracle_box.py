"""Where PLM loses accuracy on DAVIS: the network, or the tracking of the candidate box?

    python benchmarks/oracle_box.py --davis-root $PLM_DAVIS_ROOT --sequences soapbox libby --frames 40

For each sequence the network (default: the shipped release) is fine-tuned on the first frame once (saved under
``--work``, reused on a second run), then the first ``--frames`` frames are segmented in two ways:

- ``tracked``: PLMSegmenter as shipped (windows around the box it tracks from its own predictions), with the
  candidate settings given by ``--setting NAME=JSON`` (any PLMSegmenter options, e.g. ``box03={"candidates":
  {"box_threshold": 0.3}}``); the default setting is PLMSegmenter's defaults;
- ``oracle_box``: the same network and windows, placed around the **ground-truth** box of the previous frame. Not a
  method (it reads the answer): an upper bound of what better box tracking could give this network.

Mean J over frames 1 .. frames-1 is appended to ``--csv`` (default results/diagnostics/oracle_box.csv), one row per
(sequence, fine-tuning, setting), with the fine-tuning options and the git SHA.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.csv_rows import appending_csv  # noqa: E402
from plmlib.core import crops  # noqa: E402
from plmlib.core.provenance import git_sha  # noqa: E402
from plmlib.data import Davis2016  # noqa: E402
from plmlib.data.roots import dataset_root  # noqa: E402
from plmlib.infer import PLMSegmenter, jittered_windows, restore_and_stack  # noqa: E402
from plmlib.metrics.region import region_similarity  # noqa: E402
from plmlib.model import load_checkpoint, pretrained, save_checkpoint  # noqa: E402

COLUMNS = ["sequence", "frames", "finetune", "setting", "mode", "J_mean", "J_every_5th", "git_sha"]


def finetuned_network(sequence, options: dict, work: Path, tag: str):
    """The shipped network fine-tuned on the sequence's first frame (cached as work/<sequence>_<tag>.pt)."""
    path = work / f"{sequence.name}_{tag}.pt"
    if path.is_file():
        return load_checkpoint(path)
    tuner = PLMSegmenter(pretrained(), finetune_options=options)
    tuner.start(sequence.frames[0], sequence.first_mask)
    net = tuner.matchers[0].net
    save_checkpoint(path, net)
    return net


def tracked(net, frames, masks, options: dict) -> list[float]:
    segmenter = PLMSegmenter(net, finetune=False, **options)
    segmenter.start(frames[0], masks[0])
    return [region_similarity(masks[k], segmenter.step(frames[k]) > 0) for k in range(1, len(frames))]


def oracle_box(net, frames, masks, options: dict) -> list[float]:
    segmenter = PLMSegmenter(net, finetune=False, **options)
    segmenter.start(frames[0], masks[0])
    matcher = segmenter.matchers[0]
    out = []
    for k in range(1, len(frames)):
        box = crops.mask_box(masks[k - 1] > 0)
        if box is None:  # the object is absent from the previous frame: nothing to place windows around
            continue
        windows = jittered_windows(box, segmenter.candidates)
        probability = restore_and_stack(matcher.responses(frames[k], windows), windows, frames[k].shape[:2],
                                        segmenter.stacking)
        out.append(region_similarity(masks[k], probability >= segmenter.threshold))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--davis-root", default=None)
    parser.add_argument("--sequences", nargs="+", required=True)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--finetune", default="{}", help="JSON: fine-tuning options (PLMSegmenter finetune_options)")
    parser.add_argument("--tag", default="defaults", help="name of the fine-tuning in the CSV and the cache")
    parser.add_argument("--setting", nargs="*", default=[], metavar="NAME=JSON",
                        help="PLMSegmenter options to compare (always also 'defaults')")
    parser.add_argument("--work", type=Path, default=ROOT / "outputs" / "oracle_box")
    parser.add_argument("--csv", type=Path, default=ROOT / "results" / "diagnostics" / "oracle_box.csv")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-oracle", action="store_true", help="skip the oracle_box row (tracked settings only)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = {"defaults": {}}
    for item in args.setting:
        name, _, value = item.partition("=")
        settings[name] = json.loads(value)
    options = json.loads(args.finetune)
    dataset = Davis2016(dataset_root("davis2016", args.davis_root), split="val")
    args.work.mkdir(parents=True, exist_ok=True)
    sha = git_sha()
    with appending_csv(args.csv, COLUMNS) as writer:
        for name in args.sequences:
            sequence = dataset[name]
            n = min(args.frames, len(sequence))
            frames = [np.asarray(sequence.frames[k]) for k in range(n)]
            masks = [(np.asarray(sequence.masks[k]) > 0).astype(np.uint8) for k in range(n)]
            started = time.perf_counter()
            net = finetuned_network(sequence, options, args.work, args.tag)
            rows = [] if args.no_oracle else [("defaults", "oracle_box", oracle_box(net, frames, masks, {}))]
            rows += [(s, "tracked", tracked(net, frames, masks, o)) for s, o in settings.items()]
            for setting, mode, js in rows:
                row = {"sequence": name, "frames": n, "finetune": f"{args.tag} {json.dumps(options)}",
                       "setting": f"{setting} {json.dumps(settings.get(setting, {}))}", "mode": mode,
                       "J_mean": round(float(np.mean(js)), 3), "J_every_5th": " ".join(f"{j:.2f}" for j in js[::5]),
                       "git_sha": sha}
                writer.writerow(row)
                print(f"{name:20s} {args.tag:10s} {setting:12s} {mode:10s} J {row['J_mean']:.3f}", flush=True)
            print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
