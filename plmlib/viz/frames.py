"""Frames and masks as pictures: a strip of frames with their masks, for notebooks and figures."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from plmlib.io import overlay_mask


def frame_strip(
    frames: Sequence[np.ndarray],
    masks: Sequence[np.ndarray | None] | None = None,
    indices: Sequence[int] | None = None,
    titles: Sequence[str] | None = None,
    rows: dict[str, Sequence[np.ndarray | None]] | None = None,
    width: float = 2.6,
    truth: Sequence[np.ndarray] | None = None,
):
    """A grid of frames: one column per index; one row per mask source (``rows``), or one row.

    ``rows`` maps a row label (``"ground truth"``, ``"flow"``) to per-frame masks; ``masks`` alone gives
    a single row. With ``truth`` (per-frame true masks) every mask is drawn against it in notebook 01's colours
    (``plmlib.viz.metrics.region_overlay``: found green, false alarm red, missed blue), with a legend. Returns the
    matplotlib Figure.
    """
    from plmlib.viz.metrics import region_legend, region_overlay

    indices = list(indices if indices is not None else np.linspace(0, len(frames) - 1, 5).round().astype(int))
    rows = rows if rows is not None else {"": masks}
    height = width * frames[0].shape[0] / frames[0].shape[1]
    figure, axes = plt.subplots(len(rows), len(indices), figsize=(width * len(indices), height * len(rows)), squeeze=False)
    for r, (label, row_masks) in enumerate(rows.items()):
        for c, index in enumerate(indices):
            frame = np.asarray(frames[index])
            mask = None if row_masks is None else row_masks[index]
            if mask is None:
                picture = frame
            elif truth is not None:
                picture = region_overlay(frame, truth[index], mask)
            else:
                picture = overlay_mask(frame, np.asarray(mask), alpha=0.45)
            axes[r, c].imshow(picture)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(titles[c] if titles else f"frame {index}", fontsize=9)
            if c == 0 and label:
                axes[r, c].set_ylabel(label, fontsize=9)
    figure.tight_layout()
    if truth is not None:
        region_legend(axes[0, -1], loc="lower left", bbox_to_anchor=(1.02, 0.0), borderaxespad=0.0)
    return figure
