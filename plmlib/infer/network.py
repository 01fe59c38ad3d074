"""Where PLMSegmenter's network comes from, and its fine-tuning on the first frame (slides, "Two-stage Training":
fine-tuning on a "New sequence (using single frame)").

    builder = NetworkBuilder()                          # the shipped release
    net = builder.finetuned(frame, object_mask)         # a copy fine-tuned on one object of the frame, in memory

The network is ``model`` (a PLMNet in memory) if given, else ``checkpoint``: by default ``"shipped"``, the release
pre-trained on DAVIS 2016 train that ships inside plmlib (plmlib/weights/README.md), or the name of a shipped release,
or a path to a plmlib checkpoint or release; ``checkpoint=None`` builds a fresh ``preset`` model (default ``small``)
with its encoder weights only, so that everything it knows of the object comes from the first frame (fast: tests, the
smoke notebooks). Fine-tuning is plmlib.train.finetune_on_frame with plmlib.train.finetune_defaults: those of a
pre-trained network (with a shipped release's measured budget) or of a fresh one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from plmlib.model import PLMNet, build_model, default_device, load_checkpoint, pretrained
from plmlib.model.release import SHIPPED_NAME, resolve_network, shipped_name_of
from plmlib.train import FinetuneConfig, finetune_config, finetune_defaults, finetune_on_frame

SHIPPED = "shipped"  # checkpoint value: the pre-trained release inside plmlib (plmlib.model.pretrained)


class NetworkBuilder:
    """The network to match with (see the module's docstring) and copies of it fine-tuned on a frame.

      model / checkpoint / preset   the network: a PLMNet, else checkpoint "shipped" (default), a release's name or
                                    a path, or None for a fresh ``preset`` model
      device                        "cpu", "cuda", ... (None: plmlib.model.default_device())
      seed                          fine-tuning seed, and the initialisation of a fresh ``preset`` network
      pretrained                    whether the network is pre-trained: keys the fine-tuning defaults (None: True
                                    when ``model`` or a checkpoint is given)
      finetune_options              overrides of plmlib.train.finetune_defaults(): iterations, batch_size, lr, and
                                    any plmlib.train.FinetuneConfig field as "a.b" keys
      progress                      progress bar while fine-tuning
    """

    def __init__(self, model: PLMNet | None = None, checkpoint: str | Path | None = SHIPPED, preset: str = "small", *,
                 device: str | torch.device | None = None, seed: int = 0, pretrained: bool | None = None,
                 finetune_options: dict | None = None, progress: bool = False):
        self.device = default_device() if device is None else torch.device(device)
        self.checkpoint = None if checkpoint is None or checkpoint == SHIPPED else resolve_network(checkpoint)
        self.shipped = model is None and checkpoint == SHIPPED
        self.preset, self.seed, self.progress = preset, int(seed), bool(progress)
        self.model = model  # None: loaded or built when first needed
        if pretrained is None:  # a network handed over, or a checkpoint, is taken to be pre-trained
            pretrained = model is not None or checkpoint is not None
        self.pretrained = bool(pretrained)
        # which shipped release this is, if any: the fine-tuning budget measured for it
        if model is not None:
            self.release = getattr(model, "release_name", None)  # set by load_release, cleared by training
        else:
            self.release = SHIPPED_NAME if self.shipped else shipped_name_of(checkpoint) if checkpoint else None
        self.finetune_options = {**finetune_defaults(self.pretrained, self.release), **dict(finetune_options or {})}

    def base(self) -> PLMNet:
        """The network before fine-tuning: ``model``, else ``checkpoint``, else a fresh ``preset`` model."""
        if self.model is None:
            if self.shipped:
                self.model = pretrained()
            elif self.checkpoint is not None:
                self.model = load_checkpoint(self.checkpoint)
            else:
                self.model = build_model(self.preset, seed=self.seed)
        return self.model.to(self.device).eval()

    def finetune_config(self) -> FinetuneConfig:
        """The fine-tuning's config: ``finetune_options`` over FinetuneConfig's defaults, with this seed, device and
        progress bar."""
        config = finetune_config(self.finetune_options)
        config.run.seed, config.run.device, config.run.progress = self.seed, str(self.device), self.progress
        return config

    def finetuned(self, frame: np.ndarray, object_mask: np.ndarray, start: PLMNet | None = None) -> PLMNet:
        """Slides, stage 2: a copy of the network fine-tuned on one object of ``frame`` (``object_mask``: H x W,
        every non-zero pixel is the object: pass one object's mask), in memory. ``start``: the network to fine-tune
        a copy of (default: :meth:`base`; PLM_U's model update passes the object's current one)."""
        config = self.finetune_config()
        network = finetune_on_frame(self.base() if start is None else start, frame, object_mask, config)
        return network.to(self.device).eval()
