"""DAVIS 2017, SegTrack v2, JumpCut and plain folders, built small in tmp_path in each dataset's layout."""

import numpy as np
import pytest
from PIL import Image

from plmlib.data import Davis2017, FolderDataset, JumpCut, SegTrackV2, load_video
from plmlib.io import MaskError, write_mask


def frames(folder, n, size=(16, 20), ext="png"):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((*size, 3), i * 10, np.uint8)).save(folder / f"{i:05d}.{ext}")


def test_davis2017_multi_object_palette_masks(tmp_path):
    frames(tmp_path / "JPEGImages" / "480p" / "dogs", 3, ext="jpg")
    mask = np.zeros((16, 20), np.uint8)
    mask[:4, :4], mask[10:, 10:] = 1, 2
    write_mask(tmp_path / "Annotations" / "480p" / "dogs" / "00000.png", mask)
    (tmp_path / "ImageSets" / "2017").mkdir(parents=True)
    (tmp_path / "ImageSets" / "2017" / "val.txt").write_text("dogs\n")
    sequence = Davis2017(tmp_path, split="val")["dogs"]
    np.testing.assert_array_equal(sequence.first_mask, mask)
    assert sequence.masks[1] is None and sequence.masks.annotated == [0]


def test_segtrack_multi_object_and_anti_aliased(tmp_path):
    root = tmp_path / "SegTrackv2"
    frames(root / "JPEGImages" / "drift", 2, ext="bmp")
    frames(root / "JPEGImages" / "bird", 2)
    for k, box in (("1", (slice(0, 5), slice(0, 5))), ("2", (slice(8, 16), slice(8, 20)))):
        for i in range(2):
            m = np.zeros((16, 20), np.uint8)
            m[box] = 255
            m[box[0].stop - 1, box[1]] = 100  # an anti-aliased edge row: below 128, background
            (root / "GroundTruth" / "drift" / k).mkdir(parents=True, exist_ok=True)
            Image.fromarray(m).save(root / "GroundTruth" / "drift" / k / f"{i:05d}.png")
    (root / "GroundTruth" / "bird").mkdir(parents=True)
    for i in range(2):
        Image.fromarray(np.full((16, 20), 255 * (i % 2), np.uint8)).save(root / "GroundTruth" / "bird" / f"{i:05d}.png")
    dataset = SegTrackV2(tmp_path)  # the parent of SegTrackv2/ works too
    assert dataset.names == ["bird", "drift"]
    drift = dataset["drift"]
    assert drift.info["objects"] == 2
    mask = drift.masks[1]
    assert mask[0, 0] == 1 and mask[10, 10] == 2 and mask[4, 0] == 0 and mask[15, 10] == 0
    assert dataset["bird"].masks[1].all()


def test_jumpcut_nested_layout_and_a_clear_error_otherwise(tmp_path):
    frames(tmp_path / "bear" / "frames", 3)
    write_mask(tmp_path / "bear" / "gt" / "00000.png", np.ones((16, 20), np.uint8))
    dataset = JumpCut(tmp_path)
    assert dataset.names == ["bear"]
    sequence = dataset["bear"]
    assert len(sequence) == 3 and sequence.masks.annotated == [0]
    empty = tmp_path / "empty"
    (empty / "stuff").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no JumpCut sequences found"):
        JumpCut(empty)


def test_folder_dataset_and_orphan_masks(tmp_path):
    frames(tmp_path / "JPEGImages" / "a", 2)
    write_mask(tmp_path / "Annotations" / "a" / "00000.png", np.ones((16, 20), np.uint8))
    sequence = FolderDataset(tmp_path)["a"]
    assert sequence.masks.annotated == [0]
    write_mask(tmp_path / "Annotations" / "a" / "00099.png", np.ones((16, 20), np.uint8))
    with pytest.raises(MaskError, match="00099"):
        FolderDataset(tmp_path)["a"]


def test_load_video_with_first_mask(tmp_path):
    frames(tmp_path / "v", 4)
    write_mask(tmp_path / "m.png", np.ones((16, 20), np.uint8))
    sequence = load_video(tmp_path / "v", first_mask=tmp_path / "m.png")
    assert len(sequence) == 4 and sequence.first_mask.sum() == 320 and sequence.masks[1] is None
    write_mask(tmp_path / "small.png", np.ones((8, 20), np.uint8))
    with pytest.raises(MaskError, match="small.png: mask is 20x8 but its frame is 20x16"):
        load_video(tmp_path / "v", first_mask=tmp_path / "small.png")
    with pytest.raises(MaskError, match="2-D integer id map"):
        load_video(tmp_path / "v", first_mask=np.ones((16, 20, 3)))


def test_load_video_with_ground_truth_folder(tmp_path):
    frames(tmp_path / "v", 3)
    for i in range(3):
        write_mask(tmp_path / "gt" / f"{i:05d}.png", np.full((16, 20), i % 2, np.uint8))
    mine = np.zeros((16, 20), np.uint8)
    mine[0, 0] = 1
    sequence = load_video(tmp_path / "v", first_mask=mine, masks=tmp_path / "gt")
    assert sequence.first_mask.sum() == 1 and sequence.masks[1].sum() == 320
