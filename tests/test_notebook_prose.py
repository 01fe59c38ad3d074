"""What the course's prose may say: every notebook teaches with learning goals, a summary and exercises, states
no result by hand, and takes its budgets from the profile's settings object.

A result typed into markdown goes stale when a network, a budget or a profile changes (a sentence true under
smoke and false under classroom). So markdown holds no decimal number, percentage or duration: a notebook states
a result by printing it (formatted from the variable that holds it), the paper's numbers come from
``plmlib.published``, and run times from the recorded runs (``NotebookSettings.describe``). A setting may be named
in prose: the values in ``SETTINGS`` are read from the library, so that the prose cannot disagree with the code.
Code spans and code blocks are not prose (an exercise may say ``threshold=0.2``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plmlib.infer.thresholds import BOX_THRESHOLD, DEFAULT_THRESHOLD, PLM_THRESHOLD
from plmlib.metrics.statistics import RECALL_THRESHOLD

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Values prose may name, each a setting read from plmlib (never a measured number).
SETTINGS = {DEFAULT_THRESHOLD, PLM_THRESHOLD, BOX_THRESHOLD, RECALL_THRESHOLD}

NUMBER = re.compile(r"(?<![\w./^])(\d*\.\d+)(?!\w|\.\d)")  # a full stop after it ends a sentence
PERCENT_OR_DURATION = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:%|x\b|percent\b|s\b|ms\b|sec\b|seconds?\b|min\b|minutes?\b|h\b|hours?\b)")
PROFILE_TABLE = re.compile(r"""["'](?:smoke|classroom|paper)["']\s*:|profile\.name\s*[!=]=""")


def cells(path: Path, kind: str) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == kind]


def prose(text: str) -> str:
    """Markdown without code blocks, inline code and link targets."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


def typed_numbers(text: str) -> list[str]:
    """The numbers in ``text`` that state a result: decimals other than the library's settings, percentages and
    durations."""
    found = [n for n in NUMBER.findall(prose(text)) if float(n) not in SETTINGS]
    return found + PERCENT_OR_DURATION.findall(prose(text))


def test_the_rule_finds_typed_results_and_lets_settings_and_code_through():
    assert typed_numbers("PLM reaches J 0.68 on DAVIS") == ["0.68"]
    assert typed_numbers("PLM reaches J 0.68.") == ["0.68"]  # at the end of a sentence
    assert typed_numbers("the update costs -0.05 of J") == ["0.05"]
    assert typed_numbers("68 percent, 2 h, 40ms, 3x faster") == ["68 percent", "2 h", "40ms", "3x"]
    assert typed_numbers("it took about 2.5 hours") == ["2.5", "2.5 hours"]
    assert typed_numbers("flow keeps 60% of the object") == ["60%"]
    assert typed_numbers("takes 11 minutes on 2 cores") == ["11 minutes"]
    assert typed_numbers(f"the threshold {PLM_THRESHOLD} of step (h); `threshold=0.2`; ```\nx = 0.93\n```") == []
    assert typed_numbers("ten frames, 20 videos, notebook 03, Python 3.11-style [fig](a/0.5.png)") == ["3.11"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_result_is_typed_into_markdown(path):
    found = {n for text in cells(path, "markdown") for n in typed_numbers(text)}
    assert not found, f"{path.name}: format these from variables (or name a setting of SETTINGS): {sorted(found)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_goals_summary_and_exercises(path):
    markdown = cells(path, "markdown")
    assert any("Learning goals" in text for text in markdown[:2]), f"{path.name}: learning goals at the top"
    assert any(re.search(r"^#+ Summary", text, re.M) for text in markdown), f"{path.name}: a Summary section"
    exercises = [text.split("Exercises", 1)[1] for text in markdown if re.search(r"^#+ Exercises", text, re.M)]
    assert exercises, f"{path.name}: an Exercises section"
    items = re.findall(r"^\d+\. ", exercises[-1], re.M)
    assert 2 <= len(items) <= 4, f"{path.name}: 2-4 numbered exercises, found {len(items)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_budgets_come_from_the_settings_object(path):
    code = cells(path, "code")
    number = path.name[:2]
    assert any(f'notebook="{number}"' in text for text in code), \
        f'{path.name}: call notebook_settings(..., notebook="{number}") so that it prints its run time'
    tables = [line for text in code[2:] for line in text.splitlines() if PROFILE_TABLE.search(line)]
    assert not tables, f"{path.name}: budgets keyed by profile name belong in plmlib.course.profiles: {tables}"
