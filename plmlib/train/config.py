"""One config object per training stage (pre-training, fine-tuning) and the three profiles.

Slides, "Two-stage Training": pre-training on the 30 DAVIS 2016 train sequences teaches "semantic matching inference
dealing with appearance variation"; fine-tuning on the first frame of a new sequence teaches "specific target object
appearance". Iterations, batch, optimiser, learning rate, schedule and frozen layers are not in the slides: every
value here is *our choice*, a field so that it can be changed and saved beside the results.

=========  ==========================================================  ==============================================
profile    pre-training                                                 meant for
=========  ==========================================================  ==============================================
smoke      synthetic videos, ``small`` model, 40 steps                 CI: well under a minute
classroom  DAVIS 2016 train ($PLM_DAVIS_ROOT, else the 3-sequence       a 2-core CPU: minutes
           sample), ``small`` model, cached encoder features
paper      full DAVIS 2016 train, paper-sized ``plm`` model, encoder    a GPU (CUDA, mixed precision)
           trained, 20k steps at batch 32
=========  ==========================================================  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from plmlib.core.config import apply_overrides, from_dict, to_dict
from plmlib.model.release import RELEASE_FINETUNE

from .pairs import (FINETUNE_QUERY_AUG, FINETUNE_SEARCH_AUG, TRACKING_FINETUNE_SEARCH_AUG, Augmentation, DataConfig,
                    PairConfig, davis_train_sample_or_full)

PROFILE_NAMES = ("smoke", "classroom", "paper")


LOSSES = ("cross_entropy", "balanced")


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule (ours: Adam; the paper does not say).

      optimizer     "adam" or "sgd" (momentum)
      lr            peak learning rate
      schedule      "constant", "step" (x gamma every step_size steps) or "cosine" (to min_lr_ratio * lr)
      warmup        steps of linear warm-up from 0 (0: none)
      grad_clip     clip the gradient norm to this (None: no clipping)
      encoder_lr_ratio  the trained encoder blocks learn at lr x this (a pre-trained encoder moves slower than the
                    new layers; 1.0: one rate for all)
      loss          the per-pixel loss (slides: "probability vs ground truth"; which loss is our choice):
                    "cross_entropy", or "balanced" (class-balanced cross-entropy as in OSVOS, CVPR 2017: each class
                    weighs in inversely to its share of the batch's pixels, so that a thin or small object is not
                    outweighed by its background)
    """

    optimizer: str = "adam"
    lr: float = 1e-4
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "cosine"
    step_size: int = 1000
    gamma: float = 0.5
    min_lr_ratio: float = 0.05
    warmup: int = 0
    grad_clip: float | None = 10.0
    encoder_lr_ratio: float = 1.0
    loss: str = "cross_entropy"

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if not self.encoder_lr_ratio > 0:
            raise ValueError(f"encoder_lr_ratio must be > 0, got {self.encoder_lr_ratio}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.schedule not in ("constant", "step", "cosine"):
            raise ValueError(f"schedule must be 'constant', 'step' or 'cosine', got {self.schedule!r}")


@dataclass
class CacheConfig:
    """Cached encoder features (plmlib.train.feature_pool): of the whole encoder when it is frozen, or of its frozen
    leading blocks (e.g. frozen_blocks (1, 2, 3, 4): block 5 is trained from the cached pool4 output).

      enabled           use the pool (None: when the whole encoder is frozen and the device is a CPU; True also
                        with a partly frozen encoder)
      pool_size         pairs held
      chunk             pairs encoded together (the pool is made of whole chunks)
      refresh_every     steps between refreshes (0: never)
      refresh_fraction  share of the pool replaced at each refresh
    """

    enabled: bool | None = None
    pool_size: int = 1024
    chunk: int = 16
    refresh_every: int = 500
    refresh_fraction: float = 0.25


@dataclass
class RunConfig:
    """Where and how a run executes.

      out_dir           checkpoints, loss.csv, config.yaml (keep big runs outside the repository)
      checkpoint_every  steps between checkpoints (0: only at the end); keep_checkpoints: how many to keep
      resume            "auto": continue from the newest checkpoint in out_dir if any; "never"; or a file
      seed              seeds pairs, pool, initialisation and python/numpy/torch
      device            "auto" (cuda > mps > cpu), "cpu", "cuda", ...
      amp               mixed precision (float16 autocast + GradScaler); None: on with CUDA, off elsewhere
      num_workers       DataLoader workers (0: pairs are cut in the training process)
      threads           torch CPU threads of this process (None: torch's default). On a shared, loaded CPU one
                        thread can be several times faster than two, because idle OpenMP threads spin waiting for
                        each other (results/defaults/README.md)
      progress          tqdm progress bar with the loss
      log_every         steps between progress-bar updates (loss.csv gets a row every step)
    """

    out_dir: str = "runs/train"
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    resume: str = "auto"
    seed: int = 0
    device: str = "auto"
    amp: bool | None = None
    num_workers: int = 0
    threads: int | None = None
    progress: bool = True
    log_every: int = 10


@dataclass
class ModelChoice:
    """The network to train.

      preset       plmlib.model preset name ("small", "plm", ...)
      overrides    PLMConfig field overrides (e.g. {"fc_widths": [1024, 1024]}); with a checkpoint, the trained network
                   grown to them (plmlib.model.warm_start, e.g. {"decoder_skip": true})
      checkpoint   start from this checkpoint or shipped release name instead (pre-trained weights for fine-tuning,
                   or a longer pre-training)
      pretrained   load the preset's encoder weights (False: random encoder; ignored with a checkpoint)
      frozen_blocks  encoder blocks not trained in this stage (VGG blocks 1..5, Lite0 stages 1..7); "all": the
                   whole encoder, whichever it is; None: the model config's
    """

    preset: str = "small"
    overrides: dict[str, Any] = field(default_factory=dict)
    checkpoint: str | None = None
    pretrained: bool = True
    frozen_blocks: tuple[int, ...] | str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.frozen_blocks, str):
            if self.frozen_blocks != "all":
                raise ValueError(f"frozen_blocks: a list of block numbers, 'all' or null, got {self.frozen_blocks!r}")
        elif self.frozen_blocks is not None:
            self.frozen_blocks = tuple(self.frozen_blocks)


