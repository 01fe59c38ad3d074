"""plmlib.experiments.ablation: the ablation runner of notebook 06 (variants, shared fine-tuned network, tables, full results)."""

import numpy as np
import pandas as pd
import pytest

from plmlib.experiments.ablation import (INFERENCE_ONLY, VARIANTS, ablation_figure, paper_ablation, read_full_results,
                             run_ablation, score_video, structure_overrides, summarize, variant_network)
from plmlib.data import make_video


def test_structures_come_from_the_presets():
    assert structure_overrides("plm") == {}
    assert structure_overrides("plm_s") == {"taps": ("conv5_3",)}
    assert structure_overrides("plm_no_compressor") == {"compressor": False}
    assert structure_overrides("plm_no_decoder") == {"decoder": False}
    assert structure_overrides("plm_x2") == {"taps": ("conv4_3", "conv5_3")}
    assert {VARIANTS[v].structure for v in INFERENCE_ONLY} == {"plm"}
    net = variant_network("plm_s", base="small", )
    assert net.config.taps == ("conv5_3",) and net.config.crop_size == 64  # small-sized PLM_S
    with pytest.raises(KeyError):
        structure_overrides("nope")


def test_run_shares_the_finetuned_network_and_scores_davis_frames():
    video = make_video("translate", n_frames=5, size=(64, 96), seed=0)
    options = {"iterations": 2, "cache.pool_size": 16}
    table = run_ablation([video], ["plm", "plm_u", "plm_p", "plm_s"], finetune_options=options)
    assert list(table.variant) == ["plm", "plm_u", "plm_p", "plm_s"]
    assert set(table.columns) >= {"video", "frames", "J", "F", "finetune_s", "step_s"}
    assert table.set_index("variant").loc[["plm_u", "plm_p"], "finetune_s"].eq(0).all()  # reused
    assert (table.set_index("variant").loc[["plm", "plm_s"], "finetune_s"] > 0).all()
    assert table.J.between(0, 1).all() and (table.frames == 5).all()
    frames = run_ablation([video], ["plm"], finetune=False, per_frame=True, max_frames=4)
    assert list(frames.frame) == [1, 2]  # first and last excluded
    summary = summarize(table)
    assert list(summary.index) == ["plm", "plm_u", "plm_p", "plm_s"] and "description" in summary
    with pytest.raises(KeyError, match="unknown variants"):
        run_ablation([video], ["plm_x"])


def test_score_video_perfect():
    masks = [np.eye(8, dtype=np.uint8)] * 4
    scores = score_video(masks, masks)
    assert list(scores.frame) == [1, 2] and scores.J.eq(1).all() and scores.F.eq(1).all()


def test_paper_numbers_and_full_results(tmp_path):
    paper = paper_ablation()
    assert paper.loc["plm", "J"] == 0.68 and paper.loc["plm_s", "J"] == 0.23 and paper.loc["plm_u", "F"] == 0.52
    assert paper.loc["plm_p", "J"] == 0.70  # from the main table (the ablation table has no PLM_P)
    assert read_full_results(tmp_path).empty
    (tmp_path / "plm").mkdir()
    pd.DataFrame([{"J&F-Mean": 0.5, "J-Mean": 0.55, "F-Mean": 0.45}]).to_csv(tmp_path / "plm" / "global_results.csv",
                                                                            index=False)
    full = read_full_results(tmp_path)
    assert list(full.index) == ["plm"] and full.loc["plm", "J"] == 0.55
    figure = ablation_figure({"paper": paper, "full run": full})
    assert len(figure.axes[0].patches) == len(paper) + 1


def test_plm_ablation_on_a_davis_layout_resumes_per_video(tmp_path, monkeypatch, capsys):
    from plmlib.experiments import ablation
    from plmlib.cli import main
    from plmlib.data import write_dataset

    root = write_dataset(tmp_path / "davis", val=("translate", "occlusion"), n_frames=6, size=(96, 160), seed=0)
    out = tmp_path / "out"
    command = ["ablation", "--davis-root", str(root), "--variants", "plm", "plm_x2", "--out", str(out),
               "--finetune-iterations", "2", "--quiet", "--sequences", "synthetic-translate"]
    assert main(command) == 0
    first = pd.read_csv(out / "per_video" / "synthetic-translate.csv")
    assert list(first["variant"]) == ["plm", "plm_x2"] and first["J"].between(0, 1).all()
    # the done video is read back; only the new video and the new variant run
    calls = []
    real = ablation.run_ablation
    monkeypatch.setattr(ablation, "run_ablation", lambda videos, todo, **o: calls.append(
        (videos[0].name, list(todo))) or real(videos, todo, **o))
    assert main(command[:-2] + ["--variants", "plm", "plm_x2", "plm_p"]) == 0
    assert calls == [("synthetic-occlusion", ["plm", "plm_x2", "plm_p"]), ("synthetic-translate", ["plm_p"])] or \
        calls == [("synthetic-translate", ["plm_p"]), ("synthetic-occlusion", ["plm", "plm_x2", "plm_p"])]
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == ["plm", "plm_p", "plm_x2"] and list(summary["videos"]) == [2, 2, 2]
    assert len(pd.read_csv(out / "per_sequence.csv")) == 6
    config = (out / "config.yaml").read_text()
    assert "iterations: 2" in config and "earlier_runs:" in config and "plm_x2" in capsys.readouterr().out
    # one variant more, asked alone: the summary keeps every variant of the folder
    assert main(command[:-2] + ["--variants", "plm_u", "--sequences", "synthetic-translate"]) == 0
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == ["plm", "plm_u", "plm_p", "plm_x2"] and list(summary["videos"]) == [1, 1, 1, 1]
    # a folder kept without per_video/ (as results/ablations/ is committed) gets it back from per_sequence.csv:
    # nothing is redone, and a run on one video keeps the other video's rows
    import shutil

    assert main(command[:-2] + ["--variants", "plm", "plm_x2", "plm_p"]) == 0  # both videos in per_sequence.csv
    shutil.rmtree(out / "per_video")
    calls.clear()
    assert main(command[:-2] + ["--variants", "plm_u", "--sequences", "synthetic-translate"]) == 0
    assert calls == []
    kept = pd.read_csv(out / "per_video" / "synthetic-occlusion.csv")
    assert list(kept["variant"]) == ["plm", "plm_x2", "plm_p"]
    # other settings are refused: their rows would mix with these
    assert main(command[:-5] + ["--finetune-iterations", "3"]) == 2
    assert "made with other settings (finetune_options" in capsys.readouterr().err
    assert main(command + ["--checkpoint", "plm-s=x.pt"]) == 2
    assert "checkpoints for unknown structures ['plm-s']" in capsys.readouterr().err
    assert main(["ablation", "--davis-root", str(root), "--out", str(out), "--sequences", "bear"]) == 2
    assert "not DAVIS 2016 val sequences: ['bear']" in capsys.readouterr().err


def test_fresh_networks_are_seeded_and_leave_the_global_generator_alone():
    import torch

    state = torch.get_rng_state()
    a, b = variant_network("plm_x2", seed=3), variant_network("plm_x2", seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name
    c = variant_network("plm_x2", seed=4)
    assert not torch.equal(c.fc1.weight, a.fc1.weight)
