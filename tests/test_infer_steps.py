"""plmlib.infer, step by step (slides' overall step): candidates (a, b), responses (c, d, e), size restoring (f),
stacking (g), thresholding (h), PLM_P's weighted median. No training here: fast."""

import cv2
import numpy as np
import pytest
import torch

from plmlib.core import crops
from plmlib.infer import (DEFAULT_JITTER, POSITION_JITTER, BoxTracker, CandidateConfig, Matcher, MotionEstimator,
                          VisualTracker, WeightedMedianConfig, jittered_windows, largest_component, merge_objects,
                          recovery_windows, restore_and_stack, threshold, weighted_median)
from plmlib.model import build_model


def box_mask(shape, x0, y0, x1, y1):
    mask = np.zeros(shape, np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


# ---- (a, b) candidates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("jitter", [DEFAULT_JITTER, POSITION_JITTER])
def test_jittered_windows_surround_the_box(jitter):
    config = CandidateConfig(jitter=jitter)
    box = (100.0, 50.0, 140.0, 70.0)  # 40 x 20
    windows = jittered_windows(box, config)
    assert len(windows) == len(config.jitter) == len(set(windows))
    assert windows[0] == crops.context_window(box, 1.5)  # the first candidate: the training geometry exactly
    for x0, y0, x1, y1 in windows:
        assert x1 - x0 == y1 - y0 >= 50  # square, about context x the longer side
        assert x0 <= 100 and x1 >= 140 and y0 <= 50 and y1 >= 70  # each still contains the box


def test_recovery_windows_tile_the_whole_frame_within_the_budget():
    config = CandidateConfig(max_recovery_windows=6)
    windows = recovery_windows((10.0, 10.0, 30.0, 30.0), (144, 256), config)
    assert 1 < len(windows) <= 6
    covered = np.zeros((144, 256), bool)
    for x0, y0, x1, y1 in windows:
        covered[max(y0, 0):y1, max(x0, 0):x1] = True
    assert covered.all()


def test_largest_component():
    mask = box_mask((40, 40), 0, 0, 5, 5) | box_mask((40, 40), 20, 20, 30, 30)
    np.testing.assert_array_equal(largest_component(mask), box_mask((40, 40), 20, 20, 30, 30).astype(bool))
    assert not largest_component(np.zeros((5, 5), np.uint8)).any()


def test_box_tracker_follows_the_largest_component_and_damps_scale():
    shape = (144, 256)
    first = box_mask(shape, 100, 50, 140, 90)  # centre (120, 70)
    # The object moved right and doubled in size; a speck far away must not stretch the box.
    moved = box_mask(shape, 110, 40, 190, 120) | box_mask(shape, 5, 5, 8, 8)  # centre (150, 80)
    tracker = BoxTracker(first, CandidateConfig(scale_damping=0.5, max_scale_step=1.2, position_damping=1.0))
    tracker.update(moved)
    (cx, cy), (w, h) = crops.box_center(tracker.box), crops.box_size(tracker.box)
    assert (cx, cy) == pytest.approx((150, 80))  # centre follows the component
    assert (w, h) == pytest.approx((40 * 1.2 ** 0.5,) * 2)  # clamped to x1.2, then half of it in log space
    assert not tracker.lost
    damped = BoxTracker(first)  # default: the centre moves half way
    damped.update(moved)
    assert crops.box_center(damped.box) == pytest.approx((135, 75))


def test_box_tracker_is_lost_then_recovers():
    shape = (144, 256)
    tracker = BoxTracker(box_mask(shape, 100, 50, 140, 90))
    tracked_windows = tracker.windows()
    tracker.update(np.zeros(shape, np.uint8))  # occluded / out of view
    assert tracker.lost and tracker.lost_frames == 1
    assert len(tracker.windows()) > len(tracked_windows)  # the recovery grid
    tracker.update(box_mask(shape, 200, 100, 204, 104))  # a speck is not the object
    assert tracker.lost
    tracker.update(box_mask(shape, 10, 10, 45, 50))  # found again: the box jumps there
    assert not tracker.lost and tracker.box == (10.0, 10.0, 45.0, 50.0)


def test_a_second_box_adds_one_window_while_tracking():
    shape = (144, 256)
    tracker = BoxTracker(box_mask(shape, 100, 50, 140, 90))
    own = tracker.windows()
    elsewhere = (10.0, 10.0, 40.0, 40.0)
    assert tracker.windows(elsewhere) == own + [jittered_windows(elsewhere, tracker.config)[0]]
    assert tracker.windows(tracker.box) == own  # the same box adds nothing
    tracker.update(np.zeros(shape, np.uint8))  # lost: the recovery grid already covers the frame
    assert tracker.windows(elsewhere) == tracker.windows()


def test_visual_tracker_follows_a_textured_object():
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur((rng.random((40, 50, 3)) * 255).astype(np.uint8), (5, 5), 0)
    first_mask = np.zeros((120, 200), np.uint8)
    first_mask[30:70, 40:90] = 1
    frames = []
    for k in range(8):  # the object moves by (+6, +3) per frame over a flat background
        frame = np.full((120, 200, 3), 80, np.uint8)
        frame[30 + 3 * k:70 + 3 * k, 40 + 6 * k:90 + 6 * k] = texture
        frames.append(frame)
    tracker = VisualTracker(frames[0], first_mask)
    for frame in frames[1:]:
        box = tracker.update(frame)
    x0, y0, x1, y1 = box
    assert abs(x0 - 82) < 4 and abs(y0 - 51) < 4 and abs((x1 - x0) - 50) < 8, box
    with pytest.raises(ValueError, match="first mask is empty"):
        VisualTracker(frames[0], np.zeros_like(first_mask))


def test_candidate_config_checks_its_fields():
    with pytest.raises(ValueError, match="jitter"):
        CandidateConfig(jitter=())
    with pytest.raises(ValueError, match="damping"):
        CandidateConfig(scale_damping=2.0)
    with pytest.raises(ValueError, match="visual_tracker must be one of"):
        CandidateConfig(visual_tracker="kcf")


# ---- (c, d, e) responses ------------------------------------------------------------------------------------------
def test_matcher_encodes_the_query_once_and_batches_the_candidates(monkeypatch):
    torch.manual_seed(0)
    net = build_model("small", pretrained=False)
    matcher = Matcher(net, batch_size=3)
    frame = np.random.default_rng(0).integers(0, 255, (144, 256, 3), dtype=np.uint8)
    mask = box_mask((144, 256), 100, 50, 140, 90)
    calls = {"query": 0, "search": 0}
    encode_query, segment = net.encode_query, net.segment
    monkeypatch.setattr(net, "encode_query", lambda *a: (calls.__setitem__("query", calls["query"] + 1),
                                                         encode_query(*a))[1])
    monkeypatch.setattr(net, "segment", lambda q, s: (calls.__setitem__("search", calls["search"] + s.shape[0]),
                                                      segment(q, s))[1])
    with pytest.raises(RuntimeError, match="before set_query"):
        matcher.responses(frame, [(0, 0, 64, 64)])
    matcher.set_query(frame, mask)
    windows = jittered_windows(crops.mask_box(mask), CandidateConfig())
    for _ in range(3):
        out = matcher.responses(frame, windows)
        assert out.shape == (len(windows), 64, 64) and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
    assert calls == {"query": 1, "search": 3 * len(windows)}
    assert matcher.network_seconds > 0


# ---- (f) size restoring, (g) stacking, (h) thresholding ---------------------------------------------------------
def test_restore_and_stack_averages_overlaps_and_is_zero_elsewhere():
    responses = np.stack([np.full((8, 8), 1.0, np.float32), np.full((8, 8), 0.5, np.float32)])
    windows = [(0, 0, 16, 16), (8, 8, 24, 24)]
    stacked = restore_and_stack(responses, windows, (30, 30))
    assert stacked[4, 4] == 1.0 and stacked[20, 20] == 0.5 and stacked[12, 12] == pytest.approx(0.75)
    assert stacked[28, 2] == 0.0 and stacked.shape == (30, 30)
    np.testing.assert_array_equal(threshold(stacked), stacked >= 0.5)
    # a window partly outside the frame: its visible part is pasted
    assert restore_and_stack(responses[:1], [(-8, -8, 8, 8)], (30, 30))[:8, :8].min() == 1.0


def test_merge_objects_takes_the_most_probable_id():
    a = np.array([[0.9, 0.6, 0.2]], np.float32)
    b = np.array([[0.3, 0.7, 0.4]], np.float32)
    mask, scores = merge_objects(np.stack([a, b]), [3, 8])
    np.testing.assert_array_equal(mask, [[3, 8, 0]])
    assert scores.shape == (3, 1, 3)
    np.testing.assert_allclose(scores[0], [[0.1, 0.3, 0.6]], atol=1e-6)


# ---- PLM_P ------------------------------------------------------------------------------------------------------
def test_weighted_median_removes_specks_and_only_works_near_the_mask():
    rng = np.random.default_rng(0)
    frame = rng.integers(90, 110, (120, 160, 3), dtype=np.uint8)
    frame[30:90, 40:100] = 200  # the object's colour
    probability = np.zeros((120, 160), np.float32)
    probability[32:88, 42:98] = 0.9  # the network's map: a little short of the object's edge
    probability[5, 150] = 1.0  # a speck
    config = WeightedMedianConfig(radius=4)
    filtered = weighted_median(probability, frame, config)
    assert filtered[5, 150] < 0.5  # the speck is gone
    assert threshold(filtered)[40:80, 50:90].all()
    # restricting the filter to the mask's surroundings gives the same mask as filtering the whole frame
    import cv2

    whole = cv2.ximgproc.weightedMedianFilter(np.ascontiguousarray(frame[..., ::-1]),
                                              np.round(probability * 255).astype(np.uint8), 4, 25.5,
                                              cv2.ximgproc.WMF_EXP) / 255.0
    np.testing.assert_array_equal(threshold(filtered), threshold(whole))
    np.testing.assert_array_equal(weighted_median(np.zeros((10, 10), np.float32), frame[:10, :10]), 0)
    with pytest.raises(ValueError, match="weight_type"):
        WeightedMedianConfig(weight_type="gauss")


def test_weighted_median_repeats_itself_whatever_ran_before():
    """OpenCV's filter draws from OpenCV's global generator when the guide has colours: seeded per call (config.seed),
    the same map and frame give the same output after any history of that generator, and another seed is another
    (repeatable) result. Without the seed this scene's output changes from call to call."""
    import cv2

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)  # a colourful guide
    probability = rng.random((60, 80)).astype(np.float32)
    first = weighted_median(probability, frame, WeightedMedianConfig(radius=5))
    for state in (1, 2, 3):
        cv2.setRNGSeed(state)  # another history of the generator
        np.testing.assert_array_equal(weighted_median(probability, frame, WeightedMedianConfig(radius=5)), first)
    other = [weighted_median(probability, frame, WeightedMedianConfig(radius=5, seed=1)) for _ in range(2)]
    np.testing.assert_array_equal(other[0], other[1])
    assert not np.array_equal(other[0], first)