class StageConfig:
    """What the two stage configs share: a plain dict and back (plmlib.core.config), for YAML and checkpoints."""

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        return from_dict(cls, d)


@dataclass
class PretrainConfig(StageConfig):
    """Stage 1 (slides: pre-training on DAVIS train pairs). ``batch_size`` is per process (DDP: x world size)."""

    iterations: int = 2000
    batch_size: int = 16
    model: ModelChoice = field(default_factory=ModelChoice)
    data: DataConfig = field(default_factory=DataConfig)
    pairs: PairConfig = field(default_factory=PairConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    run: RunConfig = field(default_factory=lambda: RunConfig(out_dir="runs/pretrain"))
    profile: str = "custom"

    stage = "pretrain"


@dataclass
class FinetuneConfig(StageConfig):
    """Stage 2 (slides: fine-tuning on the first frame of a new sequence, "using single frame").

    Query = the first frame's object exactly as inference crops it; search = augmented windows of the same frame.
    ``sequence`` names the sequence of ``data`` to fine-tune on.

    The defaults are the one home of how PLM fine-tunes a pre-trained network on the first frame of a video
    (plmlib.infer does unless told; our choice, the slides give no budget): a small step, with the wide search
    ranges of fine-tuning for tracking (plmlib.train.pairs.TRACKING_FINETUNE_SEARCH_AUG). A fresh network takes
    :data:`FRESH_NETWORK_FINETUNE` over them; a shipped release, the budget measured for it
    (:func:`finetune_defaults`). The profiles (``plm train finetune``) are runs of their own.
    """

    sequence: str = ""
    iterations: int = 100
    batch_size: int = 8
    model: ModelChoice = field(default_factory=lambda: ModelChoice(frozen_blocks="all"))
    data: DataConfig = field(default_factory=lambda: DataConfig(split="val"))
    pairs: PairConfig = field(default_factory=lambda: PairConfig(
        window_from="same", query_aug=Augmentation(**vars(FINETUNE_QUERY_AUG)),
        search_aug=Augmentation(**vars(TRACKING_FINETUNE_SEARCH_AUG))))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-4, schedule="constant"))
    cache: CacheConfig = field(default_factory=lambda: CacheConfig(pool_size=64, refresh_every=0))
    run: RunConfig = field(default_factory=lambda: RunConfig(out_dir="runs/finetune", checkpoint_every=0,
                                                             resume="never", log_every=5))
    profile: str = "custom"

    stage = "finetune"


