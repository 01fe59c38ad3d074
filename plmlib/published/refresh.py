"""Rebuild the published-number tables of this package from the developers' ``shared/`` folder.

    plm published refresh ../shared

Copies the slides' tables (``shared/paper/*.csv``, transcribed from the authors' slides) and converts the
official DAVIS 2016 leaderboard data (``shared/data/davis2016_leaderboard``: per-frame J and F of published
methods as JSON strings, and the summary of every method) to tidy CSV. Numbers only: no frame or mask.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent


#: the developers' shared/ folder beside the checkout (``plm published refresh``'s default)
DEFAULT_SHARED = HERE.parents[2] / "shared"


def refresh(shared: Path = DEFAULT_SHARED) -> None:
    """Copy the slides' tables and convert the leaderboard data of ``shared`` into this package's CSVs."""
    shared = Path(shared)
    (HERE / "paper").mkdir(exist_ok=True)
    for table in sorted((shared / "paper").glob("*.csv")):
        shutil.copyfile(table, HERE / "paper" / table.name)
    board = shared / "data" / "davis2016_leaderboard"
    (HERE / "leaderboard").mkdir(exist_ok=True)
    for path in sorted(board.glob("*_davis.json")):
        data = json.loads(path.read_text())
        method = data.pop("id")
        rows = []
        for sequence in sorted(data):
            values = data[sequence]
            n = len(values["J"])
            for i in range(n):  # the leaderboard scores frames 1 .. n-2 of each sequence
                rows.append([sequence, i + 1, values["J"][i], values["F"][i]])
        with open(HERE / "leaderboard" / f"{method}_per_frame.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["sequence", "frame", "J", "F"])
            writer.writerows(rows)
    text = (board / "global_eval_val_2016.js").read_text()
    summary = json.loads(re.sub(r"^\s*var\s+\w+\s*=\s*", "", text).rstrip().rstrip(";"))
    with open(HERE / "leaderboard" / "summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        columns = ["Jmean", "Jrecall", "Jdecay", "Fmean", "Frecall", "Fdecay", "T"]
        writer.writerow(["method", *columns])
        for method in summary["techniques"]:
            writer.writerow([method, *(summary[method].get(c, "") for c in columns)])
        writer.writerow(["ground_truth", "", "", "", "", "", "", summary["Tgt"]])
