"""The compact release format (plmlib.model.release) and the model that ships with plmlib."""

import numpy as np
import pytest
import torch

from plmlib.model import build_model, export_release, load_checkpoint, load_release, pretrained, shipped_path
from plmlib.model.release import dequantize_rows, quantize_rows, read_release


def trained_small():
    torch.manual_seed(0)
    model = build_model("small")
    with torch.no_grad():  # stand-in for training: move every non-encoder weight
        for name, p in model.named_parameters():
            if not name.startswith("encoder."):
                p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


def test_int8_rows_round_trip_within_half_a_step():
    weight = torch.randn(7, 300) * torch.linspace(0.01, 3, 7)[:, None]
    values, scale = quantize_rows(weight)
    assert values.dtype == torch.int8 and scale.shape == (7,)
    assert torch.all((dequantize_rows(values, scale) - weight).abs() <= scale[:, None] / 2 + 1e-7)


def test_a_release_rebuilds_the_network(tmp_path):
    model = trained_small()
    path = export_release(model, tmp_path / "release.pt", provenance={"seed": 0})
    release = read_release(path)
    assert release["provenance"] == {"seed": 0} and not any(k.startswith("encoder.") for k in release["half"])
    assert set(release["int8"]) == {"fc1.weight", "fc2.weight", "fc3.weight"}  # the FC weights (>= 100,000 each)
    for loaded in (load_release(path), load_checkpoint(path)):
        original, rebuilt = model.state_dict(), loaded.state_dict()
        for name in original:
            if name.startswith("encoder."):
                assert torch.equal(original[name], rebuilt[name])
            else:
                assert torch.allclose(original[name], rebuilt[name], atol=0.02), name
        torch.manual_seed(1)
        q, qm, s = torch.rand(2, 3, 64, 64), (torch.rand(2, 1, 64, 64) > 0.5).float(), torch.rand(2, 3, 64, 64)
        with torch.no_grad():
            a = model.foreground_probability(model(q, qm, s))
            b = loaded.foreground_probability(loaded(q, qm, s))
        assert (a - b).abs().max() < 0.05


def test_trained_encoder_blocks_are_stored_and_come_back(tmp_path):
    model = trained_small()
    model.config.frozen_blocks = (1, 2, 3, 4)  # block 5 trained
    with torch.no_grad():  # stand-in for training VGG block 5
        for name, p in model.named_parameters():
            if name.startswith(("encoder.features.24.", "encoder.features.26.", "encoder.features.28.")):
                p.add_(torch.randn_like(p) * 0.01)
    path = export_release(model, tmp_path / "release.pt")
    release = read_release(path)
    assert release["format"] == "plmlib-release-2"
    assert sorted(release["encoder_trained"]) == sorted(f"encoder.features.{i}.{k}" for i in (24, 26, 28)
                                                        for k in ("weight", "bias"))
    untouched = read_release(export_release(trained_small(), tmp_path / "frozen.pt"))
    assert untouched["format"] == "plmlib-release-1" and "encoder_trained" not in untouched
    for loaded in (load_release(path), load_checkpoint(path)):
        original, rebuilt = model.state_dict(), loaded.state_dict()
        for name in original:
            if name in release["encoder_trained"]:  # float16: within its rounding
                assert torch.allclose(original[name], rebuilt[name], rtol=1e-3, atol=1e-4), name
                assert not torch.equal(rebuilt[name], trained_small().state_dict()[name])
            elif name.startswith("encoder."):
                assert torch.equal(original[name], rebuilt[name]), name
    frozen = trained_small()  # every block frozen (the small preset): a changed tensor is another copy, refused
    with torch.no_grad():
        next(frozen.encoder.parameters()).add_(0.1)
    with pytest.raises(ValueError, match="encoder block 1 is frozen but is not the untouched 'hed' weights"):
        export_release(frozen, tmp_path / "refused.pt")
    assert not (tmp_path / "refused.pt").exists()
    release["encoder_trained"]["encoder.features.28.weight"] = torch.zeros(3, 3).half()  # another structure's
    torch.save(release, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="trained encoder tensor encoder.features.28.weight does not fit"):
        load_release(tmp_path / "bad.pt")
    del release["encoder_trained"]
    torch.save(release, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="plmlib-release-2 file without its trained encoder tensors"):
        load_release(tmp_path / "bad.pt")


