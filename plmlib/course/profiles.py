"""The three run profiles of the notebooks and the main job: ``smoke``, ``classroom``, ``paper``.

Every notebook has one ``parameters`` cell (papermill) with ``profile``, ``data_root`` and ``output_dir``;
the next cell calls :func:`notebook_settings`, which derives everything else from the profile, so that the
same notebook runs in CI in seconds, on a laptop CPU in minutes, and on a GPU with the full data.

=========  ===============================  =====================================================
profile    data                             meant for
=========  ===============================  =====================================================
smoke      synthetic videos, always         CI: every notebook in seconds, outputs compared by nbval
classroom  DAVIS 2016 if present, else      a laptop CPU: minutes per notebook
           synthetic (said so)
paper      DAVIS 2016, required             a GPU and the full data: the paper's protocol
=========  ===============================  =====================================================

Every profile writes only under ``output_dir`` (figures in ``output_dir/figures``): running the course never
modifies the checkout. The committed ``figures/`` are refreshed on purpose, from DAVIS 2016, by
``plm notebooks --refresh-figures`` (``make figures``).

Threads: torch's default (the machine's cores) unless ``PLM_NUM_THREADS`` says otherwise. The committed smoke
outputs are executed with :data:`COMMITTED_THREADS`; the test suite runs them with another count, a cheap stand-in
for another CPU, so that nothing nbval compares can depend on float sums of training.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from plmlib.core.seeding import seed_everything
from plmlib.data.roots import environment_root
from plmlib.data.synthetic import DEFAULT_SIZE, SCENARIOS

REPO_ROOT = Path(__file__).resolve().parents[2]
THREADS_ENV = "PLM_NUM_THREADS"  # torch CPU threads of a notebook run (unset: torch's default)
COMMITTED_THREADS = 1  # the thread count the committed smoke outputs are executed with (plm notebooks --update-committed)


@dataclass(frozen=True)
class Profile:
    """What a profile changes. Numbers are budgets, chosen so that each profile meets its time target."""

    name: str
    description: str
    use_davis: bool  # use DAVIS 2016 when it is available
    require_davis: bool  # refuse to run without it
    synthetic_frames: int
    synthetic_size: tuple[int, int]
    scenarios: tuple[str, ...]
    davis_sequences: tuple[str, ...] | None  # val sequences to use; None = all 20
    progress: bool  # progress bars (off in smoke: nbval compares outputs)
    # PLM's first-frame fine-tuning steps per video in the notebooks that run it (ours; None: the shipped network's
    # own budget, plmlib.model.release.RELEASE_FINETUNE)
    finetune_iterations: int | None


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="CI: synthetic videos, seconds per notebook",
        use_davis=False,
        require_davis=False,
        synthetic_frames=12,
        synthetic_size=DEFAULT_SIZE,
        scenarios=tuple(SCENARIOS),
        davis_sequences=None,
        progress=False,
        finetune_iterations=5,
    ),
    "classroom": Profile(
        name="classroom",
        description="a laptop CPU: DAVIS 2016 if present (a few val sequences), else synthetic videos",
        use_davis=True,
        require_davis=False,
        synthetic_frames=24,
        synthetic_size=DEFAULT_SIZE,
        scenarios=tuple(SCENARIOS),
        davis_sequences=("blackswan", "car-shadow", "drift-chicane", "camel", "paragliding-launch"),
        progress=True,
        finetune_iterations=20,
    ),
    "paper": Profile(
        name="paper",
        description="a GPU and the full DAVIS 2016: the paper's protocol on all 20 val sequences",
        use_davis=True,
        require_davis=True,
        synthetic_frames=24,
        synthetic_size=DEFAULT_SIZE,
        scenarios=tuple(SCENARIOS),
        davis_sequences=None,
        progress=True,
        finetune_iterations=None,
    ),
}


@dataclass
class NotebookSettings:
    """Everything a notebook derives from its parameters cell."""

    profile: Profile
    dataset: str  # "davis2016" or "synthetic"
    data_root: Path  # a DAVIS 2016-layout root (the synthetic videos are written in that layout)
    output_dir: Path
    figures_dir: Path
    seed: int
    sequences: list[str] = field(default_factory=list)  # val sequences this profile uses
    threads: int | None = None  # torch CPU threads set from PLM_NUM_THREADS (None: torch's default)

    def figure_path(self, name: str) -> Path:
        """Where a figure with the stable name ``name`` (e.g. ``"02_drift.png"``) is saved."""
        return self.figures_dir / name

    def describe(self) -> str:
        source = "DAVIS 2016" if self.dataset == "davis2016" else "synthetic videos (generated, exact ground truth)"
        return (
            f"profile {self.profile.name!r} ({self.profile.description}); data: {source} at {self.data_root}; "
            f"{len(self.sequences)} sequences; outputs in {self.output_dir}; figures in {self.figures_dir}"
        )


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r} (expected one of {', '.join(PROFILES)})")
    return PROFILES[name]


def apply_threads() -> int | None:
    """Set torch's CPU threads from ``PLM_NUM_THREADS`` when it is set; returns the count set (None: unchanged)."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return None
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"{THREADS_ENV}={value!r}: expected a whole number >= 1")
    import torch

    torch.set_num_threads(threads)
    return threads


