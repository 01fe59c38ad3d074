"""Published numbers to compare with: the PLM paper's tables and the official DAVIS 2016 leaderboard.

- ``paper_table(name)``: the tables of the authors' slides, transcribed (``paper/<name>.csv``): per-sequence
  DAVIS 2016 J and F of HVS, NLC, JMP, SEA, BVS, PLM, PLM_P; the ablation (PLM_S, PLM_U, PLM); speed;
  SegTrack IoU; JumpCut error; Thermal-Road error. Two printed averages disagree with their rows (SegTrack
  BVS: rows 0.60, printed 0.70; JumpCut PLM_P: rows 9.23, printed 9.55); the tables keep what was printed.
- ``leaderboard_per_frame(method)``: per-frame J and F (frames 1 .. n-2) of a method on DAVIS 2016, from the
  benchmark's own evaluation data: hvs, nlc, jmp, sea, bvs (the paper's baselines), plm (the paper's
  leaderboard entry, which is PLM_P), osvos, fcp, msk, ofl.
- ``leaderboard_summary()``: every leaderboard method's J/F Mean, Recall, Decay and T on DAVIS 2016 val; the
  row ``ground_truth`` holds T of the ground-truth masks (0.088).

These are numbers, not data: no frame or mask of DAVIS is included. ``refresh.py`` rebuilds them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
PAPER_TABLES = tuple(sorted(p.stem for p in (HERE / "paper").glob("*.csv")))
LEADERBOARD_METHODS = tuple(sorted(p.stem.removesuffix("_per_frame") for p in (HERE / "leaderboard").glob("*_per_frame.csv")))


def paper_table(name: str) -> pd.DataFrame:
    """One table of the paper's slides, e.g. ``paper_table("davis2016_val_per_sequence")``."""
    if name not in PAPER_TABLES:
        raise KeyError(f"no paper table {name!r} (available: {', '.join(PAPER_TABLES)})")
    return pd.read_csv(HERE / "paper" / f"{name}.csv")


def leaderboard_per_frame(method: str) -> pd.DataFrame:
    """Per-frame J and F of a published method on DAVIS 2016 (columns sequence, frame, J, F)."""
    method = method.lower()
    if method not in LEADERBOARD_METHODS:
        raise KeyError(f"no leaderboard data for {method!r} (available: {', '.join(LEADERBOARD_METHODS)})")
    return pd.read_csv(HERE / "leaderboard" / f"{method}_per_frame.csv")


def leaderboard_summary() -> pd.DataFrame:
    """The DAVIS 2016 val summary of every leaderboard method, indexed by method name."""
    return pd.read_csv(HERE / "leaderboard" / "summary.csv", index_col="method")
