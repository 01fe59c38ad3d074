import warnings

import numpy as np
import pytest
from PIL import Image

from plmlib.io import DAVIS_PALETTE, MaskError, atomic_write, check_mask_size, object_ids, read_mask, write_mask


def save(array, path, mode=None):
    image = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
    image.save(path)
    return path


def test_davis_palette_starts_like_davis():
    assert DAVIS_PALETTE[0].tolist() == [0, 0, 0]
    assert DAVIS_PALETTE[1].tolist() == [128, 0, 0]
    assert DAVIS_PALETTE[2].tolist() == [0, 128, 0]
    assert DAVIS_PALETTE[3].tolist() == [128, 128, 0]
    assert DAVIS_PALETTE[4].tolist() == [0, 0, 128]


def test_l_mode_0_255_is_binarised(tmp_path):
    mask = np.zeros((10, 12), np.uint8)
    mask[2:5, 3:9] = 255
    out = read_mask(save(mask, tmp_path / "m.png"))
    assert out.dtype == np.uint8 and out.shape == (10, 12)
    np.testing.assert_array_equal(out, (mask > 0).astype(np.uint8))


def test_anti_aliased_mask_is_thresholded_at_128(tmp_path):
    mask = np.array([[0, 40, 127, 128, 200, 255]], np.uint8)
    np.testing.assert_array_equal(read_mask(save(mask, tmp_path / "m.png")), [[0, 0, 0, 1, 1, 1]])


def test_small_grey_values_are_object_ids(tmp_path):
    mask = np.array([[0, 1, 2, 3]], np.uint8)
    np.testing.assert_array_equal(read_mask(save(mask, tmp_path / "m.png")), mask)


def test_palette_round_trip_keeps_ids(tmp_path):
    mask = np.zeros((6, 7), np.uint8)
    mask[1, 1], mask[2, 2], mask[3, 3] = 1, 2, 5
    write_mask(tmp_path / "p.png", mask)
    with Image.open(tmp_path / "p.png") as image:
        assert image.mode == "P"
        assert image.getpalette()[:6] == [0, 0, 0, 128, 0, 0]
    np.testing.assert_array_equal(read_mask(tmp_path / "p.png"), mask)
    assert object_ids(mask) == [1, 2, 5]


def test_bool_mask_writes_as_object_1(tmp_path):
    write_mask(tmp_path / "b.png", np.eye(4, dtype=bool))
    np.testing.assert_array_equal(read_mask(tmp_path / "b.png"), np.eye(4, dtype=np.uint8))


def test_la_mode_uses_channel_0(tmp_path):
    la = np.zeros((5, 5, 2), np.uint8)
    la[..., 0][1:3, 1:3] = 255
    la[..., 1] = 255  # alpha everywhere: must not become foreground
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "la.png"), (la[..., 0] > 0).astype(np.uint8))


def test_rgb_grey_and_rgb_colour_masks(tmp_path):
    grey = np.zeros((4, 4, 3), np.uint8)
    grey[1:3, 1:3] = 255
    np.testing.assert_array_equal(read_mask(save(grey, tmp_path / "g.png")), grey[..., 0] > 0)
    colour = np.zeros((4, 4, 3), np.uint8)
    colour[0, 0] = DAVIS_PALETTE[1]
    colour[3, 3] = DAVIS_PALETTE[2]
    out = read_mask(save(colour, tmp_path / "c.png"))
    assert out[0, 0] == 1 and out[3, 3] == 2 and out.sum() == 3
    other = np.zeros((4, 4, 3), np.uint8)
    other[0, 0] = (10, 200, 30)
    other[1, 1] = (250, 5, 5)
    out = read_mask(save(other, tmp_path / "o.png"))
    assert sorted(object_ids(out)) == [1, 2] and out[0, 0] != out[1, 1]


def test_bilevel_mode(tmp_path):
    mask = np.zeros((4, 4), np.uint8)
    mask[0] = 255
    out = read_mask(save(mask, tmp_path / "one.png", mode="1"))
    np.testing.assert_array_equal(out, (mask > 0).astype(np.uint8))


def test_real_la_mask_of_davis_bear(davis_sample):
    path = davis_sample / "Annotations" / "480p" / "bear" / "00077.png"
    with Image.open(path) as image:
        assert image.mode == "LA"
        channel0 = np.asarray(image)[..., 0]
    mask = read_mask(path)
    assert mask.shape == (480, 854) and set(np.unique(mask)) <= {0, 1}
    np.testing.assert_array_equal(mask, (channel0 > 0).astype(np.uint8))
    assert 1000 < mask.sum() < 480 * 854 / 2