# Our choice: a fresh network (random FC layers and decoder) has everything to learn from the one frame: more
# steps at a larger rate, from a larger pool of pairs. FinetuneConfig fields over its defaults, as in
# finetune_options ("lr" is optim.lr).
FRESH_NETWORK_FINETUNE = {"iterations": 150, "lr": 1e-3, "cache.pool_size": 128}


def finetune_defaults(pretrained: bool = True, release: str | None = None) -> dict[str, Any]:
    """PLM's first-frame fine-tuning options (PLMSegmenter's ``finetune_options`` before the caller's, and what its
    settings record): the budget and search ranges of FinetuneConfig's defaults, with :data:`FRESH_NETWORK_FINETUNE`
    over them for a fresh network (``pretrained`` False). A shipped ``release`` takes the steps and rate measured
    for it, read from the release's own metadata (plmlib.model.release.RELEASE_FINETUNE): they are data of that
    network, measured on it, not a second default."""
    c = FinetuneConfig()
    defaults = {"iterations": c.iterations, "batch_size": c.batch_size, "lr": c.optim.lr,
                "cache.pool_size": c.cache.pool_size, "pairs.search_aug.translate": c.pairs.search_aug.translate,
                "pairs.search_aug.scale": c.pairs.search_aug.scale}
    return {**defaults, **(RELEASE_FINETUNE.get(release, {}) if pretrained else FRESH_NETWORK_FINETUNE)}


def finetune_config(options: dict[str, Any] | None = None) -> FinetuneConfig:
    """FinetuneConfig's defaults with fine-tuning ``options`` over them: ``iterations``, ``batch_size``, ``lr``
    (optim.lr) and any field as an "a.b" key (e.g. {"cache.pool_size": 32}); an unknown field is a ValueError."""
    options = dict(options or {})
    config = FinetuneConfig()
    config.iterations = int(options.pop("iterations", config.iterations))
    config.batch_size = int(options.pop("batch_size", config.batch_size))
    config.optim.lr = float(options.pop("lr", config.optim.lr))
    return apply_overrides(config, [f"{k}={v}" for k, v in options.items()])


# ---------------------------------------------------------------------------------------------------------------- #
# profiles


def pretrain_profile(name: str = "smoke") -> PretrainConfig:
    """The pre-training config of a profile (see the module's table); change fields afterwards or with ``--set``."""
    if name == "smoke":
        return PretrainConfig(
            profile=name, iterations=40, batch_size=4,
            model=ModelChoice(preset="small"),
            data=DataConfig(dataset="synthetic", scenarios=("translate", "rotate_scale", "occlusion", "distractor"),
                            n_frames=8),
            optim=OptimConfig(lr=1e-3, schedule="constant"),
            cache=CacheConfig(enabled=False),
            run=RunConfig(out_dir="runs/pretrain-smoke", checkpoint_every=10, log_every=5))
    if name == "classroom":
        root, _ = davis_train_sample_or_full()
        return PretrainConfig(
            profile=name, iterations=600, batch_size=16,
            model=ModelChoice(preset="small"),
            data=DataConfig(dataset="davis2016", root=root, split="train"),
            optim=OptimConfig(lr=1e-3, schedule="cosine"),
            cache=CacheConfig(enabled=True, pool_size=512, refresh_every=200, refresh_fraction=0.25),
            run=RunConfig(out_dir="runs/pretrain-classroom", checkpoint_every=200))
    if name == "paper":
        return PretrainConfig(
            profile=name, iterations=20000, batch_size=32,
            model=ModelChoice(preset="plm", frozen_blocks=()),
            data=DataConfig(dataset="davis2016", split="train"),
            optim=OptimConfig(lr=1e-4, schedule="cosine", warmup=500),
            cache=CacheConfig(enabled=False),
            run=RunConfig(out_dir="runs/pretrain-paper", checkpoint_every=1000, num_workers=8))
    raise ValueError(f"unknown profile {name!r} (expected one of {', '.join(PROFILE_NAMES)})")


def fit_pairs() -> PairConfig:
    """The profiles' pairs: the milder search ranges of fine-tuning to fit the frame itself (plmlib.train.pairs),
    what ``plm train finetune`` measures (first_frame_fit)."""
    return PairConfig(window_from="same", query_aug=Augmentation(**vars(FINETUNE_QUERY_AUG)),
                      search_aug=Augmentation(**vars(FINETUNE_SEARCH_AUG)))


