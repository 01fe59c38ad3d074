import cv2
import numpy as np
import pytest
from PIL import Image

from plmlib.io import FrameError, FrameFolder, VideoFile, natural_key, open_video, read_image


def write_frames(folder, names, size=(20, 30)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    frames = []
    for name in names:
        frame = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
        Image.fromarray(frame).save(folder / name)
        frames.append(frame)
    return frames


def test_natural_sort_orders_numbers_as_numbers(tmp_path):
    write_frames(tmp_path, ["frame10.png", "frame2.png", "frame1.png"])
    video = FrameFolder(tmp_path)
    assert video.names == ["frame1", "frame2", "frame10"]
    assert sorted(["a10", "a9", "a100"], key=natural_key) == ["a9", "a10", "a100"]


def test_frames_are_rgb_uint8_and_exact_for_png(tmp_path):
    frames = write_frames(tmp_path, ["00000.png", "00001.png"])
    video = open_video(tmp_path)
    assert len(video) == 2 and video.size == (20, 30)
    np.testing.assert_array_equal(video[1], frames[1])
    assert [f.shape for f in video] == [(20, 30, 3)] * 2
    assert len(video[0:2]) == 2


def test_grey_frames_become_rgb(tmp_path):
    Image.fromarray(np.full((8, 9), 77, np.uint8)).save(tmp_path / "a.png")
    frame = read_image(tmp_path / "a.png")
    assert frame.shape == (8, 9, 3) and (frame == 77).all()


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        open_video(tmp_path / "nope")


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a frame")
    with pytest.raises(FrameError, match="no frames found"):
        FrameFolder(tmp_path)


def test_truncated_frame_names_the_file(tmp_path):
    write_frames(tmp_path, ["00000.jpg", "00001.jpg"], size=(64, 64))
    data = (tmp_path / "00001.jpg").read_bytes()
    (tmp_path / "00001.jpg").write_bytes(data[: len(data) // 2])
    video = FrameFolder(tmp_path)  # headers are intact: the error comes when pixels are decoded
    video[0]
    with pytest.raises(FrameError, match="00001.jpg"):
        video[1]


def test_garbage_frame_names_the_file(tmp_path):
    write_frames(tmp_path, ["00000.png"])
    (tmp_path / "00001.png").write_bytes(b"this is not an image")
    with pytest.raises(FrameError, match="00001.png"):
        FrameFolder(tmp_path)


def test_mixed_sizes_are_refused_naming_both_frames(tmp_path):
    write_frames(tmp_path, ["00000.png"], size=(20, 30))
    write_frames(tmp_path, ["00001.png"], size=(21, 30))
    with pytest.raises(FrameError, match="mixed sizes.*00000.png.*00001.png"):
        FrameFolder(tmp_path)


def test_video_file_round_trip(tmp_path):
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for value in range(0, 250, 50):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()
    video = open_video(path)
    assert isinstance(video, VideoFile) and len(video) == 5 and video.size == (48, 64)
    means = [float(f.mean()) for f in video]
    assert means == sorted(means) and abs(means[2] - 100) < 8  # lossy codec: close, in order
    assert abs(float(video[3].mean()) - 150) < 8  # random access seeks
    with pytest.raises(IndexError):
        video[5]


def test_unknown_file_kind_and_corrupt_video(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(FrameError, match="not a folder of frames nor a video"):
        open_video(tmp_path / "a.txt")
    (tmp_path / "b.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(FrameError, match="b.mp4"):
        open_video(tmp_path / "b.mp4")


def test_16_bit_grey_frames_are_scaled_not_clipped(tmp_path):
    """A 16-bit grey PNG (as scientific cameras write) keeps its contrast: value v becomes round(v / 257)."""
    from PIL import Image

    grey = (np.arange(16 * 64).reshape(16, 64) * 60).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "g16.png")
    rgb = read_image(tmp_path / "g16.png")
    assert rgb.shape == (16, 64, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[..., 0], np.round(grey / 257.0).astype(np.uint8))
    assert len(np.unique(rgb)) > 200  # not all white
    dark = np.full((8, 8), 200, np.uint16)  # a 16-bit image stays 16-bit, even when dark
    Image.fromarray(dark).save(tmp_path / "dark.png")
    assert read_image(tmp_path / "dark.png").max() == 1


def test_two_frames_of_one_name_are_refused(tmp_path):
    """00005.jpg and 00005.png would both write 00005.png: an error naming both, not a mask lost."""
    for name in ("00004.jpg", "00005.jpg", "00005.png"):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / name)
    with pytest.raises(FrameError, match="00005.jpg and 00005.png are two frames of one name"):
        FrameFolder(tmp_path)
