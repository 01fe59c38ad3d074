"""Warm start (plmlib.model.warm_start): a grown network computes what its source did, until it trains."""

from __future__ import annotations

import pytest
import torch

from plmlib.model import build_model, save_checkpoint
from plmlib.model.warm_start import warm_start
from plmlib.train.config import ModelChoice
from plmlib.train.pretrain import build_net


def _inputs(size: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    return (torch.rand(2, 3, size, size, generator=g), (torch.rand(2, 1, size, size, generator=g) > 0.5).float(),
            torch.rand(2, 3, size, size, generator=g))


def test_added_decoder_skips_start_at_the_source_output_and_can_learn():
    source = build_model("small", pretrained=False, seed=0).eval()
    grown = warm_start(source, decoder_skip=True).eval()
    assert grown.config.decoder_skip and not source.config.decoder_skip
    assert len(grown.decoder.skip_projections) > 0
    x = _inputs(source.config.crop_size)
    with torch.no_grad():
        torch.testing.assert_close(grown(*x), source(*x), rtol=0, atol=1e-6)
    # the zeroed new input channels get a gradient, so training can use the skips
    grown.train()
    grown(*x).sum().backward()
    conv = grown.decoder.stages[next(iter(map(int, grown.decoder.skip_projections)))][1]
    old_in = source.decoder.stages[next(iter(map(int, grown.decoder.skip_projections)))][1].weight.shape[1]
    assert conv.weight.grad[:, old_in:].abs().sum() > 0


def test_a_change_that_cannot_be_grown_is_refused_by_name():
    source = build_model("small", pretrained=False, seed=0)
    with pytest.raises(ValueError, match="fc1.weight"):
        warm_start(source, fc_widths=(256, 256))


def test_a_training_stage_grows_a_checkpoint_to_its_overrides(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, build_model("small", pretrained=False, seed=0))
    net = build_net(ModelChoice(checkpoint=str(path), overrides={"decoder_skip": True}))
    assert net.config.decoder_skip
