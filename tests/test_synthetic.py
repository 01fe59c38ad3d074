import cv2
import numpy as np
import pytest

from plmlib.data import SCENARIOS, Davis2016, make_video, write_dataset


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_scenario_is_deterministic_and_well_formed(scenario):
    a = make_video(scenario, n_frames=8, seed=5)
    b = make_video(scenario, n_frames=8, seed=5)
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.masks, b.masks)
    assert a.frames.shape == (8, 144, 256, 3) and a.frames.dtype == np.uint8
    assert a.masks.shape == (8, 144, 256) and set(np.unique(a.masks)) <= {0, 1}
    assert a.first_mask.sum() > 50  # the object is visible when the video starts
    assert a.attributes == SCENARIOS[scenario]
    assert not np.array_equal(make_video(scenario, n_frames=8, seed=6).frames, a.frames)


def test_frames_change_where_the_object_moves():
    video = make_video("translate", n_frames=6)
    moved = np.abs(video.frames[5].astype(int) - video.frames[0].astype(int)).sum(-1) > 0
    assert moved[video.masks[0] > 0].mean() > 0.5  # the object left its first place
    near = cv2.dilate(np.maximum(video.masks[0], video.masks[5]), np.ones((5, 5), np.uint8))  # soft edges
    assert not moved[near == 0].any()  # the background is still


def test_out_of_view_leaves_and_comes_back():
    areas = make_video("out_of_view", n_frames=24).masks.reshape(24, -1).sum(1)
    empty = np.flatnonzero(areas == 0)
    assert len(empty) >= 2 and areas[0] > 0 and areas[-1] > 0 and 0 < empty[0] < empty[-1] < 23


def test_occlusion_hides_part_of_the_object():
    areas = make_video("occlusion", n_frames=24).masks.reshape(24, -1).sum(1)
    assert areas.min() < 0.6 * areas.max()


def test_distractor_twin_is_not_in_the_mask():
    video = make_video("distractor", n_frames=4)
    target_colour = video.frames[0][video.masks[0] > 0].mean(0)
    close = np.abs(video.frames[0].astype(float) - target_colour).sum(-1) < 40
    outside = close & (video.masks[0] == 0)
    assert outside.sum() > 0.3 * close[video.masks[0] > 0].sum()  # a twin of the same colours elsewhere


def test_thin_object_is_thin():
    mask = make_video("thin", n_frames=1).masks[0]
    assert mask.sum() < 0.03 * mask.size and mask.any(axis=1).sum() > 3


def test_speed_does_not_depend_on_length():
    short, long = make_video("translate", n_frames=10), make_video("translate", n_frames=40)
    np.testing.assert_array_equal(short.masks, long.masks[:10])


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown scenario"):
        make_video("teleport")
    with pytest.raises(ValueError, match="at least 1"):
        make_video(n_frames=0)
    with pytest.raises(ValueError, match="at least 32x32"):
        make_video(size=(10, 10))


def test_written_dataset_reads_back_exactly(synthetic_root):
    val = Davis2016(synthetic_root, split="val")
    assert val.names == [f"synthetic-{s}" for s in SCENARIOS]
    assert Davis2016(synthetic_root, split="train").names == ["synthetic-train-translate", "synthetic-train-thin"]
    sequence = val["synthetic-occlusion"]
    expected = make_video("occlusion", n_frames=12)
    assert sequence.attributes == ("OCC",) and len(sequence) == 12
    np.testing.assert_array_equal(sequence.frames[7], expected.frames[7])
    np.testing.assert_array_equal(sequence.masks[7], expected.masks[7])


def test_write_dataset_is_all_or_nothing(tmp_path, monkeypatch):
    import plmlib.data.synthetic as synthetic

    calls = {"n": 0}
    real = synthetic.make_video

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(synthetic, "make_video", failing)
    with pytest.raises(KeyboardInterrupt):
        write_dataset(tmp_path / "ds", val=("translate", "thin"), n_frames=3)
    assert list(tmp_path.iterdir()) == []  # neither the dataset nor a partial folder is left
    monkeypatch.setattr(synthetic, "make_video", real)
    write_dataset(tmp_path / "ds", val=("translate",), n_frames=3)
    with pytest.raises(FileExistsError, match="overwrite"):
        write_dataset(tmp_path / "ds", val=("translate",), n_frames=3)
    write_dataset(tmp_path / "ds", val=("thin",), n_frames=3, overwrite=True)
    assert Davis2016(tmp_path / "ds").names == ["synthetic-thin"]
