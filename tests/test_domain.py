"""plmlib.data.domain: the thermal-like rendering of a video (notebook 09's domain shift)."""

import numpy as np
import pytest

from plmlib.data import Sequence, make_video
from plmlib.data.domain import SUFFIX, ThermalLike, heat, thermal_like, thermal_like_sequence


@pytest.fixture(scope="module")
def video():
    return make_video("translate", n_frames=4, size=(64, 96), seed=0)


def test_sequence_keeps_geometry_and_says_what_it_is(video):
    thermal = thermal_like_sequence(video)
    assert thermal.name == video.name + SUFFIX and len(thermal) == len(video)
    assert thermal.frame_names == video.frame_names
    for t in range(len(video)):
        frame = thermal.frames[t]
        assert frame.shape == video.frames[t].shape and frame.dtype == np.uint8
        np.testing.assert_array_equal(thermal.masks[t], video.masks[t])  # masks unchanged
    assert "not a thermal camera" in thermal.info["domain"]
    assert thermal.info["transform"]["colormap"] == "inferno"
    assert len(thermal.frames[1:3]) == 2 and np.array_equal(thermal.frames[-1], thermal.frames[3])


def test_deterministic_by_seed_and_index(video):
    a, b = thermal_like_sequence(video, seed=3), thermal_like_sequence(video, seed=3)
    np.testing.assert_array_equal(a.frames[2], b.frames[2])  # same frame, read twice, in any order
    assert not np.array_equal(a.frames[2], thermal_like_sequence(video, seed=4).frames[2])
    still = Sequence(name="still", frames=np.repeat(video.frames[:1], 2, axis=0), masks=video.masks[:2])
    frames = thermal_like_sequence(still).frames  # the same image twice: only the temporal noise differs
    assert 0 < np.abs(frames[0].astype(int) - frames[1].astype(int)).mean() < 20


def test_intensity_is_a_function_of_colour_not_luminance():
    config = ThermalLike()
    w = np.asarray(config.weights)
    # two colours of equal luminance but different heat, and two of different luminance but equal heat
    red, blue = np.array([[[200, 60, 60]]], np.uint8), np.array([[[60, 60, 200]]], np.uint8)
    assert heat(red, config, centre=0.0)[0, 0] - heat(blue, config, centre=0.0)[0, 0] > 0.5  # red warm, blue cold
    c1 = np.array([100, 100, 100.0])
    c2 = c1 + np.array([60, 0, 60 * w[0] / -w[2]])  # w . c2 == w . c1
    pair = np.array([[c1, c2]]).round().astype(np.uint8)
    h = heat(pair, config, centre=0.3)
    assert abs(h[0, 0] - h[0, 1]) < 0.02


def test_grey_palette_and_clean_settings():
    frame = make_video("clutter", n_frames=1, size=(64, 96), seed=1).frames[0]
    clean = ThermalLike(downscale=1.0, blur_sigma=0.0, noise_std=0.0, stripe_std=0.0, colormap="grey")
    out = thermal_like(frame, clean, centre=0.2)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    expected = np.clip(heat(frame, clean, centre=0.2) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(out[..., 0], expected)
    assert thermal_like(frame, ThermalLike(colormap="jet")).shape == frame.shape


@pytest.mark.parametrize("bad", [dict(downscale=0.0), dict(gain=0.0), dict(noise_std=-1.0), dict(colormap="nope"),
                                 dict(weights=(1.0, 2.0))])
def test_bad_parameters(bad):
    with pytest.raises(ValueError):
        ThermalLike(**bad)


def test_bad_frame():
    with pytest.raises(ValueError, match="uint8 RGB"):
        thermal_like(np.zeros((8, 8), np.uint8))
