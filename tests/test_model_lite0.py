"""The EfficientNet-Lite0 encoder: the reference implementation's numbers, its ImageNet file, stages as blocks, and
a PLM network built on it (training, release)."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from plmlib.model import build_model, export_release, load_release
from plmlib.model import weights as W
from plmlib.model.config import ENCODER_TAPS, PLMConfig, deepest_taps
from plmlib.model.efficientnet_lite import EfficientNetLiteFeatures, SameConv2d


def test_same_padding_is_tensorflows():
    """Output size ceil(n / stride); on even sizes a stride-2 layer pads one pixel more at the bottom and right."""
    conv = SameConv2d(1, 1, 3, stride=2, bias=False)
    torch.nn.init.ones_(conv.weight)
    x = torch.ones(1, 1, 4, 4)
    out = conv(x)
    assert out.shape == (1, 1, 2, 2)
    # Top-left output window covers rows/cols 0..2 (no padding above): 9 ones; bottom-right covers 2..4 (one pad).
    assert out[0, 0].tolist() == [[9.0, 6.0], [6.0, 4.0]]
    assert SameConv2d(1, 1, 5, stride=2)(torch.ones(1, 1, 7, 9)).shape == (1, 1, 4, 5)


def test_matches_the_reference_implementation():
    """Every tap equals the stage output of efficientnet-lite-pytorch's EfficientNet with the same ImageNet file."""
    reference = pytest.importorskip("efficientnet_lite_pytorch", reason="the test extra's reference implementation")
    net = reference.EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(W.lite0_weights_path()))
    net.eval()
    encoder = EfficientNetLiteFeatures(tuple(ENCODER_TAPS["efficientnet_lite0"]))
    W.load_encoder_weights(encoder, "imagenet")
    encoder.eval()
    last_block = {"stage3": 4, "stage5": 10, "stage7": 15}
    for size in (128, 96):  # even at every stride: TensorFlow's padding is the reference's static one
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size))
        with torch.no_grad():
            ours = encoder(x)
            h = net._swish(net._bn0(net._conv_stem(x)))
            theirs = {}
            for i, block in enumerate(net._blocks):
                h = block(h)
                theirs[i] = h
        for tap, i in last_block.items():
            assert ours[tap].shape == (2, ENCODER_TAPS["efficientnet_lite0"][tap][0], size // ENCODER_TAPS[
                "efficientnet_lite0"][tap][1], size // ENCODER_TAPS["efficientnet_lite0"][tap][1])
            torch.testing.assert_close(ours[tap], theirs[i], rtol=1e-5, atol=1e-5)


def test_imagenet_file_is_checked(tmp_path):
    bad = tmp_path / W.LITE0_FILE
    bad.write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="sha256"):
        W.lite0_state_dict(bad)
    sd = W.lite0_state_dict()
    assert "_conv_stem.weight" in sd and not any(k.startswith(("_fc", "_conv_head")) for k in sd)


def test_config_rules():
    cfg = PLMConfig(encoder="efficientnet_lite0", encoder_weights="imagenet", taps=deepest_taps(3, "efficientnet_lite0"),
                    fc_widths=(16, 16))
    # Compressed to the paper network's volumes: 64 x 16 x 16 + 128 x 8 x 8 + 128 x 4 x 4 = 26,624 for S = 128.
    assert cfg.tap_channels == {"stage3": 64, "stage5": 128, "stage7": 128}
    assert cfg.vector_size == build_model("plm", pretrained=False, fc_widths=(8, 8)).config.vector_size == 26624
    with pytest.raises(ValueError, match="encoder_weights"):
        cfg.replace(encoder_weights="hed")
    with pytest.raises(ValueError, match="taps"):
        cfg.replace(taps=("conv5_3",))
    with pytest.raises(ValueError, match="multiple of 32"):
        cfg.replace(crop_size=48)
    with pytest.raises(ValueError, match="blocks 1..7"):
        cfg.replace(frozen_blocks=(8,))
    assert cfg.replace(frozen_blocks=(1, 2, 3, 4, 5, 6, 7)).frozen_blocks == (1, 2, 3, 4, 5, 6, 7)


def test_batch_norm_statistics_stay_frozen_while_training():
    net = build_model("plm_lite0", pretrained=True, fc_widths=(16, 16), seed=0)
    before = {k: v.clone() for k, v in net.encoder.state_dict().items() if "running" in k}
    net.train()
    assert net.encoder.training
    assert not any(m.training for m in net.encoder.modules() if isinstance(m, torch.nn.BatchNorm2d))
    s = net.config.crop_size
    g = torch.Generator().manual_seed(0)
    q, m, x = torch.rand(2, 3, s, s, generator=g), (torch.rand(2, 1, s, s, generator=g) > 0.5).float(), torch.rand(
        2, 3, s, s, generator=g)
    F.cross_entropy(net(q, m, x), torch.zeros(2, s, s, dtype=torch.long)).backward()
    after = net.encoder.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())
    assert net.encoder._blocks[0]._depthwise_conv.weight.grad is not None


def test_stages_are_the_blocks_that_freeze():
    encoder = EfficientNetLiteFeatures(("stage3", "stage5", "stage7"))
    assert encoder.block_of("_conv_stem.weight") == 1 and encoder.block_of("_blocks.0._bn1.bias") == 1
    assert encoder.block_of("_blocks.1._expand_conv.weight") == 2 and encoder.block_of("_blocks.15._bn2.weight") == 7
    assert [encoder.block_start(b) for b in range(1, 9)] == [0, 2, 4, 6, 9, 12, 16, 17]
    encoder.freeze_blocks((1, 2, 3))
    assert encoder.frozen_prefix() == 3
    assert not any(p.requires_grad for p in encoder.block_parameters(3))
    assert all(p.requires_grad for p in encoder.block_parameters(4))
    with pytest.raises(ValueError, match="taps"):
        EfficientNetLiteFeatures(("conv5_3",))


def test_release_stores_the_trained_stages(tmp_path: Path):
    """A Lite0 network whose stages 5-7 were trained exports as format 2 and loads back within float16 rounding;
    changing a frozen stage is refused."""
    net = build_model("plm_lite0", fc_widths=(16, 16), seed=0, frozen_blocks=(1, 2, 3, 4))
    with torch.no_grad():
        for p in net.encoder.block_parameters(6):
            p.add_(0.01)
    path = export_release(net, tmp_path / "lite0.pt")
    loaded = load_release(path)
    theirs = loaded.encoder.state_dict()
    for name, a in net.encoder.state_dict().items():  # float16 in the file; the rest is as for VGG-16 releases
        torch.testing.assert_close(a.float(), theirs[name].float(), atol=1e-3, rtol=1e-3, msg=name)
    with torch.no_grad():
        net.encoder.block_parameters(2)[0].add_(0.01)
    with pytest.raises(ValueError, match="frozen"):
        export_release(net, tmp_path / "bad.pt")
