"""PLM with a real network: a fresh ``small`` model (hed encoder) fine-tuned here on the first frame by
PLMSegmenter itself (slides: fine-tuning on a single frame), then the overall step on a scripted synthetic video.

Slow (one fine-tuning, about 30 s on an idle 2-core CPU and two to three minutes on a loaded one): ``make test-slow``
or ``pytest -m slow tests/test_infer_tracking.py``. test_infer_segmenter.py checks the same machinery in seconds with a
stand-in network.
"""

import json

import numpy as np
import pytest

from plmlib.cli import main
from plmlib.core.methods import create_segmenter
from plmlib.core.segmenter import segment_video
from plmlib.infer import PLMSegmenter, PLMUSegmenter
from plmlib.io import read_mask, write_mask
from plmlib.metrics import region_similarity

from test_infer_segmenter import SIZE, scripted_video

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def video():
    return scripted_video()


@pytest.fixture(scope="module")
def finetuned(video):
    frames, masks = video
    segmenter = PLMSegmenter(checkpoint=None, device="cpu", seed=0)  # a fresh small model, fine-tuned on frame 0
    segmenter.start(frames[0], masks[0])
    assert segmenter.timing["finetune_seconds"] > 0
    return segmenter.matchers[0].net


def run(segmenter, frames, first_mask):
    return list(segment_video(segmenter, frames, first_mask))


def test_keeps_the_object_through_translation_scale_change_and_occlusion(video, finetuned):
    frames, masks = video
    predicted = run(PLMSegmenter(finetuned, finetune=False), frames, masks[0])
    j = np.array([region_similarity(gt, m) for gt, m in zip(masks, predicted)])
    translation, scaling, occlusion, after = j[1:10], j[10:20], j[21:24], j[24:]
    assert translation.mean() > 0.8 and scaling.mean() > 0.8 and after.mean() > 0.8, np.round(j, 2)
    # While the post hides a sixth of it, a network that has seen one frame only fills the hidden part in: J dips
    # there, but the object is kept.
    assert occlusion.mean() > 0.65, np.round(j, 2)


def test_plm_u_and_plm_p_change_the_output(video, finetuned):
    frames, masks = video
    frames, first = frames[:14], masks[0]
    plm = run(PLMSegmenter(finetuned, finetune=False), frames, first)
    plm_u = run(PLMUSegmenter(finetuned, finetune=False), frames, first)
    plm_p = run(create_segmenter("plm_p", model=finetuned, finetune=False), frames, first)
    assert all(np.array_equal(a, b) for a, b in zip(plm[:11], plm_u[:11]))  # the query changes after frame 10
    assert any(not np.array_equal(a, b) for a, b in zip(plm[11:], plm_u[11:]))
    assert sum(not np.array_equal(a, b) for a, b in zip(plm[1:], plm_p[1:])) >= 6
    assert np.mean([region_similarity(gt, m) for gt, m in zip(masks[1:14], plm_p[1:])]) > 0.75


def test_two_objects_come_out_with_their_own_ids(finetuned):
    frames, masks = scripted_video(n_frames=6, twin=True)  # the twin looks the same: each matcher keeps its own
    first = np.where(masks[0] == 2, 7, masks[0] * 3).astype(np.uint8)
    predicted = run(PLMSegmenter(finetuned, finetune=False), frames, first)
    last, gt = predicted[-1], masks[-1]
    assert set(np.unique(last)) == {0, 3, 7}
    assert region_similarity(gt == 1, last == 3) > 0.7 and region_similarity(gt == 2, last == 7) > 0.6


def test_plm_segment_fine_tunes_first(tmp_path, video, capsys):
    import cv2

    frames, masks = video
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(frames[:4]):
        cv2.imwrite(str(folder / f"{i:05d}.png"), frame[..., ::-1])
    write_mask(tmp_path / "first.png", masks[0])
    out = tmp_path / "out"
    assert main(["segment", str(folder), "--mask", str(tmp_path / "first.png"), "--out", str(out), "--method",
                 "plm", "--device", "cpu", "--finetune-iterations", "5", "--no-overlay"]) == 0
    assert "fine-tuning" in capsys.readouterr().out
    assert json.loads((out / "timing.json").read_text())["finetune_seconds"] > 0
    assert read_mask(out / "00003.png").shape == SIZE
