"""Stage 2, fine-tuning on the annotated first frame of a new sequence (slides, "Two-stage Training": "In
fine-tuning, the networks learn specific target object appearance"; "New sequence (using single frame)"; "Without
fine-tuning, the network will be distracted by a background similar to the trained objects").

Query = the first frame's object exactly as inference will crop it; search = augmented windows of the same frame
(translation, rotation, scale variation, flipping); target = the window's mask. One loop, top to bottom (``fit``),
under the stage run that writes its files (``finetune``) and the fine-tuning of a network in memory
(``finetune_on_frame``).

    from plmlib.train import finetune, finetune_on_frame, finetune_profile, first_frame_fit
    config = finetune_profile("classroom"); config.sequence = "blackswan"
    net = finetune(config)                                   # also: plm train finetune --sequence blackswan ...
    tuned = finetune_on_frame(net, frame, mask)              # in memory, nothing written (what plmlib.infer does)

``first_frame_fit`` measures what fine-tuning changes: J (region IoU) of the network's mask on chosen frames, each
segmented in one window placed around the ground-truth box of the previous frame (an oracle window: it isolates the
network from the box tracking of plmlib.infer).
"""

from __future__ import annotations

import copy
import csv
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from plmlib.core import crops
from plmlib.core.provenance import save_config
from plmlib.core.seeding import seed_everything
from plmlib.core.segmenter import check_first_mask, check_frame
from plmlib.data import Sequence
from plmlib.metrics.region import region_similarity
from plmlib.model import PLMNet, default_device, save_checkpoint

from .checkpointing import LossLog
from .config import FinetuneConfig, RunConfig, finetune_profile
from .feature_pool import FeaturePool
from .pairs import PairConfig, PairDataset, load_sequences
from .pretrain import (Distributed, Optimisation, PairForward, build_net, make_batches, to_device,
                       trainable_parameters, use_feature_cache)


def pick_sequence(config: FinetuneConfig) -> Sequence:
    """The sequence named by ``config.sequence`` among ``config.data``'s (the first one when unnamed)."""
    sequences = load_sequences(config.data)
    if not config.sequence:
        return sequences[0]
    for seq in sequences:
        if seq.name == config.sequence:
            return seq
    raise ValueError(f"no sequence {config.sequence!r} in {config.data.dataset} "
                     f"(it has: {', '.join(s.name for s in sequences)})")


