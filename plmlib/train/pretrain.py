"""Stage 1, pre-training (slides, "Two-stage Training": cropping, augmentation, resizing, probability vs ground
truth, loss), as one loop to read top to bottom, torchvision reference-script style. Also the pieces that the
fine-tuning loop reuses: building the network, the optimiser and schedule, the device / DistributedDataParallel
set-up, and ``PairForward`` (what a training step runs).

    from plmlib.train import pretrain, pretrain_profile
    config = pretrain_profile("classroom"); config.iterations = 300
    net = pretrain(config)                                  # also: plm train pretrain --profile classroom

Scale-out: under ``torchrun --nproc_per_node N -m plmlib.cli train pretrain ...`` every process trains a replica
wrapped in DistributedDataParallel (gloo on CPU, nccl on GPU); ``batch_size`` is per process and rank r takes the
pairs (step * N + r) * batch_size + k, so N processes at batch b see the same pairs as one process at batch N * b.
"""

from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Sampler
from tqdm.auto import tqdm

from plmlib.core.provenance import save_config
from plmlib.core.seeding import seed_everything
from plmlib.model import PLMNet, build_model, default_device, load_checkpoint, save_checkpoint
from plmlib.model.release import resolve_network
from plmlib.model.warm_start import warm_start

from .checkpointing import LossLog, find_resume, load_training_checkpoint, plot_loss, save_training_checkpoint
from .config import CacheConfig, ModelChoice, OptimConfig, PretrainConfig, pretrain_profile
from .feature_pool import FeaturePool, cached_taps, encoder_is_frozen
from .pairs import PairDataset, collate, load_sequences

# ---------------------------------------------------------------------------------------------------------------- #
# pieces shared with fine-tuning


@dataclass
class Distributed:
    """This process's place in a (possibly single-process) run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    initialised_here: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: str = "auto") -> Distributed:
    """Read torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK); with more than one process, join the process
    group (nccl on CUDA, gloo otherwise). Picks the device: cuda:LOCAL_RANK, else ``device`` ("auto":
    default_device)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    chosen = default_device() if device == "auto" else torch.device(device)
    if chosen.type == "cuda":
        chosen = torch.device("cuda", local_rank if world > 1 else (chosen.index or 0))
        torch.cuda.set_device(chosen)
    here = False
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if chosen.type == "cuda" else "gloo")
        here = True
    return Distributed(rank, world, local_rank, chosen, here)


def build_net(choice: ModelChoice, start: PLMNet | None = None) -> PLMNet:
    """The network of a stage: a copy of ``start`` (a network in memory), else a checkpoint, else a preset (with
    overrides and its encoder weights); then the stage's frozen blocks (recorded in the model's config, so
    checkpoints say what was trained)."""
    if start is not None:
        net = copy.deepcopy(start).cpu()
        for p in net.parameters():  # as a network rebuilt from its checkpoint: all trainable but frozen blocks
            p.requires_grad_(True)
        net.encoder.freeze_blocks(net.config.frozen_blocks)
    elif choice.checkpoint:
        net = load_checkpoint(resolve_network(choice.checkpoint), map_location="cpu")
        if choice.overrides:  # an architectural change on top of trained weights (plmlib.model.warm_start)
            net = warm_start(net, **dict(choice.overrides))
    else:
        net = build_model(choice.preset, pretrained=choice.pretrained, **dict(choice.overrides))
    net.release_name = None  # trained from here on: no longer the release it may have been loaded from
    if choice.frozen_blocks is not None:
        frozen = (tuple(range(1, net.encoder.num_blocks + 1)) if choice.frozen_blocks == "all"
                  else tuple(choice.frozen_blocks))
        net.encoder.freeze_blocks(frozen)
        net.config = net.config.replace(frozen_blocks=frozen)
    return net


def trainable_parameters(net: nn.Module) -> list[nn.Parameter]:
    return [p for p in net.parameters() if p.requires_grad]


