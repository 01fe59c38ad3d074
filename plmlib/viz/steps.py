"""The slides' "Overall Step" drawn step by step, and J per frame of whole-video runs (notebooks 02 and 05).

    trace = trace_step(matcher, frame, windows)        # runs (c) .. (h) with plmlib.infer, keeps every intermediate
    windows_figure(frame, windows, box)                # (a, b) candidate windows on the frame
    responses_figure(trace)                            # (c, d, e) each window's search crop and response
    stacking_figure(frame, trace, truth)               # (f) restored responses, (g) stacked map, (h) mask
    j_per_frame_figure({"PLM": [...], "BVS": [...]})   # J against frame index, mean in the legend

Only drawing and bookkeeping here: every number is computed by ``plmlib.infer`` (candidates, responses, stacking,
postprocess), exactly as ``PLMSegmenter.step`` computes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from plmlib.core import crops
from plmlib.infer.postprocess import WeightedMedianConfig, weighted_median
from plmlib.infer.stacking import DEFAULT_THRESHOLD, restore_and_stack, threshold
from plmlib.io import error_overlay, overlay_mask
from plmlib.viz.metrics import error_legend_handles

WINDOW_COLOURS = ("tab:orange", "tab:cyan", "tab:pink", "tab:olive", "tab:purple", "tab:brown", "tab:grey")


def trace_step(matcher, frame: np.ndarray, windows: list, stacking: str = "mean", level: float = DEFAULT_THRESHOLD,
               postprocess: WeightedMedianConfig | bool | None = None) -> dict:
    """One frame through steps (c) .. (h), keeping what each step produced.

    ``matcher``: a :class:`plmlib.infer.Matcher` whose query is set. Returns a dict: ``windows``; ``search`` (N, S, S,
    3) uint8 crops (c); ``responses`` (N, S, S) probabilities (d, e); ``restored`` (N, H, W) each response pasted back
    into the frame, 0 elsewhere (f); ``stacked`` (H, W), the windows combined as ``stacking`` says (g); ``filtered``
    (PLM_P's weighted median of ``stacked``, or None); ``mask`` (H, W) bool, thresholded at ``level`` (h).
    """
    frame = np.asarray(frame)
    size = frame.shape[:2]
    search = (matcher.search_batch(frame, windows).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    responses = matcher.responses(frame, windows)
    restored = np.stack([restore_and_stack(r[None], [w], size) for r, w in zip(responses, windows)])
    stacked = restore_and_stack(responses, windows, size, stacking)
    filtered = None
    if postprocess:
        config = postprocess if isinstance(postprocess, WeightedMedianConfig) else WeightedMedianConfig()
        filtered = weighted_median(stacked, frame, config, level)
    mask = threshold(stacked if filtered is None else filtered, level)
    return {"windows": list(windows), "search": search, "responses": responses, "restored": restored,
            "stacked": stacked, "filtered": filtered, "mask": mask, "level": level}


def _draw_box(axes, box, colour, label=None, style="-", width=2.0) -> None:
    x0, y0, x1, y1 = box
    axes.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour, linestyle=style, lw=width,
                             label=label))


def _clean(axes) -> None:
    axes.set_xticks([])
    axes.set_yticks([])


def windows_figure(frame: np.ndarray, windows: list, box: crops.Box | None = None,
                   previous_mask: np.ndarray | None = None, title: str = "(a, b) candidate windows"):
    """The frame with the candidate windows (one colour each) and the tracked box (white, dashed) they surround;
    ``previous_mask`` (the previous frame's prediction) is blended in to show where the box comes from."""
    frame = np.asarray(frame)
    image = frame if previous_mask is None else overlay_mask(frame, np.asarray(previous_mask).astype(np.uint8), 0.35)
    height, width = frame.shape[:2]
    figure, axes = plt.subplots(figsize=(6.0, 6.0 * height / width + 0.4))
    axes.imshow(image)
    if box is not None:
        _draw_box(axes, box, "white", "tracked box", "--", 1.5)
    for k, window in enumerate(windows):
        _draw_box(axes, window, WINDOW_COLOURS[k % len(WINDOW_COLOURS)], f"window {k}")
    axes.set_xlim(-0.5, width - 0.5)
    axes.set_ylim(height - 0.5, -0.5)
    axes.legend(fontsize=7, loc="upper right", framealpha=0.6)
    axes.set_title(title, fontsize=10)
    _clean(axes)
    figure.tight_layout()
    return figure


def responses_figure(trace: dict, query: np.ndarray | None = None):
    """(c, d, e): one column per window, its S x S search crop (top) and the network's response (bottom);
    ``query`` (the S x S query crop, optional) is drawn in a first column."""
    n = len(trace["windows"])
    columns = n + (query is not None)
    figure, axes = plt.subplots(2, columns, figsize=(2.2 * columns, 4.6), squeeze=False)
    start = 0
    if query is not None:
        axes[0, 0].imshow(query)
        axes[0, 0].set_title("query (first frame)", fontsize=9)
        axes[1, 0].axis("off")
        _clean(axes[0, 0])
        start = 1
    for k in range(n):
        colour = WINDOW_COLOURS[k % len(WINDOW_COLOURS)]
        top, bottom = axes[0, start + k], axes[1, start + k]
        top.imshow(trace["search"][k])
        top.set_title(f"(c) window {k}", fontsize=9, color=colour)
        image = bottom.imshow(trace["responses"][k], vmin=0, vmax=1, cmap="magma")
        bottom.set_title(f"(d, e) max {trace['responses'][k].max():.2f}", fontsize=8)
        for a in (top, bottom):
            _clean(a)
            for spine in a.spines.values():
                spine.set_edgecolor(colour)
                spine.set_linewidth(2)
    figure.colorbar(image, ax=axes[1, :].tolist(), shrink=0.8, label="foreground probability")
    return figure


def stacking_figure(frame: np.ndarray, trace: dict, truth: np.ndarray | None = None):
    """(f) each response restored to its window in the frame, (g) the stacked map, [PLM_P's filtered map],
    (h) the mask thresholded at ``trace["level"]`` over the frame (against ``truth`` when given: found green, false
    alarm red, missed blue: ``plmlib.io.error_overlay``)."""
    frame = np.asarray(frame)
    n = len(trace["windows"])
    panels = [(f"(f) window {k} restored", trace["restored"][k]) for k in range(n)]
    panels.append(("(g) stacked", trace["stacked"]))
    if trace.get("filtered") is not None:
        panels.append(("PLM_P: weighted median", trace["filtered"]))
    columns = len(panels) + 1
    height, width = frame.shape[:2]
    figure, axes = plt.subplots(1, columns, figsize=(2.6 * columns + 1.5, 2.6 * height / width + 0.7), squeeze=False,
                                layout="constrained")
    for a, (title, probability) in zip(axes[0], panels):
        a.imshow(probability, vmin=0, vmax=1, cmap="magma")
        a.set_title(title, fontsize=9)
        _clean(a)
    last = axes[0, -1]
    title = f"(h) threshold {trace['level']:g}"
    if truth is None:
        last.imshow(overlay_mask(frame, trace["mask"].astype(np.uint8), 0.5, contour=False))
    else:  # against the truth in notebook 01's colours
        last.imshow(error_overlay(frame, trace["mask"].astype(np.uint8), np.asarray(truth), alpha=0.55))
        title += " vs truth"
    last.set_title(title, fontsize=9)
    _clean(last)
    figure.colorbar(axes[0, 0].images[0], ax=axes[0, :-1].tolist(), shrink=0.8, label="foreground probability")
    if truth is not None:
        last.legend(handles=error_legend_handles(), fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                    borderaxespad=0.0)
    return figure


def j_per_frame_figure(curves: Mapping[str, Sequence[float]], title: str = "", styles: Mapping[str, str] | None = None,
                       first: int = 1, means: Mapping[str, float] | None = None):
    """J (region IoU) against frame index, one line per method, its mean in the legend.

    ``curves`` maps a label to per-frame J from frame 0; frames before ``first`` are drawn but left out of the
    mean (frame 0 is the given mask). ``means``: the legend's mean of each label, when the caller computed it
    otherwise (e.g. over the frames the DAVIS protocol scores, as a table beside the figure does).
    """
    figure, axes = plt.subplots(figsize=(9.5, 3.6))
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        style = (styles or {}).get(label, "-")
        axes.plot(np.arange(len(values)), values, style, lw=2, marker=".",
                  label=f"{label} (mean {values[first:].mean() if means is None else means[label]:.2f})")
    axes.set(xlabel="frame", ylabel="J (region IoU)", ylim=(-0.02, 1.02), title=title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)  # beside the curves
    figure.tight_layout()
    return figure


def probe_figure(probes: Mapping[str, object], title: str = "Pixel-level matching: the response of two windows"):
    """The matching probe (``plmlib.widgets.matching.MatchingResponse``) as a figure: one row per probe (``probes``
    maps a row label, e.g. ``"on the object"``, to a response), columns query, search window, response (foreground
    probability over the search crop, with a colour bar)."""
    figure, axes = plt.subplots(len(probes), 3, figsize=(7.6, 2.5 * len(probes) + 0.6), squeeze=False,
                                layout="constrained")
    image = None
    for row, (label, probe) in zip(axes, probes.items()):
        row[0].imshow(probe.query)
        row[1].imshow(probe.search)
        row[2].imshow(probe.search)
        image = row[2].imshow(probe.response, vmin=0, vmax=1, cmap="magma", alpha=0.75)
        for a in row:
            _clean(a)
        row[0].set_ylabel(f"{label}\nframe {probe.frame_index}, pixel {probe.point}", fontsize=8)
    for a, name in zip(axes[0], ("query (first frame, background suppressed)", "search window",
                                 "response over the window")):
        a.set_title(name, fontsize=9)
    figure.colorbar(image, ax=axes[:, 2].tolist(), shrink=0.8, label="foreground probability")
    figure.suptitle(title, fontsize=10)
    return figure
