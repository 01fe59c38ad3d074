"""PLMConfig, presets and the factory."""

import pytest
import yaml

from plmlib.model import PRESETS, PLMConfig, build_model, deepest_taps
from plmlib.model.config import resolve_config
from plmlib.model.memory import count_parameters


def test_presets_are_valid_and_named():
    assert {"plm", "plm_s", "plm_no_compressor", "plm_no_decoder", "small"} <= set(PRESETS)
    for name, cfg in PRESETS.items():
        assert cfg.name == name
        cfg.validate()
    assert PRESETS["plm_s"].taps == ("conv5_3",)
    assert not PRESETS["plm_no_compressor"].compressor
    assert not PRESETS["plm_no_decoder"].decoder


def test_paper_sized_first_fc_layer():
    """README reconstruction: FC1 holds about 218 M weights with compressors, about 3.5 G without."""
    assert PRESETS["plm"].vector_size == 26_624  # 16x16x... : (256/16)*32^2 + (512/16)*16^2 + (512/16)*8^2
    fc1 = count_parameters("plm")["fc1"]
    assert 217e6 < fc1 < 219e6
    assert 3.4e9 < count_parameters("plm_no_compressor")["fc1"] < 3.6e9
    # The compressor makes each tap's volume 16x smaller.
    assert PRESETS["plm_no_compressor"].vector_size == 16 * PRESETS["plm"].vector_size


def test_yaml_and_dict_round_trip(tmp_path):
    cfg = PRESETS["plm"].replace(fc_widths=(128, 64), frozen_blocks=(1, 2))
    assert PLMConfig.from_dict(cfg.to_dict()) == cfg
    path = tmp_path / "model.yaml"
    cfg.to_yaml(path)
    assert PLMConfig.from_yaml(path) == cfg
    assert yaml.safe_load(cfg.to_yaml())["fc_widths"] == [128, 64]


def test_overrides_and_errors():
    cfg = resolve_config("plm", taps=deepest_taps(2), norm="batch")
    assert cfg.taps == ("conv4_3", "conv5_3") and cfg.norm == "batch"
    assert deepest_taps(1) == ("conv5_3",)
    assert PRESETS["plm"].taps == ("conv3_3", "conv4_3", "conv5_3")  # presets are not mutated
    with pytest.raises(TypeError):
        resolve_config("plm", no_such_field=1)
    with pytest.raises(KeyError):
        resolve_config("nope")
    for bad in (dict(taps=("conv5_3", "conv3_3")), dict(crop_size=100), dict(norm="group"),
                dict(query_input="x"), dict(decoder_channels=(8,)), dict(frozen_blocks=(6,)),
                dict(encoder_weights="coco")):
        with pytest.raises(ValueError):
            PRESETS["plm"].replace(**bad)


def test_build_model_accepts_name_config_and_dict():
    a = build_model("small", pretrained=False, encoder_weights="none")
    b = build_model(a.config, pretrained=False)
    c = build_model(a.config.to_dict(), pretrained=False)
    assert a.config == b.config == c.config
