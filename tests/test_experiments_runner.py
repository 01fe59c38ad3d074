"""plmlib.experiments.runner, the one resumable runner of plm reproduce, plm ablation and plm protocol: sequences
checked before any work, finished videos skipped, unfinished ones redone, one fine-tuning shared per video, configs
written with the git SHA. Synthetic videos in the DAVIS layout, tiny networks and fine-tuning budgets."""

import json

import numpy as np
import pytest
import yaml

from plmlib.core.provenance import git_sha
from plmlib.data import write_dataset
from plmlib.data.roots import DatasetNotFoundError
from plmlib.experiments.runner import finetune_once, mark_done, open_sequences, unfinished

VIDEOS = ["synthetic-translate", "synthetic-occlusion"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from plmlib.model import build_model, save_checkpoint

    tmp = tmp_path_factory.mktemp("runner")
    root = write_dataset(tmp / "data", val=("translate", "occlusion"), n_frames=4, size=(64, 96), seed=0)
    return root, save_checkpoint(tmp / "small.pt", build_model("small"))


def test_sequences_are_checked_by_name_and_the_folder_must_exist(setup, tmp_path):
    root, _ = setup
    dataset, names = open_sequences("davis2016", root, None, "DAVIS 2016 val sequences")
    assert names == VIDEOS and dataset[names[0]].name == names[0]
    assert open_sequences("davis2016", root, ["synthetic-occlusion"], "x")[1] == ["synthetic-occlusion"]
    with pytest.raises(ValueError, match=r"not DAVIS 2016 val sequences: \['bear', 'cows'\]"):
        open_sequences("davis2016", root, ["synthetic-translate", "cows", "bear"], "DAVIS 2016 val sequences")
    with pytest.raises(DatasetNotFoundError, match="missing-davis"):
        open_sequences("davis2016", tmp_path / "missing-davis", None, "DAVIS 2016 val sequences")
    with pytest.raises(ValueError, match="unknown dataset 'kitti'"):
        open_sequences("kitti", root, None, "sequences of kitti")


def test_an_unknown_sequence_is_refused_before_any_work(setup, tmp_path, monkeypatch):
    import plmlib.infer
    from plmlib.experiments.ablation import run_davis_ablation
    from plmlib.experiments.reproduce import segment_davis

    root, checkpoint = setup
    monkeypatch.setattr(plmlib.infer, "share_finetuning", lambda *a, **o: pytest.fail("worked before refusing"))
    with pytest.raises(ValueError, match=r"not DAVIS 2016 val sequences: \['bear'\]"):
        segment_davis(root, tmp_path / "masks", ["plm"], checkpoint, sequences=["synthetic-translate", "bear"])
    with pytest.raises(ValueError, match=r"not DAVIS 2016 val sequences: \['bear'\]"):
        run_davis_ablation(root, tmp_path / "ablation", ["plm"], sequences=["bear"])
    assert not any(tmp_path.iterdir())  # nothing written either


def test_unfinished_yields_the_work_left_and_reads_only_those_videos(setup, tmp_path):
    root, _ = setup
    dataset, names = open_sequences("davis2016", root, None, "DAVIS 2016 val sequences")

    def done(name, unit):
        return (tmp_path / unit / f"{name}.txt").is_file()

    mark_done(tmp_path / "a" / "synthetic-translate.txt", "done")
    mark_done(tmp_path / "b" / "synthetic-translate.txt", "done")
    mark_done(tmp_path / "b" / "synthetic-occlusion.txt", "done")
    work = [(sequence.name, todo) for sequence, todo in unfinished(dataset, names, ["a", "b"], done, desc="test",
                                                                    progress=False)]
    assert work == [("synthetic-occlusion", ["a"])]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["synthetic-translate.txt"]  # no partial file left


def test_the_plm_methods_of_a_video_share_one_finetuning(setup):
    root, _ = setup
    sequence = open_sequences("davis2016", root, None, "DAVIS 2016 val sequences")[0]["synthetic-translate"]
    options = {"checkpoint": None, "preset": "small", "device": "cpu", "finetune_options": {"iterations": 2}}
    shared = finetune_once(sequence.frames[0], sequence.first_mask, ["plm", "plm_p", "flow"], **options)
    (plm, plm_seconds), (plm_p, plm_p_seconds), (flow, flow_seconds) = shared["plm"], shared["plm_p"], shared["flow"]
    assert plm["model"] is plm_p["model"] and plm["finetune"] is False and plm_seconds == plm_p_seconds > 0
    assert flow == options and flow_seconds == 0.0
    two_objects = np.asarray(sequence.first_mask).copy()
    two_objects[:2, :2] = 2  # several objects: nothing shared, each method fine-tunes its own networks
    assert finetune_once(sequence.frames[0], two_objects, ["plm", "plm_p"], **options) == {
        "plm": (options, 0.0), "plm_p": (options, 0.0)}


def test_resume_skips_a_finished_video_and_redoes_an_unfinished_one(setup, tmp_path, monkeypatch):
    import plmlib.infer
    from plmlib.experiments.reproduce import reproduce

    root, checkpoint = setup
    out, results = tmp_path / "masks", tmp_path / "results"

    def run():
        reproduce(root, out, results, ["plm", "plm_p"], checkpoint=str(checkpoint), finetune_iterations=2,
                  progress=False)

    run()
    finished, interrupted = out / "plm" / "synthetic-translate", out / "plm_p" / "synthetic-occlusion"
    stamps = {p.name: p.stat().st_mtime_ns for p in finished.iterdir()}
    (interrupted / "timing.json").unlink()  # its masks are there, its done mark is not: redone
    finetuned = []
    real = plmlib.infer.share_finetuning
    monkeypatch.setattr(plmlib.infer, "share_finetuning", lambda frame, mask, **o: finetuned.append(1) or
                        real(frame, mask, **o))
    run()
    assert finetuned == [1]  # the one video with work left, and only once
    assert {p.name: p.stat().st_mtime_ns for p in finished.iterdir()} == stamps
    timing = json.loads((interrupted / "timing.json").read_text())
    assert timing["sequence"] == "synthetic-occlusion" and timing["finetune_seconds"] > 0
    # each variant's config is written beside its scores, with the git SHA of the code that made them
    for variant in ("plm", "plm_p"):
        saved = yaml.safe_load((results / variant / "config.yaml").read_text())
        assert saved["provenance"]["git_sha"] == git_sha() and saved["config"]["variant"] == variant


def test_the_protocols_and_the_ablation_write_their_config_with_the_git_sha(setup, tmp_path):
    from plmlib.experiments.ablation import run_davis_ablation
    from plmlib.experiments.protocols import run_protocol

    root, _ = setup
    run_protocol("segtrack", "davis2016", ["flow"], tmp_path / "protocol", root=root, progress=False)
    saved = yaml.safe_load((tmp_path / "protocol" / "flow_config.yaml").read_text())
    assert saved["provenance"]["git_sha"] == git_sha() and saved["config"]["protocol"] == "segtrack"
    run_davis_ablation(root, tmp_path / "ablation", ["plm"], sequences=["synthetic-translate"],
                       finetune_options={"iterations": 2}, progress=False)
    saved = yaml.safe_load((tmp_path / "ablation" / "config.yaml").read_text())
    assert saved["provenance"]["git_sha"] == git_sha() and saved["config"]["variants"] == ["plm"]


def test_reproduce_refuses_to_resume_into_masks_made_with_other_settings(setup, tmp_path, monkeypatch):
    import plmlib.infer
    from plmlib.experiments.reproduce import segment_davis

    root, checkpoint = setup
    out = tmp_path / "masks"
    segment_davis(root, out, ["plm"], checkpoint, sequences=["synthetic-translate"],
                  finetune_options={"iterations": 2}, progress=False)
    monkeypatch.setattr(plmlib.infer, "share_finetuning", lambda *a, **o: pytest.fail("worked before refusing"))
    with pytest.raises(ValueError, match=r"settings.yaml: its results were made with other settings "
                                         r"\(finetune_options.iterations: 2 there, 3 now\)"):
        segment_davis(root, out, ["plm"], checkpoint, finetune_options={"iterations": 3}, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["plm", "settings.yaml"]
    assert [p.name for p in (out / "plm").iterdir()] == ["synthetic-translate"]  # nothing new
    monkeypatch.undo()
    segment_davis(root, out, ["plm"], checkpoint, finetune_options={"iterations": 2}, progress=False)  # same: resumes
    assert sorted(p.name for p in (out / "plm").iterdir()) == VIDEOS[::-1]
