"""The pixel-level matching network (PLM): config and presets, VGG-16 encoder and its weights, PLMNet, checkpoints.

    from plmlib.model import build_model
    model = build_model("small")                    # or "plm", "plm_s", "plm_no_compressor", "plm_no_decoder"
    model = build_model("plm", fc_widths=(1024, 1024), encoder_weights="imagenet")
    logits = model(query_rgb, query_mask, search_rgb)   # RGB float tensors in [0, 1]; logits (B, 2, S, S)

The model knows nothing of datasets; crops come from plmlib.data / plmlib.infer.
"""

from __future__ import annotations

from .build import build_model
from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .config import PRESETS, TAP_ORDER, PLMConfig, deepest_taps, resolve_config
from .device import default_device
from .plm_net import PLMNet
from .release import export_release, load_release, pretrained, shipped_path

__all__ = ["PLMConfig", "PRESETS", "TAP_ORDER", "PLMNet", "build_model", "deepest_taps", "default_device",
           "export_release", "load_checkpoint", "load_release", "pretrained", "shipped_path", "read_checkpoint",
           "resolve_config", "save_checkpoint"]
