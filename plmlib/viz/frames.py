"""Frames and masks as pictures: a strip of frames with their masks, for notebooks and figures.

    frame_strip(frames, masks)                                       # one row: each mask in its DAVIS colour
    frame_strip(frames, rows={"flow": ..., "BVS": ...}, truth=gt)    # one row per method, judged against the truth
                                                                     # (found green, false alarm red, missed blue)
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from plmlib.io import error_overlay, overlay_mask
from plmlib.viz.metrics import error_legend_handles


def zoom_window(masks: Sequence[np.ndarray | None], shape: tuple[int, int], margin: float = 0.3,
                min_side: int = 48) -> tuple[slice, slice]:
    """Rows and columns of ``shape`` around everything the ``masks`` cover, widened by ``margin`` of its size (at
    least ``min_side`` pixels a side) to the frame's aspect ratio; the whole frame when no mask covers anything."""
    height, width = shape
    covered = np.zeros(shape, bool)
    for mask in masks:
        if mask is not None:
            covered |= np.asarray(mask) > 0
    if not covered.any():
        return slice(0, height), slice(0, width)
    ys, xs = np.nonzero(covered)
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    h = max((ys.max() - ys.min() + 1) * (1 + 2 * margin), min_side)
    w = max((xs.max() - xs.min() + 1) * (1 + 2 * margin), min_side)
    h, w = max(h, w * height / width), max(w, h * width / height)  # the frame's aspect ratio
    h, w = min(h, height), min(w, width)
    top = int(round(min(max(cy - h / 2, 0), height - h)))
    left = int(round(min(max(cx - w / 2, 0), width - w)))
    return slice(top, top + int(round(h))), slice(left, left + int(round(w)))


def frame_strip(
    frames: Sequence[np.ndarray],
    masks: Sequence[np.ndarray | None] | None = None,
    indices: Sequence[int] | None = None,
    titles: Sequence[str] | None = None,
    rows: dict[str, Sequence[np.ndarray | None]] | None = None,
    width: float = 2.6,
    truth: Sequence[np.ndarray] | None = None,
    zoom: bool = False,
    title: str = "",
):
    """A grid of frames: one column per index; one row per mask source (``rows``), or one row.

    ``rows`` maps a row label (``"ground truth"``, ``"flow"``) to per-frame masks; ``masks`` alone gives a single
    row. With ``truth`` (per-frame ground truth), every row whose masks are not ``truth`` itself is drawn in the
    error colours of ``plmlib.io.ERROR_COLOURS`` (found green, false alarm red, missed blue; legend below the
    grid). ``zoom``: each column shows the part of its frame that the masks of that column (and the truth) cover,
    with a margin (:func:`zoom_window`), so that a small object stays readable. Returns the matplotlib Figure.
    """
    indices = list(indices if indices is not None else np.linspace(0, len(frames) - 1, 5).round().astype(int))
    rows = rows if rows is not None else {"": masks}
    height = width * frames[0].shape[0] / frames[0].shape[1]
    extra = 0.45 if truth is not None else 0.0
    figure, axes = plt.subplots(len(rows), len(indices), squeeze=False,
                                figsize=(width * len(indices), height * len(rows) + extra + (0.3 if title else 0)))
    for c, index in enumerate(indices):
        frame = np.asarray(frames[index])
        column = [None if m is None else m[index] for m in rows.values()]
        if truth is not None:
            column.append(truth[index])
        window = zoom_window(column, frame.shape[:2]) if zoom else (slice(None), slice(None))
        for r, (label, row_masks) in enumerate(rows.items()):
            mask = None if row_masks is None else row_masks[index]
            if mask is None:
                image = frame
            elif truth is not None and row_masks is not truth:
                image = error_overlay(frame, np.asarray(mask), np.asarray(truth[index]), alpha=0.55)
            else:
                image = overlay_mask(frame, np.asarray(mask), alpha=0.45)
            axes[r, c].imshow(image[window])
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(titles[c] if titles else f"frame {index}", fontsize=9)
            if c == 0 and label:
                axes[r, c].set_ylabel("\n".join(textwrap.wrap(label, 14)), fontsize=9)  # a long label on lines
    if title:
        figure.suptitle(title, fontsize=10)
    if truth is not None:
        figure.legend(handles=error_legend_handles(), loc="lower center", ncol=3, fontsize=8, frameon=False)
        figure.tight_layout(rect=(0, extra / figure.get_figheight(), 1, 1))
    else:
        figure.tight_layout()
    return figure
