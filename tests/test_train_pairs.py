"""plmlib.train.pairs: augmentation keeps image and mask aligned, pairs are deterministic, empty masks on purpose."""

import numpy as np
import pytest
import torch

from plmlib.core import crops
from plmlib.data import Sequence, make_video
from plmlib.train.pairs import (Augmentation, DataConfig, PairConfig, PairDataset, augmented_crop, collate,
                                load_sequences)


def coded_frame(shape=(144, 256)):
    """A frame whose colour says where the mask is: the object is pure red, the background has no red at all."""
    rng = np.random.default_rng(0)
    frame = np.zeros(shape + (3,), np.uint8)
    frame[..., 1:] = rng.integers(0, 256, shape + (2,), dtype=np.uint8)
    mask = np.zeros(shape, np.uint8)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    mask[((xx - 120) / 40.0) ** 2 + ((yy - 70) / 25.0) ** 2 <= 1] = 1
    mask[40:100, 150:158] = 1  # an asymmetric thin arm: a flip or rotation of one but not the other would show
    frame[mask > 0] = (255, 0, 0)
    return frame, mask


@pytest.mark.parametrize("aug", [
    Augmentation(flip=1.0),
    Augmentation(rotate=30.0),
    Augmentation(translate=0.3, scale=0.5),
    Augmentation(translate=0.3, scale=0.5, rotate=30.0, flip=0.5),
])
def test_augmentation_keeps_image_and_mask_aligned(aug):
    frame, mask = coded_frame()
    window = crops.context_window(crops.mask_box(mask), 1.5)
    rng = np.random.default_rng(3)
    for _ in range(10):
        rgb, msk, _ = augmented_crop(frame, mask, window, aug, rng, 64, pad="zeros")
        red = (rgb[..., 0] > 127) & (rgb[..., 1] < 128)  # where the image shows the object
        disagree = (red != (msk > 0)).mean()
        assert msk.sum() > 50
        assert disagree < 0.005, disagree  # only rounding at boundary pixels may differ
        iou = (red & (msk > 0)).sum() / (red | (msk > 0)).sum()
        assert iou > 0.9, iou


def test_flip_mirrors_both_and_identity_is_the_plain_crop():
    frame, mask = coded_frame()
    window = crops.context_window(crops.mask_box(mask), 1.5)
    plain_rgb, plain_msk, _ = augmented_crop(frame, mask, window, Augmentation(), np.random.default_rng(0), 64)
    assert np.array_equal(plain_rgb, crops.crop_image(frame, window, 64))
    assert np.array_equal(plain_msk, crops.crop_mask(mask, window, 64))
    rgb, msk, _ = augmented_crop(frame, mask, window, Augmentation(flip=1.0), np.random.default_rng(0), 64)
    assert np.array_equal(rgb, plain_rgb[:, ::-1]) and np.array_equal(msk, plain_msk[:, ::-1])


def test_pairs_are_a_function_of_seed_and_index():
    seqs = [make_video("translate", n_frames=6, seed=0), make_video("rotate_scale", n_frames=6, seed=0)]
    ds = PairDataset(seqs, PairConfig(crop_size=32), seed=5)
    a, b = ds[17], ds[17]
    assert all(torch.equal(a[k], b[k]) for k in ("query", "query_mask", "search", "target"))
    other = PairDataset(seqs, PairConfig(crop_size=32), seed=6)[17]
    assert not torch.equal(a["search"], other["search"])
    assert a["query"].shape == (3, 32, 32) and a["query_mask"].shape == (1, 32, 32) and a["target"].dtype == torch.int64
    assert 0 <= float(a["query"].min()) and float(a["query"].max()) <= 1
    batch = collate([ds[i] for i in range(3)])
    assert batch["search"].shape == (3, 3, 32, 32) and batch["sequence"].shape == (3,)


