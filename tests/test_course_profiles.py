"""The course's profiles: one set of names with the training stages, budgets read from one object, run times
recorded by ``plm notebooks --record-times`` and printed by the notebooks."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from plmlib.course.notebooks import record_run_time
from plmlib.course.profiles import PROFILES, Budgets, format_seconds, measured_run_times, run_time_line
from plmlib.train import pretrain_profile
from plmlib.train.config import PROFILE_NAMES


def test_course_and_training_profiles_are_one_set_of_names():
    assert tuple(PROFILES) == PROFILE_NAMES
    for profile in PROFILES.values():
        assert profile.budgets.pretrain_profile in PROFILE_NAMES
        pretrain_profile(profile.budgets.pretrain_profile)  # builds


def test_no_smoke_budget_is_larger_than_the_classroom_one():
    smoke, classroom = PROFILES["smoke"].budgets, PROFILES["classroom"].budgets
    counts = [f.name for f in dataclasses.fields(Budgets) if isinstance(getattr(smoke, f.name), int)
              and isinstance(getattr(classroom, f.name), int)]
    assert "finetune_iterations" in counts and "ablation_iterations" in counts
    larger = [n for n in counts if getattr(smoke, n) > getattr(classroom, n)]
    assert not larger, f"smoke (CI, seconds) does more than classroom on {larger}"
    assert PROFILES["paper"].budgets.finetune_iterations is None  # the shipped network's own budget


def test_run_times_are_recorded_per_notebook_and_profile_and_printed(tmp_path):
    path = tmp_path / "run_times.csv"
    assert run_time_line("04", path).startswith("run time: not measured")
    record_run_time(path, {"notebook": "04_x.ipynb", "profile": "smoke", "seconds": 12.0})
    record_run_time(path, {"notebook": "04_x.ipynb", "profile": "classroom", "seconds": 125.4})
    record_run_time(path, {"notebook": "04_x.ipynb", "profile": "smoke", "seconds": 9.6})  # replaces the first
    table = pd.read_csv(path)
    assert len(table) == 2 and set(table.columns) >= {"notebook", "profile", "seconds", "cpus", "date"}
    times = measured_run_times("04", path)
    assert {p: s for p, (s, _) in times.items()} == {"classroom": 125.4, "smoke": 9.6}
    line = run_time_line("04", path)
    assert "smoke 10 s" in line and "classroom 2 min 05 s" in line and "paper: not measured" in line
    assert measured_run_times("05", path) == {}


@pytest.mark.parametrize("seconds, text", [(0.4, "0 s"), (59.4, "59 s"), (60, "1 min 00 s"), (3725, "62 min 05 s")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text
