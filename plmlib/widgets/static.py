"""The widget's fallback: a static figure of the session, titled with the reason it is static.

Shown where widgets cannot render: a front end without the widget manager, nbconvert, a static viewer (the view puts
it in its output's ``image/png``), or a Python without ipywidgets/anywidget (``plmlib.widgets.show``).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure  # not pyplot: nothing is shown twice, nothing of the user's is closed

if TYPE_CHECKING:
    from plmlib.widgets.session import PropagationSession

STATIC_MESSAGE = ("Static preview: the interactive widget needs JupyterLab (or Notebook 7) with ipywidgets and a "
                  "running kernel; run this cell there.")


def static_figure(session: PropagationSession, index: int = 0, mode: str = "fill", opacity: float = 0.5):
    """A matplotlib figure of one frame with its mask (and the per-frame J when there is any), titled with the
    reason it is static."""
    if mode == "error" and session.gt(index) is None:
        mode = "fill"
    values = session.frame_j()
    has_j = not np.all(np.isnan(values))
    figure = Figure(figsize=(6, 4 if has_j else 3.4), dpi=64)
    grid = figure.add_gridspec(2 if has_j else 1, 1, height_ratios=[4, 1] if has_j else [1])
    ax = figure.add_subplot(grid[0])
    ax.imshow(session.render(index, mode, opacity))
    ax.set_title(f"{session.name}, frame {index}", fontsize=9)
    ax.axis("off")
    if has_j:
        strip = figure.add_subplot(grid[1])
        strip.bar(np.arange(len(values)), np.nan_to_num(values), color="#4a8")
        strip.set_ylim(0, 1)
        strip.set_ylabel("J", fontsize=8)
        strip.tick_params(labelsize=7)
    figure.suptitle(STATIC_MESSAGE, fontsize=8, wrap=True)
    return figure


def static_png(session: PropagationSession, index: int = 0, mode: str = "fill", opacity: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    static_figure(session, index, mode, opacity).savefig(buffer, format="png")
    return buffer.getvalue()