def notebook_settings(
    profile: str = "smoke",
    data_root: str | os.PathLike | None = None,
    output_dir: str | os.PathLike = "outputs/notebooks",
    seed: int = 0,
) -> NotebookSettings:
    """Resolve a notebook's parameters: the data to use, where outputs and figures go; seeds everything and applies
    ``PLM_NUM_THREADS``.

    DAVIS 2016 comes from ``data_root`` or ``PLM_DAVIS_ROOT`` when the profile uses it; otherwise the
    profile's synthetic videos are generated once into ``output_dir/synthetic`` and reused. Figures go to
    ``output_dir/figures``.
    """
    chosen = get_profile(profile)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    threads = apply_threads()
    seed_everything(seed)
    davis_root = data_root or environment_root("davis2016")
    if chosen.use_davis and davis_root:
        from plmlib.data import Davis2016

        val = Davis2016(davis_root, split="val")
        names = [n for n in (chosen.davis_sequences or val.names) if n in val.names]
        dataset, root = "davis2016", val.root
    elif chosen.require_davis:
        from plmlib.data import DatasetNotFoundError

        raise DatasetNotFoundError(
            f"profile {profile!r} needs DAVIS 2016: pass data_root or set PLM_DAVIS_ROOT "
            "(python data_download/davis2016.py gets it)"
        )
    else:
        root = _synthetic_root(chosen, output_dir / "synthetic", seed)
        names = [f"synthetic-{s}" for s in chosen.scenarios]
        dataset = "synthetic"
    figures_dir = output_dir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    return NotebookSettings(chosen, dataset, Path(root), output_dir, figures_dir, seed, names, threads)


def _synthetic_root(profile: Profile, root: Path, seed: int) -> Path:
    """Generate the profile's synthetic dataset unless an identical one is already there."""
    import yaml

    from plmlib.data import write_dataset

    stamp = {
        "frames": profile.synthetic_frames,
        "size": list(profile.synthetic_size),
        "scenarios": list(profile.scenarios),
        "seed": seed,
    }
    stamp_file = root / "synthetic.yaml"
    if stamp_file.is_file() and yaml.safe_load(stamp_file.read_text()) == stamp:
        return root
    write_dataset(
        root,
        val=profile.scenarios,
        train=profile.scenarios,
        n_frames=profile.synthetic_frames,
        size=profile.synthetic_size,
        seed=seed,
        overwrite=True,
    )
    stamp_file.write_text(yaml.safe_dump(stamp))
    return root