def finetune_profile(name: str = "smoke") -> FinetuneConfig:
    """The fine-tuning config of a profile (``plm train finetune``): its own budget, and :func:`fit_pairs`."""
    if name == "smoke":
        return FinetuneConfig(
            profile=name, sequence="synthetic-translate-0", iterations=60, batch_size=8,
            model=ModelChoice(preset="small"),
            data=DataConfig(dataset="synthetic", scenarios=("translate",), n_frames=8), pairs=fit_pairs(),
            optim=OptimConfig(lr=1e-3, schedule="constant"),
            cache=CacheConfig(enabled=True, pool_size=64, refresh_every=0),
            run=RunConfig(out_dir="runs/finetune-smoke", checkpoint_every=0, resume="never", log_every=5))
    if name == "classroom":
        root, _ = davis_train_sample_or_full()
        return FinetuneConfig(
            profile=name, sequence="blackswan", iterations=200, batch_size=8,
            model=ModelChoice(preset="small", checkpoint="runs/pretrain-classroom/model.pt"),
            data=DataConfig(dataset="davis2016", root=root, split="val"), pairs=fit_pairs(),
            optim=OptimConfig(lr=1e-4, schedule="constant"),
            cache=CacheConfig(enabled=True, pool_size=128, refresh_every=0))
    if name == "paper":
        return FinetuneConfig(
            profile=name, sequence="blackswan", iterations=500, batch_size=16,
            model=ModelChoice(preset="plm", checkpoint="runs/pretrain-paper/model.pt", frozen_blocks=(1, 2, 3)),
            data=DataConfig(dataset="davis2016", split="val"), pairs=fit_pairs(),
            optim=OptimConfig(lr=1e-5, schedule="constant"),
            cache=CacheConfig(enabled=False))
    raise ValueError(f"unknown profile {name!r} (expected one of {', '.join(PROFILE_NAMES)})")


# ---------------------------------------------------------------------------------------------------------------- #
# dict / YAML round trip and "--set a.b=value" overrides


def load_config(path: str | Path, stage: str) -> PretrainConfig | FinetuneConfig:
    """A stage config from YAML (a bare config, or the ``config:`` key of a saved config.yaml)."""
    d = yaml.safe_load(Path(path).read_text())
    d = d.get("config", d)
    return (PretrainConfig if stage == "pretrain" else FinetuneConfig).from_dict(d)


def stage_config(stage: str, *, profile: str = "smoke", config_file: str | Path | None = None,
                 iterations: int | None = None, batch_size: int | None = None, out: str | None = None,
                 lr: float | None = None, preset: str | None = None, checkpoint: str | None = None,
                 data_root: str | None = None, device: str | None = None, resume: str | None = None,
                 seed: int | None = None, threads: int | None = None, progress: bool = True,
                 sequence: str | None = None, split: str | None = None,
                 assignments: list[str] | None = None) -> PretrainConfig | FinetuneConfig:
    """The config of a training ``stage`` (``pretrain`` or ``finetune``) as ``plm train`` builds it: from the
    profile (or ``config_file``), then each option given (None: the config's own), then ``assignments``
    (``section.field=value`` strings, :func:`plmlib.core.config.apply_overrides`). ``sequence`` and ``split`` apply
    to fine-tuning."""
    if config_file:
        config = load_config(config_file, stage)
    else:
        config = pretrain_profile(profile) if stage == "pretrain" else finetune_profile(profile)
    simple = {"iterations": iterations, "batch_size": batch_size}
    for name, value in simple.items():
        if value is not None:
            setattr(config, name, value)
    if out:
        config.run.out_dir = out
    if lr is not None:
        config.optim.lr = lr
    if preset:
        config.model.preset, config.model.checkpoint = preset, None
    if checkpoint:
        config.model.checkpoint = checkpoint
    if data_root:
        config.data.root = data_root
    if device:
        config.run.device = device
    if resume:
        config.run.resume = resume
    if seed is not None:
        config.run.seed = seed
    if threads is not None:  # recorded in the config (plm main has applied it already)
        config.run.threads = threads
    if not progress:
        config.run.progress = False
    if stage == "finetune":
        if sequence:
            config.sequence = sequence
        if split:
            config.data.split = split
    return apply_overrides(config, list(assignments or []))
