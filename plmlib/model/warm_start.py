"""Warm start: a network of a changed architecture that begins where a trained one stands (our choice).

Used to measure an architectural option (e.g. ``decoder_skip``) by continuing the training of a shipped network
instead of paying for a whole pre-training from scratch:

    from plmlib.model import pretrained
    from plmlib.model.warm_start import warm_start
    net = warm_start(pretrained("plm_lite0_davis2016"), decoder_skip=True)

Every parameter and buffer whose name and shape the new network shares is copied. A convolution whose input
gained channels (a decoder stage that now also reads skip features) keeps its trained weights for the old channels
and gets zeros for the new ones, so that the grown network computes exactly what the source computed until training
moves those weights. Anything else new keeps its fresh initialisation; a changed parameter that cannot be grown
this way is refused, naming it.
"""

from __future__ import annotations

from typing import Any

import torch

from .config import PLMConfig
from .plm_net import PLMNet


def grown_tensor(name: str, old: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
    """``old`` placed in a tensor of ``new``'s shape: same shape, or a conv weight with more input channels
    (dimension 1), the extra ones zero."""
    if old.shape == new.shape:
        return old.clone()
    if (old.dim() == 4 and new.dim() == 4 and old.shape[0] == new.shape[0] and old.shape[2:] == new.shape[2:]
            and old.shape[1] < new.shape[1]):
        out = torch.zeros_like(new)
        out[:, :old.shape[1]] = old
        return out
    raise ValueError(f"warm start: {name} changes from {tuple(old.shape)} to {tuple(new.shape)}, which cannot be "
                     "grown from the trained weights (only added input channels of a convolution can)")


def warm_start(source: PLMNet, config: PLMConfig | None = None, **overrides: Any) -> PLMNet:
    """A PLMNet of ``config`` (default: ``source.config`` with ``overrides``) initialised from ``source``.

    The new network's encoder weights come from ``source`` (nothing is downloaded)."""
    config = (config or source.config).replace(**overrides)
    if config.encoder != source.config.encoder:
        raise ValueError(f"warm start: the encoder changes ({source.config.encoder} -> {config.encoder})")
    net = PLMNet(config)
    old = source.state_dict()
    state = net.state_dict()
    for name, value in state.items():
        if name in old:
            state[name] = grown_tensor(name, old[name], value)
    net.load_state_dict(state, strict=True)
    return net
