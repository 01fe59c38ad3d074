"""The compressor: one per tapped layer, shared by the query and search branches.

Slides: "Compress the feature volume into 16 times smaller than the original one. Consist of 1-Convolution,
1-ReLU, 1-Normalization. Normalization prevents the unbounded ReLU scale variation."
Our choices where the slides are silent: the convolution is 1x1 and divides the channels by the ratio (so the
spatial layout is kept and the volume is 16x smaller); the normalisation is channel-wise L2 at every position with a
learnable per-channel scale (as in ParseNet, Liu et al. 2015), initialised to sqrt(C) so that each value has unit
root-mean-square; BatchNorm or no normalisation are the alternatives (``norm``).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class L2Norm(nn.Module):
    """x / ||x||_2 over channels at each position, times a learnable per-channel scale (our choice)."""

    def __init__(self, channels: int, scale_init: float | None = None, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        init = math.sqrt(channels) if scale_init is None else scale_init
        self.scale = nn.Parameter(torch.full((channels,), float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # rsqrt(sum + eps) rather than x / norm: finite gradient where ReLU zeroed every channel.
        unit = x * torch.rsqrt(x.pow(2).sum(dim=1, keepdim=True) + self.eps)
        return unit * self.scale.view(1, -1, 1, 1)


def make_norm(kind: str, channels: int) -> nn.Module:
    """The compressor's normalisation: ``l2`` (ours, default), ``batch`` or ``none`` (ablation)."""
    if kind == "l2":
        return L2Norm(channels)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


class Compressor(nn.Module):
    """1x1 conv (C -> C / ratio) + ReLU + normalisation: a C x h x w feature volume becomes ratio times smaller.
    ``out_channels`` overrides C / ratio (another encoder than VGG-16: PLMConfig.tap_channels says why)."""

    def __init__(self, in_channels: int, ratio: int = 16, norm: str = "l2", out_channels: int | None = None):
        super().__init__()
        out = in_channels // ratio if out_channels is None else int(out_channels)
        self.conv = nn.Conv2d(in_channels, out, kernel_size=1)
        self.relu = nn.ReLU()
        self.norm = make_norm(norm, out)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.relu(self.conv(x)))
