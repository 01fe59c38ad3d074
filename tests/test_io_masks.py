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
