"""Checkpoints: the config, the weights and the plmlib version in one file, written atomically.

Loading maps every tensor to the CPU by default, so a model saved on a GPU loads on a machine without one.
Files are read with ``torch.load(weights_only=True)``: only tensors and plain Python values, no code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .. import __version__
from .build import build_model
from .config import PLMConfig
from .plm_net import PLMNet
from .release import RELEASE_FORMATS, load_release
from .weights import atomic_torch_save, read_torch_file

FORMAT = "plmlib-checkpoint-1"


def save_checkpoint(path: str | Path, model: PLMNet, *, optimizer: torch.optim.Optimizer | None = None,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write {format, plmlib_version, torch_version, config, state_dict[, optimizer][, extra]} to ``path``.

    ``extra``: plain values only (numbers, strings, lists, dicts), e.g. step, loss, git SHA.
    The write goes to a temporary file in the same folder first, then os.replace: never a half-written file.
    """
    ckpt: dict[str, Any] = {
        "format": FORMAT,
        "plmlib_version": __version__,
        "torch_version": str(torch.__version__),
        "config": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": dict(extra or {}),
    }
    if optimizer is not None:
        ckpt["optimizer"] = optimizer.state_dict()
    return atomic_torch_save(ckpt, path)


def read_checkpoint(path: str | Path, map_location: str | torch.device | None = "cpu") -> dict[str, Any]:
    """The raw checkpoint dict (for the optimizer state and ``extra``)."""
    ckpt = read_torch_file(path, map_location)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path} is not a plmlib checkpoint (format {FORMAT})")
    return ckpt


def load_checkpoint(path: str | Path, map_location: str | torch.device | None = "cpu") -> PLMNet:
    """Rebuild the model from the checkpoint's config and load its weights (no encoder weights are fetched).

    A release file (plmlib.model.release: the compact format the package ships) is read too."""
    ckpt = read_torch_file(path, map_location)
    if isinstance(ckpt, dict) and ckpt.get("format") in RELEASE_FORMATS:
        return load_release(path, map_location)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path} is not a plmlib checkpoint (format {FORMAT}) nor a release "
                         f"({', '.join(RELEASE_FORMATS)})")
    model = build_model(PLMConfig.from_dict(ckpt["config"]), pretrained=False)
    model.load_state_dict(ckpt["state_dict"], strict=True)
    if map_location is not None:
        model.to(map_location)
    return model
