"""Our GrabCut refinement of PLM's probability map (plmlib.infer.grabcut): it snaps a blurred map to the object's
edges, keeps the thresholding contract, leaves the map alone when there is nothing to refine, and refuses bad input."""

import cv2
import numpy as np
import pytest

from plmlib.infer import GrabCutConfig, grabcut_refine
from plmlib.metrics import region_similarity

LEVEL = 0.3


def scene(seed=0):
    """A 160 x 240 frame: an orange, textured blob on a green, textured background, and its mask."""
    rng = np.random.default_rng(seed)
    height, width = 160, 240
    yy, xx = np.mgrid[:height, :width]
    angle = np.arctan2(yy - 80, xx - 110)
    radius = 38 + 10 * np.sin(3 * angle)  # a three-lobed blob: its boundary is not a blurred disc's
    mask = (np.hypot(yy - 80, xx - 110) < radius).astype(np.uint8)
    background = np.array([60, 140, 60]) + rng.normal(0, 12, (height, width, 3))
    foreground = np.array([220, 130, 50]) + rng.normal(0, 12, (height, width, 3))
    frame = np.where(mask[..., None] > 0, foreground, background)
    return np.clip(frame, 0, 255).astype(np.uint8), mask


def blurred_map(mask, sigma=9.0, shift=4):
    """What a coarse decoder gives: the mask moved by a few pixels and blurred well beyond its lobes."""
    moved = np.roll(mask.astype(np.float32), shift, axis=1)
    return cv2.GaussianBlur(moved, (0, 0), sigma)


def test_a_blurred_map_snaps_to_the_object():
    frame, mask = scene()
    probability = blurred_map(mask)
    before = region_similarity(mask, probability >= LEVEL)
    refined = grabcut_refine(probability, frame, level=LEVEL)
    after = region_similarity(mask, refined >= LEVEL)
    assert before < 0.85 and after > 0.95, (before, after)
    assert refined.dtype == np.float32 and refined.shape == mask.shape
    assert 0.0 <= refined.min() and refined.max() <= 1.0


def test_the_refined_map_keeps_the_network_values_for_ordering_and_thresholds_to_the_cut():
    frame, mask = scene(1)
    probability = blurred_map(mask)
    refined = grabcut_refine(probability, frame, level=LEVEL)
    chosen = refined >= LEVEL
    # pixels GrabCut keeps hold at least the network's value; pixels it drops fall below the level
    assert np.all(refined[chosen] >= probability[chosen])
    assert np.all(refined[~chosen] < LEVEL) and np.all(refined[~chosen] <= probability[~chosen])
    # sure seeds are never overturned
    config = GrabCutConfig()
    assert np.all(chosen[probability >= config.sure_foreground])
    assert not np.any(chosen[probability < config.sure_background])


def test_the_result_does_not_depend_on_what_ran_before():
    """GrabCut's k-means start draws from OpenCV's global generator; on this scene (object and background colours
    overlap) an unseeded cut changes tens of pixels with the generator's state."""
    rng = np.random.default_rng(0)
    height, width = 160, 240
    yy, xx = np.mgrid[:height, :width]
    mask = (np.hypot(yy - 80, xx - 110) < 40).astype(np.uint8)
    background = np.array([[60, 140, 60], [120, 100, 80], [200, 180, 90]])
    foreground = np.array([[220, 130, 50], [120, 100, 80], [90, 60, 160]])
    frame = np.where(mask[..., None] > 0, foreground[rng.integers(0, 3, mask.shape)],
                     background[rng.integers(0, 3, mask.shape)]) + rng.normal(0, 20, (height, width, 3))
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    probability = blurred_map(mask, sigma=12.0, shift=8)
    results = []
    for state in range(5):
        cv2.setRNGSeed(state)  # another history of the generator
        results.append(grabcut_refine(probability, frame, level=LEVEL))
    assert all(np.array_equal(results[0], r) for r in results[1:])
    # another seed is another (repeatable) start: on this scene it moves some pixels
    other = [grabcut_refine(probability, frame, GrabCutConfig(seed=1), level=LEVEL) for _ in range(2)]
    assert np.array_equal(other[0], other[1]) and not np.array_equal(other[0], results[0])


def test_nothing_to_refine_leaves_the_map_as_it_is():
    frame, mask = scene()
    empty = np.zeros(mask.shape, np.float32)
    np.testing.assert_array_equal(grabcut_refine(empty, frame, level=LEVEL), empty)
    speck = empty.copy()
    speck[50:54, 60:64] = 0.9  # 16 pixels of object: too few for GrabCut's colour model
    np.testing.assert_array_equal(grabcut_refine(speck, frame, level=LEVEL), speck)


def test_bad_input_gets_clear_errors():
    frame, mask = scene()
    with pytest.raises(ValueError, match="H x W x 3"):
        grabcut_refine(blurred_map(mask), frame[:100], level=LEVEL)
    with pytest.raises(ValueError, match="sure_background"):
        GrabCutConfig(sure_foreground=0.2, sure_background=0.4)
    with pytest.raises(ValueError, match="iterations"):
        GrabCutConfig(iterations=0)
    with pytest.raises(ValueError, match="sure_background < threshold < sure_foreground, got 0.05 < 0.8 < 0.7"):
        grabcut_refine(blurred_map(mask), frame, level=0.8)
