"""plmlib.core.crops: boxes, context windows, crop + resize with padding, paste back and stacking."""

import numpy as np
import pytest

from plmlib.core import crops


def rect_mask(shape, x0, y0, x1, y1):
    m = np.zeros(shape, np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def test_mask_box_is_tight_and_exclusive():
    m = rect_mask((40, 60), 10, 5, 21, 9)
    assert crops.mask_box(m) == (10.0, 5.0, 21.0, 9.0)
    single = np.zeros((10, 10), np.uint8)
    single[3, 7] = 1
    assert crops.mask_box(single) == (7.0, 3.0, 8.0, 4.0)
    assert crops.mask_box(np.zeros((5, 5))) is None


def test_padded_region_grows_by_the_margin_and_stays_inside():
    m = rect_mask((40, 60), 10, 5, 21, 9)
    y0, y1, x0, x1 = crops.padded_region(crops.mask_box(m), 3, m.shape)
    assert (y0, y1, x0, x1) == (2, 12, 7, 24)
    assert m[y0:y1, x0:x1].sum() == m.sum()  # the whole mask is inside
    assert crops.padded_region(crops.mask_box(m), 50, m.shape) == (0, 40, 0, 60)  # clipped to the image


def test_context_window_square_and_stretched():
    box = (100.0, 50.0, 140.0, 70.0)  # 40 x 20, centre (120, 60)
    w = crops.context_window(box, 1.5)
    assert w == (90, 30, 150, 90)  # square: 1.5 x the longer side, same centre
    assert crops.box_center(w) == (120.0, 60.0)
    s = crops.context_window(box, 1.5, square=False)
    assert crops.box_size(s) == (60, 30)
    assert crops.box_center(s) == (120.0, 60.0)
    tiny = crops.context_window((5.0, 5.0, 6.0, 6.0), 1.5, min_side=16)
    assert crops.box_size(tiny) == (16, 16)
    with pytest.raises(ValueError):
        crops.context_window(box, 0)


def test_crop_identity_scale_is_a_slice():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    window = (10, 5, 42, 37)  # 32 x 32 -> S = 32: no resampling
    assert np.array_equal(crops.crop_image(img, window, 32), img[5:37, 10:42])


def test_padding_outside_the_frame():
    img = np.full((20, 30, 3), 200, np.uint8)
    img[:, :15] = 100  # mean colour 150
    window = (-10, -10, 10, 10)  # 20 x 20, the top-left quarter inside
    out = crops.crop_image(img, window, 20)
    assert (out[:10, :] == 150).all() and (out[:, :10] == 150).all()
    assert (out[10:, 10:] == 100).all()
    assert (crops.crop_image(img, window, 20, pad="zeros")[:10] == 0).all()
    assert (crops.crop_image(img, window, 20, pad=(1, 2, 3))[0, 0] == (1, 2, 3)).all()
    mask = np.ones((20, 30), np.uint8)
    assert crops.crop_mask(mask, window, 20)[:10].sum() == 0  # masks pad with background
    assert crops.crop_mask(mask, window, 20)[10:, 10:].all()


def test_window_entirely_outside_the_frame():
    img = np.zeros((20, 20, 3), np.uint8)
    out = crops.crop_image(img, (100, 100, 132, 132), 16)
    assert out.shape == (16, 16, 3)
    canvas, weight = crops.paste(np.ones((16, 16)), (100, 100, 132, 132), (20, 20))
    assert canvas.sum() == 0 and weight.sum() == 0


@pytest.mark.parametrize("size", [64, 128])
def test_round_trip_crop_paste_restores_the_mask(size):
    """A mask cropped to S x S and pasted back (f) equals itself inside the window, up to resampling at edges."""
    mask = np.zeros((240, 320), np.uint8)
    yy, xx = np.mgrid[:240, :320]
    mask[((xx - 150) / 60.0) ** 2 + ((yy - 110) / 35.0) ** 2 <= 1] = 1
    mask[100:180, 140:150] = 1  # a thin part
    window = crops.context_window(crops.mask_box(mask), 1.5)
    cropped = crops.crop_fraction(mask, window, size)
    canvas, weight = crops.paste(cropped, window, mask.shape)
    restored = (canvas >= 0.5).astype(np.uint8)
    inside = weight > 0
    assert inside[mask > 0].all()  # the window covers the object
    iou = (restored & mask).sum() / (restored | mask).sum()
    assert iou > 0.97, iou
    assert np.abs(restored.astype(int) - mask)[inside].sum() < 0.02 * mask.sum()


def test_round_trip_at_the_frame_border():
    """An object touching the frame's corner: the window sticks out, the crop pads, the paste clips, nothing moves."""
    mask = rect_mask((100, 150), 0, 0, 30, 20)
    window = crops.context_window(crops.mask_box(mask), 1.5)
    assert window[0] < 0 and window[1] < 0
    msk = crops.crop_mask(mask, window, 45)  # window is 45 x 45: no resampling
    canvas, weight = crops.paste(msk, window, mask.shape)
    assert np.array_equal(canvas.astype(np.uint8), mask)
    assert weight[:window[3], :window[2]].all() and weight.sum() == window[2] * window[3]


def test_canvas_averages_overlapping_windows():
    c = crops.Canvas((10, 10))
    c.add(np.full((4, 4), 1.0), (0, 0, 6, 6))
    c.add(np.full((4, 4), 0.0), (3, 3, 9, 9))
    avg = c.average(background=-1)
    assert avg[1, 1] == 1.0 and avg[4, 4] == 0.5 and avg[7, 7] == 0.0 and avg[9, 9] == -1


def test_query_crop_and_preview():
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (80, 120, 3), dtype=np.uint8)
    mask = rect_mask((80, 120), 40, 30, 60, 50)
    rgb, msk, window = crops.crop_query(frame, mask, 32)
    assert rgb.shape == (32, 32, 3) and msk.shape == (32, 32) and window == (35, 25, 65, 55)
    masked = crops.query_preview(rgb, msk, "masked", mean_colour=(1, 2, 3))
    assert (masked[msk == 0] == (1, 2, 3)).all() and (masked[msk == 1] == rgb[msk == 1]).all()
    assert crops.query_preview(rgb, msk, "rgbm").shape == (32, 32, 4)
    with pytest.raises(ValueError):
        crops.crop_query(frame, np.zeros_like(mask), 32)


def test_tensors():
    t = crops.image_to_tensor(np.full((4, 4, 3), 255, np.uint8))
    assert t.shape == (3, 4, 4) and float(t.max()) == 1.0
    assert crops.mask_to_tensor(np.eye(4)).shape == (1, 4, 4)
