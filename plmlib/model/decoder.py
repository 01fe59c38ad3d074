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
    """(B, in_channels, m, m) -> (B, num_classes, m * 2**len(channels), same).

    ``skips`` (ours, PLMConfig.decoder_skip): {stage k: channels of a feature map concatenated, after a 1x1 conv to
    ``skip_width`` channels and a ReLU, to stage k's upsampled input}."""

    def __init__(self, in_channels: int, channels: tuple[int, ...], num_classes: int = 2,
                 skips: dict[int, int] | None = None, skip_width: int = 16):
        super().__init__()
        skips = dict(skips or {})
        stages = []
        c = in_channels
        for k, out in enumerate(channels):
            extra = skip_width if k in skips else 0
            stages.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                                        nn.Conv2d(c + extra, out, kernel_size=3, padding=1), nn.ReLU(inplace=True)))
            c = out
        self.stages = nn.Sequential(*stages)
        self.skip_projections = nn.ModuleDict(
            {str(k): nn.Sequential(nn.Conv2d(ch, skip_width, kernel_size=1), nn.ReLU()) for k, ch in skips.items()})
        self.classifier = nn.Conv2d(c, num_classes, kernel_size=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor, skips: dict[int, torch.Tensor] | None = None) -> torch.Tensor:
        """x: the matching map; ``skips``: {stage k: feature map at stage k's upsampled size} when built with skips."""
        if not self.skip_projections:
            return self.classifier(self.stages(x))
        if skips is None or set(map(int, self.skip_projections)) - set(skips):
            raise ValueError(f"this decoder reads skip features at stages {sorted(map(int, self.skip_projections))}")
        for k, (upsample, conv, relu) in enumerate(self.stages):
            x = upsample(x)
            if str(k) in self.skip_projections:
                x = torch.cat([x, self.skip_projections[str(k)](skips[k])], dim=1)
            x = relu(conv(x))
        return self.classifier(x)


def upsample_logits(logits: torch.Tensor, size: int) -> torch.Tensor:
    """The no-decoder ablation: a logits map resized bilinearly to size x size (no parameters)."""
    return F.interpolate(logits, size=(size, size), mode="bilinear", align_corners=False)
