"""The learned numbers of the smoke notebooks, checked as orderings with stated margins.

nbval compares the committed notebooks' text outputs exactly, so the cells whose outputs come out of training or
fine-tuning are tagged ``nbval-ignore-output`` (their float sums differ from one CPU or thread count to another).
What those numbers show is checked here instead, with the notebooks' own smoke settings: each margin is well
inside what the committed smoke run measured and well outside the run-to-run spread across machines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plmlib.core.segmenter import segment_video
from plmlib.data import make_video
from plmlib.metrics import region_similarity


def mean_j(masks, truth) -> float:
    """Mean J over frames 1 .. n-1, as notebooks 04 and 05 print it."""
    return float(np.mean([region_similarity(p, t) for p, t in zip(masks[1:], truth[1:])]))


@pytest.fixture(scope="module")
def smoke_pretraining(tmp_path_factory):
    """Notebook 04's stage 1 under smoke: the small network, 40 steps on synthetic pairs."""
    from plmlib.train import pretrain, pretrain_profile

    config = pretrain_profile("smoke")
    config.run.out_dir = str(tmp_path_factory.mktemp("pretrain") / "run")
    config.run.resume, config.run.checkpoint_every, config.run.progress = "never", 0, False
    net = pretrain(config)
    return net, pd.read_csv(f"{config.run.out_dir}/loss.csv")


def test_04_pretraining_loss_falls(smoke_pretraining):
    _, loss = smoke_pretraining
    k = max(1, len(loss) // 5)
    first, last = loss.loss[:k].mean(), loss.loss[-k:].mean()
    assert last < first - 0.1, (first, last)


def test_04_finetuning_on_the_first_frame_lifts_j(smoke_pretraining, tmp_path):
    from plmlib.infer import PLMSegmenter

    net, _ = smoke_pretraining
    video = make_video("occlusion", n_frames=12, seed=0)
    frames, truth = list(video.frames), list(video.masks)
    options = {"iterations": 60, "lr": 1e-3, "cache.pool_size": 32}
    finetuned = PLMSegmenter(net, finetune_options=options)
    before = mean_j(list(segment_video(PLMSegmenter(net, finetune=False), frames, truth[0])), truth)
    after = mean_j(list(segment_video(finetuned, frames, truth[0])), truth)
    assert after > before + 0.15, (before, after)
    # the oracle-window check that follows in the notebook: fine-tuning lifts the checked frames on average
    from plmlib.data import Davis2016, write_dataset
    from plmlib.train import first_frame_fit

    last = len(frames) - 1
    checked = [0, last // 3, 2 * last // 3, last]
    sequence = Davis2016(write_dataset(tmp_path / "data", val=("occlusion",), n_frames=12, seed=0), split="val")[
        "synthetic-occlusion"]
    fit_before = np.mean([r["J"] for r in first_frame_fit(net, sequence, checked)])
    fit_after = np.mean([r["J"] for r in first_frame_fit(finetuned.matchers[0].net, sequence, checked)])
    assert fit_after > fit_before + 0.05, (fit_before, fit_after)


def test_05_a_fresh_network_fine_tuned_on_one_frame_follows_the_object():
    from plmlib.infer import PLMSegmenter

    video = make_video("translate", n_frames=12, seed=0)
    frames, truth = list(video.frames), list(video.masks)
    segmenter = PLMSegmenter(checkpoint=None, progress=False,
                             finetune_options={"iterations": 60, "cache.pool_size": 32})
    segmenter.start(frames[0], truth[0])
    net, same = segmenter.matchers[0].net, {"finetune": False, "threshold": segmenter.threshold}
    variants = {"PLM": PLMSegmenter(net, **same), "PLM_P": PLMSegmenter(net, postprocess=True, **same),
                "PLM + GrabCut": PLMSegmenter(net, grabcut=True, **same)}
    j = {label: mean_j(list(segment_video(s, frames, truth[0])), truth) for label, s in variants.items()}
    assert min(j.values()) > 0.5, j


def test_09_one_frame_of_fine_tuning_brings_back_the_shifted_domain(tmp_path):
    from plmlib.experiments.ablation import score_video, segment
    from plmlib.core.methods import create_segmenter
    from plmlib.data import Davis2016, write_dataset
    from plmlib.data.domain import ThermalLike, thermal_like_sequence
    from plmlib.train import pretrain, pretrain_profile

    config = pretrain_profile("smoke")  # as notebook 09: RGB pre-training on other synthetic videos
    config.iterations, config.batch_size, config.data.seed = 60, 8, 1000
    config.cache.enabled, config.cache.pool_size, config.cache.refresh_every = True, 64, 0
    config.run.out_dir, config.run.resume = str(tmp_path / "run"), "never"
    config.run.progress, config.run.checkpoint_every = False, 0
    network = pretrain(config)
    rgb = Davis2016(write_dataset(tmp_path / "data", val=("translate",), n_frames=12, seed=0), split="val")[
        "synthetic-translate"]
    thermal = thermal_like_sequence(rgb, ThermalLike(), seed=0)
    truth = [rgb.masks[t] for t in range(len(rgb))]
    options = {"iterations": 20, "lr": 1e-3, "cache.pool_size": 32}
    runs = {"rgb": (rgb, create_segmenter("plm", model=network, finetune=False)),
            "thermal": (thermal, create_segmenter("plm", model=network, finetune=False)),
            "thermal fine-tuned": (thermal, create_segmenter("plm", model=network, finetune_options=options,
                                                             seed=0))}
    j = {label: float(score_video(segment(s, list(video.frames), truth[0]), truth)["J"].mean())
         for label, (video, s) in runs.items()}
    assert j["rgb"] > j["thermal"] + 0.1, j
    assert j["thermal fine-tuned"] > j["thermal"] + 0.15, j
