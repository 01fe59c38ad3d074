"""The folders of plmlib's source checkout: ``results/`` (the committed results the tables, figures and notebooks
read), ``figures/`` (the committed figures) and ``notebooks/`` (the course).

They exist in a clone of the repository, not in an installed wheel. Library functions read the committed results
from here by default; a function that writes takes its folder from its caller (the ``plm`` commands pass these as
their defaults), so that nothing in the library writes into the checkout unless told to.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "results"
FIGURES_DIR = REPO_ROOT / "figures"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
