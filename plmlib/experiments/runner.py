"""The experiments' one resumable runner: what ``plm reproduce``, ``plm ablation`` and ``plm protocol`` share.

    dataset, names = open_sequences("davis2016", root, sequences, "DAVIS 2016 val sequences")  # before any work
    for sequence, todo in unfinished(dataset, names, variants, done, desc="reproduce"):
        shared = finetune_once(sequence.frames[0], sequence.first_mask, todo, **options)
        for variant in todo:
            options, finetune_seconds = shared[variant]
            ...                                   # the experiment's work: segment, score, write
            mark_done(path, text)                 # last: the variant's results file on this video
    save_config(results / "config.yaml", config)  # plmlib.core.provenance: with the git SHA and the command

A unit of work is one variant (or method) on one video. It is done when the file its experiment writes last for it
is there (``mark_done`` writes it atomically: whole or not at all), so a run into a folder that holds earlier work
skips the units done and redoes any unit without its mark: an interrupted run resumes where it stopped. What differs
stays in each experiment: what runs on a video (the protocols split it into clips), how it is scored (the ablation in
memory, reproduce from the written masks), where its files go and what its config holds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence as SequenceABC
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from plmlib.core.methods import PLM_METHODS
from plmlib.data import Davis2016, JumpCut, SegTrackV2, Sequence
from plmlib.io import atomic_write

DATASETS = ("davis2016", "jumpcut", "segtrack")


def open_dataset(name: str, root: str | Path | None = None):
    """The sequences of a dataset by name (DAVIS 2016: the val split); ``root`` None: its environment variable
    (plmlib.data.roots). A missing or incomplete folder is an error naming it."""
    if name == "davis2016":
        return Davis2016(root, split="val")
    if name == "jumpcut":
        return JumpCut(root)
    if name == "segtrack":
        return SegTrackV2(root)
    raise ValueError(f"unknown dataset {name!r} (expected one of {', '.join(DATASETS)})")


def open_sequences(dataset: str, root: str | Path | None, sequences: list[str] | None, what: str):
    """The dataset (``open_dataset``) and the names of the sequences to run: ``sequences`` in their order, or all.
    Checked before any work: unknown names are refused by name (``not <what>: [...]``); ``sequences`` None or empty: all of the dataset's (a
    dataset without any is refused)."""
    data = open_dataset(dataset, root)
    names = list(sequences or data.names)
    unknown = sorted(set(names) - set(data.names))
    if unknown:
        raise ValueError(f"not {what}: {unknown}")
    if not names:
        raise ValueError(f"no sequences to run in {dataset}")
    return data, names


def unfinished(dataset, names: list[str], units: SequenceABC[str], done: Callable[[str, str], bool], *, desc: str,
               progress: bool = True) -> Iterator[tuple[Sequence, list[str]]]:
    """With a progress bar over the videos ``names``: each video that has work left, read from ``dataset``, and the
    ``units`` (variants or methods, in their order) for which ``done(name, unit)`` is false. A video with nothing
    left is skipped unread."""
    for name in tqdm(names, desc=desc, unit="video", disable=not progress):
        todo = [unit for unit in units if not done(name, unit)]
        if todo:
            yield dataset[name], todo


def finetune_once(frame: np.ndarray, first_mask: np.ndarray, methods: SequenceABC[str],
                  **options) -> dict[str, tuple[dict, float]]:
    """Each method's options on one video and the seconds of the fine-tuning it is handed: the PLM methods among
    ``methods`` differ only after the network, so they share one network fine-tuned once on the first frame
    (plmlib.infer.share_finetuning; its seconds count in each one's time). Other methods, and every method when
    nothing is shared (several objects, or ``finetune=False``), get ``options`` as they are and 0.0 seconds."""
    from plmlib.infer import share_finetuning  # lazy: plmlib.infer imports torch; the classical methods need none

    family = [m for m in methods if m in PLM_METHODS]
    shared, seconds = share_finetuning(frame, first_mask, **options) if family else ({}, 0.0)
    return {m: ({**options, **shared}, seconds) if m in family else (dict(options), 0.0) for m in methods}


def mark_done(path: str | os.PathLike, text: str) -> None:
    """Write a unit's done mark, the last file of its work: ``text`` to ``path``, atomically."""
    with atomic_write(path) as tmp:
        tmp.write_text(text)
