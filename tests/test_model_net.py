"""PLMNet: shapes, Siamese sharing, gradients, compressor normalisation, input conventions."""

import pytest
import torch
import torch.nn.functional as F

from plmlib.model import PRESETS, PLMNet, build_model
from plmlib.model.compressor import Compressor
from plmlib.model.config import ENCODER_TAPS, TAP_CHANNELS

torch.manual_seed(0)


def crops(cfg, b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = cfg.crop_size
    return (torch.rand(b, 3, s, s, generator=g), (torch.rand(b, 1, s, s, generator=g) > 0.5).float(),
            torch.rand(b, 3, s, s, generator=g))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_full_size_shapes_on_meta(name):
    """Every preset at its real size (no memory: PyTorch's meta device), every stage's shape."""
    cfg = PRESETS[name]
    with torch.device("meta"):
        model = PLMNet(cfg)
        q, m, s = (torch.empty(3, 3, cfg.crop_size, cfg.crop_size), torch.empty(3, 1, cfg.crop_size, cfg.crop_size),
                   torch.empty(3, 3, cfg.crop_size, cfg.crop_size))
        out = model.trace(q, m, s)
    for t in cfg.taps:
        channels, stride = ENCODER_TAPS[cfg.encoder][t]
        side = cfg.crop_size // stride
        assert out["query_features"][t].shape == (3, channels, side, side)
        assert out["search_compressed"][t].shape == (3, cfg.tap_channels[t], side, side)
    assert out["query_vector"].shape == out["search_vector"].shape == (3, cfg.vector_size)
    assert out["logits"].shape == (3, 2, cfg.crop_size, cfg.crop_size)
    assert out["probability"].shape == (3, cfg.crop_size, cfg.crop_size)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_real_forward_every_preset(name):
    """Real numbers at each preset's crop size (narrow FC so that plm_no_compressor fits a test)."""
    model = build_model(name, pretrained=False, fc_widths=(32, 32)).eval()
    q, m, s = crops(model.config)
    with torch.no_grad():
        logits = model(q, m, s)
    assert logits.shape == (2, 2, model.config.crop_size, model.config.crop_size)
    assert torch.isfinite(logits).all()


def test_branches_share_every_parameter():
    model = build_model("small", pretrained=False)
    # One encoder and one compressor set: no per-branch copies anywhere in the module tree.
    names = [n for n, _ in model.named_parameters()]
    assert not any("query" in n or "search" in n for n in names)
    conv_names = [n for n in names if n.startswith("encoder.features.")]
    assert len(conv_names) == 26  # 13 convs x (weight, bias), torchvision names
    # Every conv and compressor runs once per branch, on the same module.
    calls = {}
    hooks = [mod.register_forward_hook(lambda mod, i, o, k=k: calls.__setitem__(k, calls.get(k, 0) + 1))
             for k, mod in model.named_modules() if isinstance(mod, (torch.nn.Conv2d, Compressor))
             and not k.startswith("decoder")]
    q, m, s = crops(model.config)
    model(q, m, s)
    for h in hooks:
        h.remove()
    assert calls and set(calls.values()) == {2}
    # The query branch is the search branch plus the mask: a full mask gives the very same vector.
    with torch.no_grad():
        assert torch.allclose(model.embed(q, torch.ones_like(m)), model.embed(q), atol=1e-6)


def test_gradients_reach_every_trainable_layer():
    model = build_model("small", pretrained=False, frozen_blocks=()).train()
    q, m, s = crops(model.config, b=2)
    target = (torch.rand(2, model.config.crop_size, model.config.crop_size) > 0.5).long()
    F.cross_entropy(model(q, m, s), target).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_frozen_blocks_get_no_gradient():
    assert PRESETS["small"].frozen_blocks == (1, 2, 3, 4, 5)  # small: the whole encoder frozen (our choice)
    model = build_model("small", pretrained=False, frozen_blocks=(1, 2, 3))  # conv1-3 frozen
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {f"encoder.features.{i}.{w}" for i in (0, 2, 5, 7, 10, 12, 14) for w in ("weight", "bias")}
    q, m, s = crops(model.config)
    model(q, m, s).sum().backward()
    assert all(p.grad is None for n, p in model.named_parameters() if n in frozen)
    assert all(p.grad is not None for n, p in model.named_parameters() if n not in frozen)
    assert model.num_parameters(trainable_only=True) < model.num_parameters()


def test_compressor_output_is_normalised():
    model = build_model("small", pretrained=False)
    q, m, s = crops(model.config)
    with torch.no_grad():
        comp = model.compress(model.encode(q, m))
    for t, c in comp.items():
        assert c.shape[1] == TAP_CHANNELS[t] // 16
        scale = model.compressors[t].norm.scale.view(1, -1, 1, 1)
        norms = (c / scale).norm(dim=1)
        alive = norms > 0.5  # positions where ReLU left something: unit L2 norm over channels
        assert alive.float().mean() > 0.5
        assert torch.allclose(norms[alive], torch.ones_like(norms[alive]), atol=1e-3)
        assert c.min() >= 0  # after the ReLU
        # Initial scale sqrt(C): unit root-mean-square per value where alive.
        rms = c.pow(2).mean(dim=1).sqrt()[alive]
        assert torch.allclose(rms, torch.ones_like(rms), atol=1e-3)
    bn = build_model("small", pretrained=False, norm="batch").train()
    with torch.no_grad():
        c = bn.compress(bn.encode(q, m))["conv3_3"]
    assert torch.allclose(c.mean(dim=(0, 2, 3)), torch.zeros(c.shape[1]), atol=1e-4)


def test_cached_query_against_many_search_crops():
    """Inference: the query is encoded once, N candidate windows are batched against it."""
    model = build_model("small", pretrained=False).eval()
    q, m, _ = crops(model.config, b=1)
    _, _, s = crops(model.config, b=4, seed=1)
    with torch.no_grad():
        qv = model.encode_query(q, m)
        assert qv.shape == (1, model.config.vector_size)
        batched = model.segment(qv, s)
        repeated = model(q.expand(4, -1, -1, -1), m.expand(4, -1, -1, -1), s)
    assert batched.shape == (4, 2, 64, 64)
    assert torch.allclose(batched, repeated, atol=1e-4)


def test_input_conventions():
    """Callers pass RGB in [0, 1]; the model converts to what its encoder weights expect."""
    rgb = torch.rand(1, 3, 64, 64)
    hed = build_model("small", pretrained=False, encoder_weights="hed")
    x = hed.prepare(rgb)
    assert torch.allclose(x[:, 0], rgb[:, 2] * 255 - 104.00699, atol=1e-3)  # B channel first, Caffe mean
    assert torch.allclose(x[:, 2], rgb[:, 0] * 255 - 122.67892, atol=1e-3)
    imnet = build_model("small", pretrained=False, encoder_weights="imagenet")
    assert torch.allclose(imnet.prepare(rgb)[:, 0], (rgb[:, 0] - 0.485) / 0.229, atol=1e-5)
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 16:48, 16:48] = 1
    xq = hed.prepare(rgb, mask)
    assert (xq[..., :16, :] == 0).all() and torch.equal(xq[..., 16:48, 16:48], x[..., 16:48, 16:48])
    with pytest.raises(ValueError):
        hed.prepare(torch.rand(1, 3, 32, 32))


