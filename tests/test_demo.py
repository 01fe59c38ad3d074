"""The README's main job, end to end on a few small synthetic videos."""

import csv

import pytest

from plmlib.cli import main
from plmlib.core.methods import DEFAULT_METHOD
from plmlib.course.demo import DEMO_METHODS


def test_the_demo_shows_plm_beside_the_traditional_methods():
    assert {"flow", "superpixel", "bvs", "plm", DEFAULT_METHOD} == set(DEMO_METHODS)


def test_demo_writes_masks_overlays_scores_table_figure_and_config(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--scenarios", "translate,thin", "--frames", "6", "--methods", "flow,plm",
            "--finetune-iterations", "2"]
    assert main(argv) == 0
    for method in ("flow", "plm"):
        results = out / "results" / method
        for video in ("synthetic-translate", "synthetic-thin"):
            assert sorted(p.name for p in (results / video).glob("*.png")) == [f"{i:05d}.png" for i in range(6)]
            assert (results / video / "overlay.mp4").stat().st_size > 0
        rows = list(csv.DictReader(open(results / "per_sequence_results.csv")))
        assert [r["Sequence"] for r in rows] == ["synthetic-translate", "synthetic-thin"]
        header = open(results / "global_results.csv").readline().strip()
        assert header.startswith("J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay")
        assert "git_sha" in (results / "config.yaml").read_text()
    flow = list(csv.DictReader(open(out / "results" / "flow" / "per_sequence_results.csv")))
    assert float(flow[0]["J-Mean"]) > 0.5  # flow follows a slowly translating object for a few frames
    table = {row["method"]: row for row in csv.DictReader(open(out / "comparison.csv"))}
    assert list(table) == ["flow", "plm"]
    assert set(table["plm"]) == {"method", "J-Mean", "F-Mean", "T", "seconds_per_frame", "finetune_seconds", "videos"}
    assert float(table["plm"]["finetune_seconds"]) > 0 and float(table["flow"]["finetune_seconds"]) == 0
    assert 0 <= float(table["plm"]["J-Mean"]) <= 1 and table["plm"]["videos"] == "2"
    # the table's J is plm evaluate's: the mean of the per-sequence J
    per_sequence = [float(r["J-Mean"]) for r in csv.DictReader(open(out / "results" / "plm" / "per_sequence_results.csv"))]
    assert float(table["plm"]["J-Mean"]) == pytest.approx(sum(per_sequence) / 2, abs=1e-3)
    assert (out / "comparison.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "| PLM |" in printed and "| optical flow |" in printed and "fine-tuned 2 steps" in printed


def test_demo_refuses_an_unknown_method_before_any_work(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d"), "--methods", "flow,nope"]) == 2
    assert "nope" in capsys.readouterr().err and not (tmp_path / "d").exists()


def test_the_readme_states_the_committed_main_job_times_and_demo_table():
    """The README's set-up numbers are the committed measurements (benchmarks/bench_main_job.py), not typed in."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text()
    latest = {row["command"]: row for row in csv.DictReader(open(repo / "results" / "benchmarks" / "main_job.csv"))}
    for command in ("make reproduce", "make test"):
        assert latest[command]["checkout_clean"] == "True"
        assert f"`{command}` {float(latest[command]['wall_seconds']) / 60:.1f} min" in readme, command
    table = [line for line in (repo / "results" / "demo" / "comparison.md").read_text().splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(DEMO_METHODS) and all(line in readme for line in table)


def test_head_to_head_figure_frames_each_rows_best_method():
    import pandas as pd
    from matplotlib.patches import Rectangle

    from plmlib.viz.demo import head_to_head_figure

    scores = pd.DataFrame({"flow": [0.2, 0.9], "PLM": [0.7, 0.1]}, index=["distractor", "thin"])
    axes = head_to_head_figure(scores).axes[0]
    frames = [p for p in axes.patches if isinstance(p, Rectangle)]
    assert [(round(p.get_x() + 0.5), round(p.get_y() + 0.5)) for p in frames] == [(1, 0), (0, 1)]  # (column, row)
    assert [t.get_text() for t in axes.texts] == ["0.20", "0.70", "0.90", "0.10"]
