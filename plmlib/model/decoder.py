"""The object decoder: from the matching output (a small map) to per-pixel foreground/background logits.

Slides: a convolutional object decoder classifies every pixel; zero padding keeps sizes; an ablation removes it.
Our choices: each stage is a bilinear x2 upsampling, a 3x3 conv (zero padding) and a ReLU; a last 1x1 conv gives
the class logits at crop resolution. Without decoder (the ablation), the logits map is upsampled bilinearly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ObjectDecoder(nn.Module):
    """(B, in_channels, m, m) -> (B, num_classes, m * 2**len(channels), same)."""

    def __init__(self, in_channels: int, channels: tuple[int, ...], num_classes: int = 2):
        super().__init__()
        stages = []
        c = in_channels
        for out in channels:
            stages.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                                        nn.Conv2d(c, out, kernel_size=3, padding=1), nn.ReLU(inplace=True)))
            c = out
        self.stages = nn.Sequential(*stages)
        self.classifier = nn.Conv2d(c, num_classes, kernel_size=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.stages(x))


def upsample_logits(logits: torch.Tensor, size: int) -> torch.Tensor:
    """The no-decoder ablation: a logits map resized bilinearly to size x size (no parameters)."""
    return F.interpolate(logits, size=(size, size), mode="bilinear", align_corners=False)
