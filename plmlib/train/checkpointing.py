"""What a training run leaves on disk so that it can stop and resume to the same result: checkpoints and loss.csv.

A training checkpoint is a plmlib model checkpoint (``plmlib.model.save_checkpoint``: config + weights, so
``load_checkpoint`` rebuilds the model from it) whose ``extra`` also holds everything else a resumed run needs:
the step, the optimiser, the learning-rate scheduler, the mixed-precision scaler, the RNG states of python, numpy
and torch (CPU and CUDA) and the data sampler's position. Files are written atomically (temporary file + rename):
an interrupted write never leaves a half checkpoint, so "the newest checkpoint" is always a complete one.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from plmlib.model import PLMNet, read_checkpoint, save_checkpoint

CHECKPOINT_GLOB = "checkpoint_*.pt"


# ---------------------------------------------------------------------------------------------------------------- #
# RNG states (as plain values and tensors: checkpoints are read with torch.load(weights_only=True))
def rng_state() -> dict[str, Any]:
    """The global RNG states of python, numpy and torch (and CUDA when present)."""
    np_state = np.random.get_state()
    state = {
        "python": _plain_tuple(random.getstate()),
        "numpy": {"name": np_state[0], "key": torch.from_numpy(np_state[1].astype(np.int64)),
                  "pos": int(np_state[2]), "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured."""
    random.setstate(_tuple_back(state["python"]))
    n = state["numpy"]
    np.random.set_state((n["name"], n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _plain_tuple(value: Any) -> Any:
    return [_plain_tuple(v) for v in value] if isinstance(value, (tuple, list)) else value


def _tuple_back(value: Any) -> Any:
    return tuple(_tuple_back(v) for v in value) if isinstance(value, list) else value


# ---------------------------------------------------------------------------------------------------------------- #
# checkpoints
def checkpoint_path(out_dir: str | Path, step: int) -> Path:
    return Path(out_dir) / "checkpoints" / f"checkpoint_{step:07d}.pt"


def save_training_checkpoint(out_dir: str | Path, net: PLMNet, *, step: int, optimizer: torch.optim.Optimizer,
                             scheduler: Any, scaler: Any, sampler: dict[str, Any], config: dict[str, Any],
                             keep: int = 2) -> Path:
    """Write checkpoints/checkpoint_<step>.pt and delete all but the newest ``keep``."""
    path = save_checkpoint(checkpoint_path(out_dir, step), net, optimizer=optimizer, extra={
        "step": int(step),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
        "rng": rng_state(),
        "sampler": dict(sampler),
        "train_config": config,
    })
    if keep > 0:
        for old in list_checkpoints(out_dir)[:-keep]:
            old.unlink(missing_ok=True)
    return path


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """Training checkpoints of a run, oldest first."""
    return sorted((Path(out_dir) / "checkpoints").glob(CHECKPOINT_GLOB))


def find_resume(out_dir: str | Path, resume: str) -> Path | None:
    """The checkpoint to resume from: ``auto`` = the newest in out_dir (None if none), ``never``, or a file."""
    if resume == "never":
        return None
    if resume == "auto":
        found = list_checkpoints(out_dir)
        return found[-1] if found else None
    path = Path(resume)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint to resume from at {path}")
    return path


def load_training_checkpoint(path: str | Path, net: PLMNet, *, optimizer: torch.optim.Optimizer, scheduler: Any,
                             scaler: Any, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Restore weights, optimiser, scheduler, scaler and RNG states in place; returns ``extra`` (step, sampler)."""
    ckpt = read_checkpoint(path, map_location="cpu")
    net.load_state_dict(ckpt["state_dict"], strict=True)
    optimizer.load_state_dict(ckpt["optimizer"])
    extra = ckpt["extra"]
    scheduler.load_state_dict(extra["scheduler"])
    if scaler is not None and extra.get("scaler") is not None:
        scaler.load_state_dict(extra["scaler"])
    set_rng_state(extra["rng"])
    return extra


# ---------------------------------------------------------------------------------------------------------------- #
# the loss log
class LossLog:
    """loss.csv of a run: one row per step (step, loss, lr, seconds since the run's start); written as it goes.

    Resuming at step k drops rows after k (the interrupted run may have logged steps it never checkpointed), so
    the file always describes the run that produced the newest weights.
    """

    FIELDS = ("step", "loss", "lr", "elapsed_s")

    def __init__(self, path: str | Path, resume_step: int = 0, enabled: bool = True):
        self.path, self.enabled = Path(path), enabled
        self.offset = 0.0
        if not enabled:
            return
        rows = []
        if resume_step > 0 and self.path.is_file():
            with self.path.open(newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
            self.offset = float(rows[-1]["elapsed_s"]) if rows else 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("w", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(self.FIELDS)
        for r in rows:
            self.writer.writerow([r[k] for k in self.FIELDS])
        self.file.flush()

    def write(self, step: int, loss: float, lr: float, elapsed: float) -> None:
        if self.enabled:
            self.writer.writerow([step, f"{loss:.6f}", f"{lr:.3e}", f"{self.offset + elapsed:.2f}"])
            self.file.flush()

    def close(self) -> None:
        if self.enabled:
            self.file.close()


def read_loss_csv(path: str | Path) -> dict[str, np.ndarray]:
    """loss.csv as arrays {step, loss, lr, elapsed_s}."""
    with Path(path).open(newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in LossLog.FIELDS}


def plot_loss(csv_path: str | Path, png_path: str | Path, title: str = "pre-training loss",
              smooth: int = 50, marks: list[int] | tuple[int, ...] = (),
              marks_label: str = "feature pool refreshed") -> Path:
    """A PNG of the per-step loss (light) and its running mean over ``smooth`` steps (dark), log-scaled y;
    ``marks``: steps drawn as dotted vertical lines (e.g. feature-pool refreshes, where fresh pairs arrive)."""
    import matplotlib  # lazy: Agg is chosen when drawing; chosen at import, it would change a notebook's backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: after use("Agg")

    log = read_loss_csv(csv_path)
    step, loss = log["step"], log["loss"]
    k = max(1, min(smooth, len(loss)))
    running = np.convolve(loss, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.plot(step, loss, color="tab:blue", alpha=0.25, lw=0.8, label="loss per step")
    ax.plot(step[k - 1:], running, color="tab:blue", lw=2, label=f"mean of {k} steps")
    for i, m in enumerate(marks):
        ax.axvline(m, color="grey", ls=":", lw=1, label=marks_label if i == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("pixel cross-entropy")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    Path(png_path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path)
    plt.close(fig)
    return Path(png_path)
