"""``plm evaluate`` and :func:`plmlib.metrics.evaluate.evaluate` on small DAVIS-layout folders."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plmlib.cli import main as plm
from plmlib.metrics import contour_accuracy, region_similarity, statistics
from plmlib.metrics.evaluate import evaluate, write_csvs

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLE = SHARED / "data" / "davis2016-sample"
H, W = 36, 52


def _save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8)).save(path)


def _blob(t: int, dy: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[:H, :W]
    return ((yy - 15 - dy) / 9.0) ** 2 + ((xx - 12 - 2 * t) / 7.0) ** 2 <= 1


def make_davis(root: Path, sequences=("alpha", "beta"), n_frames=7, eval_t=(True, False)) -> Path:
    """A DAVIS 2016 layout: 0/255 annotations, ImageSets and db_info.yml."""
    lines, info = [], ["sequences:"]
    for s, name in enumerate(sequences):
        for t in range(n_frames):
            _save(root / "Annotations" / "480p" / name / f"{t:05d}.png", _blob(t, s) * 255)
            _save(root / "JPEGImages" / "480p" / name / f"{t:05d}.jpg", np.zeros((H, W, 3)))
            lines.append(f"/JPEGImages/480p/{name}/{t:05d}.jpg /Annotations/480p/{name}/{t:05d}.png")
        info += [f"- name: {name}", f"  num_frames: {n_frames}", "  set: test", f"  eval_t: {eval_t[s]}"]
    (root / "ImageSets" / "480p").mkdir(parents=True)
    (root / "ImageSets" / "480p" / "val.txt").write_text("\n".join(lines) + "\n")
    (root / "Annotations" / "db_info.yml").write_text("\n".join(info) + "\n")
    return root


def make_results(results: Path, root: Path, sequences=("alpha", "beta"), n_frames=7) -> Path:
    for s, name in enumerate(sequences):
        for t in range(1, n_frames - 1):  # first and last frame not needed
            pred = np.roll(_blob(t, s), t % 3, axis=1)
            _save(results / name / f"{t:05d}.png", pred)  # ids 0/1
    return results


@pytest.fixture()
def davis(tmp_path):
    return make_davis(tmp_path / "DAVIS")


def test_scores_follow_the_protocol(davis, tmp_path):
    results = make_results(tmp_path / "res", davis)
    ev = evaluate(results, davis, workers=1, progress=False)
    assert [o.name for o in ev.objects] == ["alpha", "beta"]
    for s, o in enumerate(ev.objects):
        j = [region_similarity(_blob(t, s), np.roll(_blob(t, s), t % 3, axis=1)) for t in range(1, 6)]
        f = [contour_accuracy(_blob(t, s), np.roll(_blob(t, s), t % 3, axis=1)) for t in range(1, 6)]
        assert o.J.tolist() == j and o.F.tolist() == f
        assert o.frames == [f"{t:05d}" for t in range(1, 6)]
    g = ev.global_scores
    js = [statistics(o.J) for o in ev.objects]
    fs = [statistics(o.F) for o in ev.objects]
    assert g["J-Mean"] == pytest.approx(np.mean([s.mean for s in js]))
    assert g["F-Decay"] == pytest.approx(np.mean([s.decay for s in fs]))
    assert g["J&F-Mean"] == pytest.approx((g["J-Mean"] + g["F-Mean"]) / 2)
    # dataset T only over the eval_t sequences
    assert g["T"] == pytest.approx(ev.objects[0].t_mean)
    assert not math.isnan(ev.objects[1].t_mean)


def test_csvs_and_cli(davis, tmp_path, capsys):
    results = make_results(tmp_path / "res", davis)
    out = tmp_path / "out"
    code = plm(["evaluate", "--results", str(results), "--davis-root", str(davis), "--workers", "2", "--out", str(out), "--quiet"])
    assert code == 0
    with (out / "global_results.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay", "T"]
    assert all(len(v.split(".")[1]) == 3 for v in rows[1])
    with (out / "per_sequence_results.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Sequence", "J-Mean", "F-Mean", "T"] and [r[0] for r in rows[1:]] == ["alpha", "beta"]
    assert sorted(p.name for p in out.iterdir()) == ["global_results.csv", "per_sequence_results.csv"]  # no temp files
    printed = capsys.readouterr().out
    assert "Global results" in printed and "alpha" in printed
    ev1 = evaluate(results, davis, workers=1, temporal=False, progress=False)
    ev2 = evaluate(results, davis, workers=2, temporal=False, progress=False)
    assert ev1.global_scores == ev2.global_scores


def test_no_t_and_default_root_from_environment(davis, tmp_path, monkeypatch):
    results = make_results(tmp_path / "res", davis)
    monkeypatch.setenv("PLM_DAVIS_ROOT", str(davis))
    assert plm(["evaluate", "--results", str(results), "--no-t", "--sequences", "beta", "--per-frame", "--quiet"]) == 0
    with (results / "global_results.csv").open() as f:
        assert next(csv.reader(f))[-1] == "F-Decay"
    with (results / "per_frame_results.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Sequence", "Frame", "J", "F"] and len(rows) == 1 + 5


def test_missing_and_wrong_inputs_are_named(davis, tmp_path, capsys, monkeypatch):
    results = make_results(tmp_path / "res", davis)
    (results / "alpha" / "00003.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"alpha.*1 of 5 result frames missing.*00003\.png"):
        evaluate(results, davis, workers=1, progress=False)
    _save(results / "alpha" / "00003.png", np.zeros((H + 1, W)))
    with pytest.raises(FileNotFoundError, match=r"alpha.*must be 52x36.*00003\.png is 52x37"):
        evaluate(results, davis, workers=1, progress=False)
    _save(results / "alpha" / "00003.png", np.zeros((H, W)))
    import shutil

    shutil.rmtree(results / "beta")
    with pytest.raises(FileNotFoundError, match=r"beta.*results folder .*beta not found"):
        evaluate(results, davis, workers=1, progress=False)
    code = plm(["evaluate", "--results", str(results), "--davis-root", str(davis), "--quiet"])
    assert code == 2
    assert "beta" in capsys.readouterr().err
    monkeypatch.delenv("PLM_DAVIS_ROOT", raising=False)
    with pytest.raises(FileNotFoundError, match="PLM_DAVIS_ROOT"):
        evaluate(results, None, progress=False)


def test_multi_object_sequences(tmp_path):
    root = tmp_path / "D"
    n = 5
    lines = []
    for t in range(n):
        gt = _blob(t).astype(np.uint8) + 2 * _blob(t, 15).astype(np.uint8)
        gt[gt == 3] = 2
        _save(root / "Annotations" / "480p" / "duo" / f"{t:05d}.png", gt)
        lines.append(f"/JPEGImages/480p/duo/{t:05d}.jpg /Annotations/480p/duo/{t:05d}.png")
        if 0 < t < n - 1:
            pred = gt.copy()
            pred[pred == 2] = 0  # object 2 lost
            _save(tmp_path / "r" / "duo" / f"{t:05d}.png", pred)
    (root / "ImageSets" / "480p").mkdir(parents=True)
    (root / "ImageSets" / "480p" / "val.txt").write_text("\n".join(lines) + "\n")
    ev = evaluate(tmp_path / "r", root, workers=1, progress=False)
    assert [o.name for o in ev.objects] == ["duo_1", "duo_2"]
    assert ev.objects[0].J.tolist() == [1.0] * 3 and ev.objects[1].J.tolist() == [0.0] * 3
    assert math.isnan(ev.objects[1].t_mean)
    assert ev.global_scores["J-Mean"] == 0.5


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"DAVIS sample not found at {SAMPLE}")
def test_davis_sample_ground_truth_scores_perfectly(tmp_path):
    results = SAMPLE / "Annotations" / "480p"  # the ground truth as results (0/255 PNGs)
    ev = evaluate(results, SAMPLE, split="val", temporal=False, progress=False)
    assert sorted(o.name for o in ev.objects) == ["blackswan", "car-shadow"]
    assert ev.global_scores["J-Mean"] == 1.0 and ev.global_scores["F-Mean"] == 1.0
    assert ev.global_scores["J-Decay"] == 0.0
    written = write_csvs(ev, tmp_path)
    assert written[0].read_text().splitlines()[1] == "1.000,1.000,1.000,0.000,1.000,1.000,0.000"


def test_unfinished_runs_and_unwritable_outputs_are_refused_before_scoring(davis, tmp_path, capsys, monkeypatch):
    """Issue 24: a sequence folder that a plmlib run left unfinished (its config without its timing) is named, not
    scored; an --out that cannot be written is refused before the evaluation runs, in one line."""
    results = make_results(tmp_path / "results", davis)
    (results / "alpha" / "config.yaml").write_text("method: flow\n")  # a plm segment run, interrupted
    assert plm(["evaluate", "--results", str(results), "--davis-root", str(davis),
                "--no-t"]) == 2
    assert "alpha" in (err := capsys.readouterr().err) and "unfinished run" in err
    (results / "alpha" / "timing.json").write_text("{}")  # finished: scored
    import plmlib.metrics.evaluate as module

    def never(*args, **kwargs):
        raise AssertionError("evaluated before the output was checked")

    (tmp_path / "a_file").write_text("x")
    monkeypatch.setattr(module, "evaluate", never)
    assert plm(["evaluate", "--results", str(results), "--davis-root", str(davis), "--no-t",
                "--out", str(tmp_path / "a_file")]) == 2
    assert "a file, not a folder" in capsys.readouterr().err
    monkeypatch.undo()
    assert plm(["evaluate", "--results", str(results), "--davis-root", str(davis), "--no-t"]) == 0


def test_a_non_image_png_among_results_is_named_in_one_line(davis, tmp_path, capsys):
    results = make_results(tmp_path / "results", davis)
    bad = sorted((results / "alpha").glob("*.png"))[2]
    bad.write_bytes(b"not a png")
    assert plm(["evaluate", "--results", str(results), "--davis-root", str(davis), "--no-t"]) == 2
    err = capsys.readouterr().err
    assert bad.name in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
