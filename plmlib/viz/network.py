"""Pictures of the matching network: each stage's output for one (query, search) pair, and memory per preset."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Patch
import numpy as np
import torch

from plmlib.io import error_overlay
from plmlib.viz.metrics import error_legend_handles


def _image(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().permute(1, 2, 0).clamp(0, 1).numpy()


def _energy(feature: torch.Tensor) -> np.ndarray:
    """Per-position L2 norm over channels of a (C, h, w) map, scaled to [0, 1] for display."""
    return _scaled(feature.detach().float().norm(dim=0).cpu().numpy())


def _channel_mean(feature: torch.Tensor) -> np.ndarray:
    """Mean over channels, scaled to [0, 1]: for unit-norm maps, whose L2 energy is flat by construction."""
    return _scaled(feature.detach().float().mean(dim=0).cpu().numpy())


def _scaled(values: np.ndarray) -> np.ndarray:
    return (values - values.min()) / max(float(values.max() - values.min()), 1e-12)


def stages_figure(trace: dict, query: torch.Tensor, query_mask: torch.Tensor, search: torch.Tensor,
                  truth: torch.Tensor | np.ndarray | None = None, level: float | None = None, title: str = ""):
    """Query and search crops, the search branch's features per tap (top: L2 energy over channels; bottom: the
    compressed map's channel mean, since its energy is 1 everywhere), the matched map and the decoded foreground
    probability (a softmax of the decoder's logits, in [0, 1]): what ``PLMNet.trace`` returns, as one figure (batch
    item 0). With ``truth`` (the search crop's S x S ground truth) and ``level``, the last panel below is the
    probability thresholded at ``level`` over the search crop, in the course's error colours (``plmlib.io``: found
    green, false alarm red, missed blue)."""
    taps = list(trace["search_compressed"])  # the tapped layers (the features also hold the decoder's skips)
    columns = 3 + len(taps)
    figure, axes = plt.subplots(2, columns, figsize=(2.4 * columns, 5.6), squeeze=False, layout="constrained")
    axes[0, 0].imshow(_image(query[0] * query_mask[0]))
    axes[0, 0].set_title("query (masked)", fontsize=9)
    axes[1, 0].imshow(_image(search[0]))
    axes[1, 0].set_title("search", fontsize=9)
    for i, tap in enumerate(taps, start=1):
        feature, compressed = trace["search_features"][tap][0], trace["search_compressed"][tap][0]
        axes[0, i].imshow(_energy(feature), cmap="magma")
        axes[0, i].set_title(f"{tap}: {feature.shape[0]}x{feature.shape[1]}x{feature.shape[2]}\n(energy)", fontsize=8)
        axes[1, i].imshow(_channel_mean(compressed), cmap="magma")
        axes[1, i].set_title(f"compressed: {compressed.shape[0]}x{compressed.shape[1]}x{compressed.shape[2]}\n"
                             "(channel mean)", fontsize=8)
    matched = trace["matched"][0]
    axes[0, -2].imshow(_energy(matched), cmap="viridis")
    axes[0, -2].set_title(f"matched map {matched.shape[0]}x{matched.shape[1]}x{matched.shape[2]}\n(energy)",
                          fontsize=8)
    axes[1, -2].axis("off")
    probability = trace["probability"][0].detach().cpu().numpy()
    shown = axes[0, -1].imshow(probability, cmap="magma", vmin=0, vmax=1)
    axes[0, -1].set_title("decoded: P(foreground)", fontsize=9)
    figure.colorbar(shown, ax=axes[0, -1], fraction=0.046, pad=0.04)
    if truth is not None and level is not None:
        crop = (_image(search[0]) * 255).round().astype(np.uint8)
        axes[1, -1].imshow(error_overlay(crop, (probability >= level).astype(np.uint8), np.asarray(truth) > 0, 0.55))
        axes[1, -1].set_title(f"P >= {level:g} vs truth", fontsize=9)
        axes[1, -1].legend(handles=error_legend_handles(), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.05),
                           frameon=False)
    else:
        axes[1, -1].axis("off")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def memory_figure(rows: list[dict], optimizer: str = "sgd"):
    """Peak training memory (GB, log scale) per preset and batch size, measured where it was, else computed;
    the slides' two figures (about 3.7 GB with compressors at batch 32, more than 12 GB without at batch 1)
    drawn as reference lines."""
    rows = [r for r in rows if r["optimizer"] == optimizer]
    labels = [f"{r['preset']}\nbatch {r['batch']}" for r in rows]
    values = [r["measured_gb"] if r["measured_gb"] != "" else r["computed_gb"] for r in rows]
    colours = ["tab:blue" if r["measured_gb"] != "" else "tab:orange" for r in rows]
    figure, ax = plt.subplots(figsize=(1.2 * len(rows) + 3, 4.8))
    ax.bar(range(len(rows)), values, color=colours)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel("peak training memory (GB)")
    ax.axhline(3.7, color="tab:green", linestyle="--", linewidth=1, label="paper: about 3.7 GB (compressors, batch 32)")
    ax.axhline(12, color="tab:red", linestyle="--", linewidth=1, label="paper: more than 12 GB (no compressor, batch 1)")
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color="tab:blue", label="measured here (CPU)"), Patch(color="tab:orange", label="computed")]
    ax.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
              frameon=False)  # below the bars, never over them
    ticks = [t for t in (1, 2, 4, 8, 16, 32, 64, 128) if min(values) / 2 <= t <= max(values) * 2]
    ax.set_yticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.set_title(f"Training memory per preset ({optimizer.upper()}, float32)", fontsize=10)
    figure.tight_layout()
    return figure
