"""What is recorded beside every result (plmlib.core.provenance)."""

import sys
from pathlib import Path

import pytest

import plmlib

from plmlib.core.provenance import provenance, refuse_other_settings


def test_provenance_names_the_command_as_typed(monkeypatch):
    package = Path(plmlib.__file__).parent
    monkeypatch.setattr(sys, "argv", [str(package / "cli.py"), "ablation", "--threads", "1"])  # python -m plmlib.cli
    assert provenance()["command"] == "plm ablation --threads 1"
    monkeypatch.setattr(sys, "argv", [str(package / "cli" / "__main__.py"), "tables"])  # python -m plmlib.cli (a package)
    assert provenance()["command"] == "plm tables"
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/plm", "tables"])
    assert provenance()["command"] == "plm tables"
    monkeypatch.setattr(sys, "argv", [str(package / "train" / "pretrain.py"), "--config", "c.yaml"])
    assert provenance()["command"] == "plm train pretrain --config c.yaml"
    monkeypatch.setattr(sys, "argv", [str(package / "model" / "memory.py"), "--out", "m.csv"])
    assert provenance()["command"] == "python -m plmlib.model.memory --out m.csv"
    monkeypatch.setattr(sys, "argv", ["benchmarks/oracle_box.py", "--x"])  # a script: its file name
    assert provenance()["command"] == "oracle_box.py --x"
    monkeypatch.setattr(sys, "argv", ["/elsewhere/plmlib/cli.py", "tables"])  # not this package's file
    assert provenance()["command"] == "cli.py tables"


def test_resumption_refuses_other_settings_and_names_them():
    settings = {"seed": 0, "options": {"preset": "fast", "iterations": 2}, "jump": 16}
    refuse_other_settings(None, settings, "out/settings.yaml")  # nothing recorded yet
    refuse_other_settings({"jump": 16, "options": {"iterations": 2, "preset": "fast"}, "seed": 0}, settings, "x")
    with pytest.raises(ValueError, match=r"out/settings.yaml: .*options.iterations: 3 there, 2 now\): use another"):
        refuse_other_settings({**settings, "options": {"preset": "fast", "iterations": 3}}, settings,
                              "out/settings.yaml")
    with pytest.raises(ValueError, match="threshold: 0.3 there, None now"):  # recorded there, not given now
        refuse_other_settings({**settings, "threshold": 0.3}, settings, "x")


def test_results_written_by_runs_do_not_make_the_code_dirty(tmp_path):
    import subprocess

    from plmlib.core.provenance import git_sha

    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    (tmp_path / "plmlib").mkdir()
    (tmp_path / "results").mkdir()
    (tmp_path / "plmlib" / "code.py").write_text("x = 1\n")
    (tmp_path / "results" / "summary.csv").write_text("J\n0.5\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    sha = git_sha(tmp_path / "plmlib")
    assert len(sha) == 40
    (tmp_path / "results" / "summary.csv").write_text("J\n0.6\n")  # a resumed run rewrote a committed result
    assert git_sha(tmp_path / "plmlib") == sha
    (tmp_path / "plmlib" / "code.py").write_text("x = 2\n")
    assert git_sha(tmp_path / "plmlib") == f"{sha}-dirty"
