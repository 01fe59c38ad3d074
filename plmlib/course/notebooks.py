"""The notebook course (``plm notebooks``): execute it with papermill, and keep the committed notebooks clean.

Each notebook in ``notebooks/`` (``00_overview.ipynb`` ...) has a cell tagged ``parameters`` with
``profile``, ``data_root`` and ``output_dir``. :func:`run_notebooks` executes them in order into
``OUTPUT/executed/`` with the working directory set to ``notebooks/`` as nbval uses it; everything a run writes
(figures included) stays under ``OUTPUT``, so the checkout is left as it was. Two options write into the checkout,
on purpose: ``--update-committed`` (the committed smoke outputs: executed with the parameters cell as it is, no
injected cell, with :data:`plmlib.course.profiles.COMMITTED_THREADS` threads) and ``--refresh-figures`` (the committed
``figures/``, from DAVIS 2016 only). :func:`clean_notebook` strips what changes from run to run (execution counts
and times, papermill's metadata and injected parameters) so that the committed notebooks diff cleanly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from plmlib.io import atomic_write
from plmlib.core.paths import NOTEBOOKS_DIR
from plmlib.course.profiles import COMMITTED_THREADS, THREADS_ENV

INJECTED_TAG = "injected-parameters"  # papermill's cell of run-time parameters: never committed


def list_notebooks(folder: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """The course's notebooks, in order (``NN_name.ipynb``); a FileNotFoundError that says where to get them when
    ``folder`` holds none (plmlib installed from a wheel has no ``notebooks/`` beside it)."""
    folder = Path(folder)
    notebooks = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(
            f"no course notebooks (NN_name.ipynb) in {folder}: the course ships with plmlib's source (its top-level "
            "notebooks/ folder), not with an installed package. Run plm notebooks from a clone of the source, "
            "or pass --notebooks PATH/TO/notebooks"
        )
    return notebooks


def clean_notebook(path: str | Path, keep_outputs: bool = True, keep_injected: bool = False) -> None:
    """Remove volatile metadata and papermill's injected-parameters cell from a notebook in place (atomically);
    outputs are kept unless told. ``keep_injected``: keep that cell (an executed copy says what it ran with)."""
    path = Path(path)
    notebook = json.loads(path.read_text())
    notebook["metadata"].pop("papermill", None)
    notebook["metadata"].pop("widgets", None)
    notebook["metadata"].get("language_info", {}).pop("version", None)
    if not keep_injected:
        notebook["cells"] = [c for c in notebook["cells"] if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])]
    for number, cell in enumerate(notebook["cells"], start=1):
        cell.setdefault("metadata", {})
        for key in ("papermill", "execution", "ExecuteTime", "collapsed", "scrolled"):
            cell["metadata"].pop(key, None)
        if cell["cell_type"] == "code":
            if keep_outputs:
                cell["execution_count"] = number
                for output in cell.get("outputs", []):
                    if "execution_count" in output:
                        output["execution_count"] = number
            else:
                cell["outputs"], cell["execution_count"] = [], None
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def run_notebooks(
    profile: str,
    output_dir: str | Path,
    names: list[str] | None = None,
    data_root: str | None = None,
    update_committed: bool = False,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    record_times: str | Path | None = None,
) -> list[dict]:
    """Execute the course under ``profile``; returns one timing record per notebook.

    ``names``: a subset by prefix (``["00", "02"]``). ``update_committed``: execute the notebooks as committed
    (the ``parameters`` cell unchanged, so ``smoke`` only, and :data:`COMMITTED_THREADS` threads) and write the
    executed, cleaned notebooks back over ``notebooks/*.ipynb`` (how the committed smoke outputs are refreshed).
    ``record_times``: a CSV of run times (:data:`plmlib.course.profiles.RUN_TIMES`) in which this run's rows replace
    those of the same notebook and profile, each notebook's as soon as it has run.
    """
    import papermill  # lazy: it starts a kernel manager; only running the course needs it

    if update_committed and profile != "smoke":
        raise ValueError(f"--update-committed refreshes the committed smoke outputs: profile must be 'smoke', not {profile!r}")
    output_dir = Path(output_dir).resolve()
    executed_dir = output_dir / "executed"
    notebooks = list_notebooks(notebooks_dir)
    if names:
        notebooks = [p for p in notebooks if any(p.name.startswith(n) for n in names)]
        if not notebooks:
            raise ValueError(f"no notebook matches {names} in {notebooks_dir}")
    executed_dir.mkdir(parents=True, exist_ok=True)
    # Committed outputs: the parameters cell as committed (relative output_dir, no injected cell), fixed threads.
    parameters = {} if update_committed else {"profile": profile, "data_root": data_root, "output_dir": str(output_dir)}
    environment = {THREADS_ENV: str(COMMITTED_THREADS)} if update_committed else {}
    records = []
    with _environment(environment):
        for number, notebook in enumerate(notebooks, start=1):
            target = executed_dir / notebook.name
            started = time.perf_counter()
            print(f"[{profile}] {number}/{len(notebooks)} {notebook.name} ...", flush=True)
            papermill.execute_notebook(
                str(notebook),
                str(target),
                parameters=parameters,
                cwd=str(Path(notebooks_dir)),
                progress_bar=False,
                kernel_name="python3",
            )
            seconds = time.perf_counter() - started
            clean_notebook(target, keep_injected=not update_committed)
            if update_committed:
                with atomic_write(notebook) as tmp:
                    tmp.write_text(target.read_text())
            records.append({"notebook": notebook.name, "profile": profile, "seconds": round(seconds, 1)})
            if record_times is not None:
                record_run_time(record_times, records[-1])
            print(f"[{profile}] {notebook.name} done in {seconds:.1f} s", flush=True)
    with atomic_write(output_dir / "timings.json") as tmp:
        tmp.write_text(json.dumps(records, indent=2))
    return records


def record_run_time(path: str | Path, record: dict) -> None:
    """Put one notebook's run time (``notebook``, ``profile``, ``seconds``) into the CSV at ``path``, replacing the
    row of the same notebook and profile, with the machine's CPU count and the date."""
    path = Path(path)
    row = {**record, "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    table = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=list(row))
    table = table[~((table.notebook == row["notebook"]) & (table.profile == row["profile"]))]
    table = pd.concat([table, pd.DataFrame([row])], ignore_index=True).sort_values(["notebook", "profile"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as tmp:
        table.to_csv(tmp, index=False)


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the kernels started inside the block (they inherit ours), then restore."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def refresh_figures(output_dir: str | Path, figures_dir: str | Path) -> list[Path]:
    """Copy the figures of a DAVIS run (``output_dir/figures/*.png``) over the committed ``figures/``, each
    atomically; returns the files written."""
    written = []
    for source in sorted((Path(output_dir) / "figures").glob("*.png")):
        target = Path(figures_dir) / source.name
        with atomic_write(target) as tmp:
            shutil.copyfile(source, tmp)
        written.append(target)
    return written