def test_empty_masks_are_search_only_with_background_targets():
    video = make_video("out_of_view", n_frames=24, seed=0)  # leaves the frame around frame 12
    empty = [i for i in range(len(video)) if video.masks[i].sum() == 0]
    assert empty, "the scenario should have empty masks"
    ds = PairDataset([video], PairConfig(crop_size=32, max_gap=None), seed=0)
    assert ds.empty_frames() == {video.name: len(empty)}
    seen_empty = 0
    for n in range(300):
        s, i, j = ds.draw(n)
        assert i not in empty  # a query always shows the object
        if j in empty:
            seen_empty += 1
            item = ds[n]
            assert int(item["target"].sum()) == 0  # "nothing here"
            assert item["query_mask"].sum() > 0
    assert seen_empty > 0  # empty frames are kept as search frames, at their natural rate
    # The search window of an empty frame is around the nearest annotated box (where inference would look).
    box = ds._window_box(0, empty[0])
    assert box is not None


def test_window_from_previous_frame():
    video = make_video("translate", n_frames=6, seed=0)
    ds = PairDataset([video], PairConfig(crop_size=32), seed=0)
    assert ds._window_box(0, 3) == crops.mask_box(video.masks[2])
    assert ds._window_box(0, 0) == crops.mask_box(video.masks[1])
    same = PairDataset([video], PairConfig(crop_size=32, window_from="same"), seed=0)
    assert same._window_box(0, 3) == crops.mask_box(video.masks[3])


def test_first_frame_only():
    video = make_video("translate", n_frames=6, seed=0)
    cfg = PairConfig(crop_size=32, query_aug=Augmentation(), window_from="same")
    ds = PairDataset([video], cfg, seed=0, first_frame_only=True)
    assert {ds.draw(n) for n in range(20)} == {(0, 0, 0)}
    q_rgb, q_mask, _ = crops.crop_query(np.asarray(video.frames[0]), video.masks[0], 32)
    item = ds[3]
    assert torch.equal(item["query"], crops.image_to_tensor(q_rgb))  # exactly inference's query
    empty_first = Sequence("empty", np.zeros((2, 40, 40, 3), np.uint8), np.zeros((2, 40, 40), np.uint8))
    with pytest.raises(ValueError):
        PairDataset([empty_first], cfg, first_frame_only=True)


def test_load_synthetic_sequences():
    seqs = load_sequences(DataConfig(dataset="synthetic", scenarios=("translate", "thin"), n_frames=4,
                                     videos_per_scenario=2))
    assert [s.name for s in seqs] == ["synthetic-translate-0", "synthetic-translate-1", "synthetic-thin-0",
                                      "synthetic-thin-1"]


def test_davis_sample_pairs(davis_sample):
    seqs = load_sequences(DataConfig(dataset="davis2016", root=str(davis_sample), split="train"))
    ds = PairDataset(seqs, PairConfig(crop_size=64), seed=0)
    item = ds[0]
    assert item["search"].shape == (3, 64, 64)
    assert 0 < float(item["query_mask"].mean()) < 1


def test_colour_jitter_changes_colours_only_and_leaves_the_geometry():
    """Augmentation.colour (ours): same windows and targets as without it, other pixel values; 0 is the identity."""
    from plmlib.data import make_video
    from plmlib.train.pairs import Augmentation, PairConfig, PairDataset, colour_jitter

    seqs = [make_video("translate", n_frames=6, size=(96, 128), seed=0)]
    plain = PairDataset(seqs, PairConfig(crop_size=64), seed=3)
    cfg = PairConfig(crop_size=64)
    cfg.query_aug.colour = cfg.search_aug.colour = 0.3
    jittered = PairDataset(seqs, cfg, seed=3)
    a, b = plain[5], jittered[5]
    assert torch.equal(a["target"], b["target"]) and torch.equal(a["query_mask"], b["query_mask"])
    assert not torch.allclose(a["search"], b["search"], atol=1e-3)
    rgb = np.random.default_rng(0).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    assert np.array_equal(colour_jitter(rgb, 0.0, np.random.default_rng(1)), rgb)
    out = colour_jitter(rgb, 0.5, np.random.default_rng(1))
    assert out.dtype == np.uint8 and out.shape == rgb.shape and not np.array_equal(out, rgb)
    assert Augmentation(colour=0.2).is_identity is False
