"""PLMNet: the pixel-level matching network (Yoon et al., ICCV 2017), stage by stage.

    query crop + mask --prepare--> encode --> compress --> flatten --\
                                   (shared encoder) (shared)          concat --> match (3 FC) --> decode --> logits
    search crop ------prepare--> encode --> compress --> flatten ----/

Paper (slides): Siamese encoders sharing all conv layers and the compressors; features from several depths made
into one 1-D vector per branch; three fully connected layers encode the pixel-level similarity; a convolutional
object decoder classifies every pixel as foreground or background. The rest is our reconstruction (config.py).

Inputs are always RGB float tensors in [0, 1], (B, 3, S, S), and the query mask (B, 1, S, S) in [0, 1]; the
conversion the encoder weights expect (ImageNet normalisation, or BGR 0..255 minus the Caffe mean for hed) is done
inside the model. Output: logits (B, num_classes, S, S), class 1 = foreground.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .compressor import Compressor
from .config import ENCODER_LAYERS, SKIP_CHANNELS, PLMConfig
from .decoder import ObjectDecoder, upsample_logits
from .efficientnet_lite import EfficientNetLiteFeatures
from .vgg import VGG16Features
from .weights import input_transform


def build_encoder(config: PLMConfig) -> VGG16Features | EfficientNetLiteFeatures:
    """The encoder the config names, built up to its deepest tap (random weights: build_model loads them)."""
    in_channels = 4 if config.query_input == "rgbm" else 3
    if config.encoder == "vgg16":
        return VGG16Features(config.encoder_taps, in_channels=in_channels)
    if config.encoder == "efficientnet_lite0":
        return EfficientNetLiteFeatures(config.encoder_taps, in_channels=in_channels)
    raise ValueError(f"unknown encoder {config.encoder!r}")


def _linear(n_in: int, n_out: int) -> nn.Linear:
    """nn.Linear with Kaiming-normal weights and zero bias, created without torch's default init first
    (FC1 of the paper-sized model holds 218 M weights: initialising it twice costs seconds)."""
    fc = nn.Linear(n_in, n_out, device="meta").to_empty(device=torch.get_default_device())
    nn.init.kaiming_normal_(fc.weight, nonlinearity="relu")
    nn.init.zeros_(fc.bias)
    return fc


class PLMNet(nn.Module):
    """The PLM network. Build it with ``plmlib.model.build_model`` (which also loads the encoder weights)."""

    def __init__(self, config: PLMConfig):
        super().__init__()
        self.config = config
        self.release_name: str | None = None  # the shipped release it was loaded from, untrained since (load_release)
        c = config
        # One encoder and one compressor per tap: both branches call the same modules (one set of weights).
        self.encoder = build_encoder(c)
        self.compressors = nn.ModuleDict(
            {t: Compressor(c.encoder_channels[t], c.compress_ratio, c.norm, out_channels=c.tap_channels[t])
             for t in c.taps} if c.compressor else {})
        # Matching: three FC layers on [query vector, search vector].
        self.fc1 = _linear(2 * c.vector_size, c.fc_widths[0])
        self.fc2 = _linear(c.fc_widths[0], c.fc_widths[1])
        self.fc3 = _linear(c.fc_widths[1], c.fc_out)
        self.dropout = nn.Dropout(c.fc_dropout)
        skips = {k: ENCODER_LAYERS[c.encoder][layer][0] for k, layer in c.skip_layers.items()}
        self.decoder = (ObjectDecoder(c.map_channels, c.decoder_channels, c.num_classes, skips=skips,
                                      skip_width=SKIP_CHANNELS) if c.decoder else None)
        # Input conversion (derived from the config, so not saved in state_dict).
        order, scale, shift = input_transform(c.encoder_weights)
        self.register_buffer("input_order", torch.tensor(order), persistent=False)
        self.register_buffer("input_scale", scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("input_shift", shift.view(1, 3, 1, 1), persistent=False)
        self.encoder.freeze_blocks(c.frozen_blocks)

    # -------------------------------------------------------------------------------------------------------------
    def _check(self, rgb: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        s = self.config.crop_size
        if rgb.ndim != 4 or rgb.shape[1] != 3 or rgb.shape[-2:] != (s, s):
            raise ValueError(f"expected RGB crops (B, 3, {s}, {s}) in [0, 1], got {tuple(rgb.shape)}")
        if mask is None:
            return None
        if mask.ndim == 3:
            mask = mask.unsqueeze(1)
        if mask.shape != (rgb.shape[0], 1, s, s):
            raise ValueError(f"expected a query mask (B, 1, {s}, {s}), got {tuple(mask.shape)}")
        return mask.to(rgb.dtype)

    def prepare(self, rgb: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """RGB [0,1] (+ the query's mask) -> the encoder's input. With a mask this is the query branch.

        ``masked`` (our default): background pixels become 0 after normalisation, i.e. the weights' mean colour.
        ``rgbm``: a 4th channel 2*mask-1 for the query, 0 ("unknown") for the search.
        """
        mask = self._check(rgb, mask)
        x = rgb[:, self.input_order] * self.input_scale - self.input_shift
        if self.config.query_input == "masked":
            return x if mask is None else x * mask
        fourth = torch.zeros_like(rgb[:, :1]) if mask is None else 2.0 * mask - 1.0
        return torch.cat([x, fourth], dim=1)

    # ---- the stages ---------------------------------------------------------------------------------------------
    def encode(self, rgb: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Shared encoder (VGG-16: ReLU outputs; Lite0: stage outputs): {tap: (B, C, S/stride, S/stride)}.
        mask given = query branch."""
        return self.encoder(self.prepare(rgb, mask))

    def compress(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Shared compressors, one per tap: C channels -> C/16, ReLU, normalisation. Identity when disabled.
        Only the taps (not the decoder's skip layers) are compressed."""
        if not self.config.compressor:
            return {t: features[t] for t in self.config.taps}
        return {t: self.compressors[t](features[t]) for t in self.config.taps}

    @staticmethod
    def flatten(compressed: dict[str, torch.Tensor]) -> torch.Tensor:
        """One 1-D vector per sample: the taps flattened and concatenated, shallow to deep -> (B, D)."""
        return torch.cat([f.flatten(1) for f in compressed.values()], dim=1)

    def embed(self, rgb: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """encode + compress + flatten: one branch's vector (B, D)."""
        return self.flatten(self.compress(self.encode(rgb, mask)))

    def match(self, query_vec: torch.Tensor, search_vec: torch.Tensor) -> torch.Tensor:
        """Three FC layers on [query, search] -> (B, C, m, m) (the decoder's input, or logits without decoder).

        A query batch of 1 is broadcast against B search vectors (one cached query, many candidate windows).
        """
        if query_vec.shape[0] == 1 and search_vec.shape[0] > 1:
            query_vec = query_vec.expand(search_vec.shape[0], -1)
        h = self.dropout(F.relu(self.fc1(torch.cat([query_vec, search_vec], dim=1))))
        h = self.dropout(F.relu(self.fc2(h)))
        h = self.fc3(h)
        c = self.config
        if c.decoder:
            return F.relu(h).view(-1, c.map_channels, c.map_size, c.map_size)
        return h.view(-1, c.num_classes, c.map_size, c.map_size)

    def decode(self, matched: torch.Tensor, search_features: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Object decoder -> per-pixel logits (B, num_classes, S, S); without decoder a bilinear upsampling.
        ``search_features`` (the search branch's ``encode``) feeds the decoder's skips when decoder_skip is on."""
        if self.decoder is None:
            return upsample_logits(matched, self.config.crop_size)
        skips = self.config.skip_layers
        if not skips:
            return self.decoder(matched)
        if search_features is None:
            raise ValueError("decoder_skip: decode needs the search branch's encoder features")
        return self.decoder(matched, {k: search_features[layer] for k, layer in skips.items()})

    # ---- whole passes -------------------------------------------------------------------------------------------
    def encode_query(self, query: torch.Tensor, query_mask: torch.Tensor) -> torch.Tensor:
        """The query vector (B, D), to compute once and reuse for many search crops with ``segment``."""
        return self.embed(query, query_mask)

    def segment(self, query_vec: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        """Logits for search crops (N, 3, S, S) against a query vector (1 or N, D) from ``encode_query``."""
        features = self.encode(search)
        return self.decode(self.match(query_vec, self.flatten(self.compress(features))), features)

    def forward(self, query: torch.Tensor, query_mask: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        """query (B, 3, S, S) RGB [0,1], query_mask (B, 1, S, S), search (B, 3, S, S) -> logits (B, K, S, S)."""
        return self.segment(self.encode_query(query, query_mask), search)

    def trace(self, query: torch.Tensor, query_mask: torch.Tensor, search: torch.Tensor) -> dict[str, object]:
        """Every stage's output, for notebooks: features, compressed maps, vectors, matched map, logits."""
        out: dict[str, object] = {}
        for branch, rgb, mask in (("query", query, query_mask), ("search", search, None)):
            out[f"{branch}_features"] = feats = self.encode(rgb, mask)
            out[f"{branch}_compressed"] = comp = self.compress(feats)
            out[f"{branch}_vector"] = self.flatten(comp)
        out["matched"] = m = self.match(out["query_vector"], out["search_vector"])
        out["logits"] = logits = self.decode(m, out["search_features"])
        out["probability"] = self.foreground_probability(logits)
        return out

    @staticmethod
    def foreground_probability(logits: torch.Tensor) -> torch.Tensor:
        """Softmax probability of class 1 (foreground), (B, S, S)."""
        return logits.softmax(dim=1)[:, 1]

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
