"""Building a PLMNet from a preset, a config or a dict (``plmlib.model.build_model``)."""

from __future__ import annotations

from typing import Any

import torch

from .config import PLMConfig, resolve_config
from .plm_net import PLMNet
from .weights import load_encoder_weights


def build_model(preset_or_config: str | PLMConfig | dict[str, Any] = "plm", *, pretrained: bool = True,
                seed: int | None = None, **overrides: Any) -> PLMNet:
    """A PLMNet from a preset name, a PLMConfig or a dict, with field overrides (segmentation_models_pytorch style).

    pretrained: load ``config.encoder_weights`` into the encoder (False: keep the random initialisation, e.g. before
    loading a checkpoint; the input conversion still follows ``encoder_weights``).
    seed: draw the random initialisation from this seed, leaving torch's global generator as it was (None: from the
    global generator, whose state depends on everything the process did before).
    """
    config = resolve_config(preset_or_config, **overrides)
    if seed is None:
        model = PLMNet(config)
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = PLMNet(config)
    if pretrained:
        load_encoder_weights(model.encoder, config.encoder_weights)
    return model
