"""VGG-16 convolutional layers (conv1_1 .. conv5_3), the encoder of both Siamese branches.

Defined here rather than imported from torchvision (whose PyPI wheels do not match this torch), with torchvision's
layout and parameter names (``features.N.weight``) so that torchvision's ImageNet file loads as is.
3x3 convolutions with zero padding keep sizes, pooling is 2x2 with stride 2 (as the slides say).
"""

from __future__ import annotations

import torch
from torch import nn

# torchvision's "D" configuration: channels, "M" = max pooling.
VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

# Index in ``features`` of each conv layer, and of the ReLU that follows it (where taps are read).
CONV_INDEX: dict[str, int] = {}
BLOCK_OF_INDEX: dict[int, int] = {}


def _index_tables() -> None:
    i, block, k = 0, 1, 1
    for v in VGG16_CFG:
        if v == "M":
            BLOCK_OF_INDEX[i] = block
            i, block, k = i + 1, block + 1, 1
        else:
            CONV_INDEX[f"conv{block}_{k}"] = i
            BLOCK_OF_INDEX[i] = BLOCK_OF_INDEX[i + 1] = block
            i, k = i + 2, k + 1


_index_tables()
RELU_INDEX = {name: i + 1 for name, i in CONV_INDEX.items()}  # conv3_3 -> 15, conv4_3 -> 22, conv5_3 -> 29


class VGG16Features(nn.Module):
    """VGG-16 ``features`` (torchvision's indices) that returns the ReLU outputs of the requested taps.

    Layers deeper than the deepest tap (always the last pooling) are not built: they would get no gradient. So
    ``features`` is a prefix of torchvision's and loads the matching part of its state dict.
    ``in_channels`` = 4 when the query mask is a 4th input channel.
    """

    num_blocks = 5

    def __init__(self, taps: tuple[str, ...] = ("conv5_3",), in_channels: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for v in VGG16_CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c = v
        depth = max(RELU_INDEX[t] for t in taps) + 1
        self.features = nn.Sequential(*layers[:depth])
        self.in_channels = in_channels
        self.taps = tuple(taps)
        self._tap_at = {RELU_INDEX[t]: t for t in self.taps}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torchvision's initialisation (Kaiming normal, fan_out, zero bias), used for ``encoder_weights='none'``."""
        for m in self.features:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor, taps: tuple[str, ...] | None = None, start: int = 0) -> dict[str, torch.Tensor]:
        """x: normalised input (B, in_channels, H, W) -> {tap: (B, C, H/stride, W/stride)}, shallow to deep.

        ``taps`` overrides the taps given at construction (e.g. to look at other layers in a notebook).
        ``start``: x is the input of layer ``start`` of ``features`` (from ``split``), only the taps from there on
        are returned (a cached frozen prefix, see plmlib.train.feature_pool)."""
        tap_at = self._tap_at if taps is None else {RELU_INDEX[t]: t for t in taps}
        last = max(tap_at)
        if last >= len(self.features):
            raise ValueError(f"taps {taps} are deeper than this encoder (built up to {self.taps[-1]})")
        return self._run(x, start, last + 1, tap_at)[0]

    def split(self, x: torch.Tensor, stop: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Run layers 0 .. stop - 1 only: (the taps among them, the input of layer ``stop``). With
        ``forward(that input, start=stop)`` it gives the same taps as ``forward(x)``."""
        return self._run(x, 0, min(stop, len(self.features)), self._tap_at)

    def _run(self, x: torch.Tensor, start: int, stop: int, tap_at: dict[int, str]):
        """Layers start .. stop - 1 on x: ({tap: output} for the tap layers among them, the last output)."""
        out: dict[str, torch.Tensor] = {}
        for i in range(start, stop):
            x = self.features[i](x)
            if i in tap_at:
                # The next ReLU works in place on the *next* conv's output, so this tensor stays intact.
                out[tap_at[i]] = x
        return out, x

    def block_start(self, block: int) -> int:
        """Index in ``features`` where VGG block ``block`` (1..5) begins (its first conv); len(features) when the
        encoder is not built that deep."""
        return min(CONV_INDEX[f"conv{block}_1"], len(self.features)) if block <= 5 else len(self.features)

    def block_of(self, name: str) -> int:
        """The VGG block (1..5) a parameter name of this module belongs to (``features.24.weight`` -> 5)."""
        parts = name.split(".")
        if parts[0] != "features" or int(parts[1]) not in BLOCK_OF_INDEX:
            raise KeyError(f"{name} is not a VGG-16 encoder tensor")
        return BLOCK_OF_INDEX[int(parts[1])]

    def frozen_prefix(self) -> int:
        """How many leading VGG blocks have no trainable parameter (0..5)."""
        for block in range(1, 6):
            if any(p.requires_grad for p in self.block_parameters(block)):
                return block - 1
        return 5

    def block_parameters(self, block: int) -> list[nn.Parameter]:
        """Parameters of VGG block 1..5 (conv{block}_*)."""
        return [p for i, m in enumerate(self.features) if BLOCK_OF_INDEX.get(i) == block for p in m.parameters()]

    def freeze_blocks(self, blocks: tuple[int, ...]) -> None:
        """requires_grad = False for the given blocks, True for the others."""
        for b in range(1, 6):
            for p in self.block_parameters(b):
                p.requires_grad_(b not in blocks)
