"""Two-stage training (slides, "Two-stage Training"): pre-training on pairs from DAVIS 2016 train sequences, then
fine-tuning on the annotated first frame of each new sequence.

    from plmlib.train import pretrain, pretrain_profile, finetune, finetune_profile, first_frame_fit
    net = pretrain(pretrain_profile("smoke"))                    # plm train pretrain --profile smoke
    cfg = finetune_profile("smoke"); cfg.model.checkpoint = "runs/pretrain-smoke/model.pt"
    net = finetune(cfg)                                          # plm train finetune --profile smoke ...
    tuned = finetune_on_frame(net, frame, mask)                  # in memory: PLM's first-frame defaults

Modules: pairs (pair dataset + augmentation), feature_pool (cached encoder features for a frozen encoder),
config (stage configs, PLM's first-frame fine-tuning defaults, profiles), pretrain / finetune (one loop each),
checkpointing (resume, loss.csv), cli.
Crop geometry is plmlib.core.crops, shared with inference.
"""

from .checkpointing import plot_loss, read_loss_csv
from .config import (CacheConfig, FinetuneConfig, ModelChoice, OptimConfig, PretrainConfig, RunConfig,
                     finetune_config, finetune_defaults, finetune_profile, load_config, pretrain_profile)
from .feature_pool import FeaturePool
from .finetune import finetune, finetune_on_frame, first_frame_fit
from .pairs import Augmentation, DataConfig, PairConfig, PairDataset, augmented_crop, load_sequences
from .pretrain import pretrain

__all__ = [
    "Augmentation", "CacheConfig", "DataConfig", "FeaturePool", "FinetuneConfig", "ModelChoice", "OptimConfig",
    "PairConfig", "PairDataset", "PretrainConfig", "RunConfig", "augmented_crop", "finetune", "finetune_config",
    "finetune_defaults", "finetune_on_frame", "finetune_profile", "first_frame_fit", "load_config", "load_sequences",
    "plot_loss", "pretrain", "pretrain_profile", "read_loss_csv",
]
