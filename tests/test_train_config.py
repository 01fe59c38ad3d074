"""Stage configs: profiles, dict/YAML round trip (what config.yaml holds), --set overrides, the LR schedule."""

import pytest
import yaml

from plmlib.core.config import apply_overrides
from plmlib.core.provenance import save_config
from plmlib.train import FinetuneConfig, PretrainConfig, finetune_profile, load_config, pretrain_profile
from plmlib.train.config import PROFILE_NAMES
from plmlib.train.pairs import Augmentation
from plmlib.train.pretrain import LRSchedule


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_profiles_round_trip(name):
    for cfg, cls in ((pretrain_profile(name), PretrainConfig), (finetune_profile(name), FinetuneConfig)):
        assert cfg.profile == name
        d = cfg.to_dict()
        again = cls.from_dict(yaml.safe_load(yaml.safe_dump(d)))
        assert again == cfg
        assert isinstance(again.pairs.search_aug, Augmentation)


def test_profiles_differ_as_documented():
    smoke, paper = pretrain_profile("smoke"), pretrain_profile("paper")
    assert smoke.data.dataset == "synthetic" and smoke.model.preset == "small"
    assert paper.data.dataset == "davis2016" and paper.model.preset == "plm" and paper.model.frozen_blocks == ()
    assert finetune_profile("smoke").pairs.query_aug.is_identity  # the query inference uses
    with pytest.raises(ValueError):
        pretrain_profile("nope")


def test_overrides():
    cfg = apply_overrides(pretrain_profile("smoke"), [
        "iterations=7", "optim.lr=3e-4", "model.overrides={fc_widths: [256, 256]}", "model.frozen_blocks=[1, 2]",
        "pairs.search_aug={translate: 0.5}", "cache.enabled=null"])
    assert cfg.iterations == 7 and cfg.optim.lr == 3e-4 and cfg.model.overrides == {"fc_widths": [256, 256]}
    assert cfg.model.frozen_blocks == (1, 2) and cfg.pairs.search_aug == Augmentation(translate=0.5)
    assert cfg.cache.enabled is None
    for bad in ("nope=1", "optim.nope=1", "iterations"):
        with pytest.raises(ValueError):
            apply_overrides(pretrain_profile("smoke"), [bad])
    with pytest.raises(ValueError):
        apply_overrides(pretrain_profile("smoke"), ["optim.schedule=linear"])  # validated


def test_load_saved_config(tmp_path):
    cfg = finetune_profile("classroom")
    cfg.sequence = "car-shadow"
    save_config(tmp_path / "config.yaml", {"stage": "finetune", **cfg.to_dict()} | {"stage": "finetune"})
    d = yaml.safe_load((tmp_path / "config.yaml").read_text())["config"]
    d.pop("stage")
    (tmp_path / "bare.yaml").write_text(yaml.safe_dump(d))
    assert load_config(tmp_path / "bare.yaml", "finetune") == cfg


def test_lr_schedule():
    from plmlib.train.config import OptimConfig

    cos = LRSchedule(OptimConfig(schedule="cosine", warmup=10, min_lr_ratio=0.1), iterations=110)
    assert cos(0) == pytest.approx(0.1) and cos(9) == pytest.approx(1.0) and cos(10) == pytest.approx(1.0)
    assert cos(60) == pytest.approx(0.55) and cos(110) == pytest.approx(0.1)
    step = LRSchedule(OptimConfig(schedule="step", step_size=5, gamma=0.5), iterations=20)
    assert [step(i) for i in (0, 4, 5, 10)] == [1.0, 1.0, 0.5, 0.25]
    assert LRSchedule(OptimConfig(schedule="constant"), 10)(7) == 1.0


def test_frozen_blocks_all_freezes_any_encoder():
    """ModelChoice.frozen_blocks = "all" (the fine-tuning default): every block of whichever encoder, recorded as
    numbers in the network's config; other strings are refused."""
    from plmlib.train.config import FinetuneConfig, ModelChoice
    from plmlib.train.pretrain import build_net

    assert FinetuneConfig().model.frozen_blocks == "all"
    for preset, blocks in (("small", 5), ("plm_lite0", 7)):
        net = build_net(ModelChoice(preset=preset, pretrained=False, frozen_blocks="all",
                                    overrides={"fc_widths": [8, 8]}))
        assert net.config.frozen_blocks == tuple(range(1, blocks + 1))
        assert not any(p.requires_grad for p in net.encoder.parameters())
        assert any(p.requires_grad for p in net.parameters())
    with pytest.raises(ValueError, match="'all'"):
        ModelChoice(frozen_blocks="most")
