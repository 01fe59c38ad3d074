"""The ``plm`` command line, run in-process through ``plmlib.cli.main``."""

import csv
from pathlib import Path

import numpy as np
import pytest

from plmlib.cli import COMMANDS, main
from plmlib.data import Davis2016
from plmlib.io import read_mask, write_mask


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_threads_is_one_option_applied_before_the_command(tmp_path, capsys, monkeypatch):
    import torch

    applied = []
    monkeypatch.setattr(torch, "set_num_threads", applied.append)
    assert main(["ablation", "--out", str(tmp_path / "out"), "--davis-root", str(tmp_path / "missing-davis"),
                 "--threads", "1"]) == 2
    assert applied == [1] and "missing-davis" in capsys.readouterr().err  # applied, then the clear error
    for command in (["ablation", "--out", "x"], ["protocol", "jumpcut", "--out", "x"], ["reproduce"],
                    ["train", "pretrain"]):
        with pytest.raises(SystemExit):
            main(command + ["--threads", "0"])
        assert "expected a whole number >= 1, got '0'" in capsys.readouterr().err


def test_synth_then_info(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path / "ds"), "--scenarios", "thin,occlusion", "--frames", "5"]) == 0
    assert Davis2016(tmp_path / "ds").names == ["synthetic-thin", "synthetic-occlusion"]
    assert main(["info", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "synthetic-thin" in out and "5 frames" in out and "256x144" in out


def test_segment_writes_masks_overlay_and_config(tmp_path, capsys):
    main(["synth", "--out", str(tmp_path / "ds"), "--scenarios", "translate", "--frames", "4"])
    frames = tmp_path / "ds" / "JPEGImages" / "480p" / "synthetic-translate"
    first = tmp_path / "ds" / "Annotations" / "480p" / "synthetic-translate" / "00000.png"
    out = tmp_path / "out"
    assert main(["segment", str(frames), "--mask", str(first), "--out", str(out), "--method", "flow"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["00000.png", "00001.png", "00002.png", "00003.png", "config.yaml", "overlay.mp4", "timing.json"]
    np.testing.assert_array_equal(read_mask(out / "00000.png"), read_mask(first))
    assert read_mask(out / "00003.png").sum() > 100
    assert "4 frames segmented with flow" in capsys.readouterr().out


def test_segment_defaults_to_the_best_plm_method():
    from plmlib.cli import configured_parser
    from plmlib.core.methods import DEFAULT_METHOD, PLM_METHODS
    from plmlib.widgets import PropagationSession

    args = configured_parser(["segment"]).parse_args(["segment", "v.mp4", "--mask", "m.png", "--out", "o"])
    assert args.method == DEFAULT_METHOD and DEFAULT_METHOD in PLM_METHODS
    assert PropagationSession(np.zeros((2, 8, 8, 3), np.uint8)).method == DEFAULT_METHOD
    # "best": the highest committed J-Mean on DAVIS 2016 val among the PLM methods
    results = Path(__file__).resolve().parents[1] / "results" / "davis2016_val"
    j = {m: float(next(csv.DictReader(open(results / m / "global_results.csv")))["J-Mean"])
         for m in PLM_METHODS if (results / m / "global_results.csv").is_file()}
    assert max(j, key=j.get) == DEFAULT_METHOD, j


def test_segment_refuses_a_mask_of_another_size(tmp_path, capsys):
    main(["synth", "--out", str(tmp_path / "ds"), "--scenarios", "translate", "--frames", "3"])
    frames = tmp_path / "ds" / "JPEGImages" / "480p" / "synthetic-translate"
    write_mask(tmp_path / "small.png", np.ones((10, 10), np.uint8))
    assert main(["segment", str(frames), "--mask", str(tmp_path / "small.png"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "small.png: mask is 10x10 but its frame is 256x144" in err and "Traceback" not in err


def test_segment_refuses_an_empty_mask_and_a_missing_video(tmp_path, capsys):
    main(["synth", "--out", str(tmp_path / "ds"), "--scenarios", "translate", "--frames", "3"])
    frames = tmp_path / "ds" / "JPEGImages" / "480p" / "synthetic-translate"
    write_mask(tmp_path / "empty.png", np.zeros((144, 256), np.uint8))
    assert main(["segment", str(frames), "--mask", str(tmp_path / "empty.png"), "--out", str(tmp_path / "o")]) == 2
    assert "empty.png is empty" in capsys.readouterr().err
    assert main(["segment", str(tmp_path / "nope"), "--mask", str(tmp_path / "empty.png"), "--out", "o"]) == 2
    assert "nope: no such folder or video file" in capsys.readouterr().err


def test_the_readme_command_lines_parse():
    """Every ``plm ...`` line in the README's shell blocks is accepted by the real parser (nothing is run): an
    option renamed or dropped in the code shows here."""
    import re
    import shlex
    from pathlib import Path

    from plmlib.cli import configured_parser

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    commands = [re.sub(r"^(\w+=\S+ )+", "", line) for line in lines]  # PLM_DAVIS_ROOT=... plm ...
    commands = [shlex.split(c)[1:] for c in commands if c.startswith("plm ") and "--help" not in c]
    assert len(commands) >= 10 and any(c[:1] == ["segment"] and "--candidates" in c for c in commands)
    for argv in commands:
        configured_parser(argv).parse_args(argv)  # SystemExit (status 2) on an unknown or malformed option


def _synthetic_video(tmp_path, frames=4):
    main(["synth", "--out", str(tmp_path / "ds"), "--scenarios", "translate", "--frames", str(frames)])
    return (tmp_path / "ds" / "JPEGImages" / "480p" / "synthetic-translate",
            tmp_path / "ds" / "Annotations" / "480p" / "synthetic-translate" / "00000.png")


def test_a_used_out_folder_is_refused_unless_forced_and_an_interrupted_rerun_leaves_the_old_run(
        tmp_path, capsys, monkeypatch):
    """Issue 24: a results folder is one complete run. A re-run into a used --out is refused (the old run kept);
    --force replaces it only when the new run completes; an interrupted one leaves the old run whole, and ends with
    one line and exit 130."""
    frames, mask = _synthetic_video(tmp_path)
    out = tmp_path / "out"
    assert main(["segment", str(frames), "--mask", str(mask), "--out", str(out), "--method", "flow"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["segment", str(frames), "--mask", str(mask), "--out", str(out), "--method", "bvs"]) == 2
    assert "holds a finished plm segment run; pass --force" in capsys.readouterr().err

    import plmlib.infer.run as segment

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(segment, "write_mask", interrupted)  # the first mask of the re-run: Ctrl-C
    code = main(["segment", str(frames), "--mask", str(mask), "--out", str(out), "--method", "bvs", "--force"])
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "plm segment:" in line]  # (the progress bar shares stderr)
    assert code == 130 and len(said) == 1 and "interrupted" in said[0] and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the old run, whole
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []  # no half-written folder left
    monkeypatch.undo()
    assert main(["segment", str(frames), "--mask", str(mask), "--out", str(out), "--method", "bvs", "--force"]) == 0
    assert "method: bvs" in (out / "config.yaml").read_text()


def test_segment_checks_what_it_can_before_any_work(tmp_path, capsys, monkeypatch):
    """An --out that cannot be a folder, a bad --fps, an unknown checkpoint, a folder of other files: one line
    each, exit 2, before the video is even read; no --out is left behind."""
    frames, mask = _synthetic_video(tmp_path)
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("x")
    import plmlib.infer.run as segment

    def never(*args, **kwargs):
        raise AssertionError("the video was read before the options were checked")

    monkeypatch.setattr(segment, "load_video", never)
    cases = [(["--out", str(tmp_path / "a_file")], "a file, not a folder"),
             (["--out", str(tmp_path / "a_file" / "sub")], "a_file"),
             (["--out", str(tmp_path / "o"), "--fps", "0"], "--fps must be a positive"),
             (["--out", str(tmp_path / "o"), "--method", "plm", "--checkpoint", "no_such"], "no_such: neither"),
             (["--out", str(tmp_path / "o"), "--method", "plm", "--checkpoint", str(tmp_path / "a_file")],
              "a_file: not a plmlib checkpoint"),
             (["--out", str(tmp_path / "notes")], "not empty and not a plm segment run folder")]
    for extra, message in cases:
        code = main(["segment", str(frames), "--mask", str(mask), "--method", "flow", *extra]
                    if "--method" not in extra else ["segment", str(frames), "--mask", str(mask), *extra])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (extra, err)
    assert not (tmp_path / "o").exists() and (tmp_path / "notes" / "mine.txt").is_file()


def test_an_empty_first_mask_is_named_and_leaves_no_out(tmp_path, capsys):
    frames, _ = _synthetic_video(tmp_path)
    write_mask(tmp_path / "empty.png", np.zeros((144, 256), np.uint8))
    assert main(["segment", str(frames), "--mask", str(tmp_path / "empty.png"), "--out", str(tmp_path / "o"),
                 "--method", "flow"]) == 2
    assert "empty.png" in capsys.readouterr().err and not (tmp_path / "o").exists()