class LRSchedule:
    """Learning-rate factor per step: linear warm-up, then constant, step decay or cosine (OptimConfig)."""

    def __init__(self, optim: OptimConfig, iterations: int):
        self.schedule, self.warmup, self.iterations = optim.schedule, int(optim.warmup), int(iterations)
        self.step_size, self.gamma, self.min_ratio = int(optim.step_size), float(optim.gamma), optim.min_lr_ratio

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        if self.schedule == "step":
            return self.gamma ** ((step - self.warmup) // max(1, self.step_size))
        if self.schedule == "cosine":
            t = min(1.0, (step - self.warmup) / max(1, self.iterations - self.warmup))
            return self.min_ratio + (1.0 - self.min_ratio) * 0.5 * (1.0 + math.cos(math.pi * t))
        return 1.0


def make_optimizer(net: PLMNet, optim: OptimConfig, iterations: int):
    """(optimizer, scheduler) over the trainable parameters, in two groups: the encoder's at lr x
    encoder_lr_ratio, the rest at lr; the scheduler steps once per training step."""
    params = trainable_parameters(net)
    if not params:
        raise ValueError("nothing to train: every parameter is frozen")
    encoder = {id(p) for p in net.encoder.parameters()}
    groups = [{"params": [p for p in params if id(p) not in encoder], "lr": optim.lr},
              {"params": [p for p in params if id(p) in encoder], "lr": optim.lr * optim.encoder_lr_ratio}]
    groups = [g for g in groups if g["params"]]
    if optim.optimizer == "adam":
        # torch's fused kernel (CPU and CUDA): on a CPU the default per-tensor loop over the FC layers' tens of
        # millions of weights is slower than the backward pass (results/defaults/README.md).
        fused = all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)
        optimizer = torch.optim.Adam(groups, lr=optim.lr, weight_decay=optim.weight_decay, fused=fused or None)
    else:
        optimizer = torch.optim.SGD(groups, lr=optim.lr, momentum=optim.momentum, weight_decay=optim.weight_decay)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, LRSchedule(optim, iterations))


class PairForward(nn.Module):
    """One training forward pass on a batch of pairs -> logits (B, 2, S, S); this is what DDP wraps.

    A batch holds images (query, query_mask, search: the whole network runs) or cached encoder features
    (query_features, search_features: the frozen encoder is skipped; with query_boundary / search_boundary only
    its trained last blocks run, see feature_pool)."""

    def __init__(self, net: PLMNet):
        super().__init__()
        self.net = net

    def forward(self, batch: dict) -> torch.Tensor:
        net = self.net
        if "query_features" in batch:
            query = cached_taps(net, batch["query_features"], batch.get("query_boundary"))
            search = cached_taps(net, batch["search_features"], batch.get("search_boundary"))
            return net.decode(net.match(net.flatten(net.compress(query)), net.flatten(net.compress(search))), search)
        return net(batch["query"], batch["query_mask"], batch["search"])


def use_feature_cache(cache: CacheConfig, net: PLMNet, device: torch.device) -> bool:
    """Cache encoder features? As configured; None = when the whole encoder is frozen and we are on a CPU."""
    if cache.enabled is None:
        return encoder_is_frozen(net) and device.type == "cpu"
    return bool(cache.enabled)


def to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch.to(device, non_blocking=True) if torch.is_tensor(batch) else batch


class StepBatchSampler(Sampler):
    """The data sampler: for steps start .. end - 1, this rank's pair indices (step * world + rank) * batch + k.

    Its position is the step, saved in every checkpoint: a resumed run continues with the very next pairs."""

    def __init__(self, start: int, end: int, batch_size: int, rank: int = 0, world: int = 1):
        self.start, self.end, self.batch_size, self.rank, self.world = start, end, batch_size, rank, world

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start, self.end):
            first = (step * self.world + self.rank) * self.batch_size
            yield list(range(first, first + self.batch_size))

    def __len__(self) -> int:
        return max(0, self.end - self.start)


def make_batches(pairs: PairDataset, start: int, end: int, batch_size: int, *, pool: FeaturePool | None,
                 ddp: Distributed, num_workers: int = 0) -> Iterator[dict]:
    """The batches of steps start .. end - 1: from the feature pool, or cut by a DataLoader."""
    if pool is not None:
        def from_pool() -> Iterator[dict]:
            for step in range(start, end):
                pool.sync(step)
                yield pool.batch(step, batch_size)
        return from_pool()
    loader = DataLoader(pairs, batch_sampler=StepBatchSampler(start, end, batch_size, ddp.rank, ddp.world),
                        collate_fn=collate, num_workers=num_workers, pin_memory=ddp.device.type == "cuda")
    return iter(loader)


