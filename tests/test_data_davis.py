import numpy as np
import pytest
from PIL import Image

from plmlib.data import DatasetNotFoundError, Davis2016
from plmlib.data.davis import split_sequences
from plmlib.io import MaskError


def test_davis_sample_sequences_have_a_mask_for_every_frame(davis_sample):
    dataset = Davis2016(davis_sample, split="all")
    counts = {s.name: (len(s), len(s.masks)) for s in dataset}
    assert counts == {"car-shadow": (40, 40), "blackswan": (50, 50), "bear": (82, 82)}


def test_davis_splits_and_attributes(davis_sample):
    val = Davis2016(davis_sample, split="val")
    assert val.names == ["blackswan", "car-shadow"]
    assert Davis2016(davis_sample, split="train").names == ["bear"]
    car = val["car-shadow"]
    assert car.attributes == ("LR", "EA", "AC", "BC")
    assert car.info["eval_t"] is True and car.info["set"] == "test"
    assert car.size == (480, 854)
    frame, mask = car.frames[0], car.first_mask
    assert frame.shape == (480, 854, 3) and frame.dtype == np.uint8
    assert mask.shape == (480, 854) and set(np.unique(mask)) == {0, 1}
    with pytest.raises(KeyError, match="bear"):
        val["bear"]


def test_davis_bear_la_frame_reads_like_the_others(davis_sample):
    bear = Davis2016(davis_sample, split="train")["bear"]
    assert set(np.unique(bear.masks[77])) == {0, 1}


def test_root_from_environment_variable(davis_sample, monkeypatch):
    monkeypatch.setenv("PLM_DAVIS_ROOT", str(davis_sample))
    assert Davis2016(split="val").root == davis_sample


def test_missing_root_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PLM_DAVIS_ROOT", raising=False)
    with pytest.raises(DatasetNotFoundError, match="PLM_DAVIS_ROOT is not set.*data_download/davis2016.py"):
        Davis2016()
    with pytest.raises(DatasetNotFoundError, match="not a folder"):
        Davis2016(tmp_path / "nowhere")
    with pytest.raises(DatasetNotFoundError, match="JPEGImages/480p"):
        Davis2016(tmp_path)


def test_unknown_split_is_refused(davis_sample):
    with pytest.raises(ValueError, match="unknown DAVIS 2016 split"):
        Davis2016(davis_sample, split="test")


def test_split_lists_of_davis_2016_and_2017_and_a_missing_one(tmp_path):
    """The one reader of split lists (Davis2016, Davis2017 and plm evaluate use it): a DAVIS 2016 list of frame
    pairs, else a DAVIS 2017 list of names; 'all' is train then val, each name once."""
    (tmp_path / "ImageSets" / "480p").mkdir(parents=True)
    (tmp_path / "ImageSets" / "480p" / "val.txt").write_text(
        "/JPEGImages/480p/cows/00000.jpg /Annotations/480p/cows/00000.png\n"
        "/JPEGImages/480p/cows/00001.jpg /Annotations/480p/cows/00001.png\n\n"
        "/JPEGImages/480p/dog/00000.jpg /Annotations/480p/dog/00000.png\n"
    )
    (tmp_path / "ImageSets" / "2017").mkdir(parents=True)
    (tmp_path / "ImageSets" / "2017" / "train.txt").write_text("bear\ncows\n\nbear\n")
    assert split_sequences(tmp_path, "val") == ["cows", "dog"]
    assert split_sequences(tmp_path, "train") == ["bear", "cows"]
    assert split_sequences(tmp_path, "all") == ["bear", "cows", "dog"]
    with pytest.raises(FileNotFoundError, match=r"'test' sequences.*480p/test\.txt nor .*2017/test\.txt"):
        split_sequences(tmp_path, "test")


def _copy_sequence(synthetic_root, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(synthetic_root, root)
    return root


def test_missing_mask_file_is_named(synthetic_root, tmp_path):
    root = _copy_sequence(synthetic_root, tmp_path)
    (root / "Annotations" / "480p" / "synthetic-translate" / "00003.png").unlink()
    with pytest.raises(MaskError, match="no mask for frame 00003.png"):
        Davis2016(root)["synthetic-translate"]


def test_mask_of_wrong_size_is_named_when_read(synthetic_root, tmp_path):
    root = _copy_sequence(synthetic_root, tmp_path)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "Annotations" / "480p" / "synthetic-thin" / "00002.png")
    sequence = Davis2016(root)["synthetic-thin"]
    sequence.masks[1]
    with pytest.raises(MaskError, match="00002.png: mask is 10x10 but its frame is 256x144"):
        sequence.masks[2]


def test_full_davis_2016_splits(davis_full):
    assert len(Davis2016(davis_full, split="train")) == 30
    val = Davis2016(davis_full, split="val")
    assert len(val) == 20 and sum(len(s) for s in val) == 1376
    bumps = Davis2016(davis_full, split="train")["bmx-bumps"]
    assert sum(int(m.sum() == 0) for m in bumps.masks) == 14