def finetune(config: FinetuneConfig | None = None, sequence: Sequence | None = None) -> PLMNet:
    """The fine-tuning stage run (``plm train finetune``): ``config.model`` fine-tuned on the first frame of
    ``sequence`` (default: the one config.sequence names); returns the network.

    Writes to config.run.out_dir: config.yaml, loss.csv, model.pt, and resumable checkpoints if checkpoint_every."""
    config = copy.deepcopy(config or finetune_profile("smoke"))
    device = start_run(config.run)
    net = build_net(config.model).to(device)
    config.pairs.crop_size = net.config.crop_size
    sequence = sequence if sequence is not None else pick_sequence(config)
    out = Path(config.run.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_config(out / "config.yaml", {"stage": "finetune", **config.to_dict(), "sequence_used": sequence.name,
                                      "model_config": net.config.to_dict()})
    fit(net, sequence, config, device, out)
    save_checkpoint(out / "model.pt", net, extra={"stage": "finetune", "sequence": sequence.name,
                                                   "step": config.iterations, "train_config": config.to_dict()})
    return net


def finetune_on_frame(network: PLMNet, frame: np.ndarray, mask: np.ndarray,
                      config: FinetuneConfig | None = None) -> PLMNet:
    """Slides, stage 2, in memory: a copy of ``network`` fine-tuned on one frame and its object's mask (H x W,
    every non-zero pixel is the object); ``network`` is left as it was and no file is written.

    ``config`` (default: FinetuneConfig(), PLM's first-frame defaults for a pre-trained network): its steps, batch,
    pairs, optimiser, cache, ``model.frozen_blocks`` and ``run``'s seed, device, amp, threads and progress; the
    rest of ``model`` names a network to load, and ``run``'s files are the stage run's: neither applies here."""
    frame = check_frame(frame)
    mask = (check_first_mask(mask, frame.shape[:2], "object mask") > 0).astype(np.uint8)
    config = copy.deepcopy(config or FinetuneConfig())
    device = start_run(config.run)
    net = build_net(config.model, start=network).to(device)
    config.pairs.crop_size = net.config.crop_size
    fit(net, Sequence(name="first-frame", frames=[frame], masks=[mask]), config, device)
    return net


def start_run(run: RunConfig) -> torch.device:
    """A fine-tuning run's device, with its torch threads and seed set (before the network is built)."""
    device = default_device() if run.device == "auto" else torch.device(run.device)
    if run.threads:
        torch.set_num_threads(run.threads)
    seed_everything(run.seed)
    return device


def fit(net: PLMNet, sequence: Sequence, config: FinetuneConfig, device: torch.device,
        out: Path | None = None) -> None:
    """The fine-tuning loop, top to bottom, on pairs of ``sequence``'s first frame: ``net`` is trained in place and
    left in eval mode. ``out``: the stage run's folder (loss.csv, resumable checkpoints; it continues from where
    a run there left off); None: nothing is written."""
    run = config.run
    pairs = PairDataset([sequence], config.pairs, seed=run.seed, first_frame_only=True)
    model = PairForward(net)
    optimisation = Optimisation(net, config.optim, config.iterations, device, run.amp)

    start = 0
    if out is not None:
        resume_from, extra = optimisation.resume(out, run.resume, net)
        if resume_from is not None:
            start = int(extra["step"])

    pool = None
    if use_feature_cache(config.cache, net, device):
        pool = FeaturePool(net, pairs, config.cache.pool_size, chunk=config.cache.chunk,
                           refresh_every=config.cache.refresh_every, refresh_fraction=config.cache.refresh_fraction,
                           seed=run.seed, device=device, progress=run.progress)
    ddp = Distributed(device=device)
    batches = make_batches(pairs, start, config.iterations, config.batch_size, pool=pool, ddp=ddp,
                           num_workers=run.num_workers)

    log = LossLog(Path(out or ".") / "loss.csv", resume_step=start, enabled=out is not None)
    bar = tqdm(range(start, config.iterations), initial=start, total=config.iterations,
               desc=f"fine-tuning {sequence.name}", unit="step", disable=not run.progress, mininterval=2.0)
    params = trainable_parameters(net)
    net.train()
    started = time.perf_counter()
    for step, batch in zip(bar, batches):
        loss = optimisation.step(model, to_device(batch, device), params)
        log.write(step + 1, loss.item(), optimisation.optimizer.param_groups[0]["lr"], time.perf_counter() - started)
        if (step + 1) % run.log_every == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        if out is not None and run.checkpoint_every and ((step + 1) % run.checkpoint_every == 0
                                                         or step + 1 == config.iterations):
            optimisation.save(out, net, step + 1, config=config.to_dict(), keep=run.keep_checkpoints,
                              sampler={"step": step + 1, "batch_size": config.batch_size, "world_size": 1,
                                       "pool": pool is not None})
    bar.close()
    log.close()
    net.eval()


# ---------------------------------------------------------------------------------------------------------------- #
# evidence: how well the network fits the first frame (and a few later ones)


@torch.no_grad()
def segment_in_window(net: PLMNet, query_vec: torch.Tensor, frame: np.ndarray, window, pad: str = "mean") -> np.ndarray:
    """Foreground probability of a full frame from one search window (0 outside it): crop, segment, paste."""
    device = query_vec.device
    size = net.config.crop_size
    search = crops.image_to_tensor(crops.crop_image(frame, window, size, pad))[None].to(device)
    probability = net.foreground_probability(net.segment(query_vec, search))[0].float().cpu().numpy()
    canvas = crops.Canvas(frame.shape[:2])
    canvas.add(probability, window)
    return canvas.average()


@torch.no_grad()
def first_frame_fit(net: PLMNet, sequence: Sequence, frames: list[int] | tuple[int, ...] = (0,),
                    pairs: PairConfig | None = None, threshold: float = 0.5) -> list[dict]:
    """J per frame: the query is the first frame's object (cropped as inference does); frame t is segmented in the
    window around the ground-truth box of frame t - 1 (frame 0: its own box), thresholded at ``threshold``."""
    c = pairs or PairConfig()
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    first, first_mask = np.asarray(sequence.frames[0]), sequence.first_mask
    q_rgb, q_mask, _ = crops.crop_query(first, first_mask, net.config.crop_size, c.context, square=c.square,
                                        min_side=c.min_side, pad=c.pad)
    query_vec = net.encode_query(crops.image_to_tensor(q_rgb)[None].to(device),
                                 crops.mask_to_tensor(q_mask)[None].to(device))
    rows = []
    for t in frames:
        box = None
        for k in range(max(t - 1, 0), -1, -1):  # the previous frame's box, else the nearest earlier annotated one
            box = crops.mask_box(sequence.masks[k])
            if box is not None:
                break
        window = crops.context_window(box, c.context, square=c.square, min_side=c.min_side)
        probability = segment_in_window(net, query_vec, np.asarray(sequence.frames[t]), window, c.pad)
        truth = np.asarray(sequence.masks[t])
        rows.append({"sequence": sequence.name, "frame": int(t),
                     "J": region_similarity(truth, probability >= threshold)})
    net.train(was_training)
    return rows


def finetune_with_fit(config: FinetuneConfig, eval_frames: list[int] | tuple[int, ...] = (0,)) -> tuple[str, list[dict]]:
    """What ``plm train finetune`` does: :func:`finetune` on the config's sequence, with J of ``eval_frames``
    (:func:`first_frame_fit`) before and after, written to ``OUT/fit.csv``. Returns the sequence's name and those
    rows (sequence, frame, J_before, J_after)."""
    sequence = pick_sequence(config)
    bad = [f for f in eval_frames if not 0 <= f < len(sequence)]
    if bad:
        raise ValueError(f"--eval-frames {bad} outside {sequence.name}'s {len(sequence)} frames")
    before = first_frame_fit(build_net(config.model), sequence, list(eval_frames), config.pairs)
    net = finetune(config, sequence)
    after = first_frame_fit(net, sequence, list(eval_frames), config.pairs)
    out = Path(config.run.out_dir)
    rows = [{"sequence": b["sequence"], "frame": b["frame"], "J_before": round(b["J"], 4),
             "J_after": round(a["J"], 4)} for b, a in zip(before, after)]
    with (out / "fit.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return sequence.name, rows
