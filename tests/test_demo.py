"""The README's main job, end to end on a few small synthetic videos."""

import csv

from plmlib.cli import main


def test_demo_writes_masks_overlays_scores_and_config(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--scenarios", "translate,thin", "--frames", "6"]) == 0
    results = out / "results" / "flow"
    for video in ("synthetic-translate", "synthetic-thin"):
        assert sorted(p.name for p in (results / video).glob("*.png")) == [f"{i:05d}.png" for i in range(6)]
        assert (results / video / "overlay.mp4").stat().st_size > 0
    rows = list(csv.DictReader(open(results / "per_sequence_results.csv")))
    assert [r["Sequence"] for r in rows] == ["synthetic-translate", "synthetic-thin"]
    assert float(rows[0]["J-Mean"]) > 0.5  # flow follows a slowly translating object for a few frames
    header = open(results / "global_results.csv").readline().strip()
    assert header.startswith("J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay")
    assert "git_sha" in (results / "config.yaml").read_text()
    assert "Global results" in capsys.readouterr().out
