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
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml

from plmlib.core.paths import RESULTS_DIR
from plmlib.core.seeding import seed_everything
from plmlib.data import DatasetNotFoundError, Davis2016, write_dataset
from plmlib.data.roots import environment_root
from plmlib.data.synthetic import DEFAULT_SIZE, SCENARIOS

THREADS_ENV = "PLM_NUM_THREADS"  # torch CPU threads of a notebook run (unset: torch's default)
COMMITTED_THREADS = 1  # the thread count the committed smoke outputs are executed with (plm notebooks --update-committed)


@dataclass(frozen=True)
class Budgets:
    """How much work each notebook does under a profile (ours: sized so that the profile meets its time target).
    A notebook reads its budget from here (``settings.budgets.ablation_frames``), never from a table of its own.

      finetune_iterations       PLM's first-frame fine-tuning steps with the shipped network (notebooks 05, 10;
                                None: the shipped network's own budget, :data:`plmlib.model.release.RELEASE_FINETUNE`)
      fresh_finetune_iterations fine-tuning steps of a network that learns the object from one frame only (a fresh
                                ``small`` network in 05 under smoke; the pre-trained-only network of 04)
      finetune_pool             pairs in the fine-tuning feature pool of those runs (cache.pool_size)
      plm_checkpoint            the network of notebook 05's walk-through and 09's pre-trained network: "shipped"
                                or None (05: a fresh ``small``; 09: a ``small`` one pre-trained for seconds on
                                synthetic RGB videos)
      pretrain_profile          the plmlib.train profile notebook 04 pre-trains with (the ``paper`` profile's own
                                pre-training, 20k steps on a GPU, is ``plm train pretrain --profile paper``)
      pretrain_iterations       04's pre-training steps on DAVIS (None: the training profile's own)
      ablation_videos           06's videos (None: the profile's sequences); ablation_frames: frames used per
                                video (None: all); ablation_iterations: first-frame fine-tuning steps of the shipped
                                network per video, shared by PLM, PLM_U and PLM_P (None: its own budget)
      benchmark_sequences       07's small benchmark: how many of the profile's sequences (None: all)
      transfer_video, transfer_frames, transfer_iterations, transfer_lr   09's video, frames used (None: all),
                                fine-tuning steps and learning rate
      pretrain_pool             pairs in the feature pool of 04's pre-training on DAVIS (None: the training profile's)
      ablation_pool             06: pairs in the shipped network's fine-tuning feature pool (cache.pool_size; None: its
                                own). Encoding the pool is most of a short fine-tuning's time on a CPU
    """

    finetune_iterations: int | None
    fresh_finetune_iterations: int
    finetune_pool: int
    plm_checkpoint: str | None
    pretrain_profile: str
    pretrain_iterations: int | None
    ablation_videos: tuple[str, ...] | None
    ablation_frames: int | None
    ablation_iterations: int | None
    benchmark_sequences: int | None
    transfer_video: str
    transfer_frames: int | None
    transfer_iterations: int
    transfer_lr: float
    pretrain_pool: int | None
    ablation_pool: int | None


@dataclass(frozen=True)
class Profile:
    """What a profile changes: its data, and the budgets of its notebooks (:class:`Budgets`).

    The names are the training profiles' (``plmlib.train.config.PROFILE_NAMES``): ``plm train pretrain --profile classroom``
    is the pre-training that the classroom profile's notebooks stand on (04 runs a short one of its own)."""

    name: str
    description: str
    use_davis: bool  # use DAVIS 2016 when it is available
    require_davis: bool  # refuse to run without it
    synthetic_frames: int
    davis_sequences: tuple[str, ...] | None  # val sequences to use; None = all 20
    progress: bool  # progress bars (off in smoke: nbval compares outputs)
    budgets: Budgets
    synthetic_size: tuple[int, int] = DEFAULT_SIZE
    scenarios: tuple[str, ...] = tuple(SCENARIOS)


_SMOKE_BUDGETS = Budgets(
    finetune_iterations=5, fresh_finetune_iterations=60, finetune_pool=32, plm_checkpoint=None,
    pretrain_profile="smoke", pretrain_iterations=None,
    ablation_videos=("occlusion",), ablation_frames=14, ablation_iterations=5,
    benchmark_sequences=3,
    transfer_video="synthetic-translate", transfer_frames=None, transfer_iterations=20, transfer_lr=1e-3,
    pretrain_pool=None, ablation_pool=16)
_CLASSROOM_BUDGETS = replace(
    _SMOKE_BUDGETS, finetune_iterations=20, fresh_finetune_iterations=100, finetune_pool=128,
    plm_checkpoint="shipped", pretrain_profile="classroom", pretrain_iterations=120,
    ablation_videos=("car-shadow", "blackswan"), ablation_frames=16, ablation_iterations=10, benchmark_sequences=3,
    transfer_video="car-shadow", transfer_frames=30, transfer_iterations=60, transfer_lr=1e-4,
    pretrain_pool=128, ablation_pool=16)
