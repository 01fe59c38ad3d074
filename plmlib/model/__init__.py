"""The pixel-level matching network (PLM): config and presets, VGG-16 encoder and its weights, PLMNet, checkpoints.

    from plmlib.model import build_model
    model = build_model("small")                    # or "plm", "plm_s", "plm_no_compressor", "plm_no_decoder"
    model = build_model("plm", fc_widths=(1024, 1024), encoder_weights="imagenet")
    logits = model(query_rgb, query_mask, search_rgb)   # RGB float tensors in [0, 1]; logits (B, 2, S, S)

The model knows nothing of datasets; crops come from plmlib.data / plmlib.infer.
"""

from __future__ import annotations

from typing import Any

import torch

from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .config import PRESETS, TAP_ORDER, PLMConfig, deepest_taps, resolve_config
from .device import default_device
from .plm_net import PLMNet
from .release import export_release, load_release, pretrained, shipped_path
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


__all__ = ["PLMConfig", "PRESETS", "TAP_ORDER", "PLMNet", "build_model", "deepest_taps", "default_device",
           "export_release", "load_checkpoint", "load_release", "pretrained", "shipped_path", "read_checkpoint", "resolve_config", "save_checkpoint"]