def test_motion_estimator_measures_each_objects_shift_and_the_tracker_follows_it():
    rng = np.random.default_rng(0)
    texture = (rng.random((120, 200, 3)) * 255).astype(np.uint8)
    texture = cv2.GaussianBlur(texture, (7, 7), 0)
    background = np.full_like(texture, 80)
    first, second = background.copy(), background.copy()
    first[30:70, 40:90] = texture[30:70, 40:90]
    second[36:76, 52:102] = texture[30:70, 40:90]  # the object moved by (+12, +6)
    mask = np.zeros((120, 200), bool)
    mask[30:70, 40:90] = True
    motion = MotionEstimator()
    motion.reset(first)
    (dx, dy), still = motion.shifts(second, [mask, np.zeros_like(mask)])
    assert abs(dx - 12) < 2.5 and abs(dy - 6) < 2.5, (dx, dy)
    assert still == (0.0, 0.0)  # an empty mask does not move
    tracker = BoxTracker(mask)
    tracker.predict((dx, dy))
    x0, y0, x1, y1 = tracker.box
    assert abs(x0 - 52) < 3 and abs(y0 - 36) < 3 and abs((x1 - x0) - 50) < 1e-6
    with pytest.raises(ValueError, match="motion must be one of"):
        CandidateConfig(motion="kalman")


