"""Checkpoints: round trip, atomic writes, GPU-saved files on a CPU."""

import zipfile

import pytest
import torch

import plmlib
from plmlib.model import build_model, load_checkpoint, save_checkpoint
from plmlib.model import weights as W
from plmlib.model.checkpoint import read_checkpoint


def small():
    torch.manual_seed(0)
    return build_model("small", pretrained=False, fc_widths=(64, 32), norm="batch").eval()


def test_round_trip(tmp_path):
    model = small()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    q, m, s = torch.rand(2, 3, 64, 64), torch.ones(2, 1, 64, 64), torch.rand(2, 3, 64, 64)
    model.train()
    model(q, m, s).sum().backward()
    opt.step()
    model.eval()
    path = save_checkpoint(tmp_path / "ckpt" / "model.pth", model, optimizer=opt, extra={"step": 1, "sha": "abc"})
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    loaded = load_checkpoint(path)
    assert loaded.config == model.config
    with torch.no_grad():
        assert torch.equal(loaded.eval()(q, m, s), model(q, m, s))
    raw = read_checkpoint(path)
    assert raw["plmlib_version"] == plmlib.__version__
    assert raw["extra"] == {"step": 1, "sha": "abc"}
    assert "state" in raw["optimizer"]
    # frozen blocks stay frozen after loading
    assert [p.requires_grad for p in loaded.parameters()] == [p.requires_grad for p in model.parameters()]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    model = small()
    path = save_checkpoint(tmp_path / "model.pth", model)
    before = path.read_bytes()

    def broken_save(obj, f, *a, **k):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(W.torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(path, model)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pth"]


def _as_if_saved_on_cuda(src, dst):
    """Rewrite the storage locations inside a torch zip file from 'cpu' to 'cuda:0' (pickle BINUNICODE or
    SHORT_BINUNICODE strings), which is what a checkpoint written on a GPU holds."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        n = 0
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("data.pkl"):
                for old, new in ((b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0"),
                                 (b"\x8c\x03cpu", b"\x8c\x06cuda:0")):
                    n += data.count(old)
                    data = data.replace(old, new)
            zout.writestr(item, data)
    return n


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only path")
def test_gpu_saved_checkpoint_loads_on_cpu(tmp_path):
    model = small()
    path = save_checkpoint(tmp_path / "cpu.pth", model)
    gpu = tmp_path / "gpu.pth"
    if _as_if_saved_on_cuda(path, gpu) == 0:
        pytest.skip("torch's pickle layout changed; cannot fake a CUDA checkpoint")
    with pytest.raises(RuntimeError):
        torch.load(gpu, weights_only=True)  # what a plain load does without a GPU
    loaded = load_checkpoint(gpu)  # map_location="cpu" by default
    assert all(p.device.type == "cpu" for p in loaded.parameters())
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))


def test_not_a_checkpoint(tmp_path):
    p = tmp_path / "x.pth"
    torch.save({"a": 1}, p)
    with pytest.raises(ValueError):
        load_checkpoint(p)