_PAPER_BUDGETS = replace(
    _CLASSROOM_BUDGETS, finetune_iterations=None, ablation_videos=None, ablation_frames=None,
    ablation_iterations=None, benchmark_sequences=None, transfer_frames=None, transfer_iterations=100,
    pretrain_pool=128, ablation_pool=None)

_CLASSROOM = Profile(
    name="classroom",
    description="a laptop CPU: DAVIS 2016 if present (a few val sequences), else synthetic videos",
    use_davis=True, require_davis=False, synthetic_frames=24,
    davis_sequences=("blackswan", "car-shadow", "drift-chicane", "camel", "paragliding-launch"),
    progress=True, budgets=_CLASSROOM_BUDGETS)

PROFILES: dict[str, Profile] = {
    "smoke": replace(_CLASSROOM, name="smoke", description="CI: synthetic videos, seconds per notebook",
                     use_davis=False, synthetic_frames=12, davis_sequences=None, progress=False,
                     budgets=_SMOKE_BUDGETS),
    "classroom": _CLASSROOM,
    "paper": replace(_CLASSROOM, name="paper",
                     description="a GPU and the full DAVIS 2016: the paper's protocol on all 20 val sequences",
                     require_davis=True, davis_sequences=None, budgets=_PAPER_BUDGETS),
}
RUN_TIMES = RESULTS_DIR / "course" / "run_times.csv"  # measured by plm notebooks --record-times


def measured_run_times(notebook: str, path: str | os.PathLike = RUN_TIMES) -> dict[str, tuple[float, int]]:
    """Seconds a notebook (its name or number prefix, e.g. ``"04"``) took under each profile in the recorded runs
    (``plm notebooks --record-times``), with the CPU count of the machine; a profile never recorded is left out."""
    path = Path(path)
    if not path.is_file():
        return {}
    table = pd.read_csv(path)
    rows = table[table.notebook.str.startswith(f"{notebook}_")].set_index("profile")  # "04" -> 04_*.ipynb
    return {profile: (float(rows.at[profile, "seconds"]), int(rows.at[profile, "cpus"]))
            for profile in PROFILES if profile in rows.index}


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``."""
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def run_time_line(notebook: str, path: str | os.PathLike = RUN_TIMES) -> str:
    """One line that says how long a notebook takes under each profile, from the recorded runs."""
    times = measured_run_times(notebook, path)
    if not times:
        return "run time: not measured yet (plm notebooks --record-times)"
    known = ", ".join(f"{profile} {format_seconds(s)} ({cpus} CPU cores)" for profile, (s, cpus) in times.items())
    missing = [p for p in PROFILES if p not in times and p != "smoke"]  # smoke is CI's: seconds
    return f"run time: {known}" + (f"; {', '.join(missing)}: not measured" if missing else "")


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
    notebook: str | None = None  # the notebook's number ("04"): describe() says how long it takes

    @property
    def budgets(self) -> Budgets:
        """How much work this profile's notebooks do."""
        return self.profile.budgets

    def figure_path(self, name: str) -> Path:
        """Where a figure with the stable name ``name`` (e.g. ``"02_drift.png"``) is saved."""
        return self.figures_dir / name

    def describe(self) -> str:
        source = "DAVIS 2016" if self.dataset == "davis2016" else "synthetic videos (generated, exact ground truth)"
        return (
            f"profile {self.profile.name!r} ({self.profile.description}); data: {source} at {self.data_root}; "
            f"{len(self.sequences)} sequences; outputs in {self.output_dir}; figures in {self.figures_dir}"
            + (f"; {run_time_line(self.notebook)}" if self.notebook else "")
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
    import torch  # lazy: only when PLM_NUM_THREADS is set; a notebook's settings need no torch otherwise

    torch.set_num_threads(threads)
    return threads


def notebook_settings(
    profile: str = "smoke",
    data_root: str | os.PathLike | None = None,
    output_dir: str | os.PathLike = "outputs/notebooks",
    seed: int = 0,
    notebook: str | None = None,
) -> NotebookSettings:
    """Resolve a notebook's parameters: the data to use, where outputs and figures go; seeds everything and applies
    ``PLM_NUM_THREADS``.

    DAVIS 2016 comes from ``data_root`` or ``PLM_DAVIS_ROOT`` when the profile uses it; otherwise the
    profile's synthetic videos are generated once into ``output_dir/synthetic`` and reused. Figures go to
    ``output_dir/figures``. ``notebook``: its number (``"04"``), so that :meth:`NotebookSettings.describe` says
    how long it takes under each profile.
    """
    chosen = get_profile(profile)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    threads = apply_threads()
    seed_everything(seed)
    davis_root = data_root or environment_root("davis2016")
    if chosen.use_davis and davis_root:
        val = Davis2016(davis_root, split="val")
        names = [n for n in (chosen.davis_sequences or val.names) if n in val.names]
        dataset, root = "davis2016", val.root
    elif chosen.require_davis:
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
    return NotebookSettings(chosen, dataset, Path(root), output_dir, figures_dir, seed, names, threads, notebook)


def _synthetic_root(profile: Profile, root: Path, seed: int) -> Path:
    """Generate the profile's synthetic dataset unless an identical one is already there."""
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
