"""The committed notebooks are clean: what a student opens runs anywhere, and what nbval compares holds anywhere."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

from plmlib.course.notebooks import INJECTED_TAG, clean_notebook, list_notebooks
from plmlib.course.profiles import COMMITTED_THREADS, THREADS_ENV, notebook_settings

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = list_notebooks(REPO / "notebooks")
# An absolute path of some machine: a POSIX root folder, a home folder, a Windows drive, or this checkout.
ABSOLUTE = re.compile(r"(?<![\w.~])/(home|root|work|tmp|Users|mnt|opt|var|srv|private|scratch|data)/"
                      r"|\b[A-Za-z]:\\\\|" + re.escape(str(REPO)))
MACHINE_METADATA = ("papermill", "execution", "ExecuteTime", "widgets")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean(path):
    text = path.read_text()
    notebook = json.loads(text)
    assert not ABSOLUTE.search(text), f"{path.name}: absolute path {ABSOLUTE.search(text).group(0)!r}"
    tags = [cell.get("metadata", {}).get("tags", []) for cell in notebook["cells"]]
    assert not any(INJECTED_TAG in t for t in tags), f"{path.name}: papermill's injected-parameters cell"
    assert sum("parameters" in t for t in tags) == 1, f"{path.name}: exactly one cell tagged parameters"
    parameters = "".join(notebook["cells"][[("parameters" in t) for t in tags].index(True)]["source"])
    assert re.search(r'^profile = "smoke"', parameters, re.M), "the committed parameters cell runs the smoke profile"
    assert set(notebook["metadata"]) <= {"kernelspec", "language_info"}
    assert "version" not in notebook["metadata"].get("language_info", {})
    for cell in notebook["cells"]:
        assert not set(cell.get("metadata", {})) & set(MACHINE_METADATA), f"{path.name}: {cell['metadata']}"
        assert "set_num_threads" not in "".join(cell["source"]), f"{path.name}: threads come from the machine"


def test_clean_notebook_drops_injected_parameters_and_machine_metadata(tmp_path):
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"papermill": {"x": 1}, "language_info": {
        "name": "python", "version": "3.11.7"}}, "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "profile = 'smoke'", "outputs": [],
         "execution_count": 4},
        {"cell_type": "code", "metadata": {"tags": [INJECTED_TAG]}, "source": "output_dir = '/home/x'",
         "outputs": [], "execution_count": 5},
        {"cell_type": "code", "metadata": {"execution": {"start": 1}}, "source": "1", "outputs": [],
         "execution_count": 6}]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    clean_notebook(path)
    cleaned = json.loads(path.read_text())
    assert [c["source"] for c in cleaned["cells"]] == ["profile = 'smoke'", "1"]
    assert cleaned["metadata"] == {"language_info": {"name": "python"}}
    assert [c["execution_count"] for c in cleaned["cells"]] == [1, 2] and cleaned["cells"][1]["metadata"] == {}


def test_nbval_runs_the_notebooks_with_another_thread_count_than_committed(monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "")  # restored afterwards: the conftest sets it for nbval's kernels
    spec = importlib.util.spec_from_file_location("notebooks_conftest", REPO / "notebooks" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TEST_THREADS != COMMITTED_THREADS
    assert os.environ[THREADS_ENV] == str(module.TEST_THREADS)


def test_notebook_settings_take_threads_from_the_environment(tmp_path, monkeypatch):
    import torch

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv(THREADS_ENV, "3")
        settings = notebook_settings("smoke", output_dir=tmp_path)
        assert settings.threads == 3 and torch.get_num_threads() == 3
        assert settings.figures_dir == tmp_path / "figures"  # never the repository's figures/
        monkeypatch.setenv(THREADS_ENV, "two")
        with pytest.raises(ValueError, match=f"{THREADS_ENV}='two'"):
            notebook_settings("smoke", output_dir=tmp_path)
    finally:
        torch.set_num_threads(before)


def test_plm_notebooks_without_the_course_says_where_it_is(tmp_path, capsys):
    from plmlib.cli import main

    assert main(["notebooks", "--notebooks", str(tmp_path), "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert f"no course notebooks (NN_name.ipynb) in {tmp_path}" in err and "--notebooks" in err


def test_committed_figures_are_refreshed_only_on_purpose_and_only_from_davis(tmp_path, monkeypatch, capsys):
    from plmlib.cli import main
    from plmlib.course.notebooks import refresh_figures, run_notebooks

    monkeypatch.delenv("PLM_DAVIS_ROOT", raising=False)
    assert main(["notebooks", "--profile", "classroom", "--refresh-figures", "--out", str(tmp_path / "o")]) == 2
    assert "DAVIS 2016 not found" in capsys.readouterr().err and not (tmp_path / "o").exists()
    assert main(["notebooks", "--profile", "smoke", "--refresh-figures", "--out", str(tmp_path / "o")]) == 2
    with pytest.raises(ValueError, match="profile must be 'smoke'"):
        run_notebooks("classroom", tmp_path / "o", update_committed=True)
    (tmp_path / "run" / "figures").mkdir(parents=True)
    (tmp_path / "run" / "figures" / "02_x.png").write_bytes(b"new")
    (tmp_path / "committed").mkdir()
    (tmp_path / "committed" / "02_x.png").write_bytes(b"old")
    assert refresh_figures(tmp_path / "run", tmp_path / "committed") == [tmp_path / "committed" / "02_x.png"]
    assert (tmp_path / "committed" / "02_x.png").read_bytes() == b"new"
