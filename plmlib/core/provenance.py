"""Provenance of every result: the configuration, the plmlib version and the git commit, saved beside it."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import yaml

from plmlib import __version__
from plmlib.core.files import atomic_write


def git_sha(directory: str | os.PathLike | None = None) -> str:
    """The commit of the plmlib checkout (with ``-dirty`` if it has uncommitted changes), or ``unknown``.

    Changes under ``results/`` and ``figures/`` do not count: they are what runs write (a run resuming into a
    committed results folder changes it), not the code that made them."""
    directory = Path(directory or Path(__file__).resolve().parent)
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ":(top)", ":(top,exclude)results",
             ":(top,exclude)figures"],
            cwd=directory, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def provenance() -> dict:
    """Who and what produced a result: version, commit, command, time, platform."""
    return {
        "plmlib_version": __version__,
        "git_sha": git_sha(),
        "command": " ".join([_program(sys.argv[0]), *sys.argv[1:]]),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


#: files of this package that are ``plm`` (``python -m plmlib.cli`` runs ``plmlib/cli/__main__.py``; ``plmlib.cli``:
#: the single module it was before it became a package), and the stages' modules as the ``plm train`` they run under
_PLM_COMMANDS = {"plmlib.cli.__main__": "plm", "plmlib.cli": "plm", "plmlib.train.pretrain": "plm train pretrain",
                 "plmlib.train.finetune": "plm train finetune"}


def _program(argv0: str) -> str:
    """The command's name as a user would type it. ``python -m plmlib.X`` (argv[0] is then the path of the
    module's file) is recorded as the ``plm`` command it is (``plm``, ``plm train pretrain``, ...), else as
    ``python -m plmlib.X``; any other program by the file name of argv[0]."""
    path = Path(argv0)
    try:
        inside = path.resolve().relative_to(Path(__file__).resolve().parents[1])  # this plmlib package
    except ValueError:
        return path.name
    module = ".".join(["plmlib", *inside.with_suffix("").parts])
    return _PLM_COMMANDS.get(module, f"python -m {module}")


def save_config(path: str | os.PathLike, config: dict) -> Path:
    """Write ``config`` plus :func:`provenance` as YAML (atomically) and return the path."""
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_text(yaml.safe_dump({"config": config, "provenance": provenance()}, sort_keys=False))
    return path


def refuse_other_settings(earlier: dict | None, now: dict, where: str | os.PathLike) -> None:
    """Resumption guard (``plm protocol``, ``plm ablation``): results already in ``where`` were made with the
    settings ``earlier`` (None: none recorded yet); raise a ValueError naming each setting that differs in ``now``
    (nested settings by their dotted name; one recorded there but not given now counts), so that a resumed run never
    mixes its rows with rows made otherwise. The git SHA is not a setting: a code change between two runs into one
    folder is recorded in their configs, not refused."""
    if earlier is None:
        return
    before, after = _flat(earlier), _flat(now)
    keys = sorted(set(before) | set(after))
    changed = {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}
    if changed:
        raise ValueError(f"{where}: its results were made with other settings "
                         f"({'; '.join(f'{k}: {a!r} there, {b!r} now' for k, (a, b) in changed.items())}): "
                         "use another --out")


def check_settings(record: str | os.PathLike, settings: dict) -> None:
    """Refuse ``settings`` when ``record`` (the ``settings.yaml`` of an earlier run into the same folder) holds other
    ones (:func:`refuse_other_settings`); write it, atomically, when there is none yet. A folder from before its run
    wrote a record is taken as made with these settings (our choice: its outputs say nothing of theirs)."""
    record = Path(record)
    settings = json.loads(json.dumps(settings))  # tuples as lists, as YAML reads them back
    if record.is_file():
        refuse_other_settings(yaml.safe_load(record.read_text()), settings, record)
        return
    record.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(record) as tmp:
        tmp.write_text(yaml.safe_dump(settings, sort_keys=True))


def _flat(settings: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}; an empty dict stays a value."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
