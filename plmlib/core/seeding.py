"""Seeding every random number generator a run uses, for repeatable runs."""

from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and (if installed) PyTorch on every device. NumPy takes the seed modulo 2**32 (it accepts
    no larger one); torch is imported here only, so that importing this module stays light."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch  # lazy: plmlib.core imports no torch (see plmlib/core/__init__.py)
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.manual_seed(seed)  # seeds the CPU and every CUDA device