def test_unreadable_and_missing_masks_name_the_file(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"garbage")
    with pytest.raises(MaskError, match="bad.png"):
        read_mask(tmp_path / "bad.png")
    with pytest.raises(FileNotFoundError, match="absent.png"):
        read_mask(tmp_path / "absent.png")


def test_mask_size_check_names_both_sizes():
    with pytest.raises(MaskError, match="m.png: mask is 5x4 but its frame is 6x4"):
        check_mask_size(np.zeros((4, 5), np.uint8), (4, 6), "m.png")


def test_write_mask_refuses_bad_arrays(tmp_path):
    with pytest.raises(MaskError, match="2-D"):
        write_mask(tmp_path / "x.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(MaskError, match="0..255"):
        write_mask(tmp_path / "x.png", np.full((2, 2), 300))
    assert not list(tmp_path.iterdir())


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "result.csv"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with atomic_write(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole" and list(tmp_path.iterdir()) == [target]


def test_atomic_write_gives_ordinary_permissions(tmp_path):
    import os

    with atomic_write(tmp_path / "r.csv") as tmp:
        tmp.write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "r.csv").stat().st_mode & 0o777 == 0o666 & ~mask


def _soft_disc(shape=(120, 160), centre=(80, 60), radius=35):
    import cv2

    disc = np.zeros(shape, np.float32)
    cv2.circle(disc, centre, radius, 1.0, -1)
    return cv2.GaussianBlur(disc, (9, 9), 3)


def test_an_anti_aliased_colour_mask_stays_one_object_per_colour(tmp_path):
    """Soft edges (as image editors export): DAVIS red and green discs blended with black and with each other
    read as ids 1 and 2, the object from half-way on, no id for the blends."""
    from PIL import Image

    red, green = _soft_disc(), _soft_disc(centre=(30, 30), radius=20)
    rgb = (red[..., None] * DAVIS_PALETTE[1] + green[..., None] * DAVIS_PALETTE[2]).round().clip(0, 255)
    Image.fromarray(rgb.astype(np.uint8)).save(tmp_path / "soft.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # two objects: no warning
        ids = read_mask(tmp_path / "soft.png")
    assert object_ids(ids) == [1, 2]
    assert abs(int((ids == 1).sum()) - int((red >= 0.5).sum())) <= 0.02 * (red >= 0.5).sum()
    assert abs(int((ids == 2).sum()) - int((green >= 0.5).sum())) <= 0.05 * (green >= 0.5).sum()


def test_a_colour_photo_as_a_mask_is_warned_about(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(20, 3))
    image = colours[rng.integers(0, 20, size=(40, 40))].astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "photo.png")
    with pytest.warns(UserWarning, match="object colours"):
        read_mask(tmp_path / "photo.png")


def test_a_transparent_background_is_background(tmp_path):
    """RGBA with one colour everywhere: the alpha channel is the mask; with colours: transparent pixels are
    background, the opaque ones read by colour."""
    from PIL import Image

    disc = _soft_disc() >= 0.5
    rgba = np.zeros((*disc.shape, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = 255, disc * 255
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "alpha.png"), disc.astype(np.uint8))
    rgba[..., :3] = 0
    rgba[disc, :3] = DAVIS_PALETTE[2]
    rgba[:10, :, :3] = (255, 255, 0)  # a coloured, fully transparent band
    rgba[:10, :, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "coloured.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "coloured.png"), disc * 2)


def test_arrays_follow_the_rule_of_files():
    """ids_from_array: bool, 0/255, ids, a soft float mask and whole-number floats; nonsense is refused."""
    from plmlib.io import ids_from_array

    disc = _soft_disc() >= 0.5
    expected = disc.astype(np.uint8)
    np.testing.assert_array_equal(ids_from_array(disc), expected)
    np.testing.assert_array_equal(ids_from_array(disc * np.uint8(255)), expected)  # object 1, as from a file
    np.testing.assert_array_equal(ids_from_array(_soft_disc() * 0.9), (_soft_disc() * 0.9 >= 0.5).astype(np.uint8))
    np.testing.assert_array_equal(ids_from_array(disc * 3.0), disc * np.uint8(3))
    np.testing.assert_array_equal(ids_from_array(disc.astype(np.int64) * 2), disc * np.uint8(2))
    for bad, message in ((disc * 2.5, "not whole numbers"), (disc * -1, "expected object ids"),
                         (disc * 300, "expected object ids"), (np.full((2, 2), np.nan), "NaN")):
        with pytest.raises(MaskError, match=message):
            ids_from_array(bad, "first mask")