def test_the_inference_levels_are_ordered_and_are_the_defaults():
    """plmlib.infer.thresholds: GrabCut's sure background < the box's level < a pre-trained network's output level <
    the paper README's 0.5 < GrabCut's sure foreground; each default that uses one is that value."""
    from plmlib.infer import GrabCutConfig, PLMSegmenter, thresholds as t
    from plmlib.infer.stacking import threshold

    assert (t.GRABCUT_SURE_BACKGROUND < t.BOX_THRESHOLD < t.PLM_THRESHOLD < t.DEFAULT_THRESHOLD
            < t.GRABCUT_SURE_FOREGROUND)
    assert CandidateConfig().box_threshold == t.BOX_THRESHOLD
    grabcut = GrabCutConfig()
    assert (grabcut.sure_background, grabcut.sure_foreground) == (t.GRABCUT_SURE_BACKGROUND, t.GRABCUT_SURE_FOREGROUND)
    assert PLMSegmenter(checkpoint=None).threshold == t.DEFAULT_THRESHOLD
    assert PLMSegmenter().threshold == t.PLM_THRESHOLD  # the shipped, pre-trained network (not loaded here)
    assert threshold(np.array([t.DEFAULT_THRESHOLD - 1e-6, t.DEFAULT_THRESHOLD])).tolist() == [False, True]
