"""Export a training run's ``model.pt`` as a release file (:mod:`plmlib.model.release`), with the whole training
lineage that made it as provenance: :func:`release_run`, which ``plm release RUN_DIR`` runs.

Its own module because it reads a training checkpoint (:mod:`plmlib.model.checkpoint`) and writes a release, and
the checkpoint reader also reads releases: kept apart, neither of those two modules imports the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from plmlib.core.provenance import git_sha

from .checkpoint import load_checkpoint
from .release import RELEASE_FORMATS, export_release, read_release, shipped_name_of, shipped_path
from plmlib.core.files import file_digest

from .weights import read_torch_file


def _release_of(checkpoint: str) -> Path | None:
    """The release file a stage started from (a shipped model's name, or a release file), else None."""
    name = shipped_name_of(checkpoint)
    if name is not None:
        return shipped_path(name)
    path = Path(checkpoint)
    if path.is_file():
        saved = read_torch_file(path)
        if isinstance(saved, dict) and saved.get("format") in RELEASE_FORMATS:
            return path
    return None


def training_lineage(run_dir: str | Path) -> list[dict[str, Any]]:
    """The training stages that made ``run_dir/model.pt``, first stage first.

    Each run folder holds the config.yaml that plmlib.train wrote (config + provenance); a stage that started from
    another run's model.pt (``config.model.checkpoint``) is preceded by that run's stages, followed recursively; one
    that started from a release (a shipped model's name or a release file) by the stages that release records.
    A starting checkpoint without a config.yaml beside it ends the chain with an entry saying so."""
    stages: list[dict[str, Any]] = []
    run, seen = Path(run_dir), set()
    while True:
        config_path = run / "config.yaml"
        if not config_path.is_file():
            raise FileNotFoundError(f"{config_path}: no training config (expected a run folder written by "
                                    "plm train, with config.yaml and model.pt)")
        if run.resolve() in seen:
            raise ValueError(f"{run}: the runs' checkpoints form a cycle")
        seen.add(run.resolve())
        saved = yaml.safe_load(config_path.read_text())
        config, prov = saved.get("config", {}), saved.get("provenance", {})
        parent = (config.get("model") or {}).get("checkpoint")
        stages.insert(0, {"run": run.name, "stage": config.get("stage"), "iterations": config.get("iterations"),
                          "seed": (config.get("run") or {}).get("seed"), "command": prov.get("command"),
                          "git_sha": prov.get("git_sha"), "created": prov.get("created"),
                          "starts_from": parent, "config": config})
        if not parent:
            return stages
        release = _release_of(parent)
        if release is not None:  # started from a release (a longer pre-training): its recorded lineage comes first
            stages[0]["starts_from_sha256"] = file_digest(release)
            return list(read_release(release).get("provenance", {}).get("training", [])) + stages
        parent_run = Path(parent).parent
        if not (parent_run / "config.yaml").is_file():
            stages.insert(0, {"checkpoint": parent, "note": "no config.yaml beside it: its training is not recorded"})
            return stages
        run = parent_run


def release_run(run: str | Path, out: str | Path | None = None, description: str = "") -> tuple[Path, dict]:
    """Export ``run/model.pt`` (a training run folder, from ``plm train``) as a release file at ``out`` (default:
    the default that ships, :func:`plmlib.model.release.shipped_path`), with its training lineage, the git SHA and
    the checkpoint's sha256 as provenance. Returns the release's path and that provenance."""
    run = Path(run)
    out = shipped_path() if out is None else Path(out)
    source = run / "model.pt"
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no model.pt in the run folder (has the run finished?)")
    provenance = {"name": out.stem, "description": description,
                  "training": training_lineage(run), "exported_by": "plm release",
                  "exported_at_git_sha": git_sha(), "source_checkpoint_sha256": file_digest(source)}
    return export_release(load_checkpoint(source), out, provenance=provenance), provenance
