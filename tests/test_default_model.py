"""The default model, end to end through ``plm segment``, on the case the network issue names: a thin object
(the slides' paragliding lines; synthetic ``thin``, a bar a few pixels thick: test_synthetic checks it is)
must not be lost in the first frames.

It fine-tunes the shipped network on the first frame (its release budget), so it takes seconds, not milliseconds.
The bound is an ordering with a wide margin (every frame's J above 0.5, the object's area within a factor of two),
not a measured number, so that another CPU's last digits cannot change the verdict.
"""

import cv2

from plmlib.cli import main
from plmlib.data.synthetic import make_video
from plmlib.io import read_mask, write_mask
from plmlib.metrics import region_similarity

FRAMES = 8


def test_plm_segment_keeps_a_thin_object_in_the_first_frames(tmp_path):
    video = make_video("thin", n_frames=FRAMES, seed=0)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(video.frames):
        cv2.imwrite(str(folder / f"{i:05d}.jpg"), frame[..., ::-1])
    write_mask(tmp_path / "first.png", video.masks[0])
    out = tmp_path / "out"
    argv = ["segment", str(folder), "--mask", str(tmp_path / "first.png"), "--out", str(out), "--method", "plm",
            "--no-overlay", "--threads", "2"]
    assert main(argv) == 0
    masks = [read_mask(out / f"{i:05d}.png") > 0 for i in range(FRAMES)]
    for i in range(1, FRAMES):
        truth = video.masks[i] > 0
        j = region_similarity(truth, masks[i])
        assert j > 0.5, f"frame {i}: J {j:.2f}, the thin object is lost"
        assert 0.5 < masks[i].sum() / truth.sum() < 2.0, f"frame {i}: area {masks[i].sum()} against {truth.sum()}"