def pixel_loss(logits: torch.Tensor, target: torch.Tensor, kind: str = "cross_entropy") -> torch.Tensor:
    """Per-pixel two-class cross-entropy (OptimConfig.loss): plain, or "balanced" (OSVOS): class c's pixels weigh
    1 / (its share of the batch's pixels), so that object and background count equally; a class absent from the
    batch weighs nothing."""
    if kind == "cross_entropy":
        return F.cross_entropy(logits, target)
    counts = torch.bincount(target.flatten(), minlength=logits.shape[1]).float()
    weight = torch.where(counts > 0, counts.sum() / counts.clamp(min=1), torch.zeros_like(counts))
    return F.cross_entropy(logits, target, weight=weight)


class Optimisation:
    """A training run's optimiser and learning-rate schedule (:func:`make_optimizer`), mixed precision (RunConfig.amp;
    None: on with CUDA) and its gradient scaler, set up one way for both stages; in and out of a training checkpoint
    with the weights (:meth:`resume`, :meth:`save`)."""

    def __init__(self, net: PLMNet, optim: OptimConfig, iterations: int, device: torch.device, amp: bool | None):
        self.optim = optim
        self.optimizer, self.scheduler = make_optimizer(net, optim, iterations)
        self.amp = device.type == "cuda" if amp is None else bool(amp)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp)

    def resume(self, out: Path, resume: str, net: PLMNet) -> tuple[Path | None, dict[str, Any]]:
        """The checkpoint to continue from (find_resume) and its ``extra`` (step, sampler), weights, optimiser,
        schedule, scaler and RNG states restored from it; (None, {}) to start afresh."""
        path = find_resume(out, resume)
        if path is None:
            return None, {}
        return path, load_training_checkpoint(path, net, optimizer=self.optimizer, scheduler=self.scheduler,
                                              scaler=self.scaler)

    def save(self, out: Path, net: PLMNet, step: int, **extra: Any) -> None:
        """A resumable training checkpoint at ``step`` (save_training_checkpoint; ``extra``: config, keep, sampler)."""
        save_training_checkpoint(out, net, step=step, optimizer=self.optimizer, scheduler=self.scheduler,
                                 scaler=self.scaler, **extra)

    def step(self, model: nn.Module, batch: dict, params: list[nn.Parameter]) -> torch.Tensor:
        """One optimisation step on a batch (already on the device): forward, per-pixel loss (pixel_loss),
        backward, gradient-norm clipping, optimiser and schedule steps. Returns the loss (detached)."""
        device_type = batch["target"].device.type
        with torch.autocast(device_type, dtype=torch.float16, enabled=self.amp):
            logits = model(batch)
        loss = pixel_loss(logits.float(), batch["target"], self.optim.loss)

        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.optim.grad_clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(params, self.optim.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return loss.detach()


def mean_over_processes(value: torch.Tensor, ddp: Distributed) -> float:
    """The loss averaged over the DDP processes (for the log), as a float."""
    if ddp.world > 1:
        value = value.detach().clone()
        dist.all_reduce(value)
        value /= ddp.world
    return float(value.detach())


# ---------------------------------------------------------------------------------------------------------------- #
# the loop


def pretrain(config: PretrainConfig | None = None) -> PLMNet:
    """Pre-train on pairs of ``config.data`` (default profile: smoke); returns the trained network.

    Writes to config.run.out_dir: config.yaml (with provenance), loss.csv, checkpoints/checkpoint_<step>.pt every
    checkpoint_every steps and at the end (resumable; none when checkpoint_every = 0), and model.pt (the final
    weights, for load_checkpoint / fine-tuning).
    """
    config = copy.deepcopy(config or pretrain_profile("smoke"))
    run = config.run
    ddp = setup_distributed(run.device)
    device, out = ddp.device, Path(run.out_dir)
    if run.threads:
        torch.set_num_threads(run.threads)
    seed_everything(run.seed)  # the same initialisation in every process (DDP also broadcasts rank 0's)

    # The network and its pairs. Crops are cut at the network's crop size.
    net = build_net(config.model).to(device)
    config.pairs.crop_size = net.config.crop_size
    if ddp.is_main:
        out.mkdir(parents=True, exist_ok=True)
        save_config(out / "config.yaml", {"stage": "pretrain", **config.to_dict(), "world_size": ddp.world,
                                          "model_config": net.config.to_dict()})
    pairs = PairDataset(load_sequences(config.data), config.pairs, seed=run.seed)
    model: nn.Module = PairForward(net)
    if ddp.world > 1:
        model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    optimisation = Optimisation(net, config.optim, config.iterations, device, run.amp)

    # Resume: weights, optimiser, schedule, scaler, RNG states and the sampler position (= the step).
    start = 0
    resume_from, extra = optimisation.resume(out, run.resume, net)
    if resume_from is not None:
        start = int(extra["step"])
        expected = {"batch_size": config.batch_size, "world_size": ddp.world}
        saved = {k: extra["sampler"].get(k) for k in expected}
        if saved != expected:
            raise ValueError(f"{resume_from} was written with {saved}, this run has {expected}: the pairs would "
                             f"differ; resume with the same batch size and number of processes")
        if ddp.is_main:
            print(f"resuming from {resume_from} at step {start}", flush=True)

    pool = None
    if use_feature_cache(config.cache, net, device):
        c = config.cache
        pool = FeaturePool(net, pairs, c.pool_size, chunk=c.chunk, refresh_every=c.refresh_every,
                           refresh_fraction=c.refresh_fraction, seed=run.seed, rank=ddp.rank, world=ddp.world,
                           device=device, progress=run.progress and ddp.is_main)
    batches = make_batches(pairs, start, config.iterations, config.batch_size, pool=pool, ddp=ddp,
                           num_workers=run.num_workers)

    log = LossLog(out / "loss.csv", resume_step=start, enabled=ddp.is_main)
    bar = tqdm(range(start, config.iterations), initial=start, total=config.iterations, desc="pre-training",
               unit="step", disable=not (run.progress and ddp.is_main), mininterval=2.0)
    params = trainable_parameters(net)
    net.train()
    started = time.perf_counter()
    for step, batch in zip(bar, batches):
        loss = optimisation.step(model, to_device(batch, device), params)
        loss_value, lr = mean_over_processes(loss, ddp), optimisation.optimizer.param_groups[0]["lr"]
        log.write(step + 1, loss_value, lr, time.perf_counter() - started)
        if (step + 1) % run.log_every == 0:
            bar.set_postfix(loss=f"{loss_value:.4f}", lr=f"{lr:.2e}", refresh=False)
        if ddp.is_main and run.checkpoint_every and ((step + 1) % run.checkpoint_every == 0
                                                     or step + 1 == config.iterations):
            optimisation.save(out, net, step + 1, config=config.to_dict(), keep=run.keep_checkpoints,
                              sampler={"step": step + 1, "batch_size": config.batch_size, "world_size": ddp.world,
                                       "pool": pool is not None})
    bar.close()
    log.close()

    if ddp.is_main:
        save_checkpoint(out / "model.pt", net, extra={"stage": "pretrain", "step": config.iterations,
                                                       "train_config": config.to_dict()})
    if ddp.world > 1:
        dist.barrier()
        if ddp.initialised_here:
            dist.destroy_process_group()
    return net


def pretrain_with_curve(config: PretrainConfig, plot: str | Path | None = None) -> Path | None:
    """What ``plm train pretrain`` does: :func:`pretrain`, then (main process only) the loss curve drawn from
    ``OUT/loss.csv`` into ``plot`` (default ``OUT/loss.png``), the feature-pool refreshes marked. Returns the
    curve's path, or None where none was drawn (another process of a distributed run, or no loss.csv)."""
    net = pretrain(config)
    out = Path(config.run.out_dir)
    if int(os.environ.get("RANK", "0")) != 0 or not (out / "loss.csv").is_file():
        return None
    device = next(net.parameters()).device
    every = config.cache.refresh_every if use_feature_cache(config.cache, net, device) else 0
    return plot_loss(out / "loss.csv", plot or out / "loss.png", title=f"pre-training loss ({config.profile} profile)",
                     marks=list(range(every, config.iterations, every)) if every else [])
