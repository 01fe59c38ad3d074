"""plm reproduce end to end on synthetic videos in the DAVIS layout: one fine-tuning per sequence shared by the
variants, resumable, scored, and plm tables on top."""

import json

import pandas as pd
import pytest
import yaml

from plmlib.cli import main
from plmlib.data import write_dataset
from plmlib.infer.segmenter import PLM_THRESHOLD
from plmlib.io import file_digest
from plmlib.model import build_model, save_checkpoint


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reproduce")
    root = write_dataset(tmp / "data", val=("translate", "occlusion"), n_frames=5, size=(96, 160), seed=0)
    checkpoint = save_checkpoint(tmp / "small.pt", build_model("small"))
    return tmp, root, checkpoint


def test_reproduce_segments_scores_and_resumes(setup, capsys):
    tmp, root, checkpoint = setup
    argv = ["reproduce", "--davis-root", str(root), "--checkpoint", str(checkpoint), "--variants", "plm", "plm_p",
            "plm_grabcut", "--out", str(tmp / "masks"), "--results", str(tmp / "results"), "--finetune-iterations", "3",
            "--threads", "1", "--quiet"]
    assert main(argv) == 0
    for variant in ("plm", "plm_p", "plm_grabcut"):
        scores = pd.read_csv(tmp / "results" / variant / "per_sequence_results.csv")
        assert sorted(scores["Sequence"]) == ["synthetic-occlusion", "synthetic-translate"]
        saved = yaml.safe_load((tmp / "results" / variant / "config.yaml").read_text())["config"]
        assert saved["checkpoint_sha256"] == file_digest(checkpoint)  # which network made these numbers
        assert saved["threshold"] == PLM_THRESHOLD  # slides (h): the default, written down
        settings = saved["segmenter"]  # every setting, defaults filled in
        assert settings["method"] == variant and settings["threshold"] == PLM_THRESHOLD
        assert settings["finetune_options"]["iterations"] == 3 and settings["candidates"]["box_threshold"] == 0.2
        assert (settings["grabcut"] is not None) == (variant == "plm_grabcut")
        assert (settings["postprocess"] is not None) == (variant == "plm_p")
        timing = pd.read_csv(tmp / "results" / variant / "timing.csv")
        assert len(timing) == 2 and (timing["finetune_seconds"] > 0).all()
        assert len(list((tmp / "masks" / variant / "synthetic-translate").glob("*.png"))) == 5
    # the variants share one fine-tuning per sequence
    first = json.loads((tmp / "masks" / "plm" / "synthetic-translate" / "timing.json").read_text())
    second = json.loads((tmp / "masks" / "plm_p" / "synthetic-translate" / "timing.json").read_text())
    third = json.loads((tmp / "masks" / "plm_grabcut" / "synthetic-translate" / "timing.json").read_text())
    assert first["finetune_seconds"] == second["finetune_seconds"] == third["finetune_seconds"]
    # resumable: a second run finds every (variant, sequence) done and fine-tunes nothing
    stamp = (tmp / "masks" / "plm" / "synthetic-translate" / "00004.png").stat().st_mtime_ns
    assert main(argv) == 0
    assert (tmp / "masks" / "plm" / "synthetic-translate" / "00004.png").stat().st_mtime_ns == stamp
    assert "plm_p:" in capsys.readouterr().out


def test_candidate_options_are_checked_before_any_work(setup, capsys):
    tmp, root, checkpoint = setup
    base = ["reproduce", "--davis-root", str(root), "--checkpoint", str(checkpoint), "--out", str(tmp / "m3"),
            "--no-evaluate", "--quiet", "--candidates"]
    assert main(base + ["nope=1"]) == 2
    assert "--candidates: unknown config field 'nope'" in capsys.readouterr().err
    assert main(base + ["box_threshold"]) == 2
    assert "--candidates expects key=value" in capsys.readouterr().err
    assert main(base + ["motion=kalman"]) == 2
    assert "motion must be one of" in capsys.readouterr().err
    assert main(base[:-1] + ["--threshold", "1.5"]) == 2
    assert "--threshold must be between 0 and 1, got 1.5" in capsys.readouterr().err
    assert not (tmp / "m3").exists()
    (tmp / "a_file").write_text("x")  # an --out or --results that cannot be written: refused before fine-tuning
    assert main(base[:-2] + ["--out", str(tmp / "a_file")]) == 2
    assert "a file, not a folder" in capsys.readouterr().err
    assert main(base[:-3] + ["--quiet", "--results", str(tmp / "a_file" / "r")]) == 2
    assert "--results" in capsys.readouterr().err


def test_unknown_sequences_are_refused(setup, capsys):
    tmp, root, checkpoint = setup
    assert main(["reproduce", "--davis-root", str(root), "--checkpoint", str(checkpoint), "--sequences", "nope",
                 "--out", str(tmp / "m2"), "--no-evaluate", "--quiet"]) == 2
    assert "not DAVIS 2016 val sequences: ['nope']" in capsys.readouterr().err
