"""``plm notebooks``: execute the numbered notebook course with papermill, and keep committed notebooks clean.

Each notebook in ``notebooks/`` (``00_overview.ipynb`` ...) has a cell tagged ``parameters`` with
``profile``, ``data_root`` and ``output_dir``. :func:`run_notebooks` executes them in order into
``OUTPUT/executed/`` (the committed files are never modified by a run), with the working directory set to
``notebooks/`` as nbval uses it. :func:`clean_notebook` strips what changes from run to run (execution
counts and times, papermill's metadata) so that the committed notebooks, run under ``smoke``, diff cleanly.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from plmlib.io import atomic_write
from plmlib.profiles import PROFILES, REPO_ROOT

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


def list_notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The course's notebooks, in order (``NN_name.ipynb``)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def clean_notebook(path: str | Path, keep_outputs: bool = True) -> None:
    """Remove volatile metadata from a notebook in place (atomically); outputs are kept unless told."""
    path = Path(path)
    notebook = json.loads(path.read_text())
    notebook["metadata"].pop("papermill", None)
    notebook["metadata"].pop("widgets", None)
    notebook["metadata"].get("language_info", {}).pop("version", None)
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
) -> list[dict]:
    """Execute the course under ``profile``; returns one timing record per notebook.

    ``names``: a subset by prefix (``["00", "02"]``). ``update_committed``: write the executed, cleaned
    notebooks back over ``notebooks/*.ipynb`` (how the committed smoke outputs are refreshed).
    """
    import papermill

    output_dir = Path(output_dir).resolve()
    executed_dir = output_dir / "executed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    notebooks = list_notebooks()
    if names:
        notebooks = [p for p in notebooks if any(p.name.startswith(n) for n in names)]
        if not notebooks:
            raise ValueError(f"no notebook matches {names} in {NOTEBOOKS_DIR}")
    records = []
    for notebook in notebooks:
        target = executed_dir / notebook.name
        started = time.perf_counter()
        print(f"[{profile}] {notebook.name} ...", flush=True)
        papermill.execute_notebook(
            str(notebook),
            str(target),
            parameters={"profile": profile, "data_root": data_root, "output_dir": str(output_dir)},
            cwd=str(NOTEBOOKS_DIR),
            progress_bar=False,
            kernel_name="python3",
        )
        seconds = time.perf_counter() - started
        clean_notebook(target)
        if update_committed:
            with atomic_write(notebook) as tmp:
                tmp.write_text(target.read_text())
        records.append({"notebook": notebook.name, "profile": profile, "seconds": round(seconds, 1)})
        print(f"[{profile}] {notebook.name} done in {seconds:.1f} s", flush=True)
    with atomic_write(output_dir / "timings.json") as tmp:
        tmp.write_text(json.dumps(records, indent=2))
    return records


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="classroom", choices=sorted(PROFILES))
    parser.add_argument("--out", type=Path, default=Path("outputs/notebooks"), help="executed notebooks, figures, tables")
    parser.add_argument("--only", default="", help="comma-separated notebook prefixes, e.g. 00,02")
    parser.add_argument("--data-root", default=None, help="DAVIS 2016 root (default: PLM_DAVIS_ROOT)")
    parser.add_argument(
        "--update-committed", action="store_true", help="write the executed notebooks back into notebooks/ (smoke)"
    )
    parser.add_argument("--clean", action="store_true", help="only clean the committed notebooks' metadata")


def run(args: argparse.Namespace) -> int:
    if args.clean:
        for notebook in list_notebooks():
            clean_notebook(notebook)
            print(f"cleaned {notebook}")
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()] or None
    started = time.perf_counter()
    records = run_notebooks(args.profile, args.out, names, args.data_root, args.update_committed)
    total = time.perf_counter() - started
    print(f"\n{len(records)} notebooks in {total:.0f} s under profile {args.profile!r}.")
    print(f"Executed notebooks: {Path(args.out) / 'executed'}")
    print(f"Figures: {REPO_ROOT / 'figures' if PROFILES[args.profile].figures_in_repo else Path(args.out) / 'figures'}")
    print(f"Tables and other outputs: {args.out}; timings in {Path(args.out) / 'timings.json'}")
    return 0
