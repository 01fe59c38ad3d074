"""The registry of methods: every per-method fact in one table, and building a segmenter by name.

One :class:`Method` per segmentation method: its name (``plm segment --method``, the results folder), the label a
reader knows it by, whether the paper has it, its family, the class that implements it (imported only when asked
for), its colour in figures and whether the widget offers it. Everything else that lists methods (the command line's
choices, the tables' columns, the figures' legends and colours, the widget's menu, the protocols' families, the
paper's PLM variants that ``plm reproduce`` runs) is a view of :data:`METHODS`.

    from plmlib import create_segmenter
    segmenter = create_segmenter("bvs")              # any name of METHODS; options go to its constructor
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Method:
    """One segmentation method."""

    name: str
    label: str  # what a reader knows it by, in tables and legends
    in_paper: bool  # the paper reports it (a PLM variant or a baseline of its table); else it is ours only
    family: Literal["traditional", "plm"]  # plm: one fine-tuned network, the methods differ only after it
    target: str  # "module:Class" that implements it, imported only when the method is built
    colour: str  # in figures: traditional methods in greens, PLM methods in blues (the results figures' colours)
    interactive: bool = True  # offered in the widget's menu (superpixel and PLM_U are too slow to wait for there)


METHODS: dict[str, Method] = {m.name: m for m in [
    Method("flow", "optical flow", False, "traditional", "plmlib.baselines.flow:FlowPropagation", "#c7e9c0"),
    Method("superpixel", "superpixel", False, "traditional", "plmlib.baselines.superpixel:SuperpixelPropagation",
           "#74c476", interactive=False),
    Method("bvs", "BVS", True, "traditional", "plmlib.baselines.bvs:BilateralSpaceSegmentation", "#31a354"),
    Method("plm", "PLM", True, "plm", "plmlib.infer.segmenter:PLMSegmenter", "#3182bd"),
    Method("plm_p", "PLM_P", True, "plm", "plmlib.infer.segmenter:PLMPSegmenter", "#e6550d"),
    Method("plm_u", "PLM_U", True, "plm", "plmlib.infer.segmenter:PLMUSegmenter", "#9ecae1", interactive=False),
    # ours, not the paper's (plmlib.infer.grabcut)
    Method("plm_grabcut", "PLM + GrabCut", False, "plm", "plmlib.infer.segmenter:PLMGrabCutSegmenter", "#756bb1"),
]}

# Results folders that are not methods of their own, and their labels: plm_s, the ablation's single-layer structure
# run with plm (plmlib.experiments.ablation); plm_u_query_only, PLMUSegmenter(update_model=False), PLM_U updating the query only,
# not the network (our earlier reading of the slides).
RESULT_LABELS: dict[str, str] = {"plm_s": "PLM_S", "plm_u_query_only": "PLM_U, query only"}

# The PLM methods: one network each, fine-tuned on the first frame; they differ only after the network, so they can
# share one fine-tuning (plmlib.infer.share_finetuning).
PLM_METHODS: tuple[str, ...] = tuple(m.name for m in METHODS.values() if m.family == "plm")
# The paper's PLM variants (plm reproduce runs them by default).
PAPER_PLM_METHODS: tuple[str, ...] = tuple(name for name in PLM_METHODS if METHODS[name].in_paper)
# The project's best PLM method on DAVIS 2016 val (results/davis2016_val, README Results): the default of plm segment,
# plm demo's PLM row beside the paper's, and the widget.
DEFAULT_METHOD = "plm_grabcut"


def method_label(name: str) -> str:
    """The label of a method or of a results-only name (``RESULT_LABELS``); the name itself for any other."""
    return METHODS[name].label if name in METHODS else RESULT_LABELS.get(name, name)


def create_segmenter(method: str, **options):
    """Build a segmenter (a ``plmlib.core.segmenter.VideoSegmenter``) by name (see ``METHODS``); ``options`` go to
    its constructor (``check_options``)."""
    return _method_class(method)(**check_options(method, options))


def check_options(method: str, options: dict) -> dict:
    """``options`` if method ``method``'s constructor takes them all; else a ValueError naming the others."""
    accepted = _constructor_options(_method_class(method))
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"{method} has no option {', '.join(map(repr, unknown))} "
                         f"(its options: {', '.join(sorted(accepted))})")
    return options


def _method_class(method: str) -> type:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (available: {', '.join(METHODS)})")
    module_name, class_name = METHODS[method].target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def _constructor_options(cls) -> set[str]:
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up to the base class that takes them."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(vars(klass)["__init__"]).parameters.values()
        names |= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self"}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names