def test_other_files_are_refused_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such release"):
        load_release(tmp_path / "missing.pt")
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a plmlib release"):
        load_release(tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a plmlib checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_the_paper_architecture_model_loads_and_fits_the_budget():
    """plm_davis2016: the paper's VGG-16 encoder (HED weights, frozen), three pre-training stages."""
    path = shipped_path("plm_davis2016")
    assert path.stat().st_size <= 100 * 1024 * 1024  # issue 9: at most 100 MB
    release = read_release(path)
    stages = release["provenance"]["training"]  # three pre-training stages (plmlib/weights/README.md)
    assert [s["seed"] for s in stages] == [0, 1, 2] and [s["iterations"] for s in stages] == [1500, 800, 1200]
    assert stages[0]["starts_from"] is None and release["encoder_weights"] == "hed"
    model = pretrained("plm_davis2016")
    assert model.config.fc_widths == (1024, 1024)
    from plmlib.core import crops
    from plmlib.data import make_video

    video = make_video("translate", n_frames=1, seed=0)
    rgb, query_mask, window = crops.crop_query(video.frames[0], video.first_mask, 128, 1.5)
    query, mask = crops.image_to_tensor(rgb)[None], crops.mask_to_tensor(query_mask)[None]
    search = crops.image_to_tensor(crops.crop_image(video.frames[0], window, 128))[None]
    with torch.no_grad():
        probability = model.foreground_probability(model(query, mask, search))
    assert probability.shape == (1, 128, 128) and np.isfinite(probability.numpy()).all()
    # before any fine-tuning, the pre-trained network already tells the object from its surroundings
    # (measured: mean probability 0.37 on the object, 0.001 around it)
    inside = mask[0, 0] > 0.5
    assert probability[0][inside].mean() > 10 * probability[0][~inside].mean()


def two_stage_run(tmp_path):
    """Two tiny pre-training stages, the second starting from the first's model.pt (frozen hed encoder)."""
    from plmlib.train import pretrain, pretrain_profile
    from plmlib.train.pairs import DataConfig

    runs = []
    for k, start in enumerate([None, tmp_path / "stage1" / "model.pt"], start=1):
        cfg = pretrain_profile("smoke")
        cfg.iterations, cfg.batch_size, cfg.cache.enabled = 2, 2, False
        cfg.model.checkpoint = str(start) if start else None
        cfg.model.frozen_blocks = (1, 2, 3, 4, 5)
        cfg.data = DataConfig(dataset="synthetic", scenarios=("translate",), n_frames=4)
        cfg.run.out_dir, cfg.run.progress, cfg.run.seed = str(tmp_path / f"stage{k}"), False, k
        pretrain(cfg)
        runs.append(tmp_path / f"stage{k}")
    return runs


def test_plm_release_exports_a_run_with_its_training_lineage(tmp_path, capsys):
    from plmlib.cli import main

    stage1, stage2 = two_stage_run(tmp_path)
    out = tmp_path / "release.pt"
    assert main(["release", str(stage2), "--out", str(out), "--description", "two stages"]) == 0
    assert "2 training stage(s)" in capsys.readouterr().out
    provenance = read_release(out)["provenance"]
    lineage = provenance["training"]
    assert [s["run"] for s in lineage] == ["stage1", "stage2"] and [s["seed"] for s in lineage] == [1, 2]
    assert lineage[0]["starts_from"] is None and lineage[1]["starts_from"] == str(stage1 / "model.pt")
    assert provenance["description"] == "two stages" and len(provenance["source_checkpoint_sha256"]) == 64
    rebuilt, trained = load_release(out).state_dict(), load_checkpoint(stage2 / "model.pt").state_dict()
    assert all(torch.allclose(rebuilt[k], trained[k], atol=0.02) for k in trained)


def test_plm_release_names_what_is_missing(tmp_path, capsys):
    from plmlib.cli import main

    (tmp_path / "run").mkdir()
    assert main(["release", str(tmp_path / "run"), "--out", str(tmp_path / "r.pt")]) == 2
    assert "no model.pt in the run folder" in capsys.readouterr().err
    assert not (tmp_path / "r.pt").exists()


@pytest.mark.parametrize("folder, variant", [(f, v) for f in ("davis2016_val", "davis2016_val_hed")
                                             for v in ("plm", "plm_p", "plm_u_query_only", "plm_grabcut")]
                         + [("davis2016_val", "plm_u")])
def test_committed_results_were_made_by_the_shipped_model(folder, variant):
    """results/<folder>/<variant>/config.yaml names the sha256 of the network file it ran: davis2016_val's must be
    the default release (SHIPPED_NAME), davis2016_val_hed's the paper-architecture one, so that a new release
    cannot land without its scores being re-run."""
    from pathlib import Path

    import yaml

    from plmlib.io import file_digest
    from plmlib.model.release import PAPER_ARCHITECTURE_NAME, SHIPPED_NAME

    name = SHIPPED_NAME if folder == "davis2016_val" else PAPER_ARCHITECTURE_NAME
    config = Path(__file__).resolve().parents[1] / "results" / folder / variant / "config.yaml"
    saved = yaml.safe_load(config.read_text())["config"]
    assert saved["checkpoint_sha256"] == file_digest(shipped_path(name)), f"{config} was made by another network"


def test_a_shipped_model_is_named_like_a_checkpoint(tmp_path):
    """--checkpoint NAME: the name of a release in plmlib/weights/ is its file; any other value must be a file."""
    from plmlib.model.release import SHIPPED_NAME, resolve_network, shipped_names

    assert SHIPPED_NAME in shipped_names() and "plm_davis2016" in shipped_names()
    for name in shipped_names():
        assert resolve_network(name) == shipped_path(name)
    own = tmp_path / "mine.pt"
    own.write_bytes(b"x")
    assert resolve_network(str(own)) == own
    with pytest.raises(FileNotFoundError, match="shipped model"):
        resolve_network("no_such_model")


def test_the_shipped_lite0_model_loads_and_fits_the_budget():
    """plm_lite0_davis2016 (issue 23), the default: a pre-training stage of 1500 steps from the sha256-checked
    ImageNet Lite0, then 750 steps that grew the decoder's skips onto it (warm start), encoder trained (stored in
    the file), at most 100 MB, and it segments."""
    from plmlib.model.release import SHIPPED_NAME

    assert SHIPPED_NAME == "plm_lite0_davis2016"
    path = shipped_path("plm_lite0_davis2016")
    assert path.stat().st_size <= 100 * 1024 * 1024
    release = read_release(path)
    assert release["format"] == "plmlib-release-2" and release["encoder_weights"] == "imagenet"
    stages = release["provenance"]["training"]
    assert [(s["seed"], s["iterations"]) for s in stages] == [(0, 1500), (1, 750)] and stages[0]["starts_from"] is None
    assert stages[1]["config"]["model"]["overrides"] == {"decoder_skip": True}
    assert len(stages[1]["starts_from_sha256"]) == 64
    model = pretrained("plm_lite0_davis2016")
    assert model.config.encoder == "efficientnet_lite0" and model.config.fc_widths == (1024, 1024)
    assert model.config.frozen_blocks == () and model.config.decoder_skip
    s = model.config.crop_size
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        probability = model.foreground_probability(model(torch.rand(1, 3, s, s, generator=g),
                                                         torch.ones(1, 1, s, s), torch.rand(1, 3, s, s, generator=g)))
    assert probability.shape == (1, s, s) and torch.isfinite(probability).all()


def test_a_stage_started_from_a_release_carries_the_release_lineage(tmp_path, capsys):
    """plm release of a run that continued a release (e.g. a longer pre-training of a shipped model): the release's
    recorded stages come first, then the run, which names the file it started from and its sha256."""
    from plmlib.cli import main
    from plmlib.io import file_digest
    from plmlib.train import pretrain, pretrain_profile
    from plmlib.train.pairs import DataConfig

    stage1, _ = two_stage_run(tmp_path)
    first = tmp_path / "first.pt"
    assert main(["release", str(stage1), "--out", str(first)]) == 0
    cfg = pretrain_profile("smoke")
    cfg.iterations, cfg.batch_size, cfg.cache.enabled = 2, 2, False
    cfg.model.checkpoint, cfg.model.frozen_blocks = str(first), (1, 2, 3, 4, 5)
    cfg.data = DataConfig(dataset="synthetic", scenarios=("translate",), n_frames=4)
    cfg.run.out_dir, cfg.run.progress, cfg.run.seed = str(tmp_path / "longer"), False, 7
    pretrain(cfg)
    assert main(["release", str(tmp_path / "longer"), "--out", str(tmp_path / "longer.pt")]) == 0
    lineage = read_release(tmp_path / "longer.pt")["provenance"]["training"]
    assert [s["run"] for s in lineage] == ["stage1", "longer"]
    assert lineage[1]["starts_from"] == str(first) and lineage[1]["starts_from_sha256"] == file_digest(first)