def test_rgbm_query_input():
    model = build_model("small", pretrained=False, query_input="rgbm")
    assert model.encoder.features[0].in_channels == 4
    rgb, mask = torch.rand(2, 3, 64, 64), (torch.rand(2, 1, 64, 64) > 0.5).float()
    assert torch.equal(model.prepare(rgb, mask)[:, 3:], 2 * mask - 1)
    assert torch.equal(model.prepare(rgb)[:, 3:], torch.zeros_like(mask))
    assert model(rgb, mask, rgb).shape == (2, 2, 64, 64)


def test_no_decoder_is_upsampled_fc_output():
    model = build_model("plm_no_decoder", pretrained=False, crop_size=64, map_size=8, fc_widths=(32, 32)).eval()
    assert model.decoder is None and model.fc3.out_features == 2 * 8 * 8
    q, m, s = crops(model.config)
    with torch.no_grad():
        out = model.trace(q, m, s)
    assert out["matched"].shape == (2, 2, 8, 8)
    assert torch.allclose(out["logits"], F.interpolate(out["matched"], size=(64, 64), mode="bilinear"))


def test_plm_s_uses_the_deepest_layer_only():
    model = build_model("plm_s", pretrained=False, fc_widths=(16, 16))
    assert list(model.compressors) == ["conv5_3"]
    assert model.config.vector_size == 32 * 8 * 8


@pytest.mark.parametrize("preset", ["plm", "plm_lite0"])
def test_encoder_split_then_resumed_equals_one_pass(preset):
    """split(x, stop) + forward(input of layer stop, start=stop) = forward(x): what a partly cached pool relies on."""
    encoder = build_model(preset, pretrained=False, fc_widths=(8, 8)).encoder.eval()
    x = torch.rand(2, 3, 64, 64)
    whole = encoder(x)
    for block in range(1, encoder.num_blocks + 1):
        stop = encoder.block_start(block)
        before, boundary_input = encoder.split(x, stop)
        after = encoder(boundary_input, start=stop)
        assert set(before).isdisjoint(after) and set(before) | set(after) == set(whole)
        for tap in whole:
            assert torch.equal({**before, **after}[tap], whole[tap]), (block, tap)
    encoder.freeze_blocks((1, 2, 3))
    assert encoder.frozen_prefix() == 3
    encoder.freeze_blocks((2, 3, 4, 5))
    assert encoder.frozen_prefix() == 0
    encoder.freeze_blocks(tuple(range(1, encoder.num_blocks + 1)))
    assert encoder.frozen_prefix() == encoder.num_blocks
    assert not any(p.requires_grad for p in encoder.parameters())


@pytest.mark.parametrize("preset", ["plm", "plm_lite0", "small"])
def test_decoder_skip_reads_the_search_crops_shallow_features(preset):
    """decoder_skip (ours): stages upsampling to strides 4 and 2 read the search branch's features there; the search
    crop changes the logits through them even with the matching vector held fixed; the query's are never read."""
    model = build_model(preset, pretrained=False, fc_widths=(8, 8), decoder_skip=True, seed=0).eval()
    c = model.config
    assert set(c.skip_layers) == {0, 1} and set(c.skip_layers.values()) <= set(c.encoder_taps)
    assert set(c.encoder_taps) - set(c.taps) <= set(c.skip_layers.values())
    q, m, s = crops(c)
    with torch.no_grad():
        out = model.trace(q, m, s)
        assert out["logits"].shape == (2, 2, c.crop_size, c.crop_size)
        assert set(model.compress(out["search_features"])) == set(c.taps)
        # Same matched map, different search features: different logits (the skips are read).
        other = model.encode(torch.rand_like(s))
        assert not torch.allclose(model.decode(out["matched"], out["search_features"]),
                                  model.decode(out["matched"], other))
        with pytest.raises(ValueError, match="search branch"):
            model.decode(out["matched"])
    plain = build_model(preset, pretrained=False, fc_widths=(8, 8), seed=0)
    assert not plain.config.skip_layers and plain.config.encoder_taps == plain.config.taps
    with pytest.raises(ValueError, match="decoder"):
        PRESETS[preset].replace(decoder=False, decoder_skip=True)
