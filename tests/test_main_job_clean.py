"""The main job leaves the checkout as it found it: everything it writes goes under outputs/ (ignored by git).

A scratch copy of the working tree (tracked and not-ignored files, committed into a fresh repository) runs the fast
path of ``make reproduce`` (``plm demo`` on two short videos, two notebooks), then ``git status --porcelain`` must be
empty: no figure, result or notebook of the checkout was rewritten, and nothing unignored was left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def scratch_copy(target: Path) -> Path:
    """The working tree's tracked and not-ignored files, committed in a fresh repository at ``target``."""
    files = _git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():  # a file deleted in the working tree is still listed by --cached
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "--quiet")
    _git(target, "add", "--all")
    _git(target, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "--quiet", "-m", "scratch")
    return target


def test_main_job_fast_path_leaves_the_checkout_clean(tmp_path):
    scratch = scratch_copy(tmp_path / "checkout")
    # The scratch copy's plmlib, for the command and for the notebook kernels it starts (they inherit PYTHONPATH).
    env = {**os.environ, "PYTHONPATH": str(scratch), "PLM_DAVIS_ROOT": ""}
    commands = [
        ["demo", "--out", "outputs/demo", "--scenarios", "translate,thin", "--frames", "5", "--finetune-iterations", "2"],
        ["notebooks", "--profile", "classroom", "--only", "00,01", "--out", "outputs/notebooks"],
    ]
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "plmlib.cli", *command], cwd=scratch, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"plm {' '.join(command)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert (scratch / "outputs" / "demo" / "comparison.csv").is_file()
    assert (scratch / "outputs" / "notebooks" / "figures" / "00_task.png").is_file()
    assert _git(scratch, "status", "--porcelain") == ""
