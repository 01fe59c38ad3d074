"""PLMSegmenter's machinery, fast: tracking through translation, scale change, occlusion and loss, PLM_U, PLM_P,
several objects, streaming, clear errors, ``plm segment --method plm``.

Most tests here use ``ColourNet``, a stand-in with the network's inference interface (encode_query, segment) that
segments by a colour model of the query: it isolates the pipeline (slides (a)-(h), box tracking) from learning and
runs in milliseconds. The same checks with a real ``small`` PLM network fine-tuned on the first frame are in
test_infer_tracking.py (marked slow: fine-tuning takes a minute or more on a loaded 2-core CPU).
"""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import yaml

from plmlib.cli import main
from plmlib.core.methods import METHODS, create_segmenter
from plmlib.core.segmenter import segment_video
from plmlib.data.synthetic import blob_sprite, colour_texture, place
from plmlib.infer import PLM_THRESHOLD, PLMSegmenter, PLMUSegmenter, segment_frames
from plmlib.infer import share_finetuning
from plmlib.io import FrameError, MaskError, read_mask, write_mask
from plmlib.metrics import region_similarity
from plmlib.model import PLMNet

SIZE = (144, 256)
BACKGROUND = np.array([[40, 110, 40], [90, 160, 70], [140, 190, 110]], np.float32)  # greens
OBJECT = np.array([[40, 40, 150], [90, 110, 220], [230, 150, 60]], np.float32)  # blue and orange


def scripted_video(n_frames=30, seed=0, twin=False):
    """One object, distinct from the background, that translates (frames 1-9), grows 1.5x while moving on
    (10-19), is partly hidden (about a sixth of it) by a background-coloured post for three frames (21-23), then
    moves on. With ``twin``, a second copy of it (id 2) stays still in the lower right corner."""
    rng = np.random.default_rng(seed)
    background = colour_texture(rng, *SIZE, BACKGROUND, stripes=0.1)
    sprite = blob_sprite(rng, 44, OBJECT)
    post = colour_texture(rng, 80, 8, BACKGROUND[::-1])
    frames, masks = [], []
    for i in range(n_frames):
        cx = 70 + 4.0 * i
        cy = 60 + 1.5 * i
        scale = 1.0 + 0.5 * np.clip((i - 10) / 9, 0, 1)
        tex, alpha = place(sprite, SIZE, (cx, cy), 0.0, scale)
        frame = background * (1 - alpha[..., None]) + tex * alpha[..., None]
        mask = (alpha >= 0.5).astype(np.uint8)
        if twin:
            tex2, alpha2 = place(sprite, SIZE, (215, 115), 30.0, 0.8)
            frame = frame * (1 - alpha2[..., None]) + tex2 * alpha2[..., None]
            mask[(alpha2 >= 0.5) & (mask == 0)] = 2
        if 21 <= i <= 23:  # the occluder: a vertical post in front of the object, left of its centre
            y, x = int(cy) - 40, int(cx) - 14
            frame[y:y + 80, x:x + 8] = post
            mask[y:y + 80, x:x + 8] = 0
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
        masks.append(mask)
    return frames, masks


class ColourNet(torch.nn.Module):
    """Stand-in for PLMNet at inference: the query vector is a colour histogram of the object and of the rest of
    the query crop (8 levels per channel); a search pixel's foreground probability is its colour's share of object
    pixels (histogram back-projection)."""

    def __init__(self, crop_size: int = 64):
        super().__init__()
        self.config = SimpleNamespace(crop_size=crop_size)

    @staticmethod
    def _bins(rgb: torch.Tensor) -> torch.Tensor:
        q = (rgb * 7.999).long()
        return q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]

    def encode_query(self, query: torch.Tensor, query_mask: torch.Tensor) -> torch.Tensor:
        bins, fg = self._bins(query)[0].flatten(), query_mask[0, 0].flatten() > 0.5
        hist = [torch.bincount(bins[m], minlength=512).float() for m in (fg, ~fg)]
        return torch.cat([h / h.sum().clamp_min(1) for h in hist])[None]

    def segment(self, query_vec: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        fg, bg = query_vec[0, :512], query_vec[0, 512:]
        bins = self._bins(search)
        p = fg[bins] / (fg[bins] + bg[bins]).clamp_min(1e-6)
        logit = torch.logit(p.clamp(1e-4, 1 - 1e-4))
        return torch.stack([torch.zeros_like(logit), logit], dim=1)

    foreground_probability = staticmethod(PLMNet.foreground_probability)


@pytest.fixture(scope="module")
def video():
    return scripted_video()


def run(segmenter, frames, first_mask):
    return list(segment_video(segmenter, frames, first_mask))


def plm(**options):
    return PLMSegmenter(ColourNet(), finetune=False, device="cpu", **options)


def test_the_plm_methods_are_registered():
    assert {"plm", "plm_p", "plm_u", "plm_grabcut"} <= set(METHODS)
    assert create_segmenter("plm_u", model=ColourNet(), finetune=False).update_every == 10
    assert create_segmenter("plm_p", model=ColourNet(), finetune=False).postprocess is not None
    assert create_segmenter("plm_grabcut", model=ColourNet(), finetune=False).grabcut is not None
    assert create_segmenter("plm", model=ColourNet(), finetune=False).grabcut is None


def test_tracks_through_translation_scale_change_and_occlusion(video):
    frames, masks = video
    segmenter = plm()
    predicted = run(segmenter, frames, masks[0])
    j = np.array([region_similarity(gt, m) for gt, m in zip(masks, predicted)])
    assert j[1:10].mean() > 0.8 and j[10:20].mean() > 0.8 and j[21:24].mean() > 0.8 and j[24:].mean() > 0.8, j
    # the box followed the object's growth (1.5x), damped
    width = segmenter.trackers[0].box[2] - segmenter.trackers[0].box[0]
    assert width > 1.3 * (np.flatnonzero(masks[0].any(0))[-1] - np.flatnonzero(masks[0].any(0))[0])
    assert segmenter.timing_summary()["windows_per_frame"] == 3


def test_flow_motion_keeps_tracking(video):
    frames, masks = video
    predicted = run(plm(candidates={"motion": "flow"}), frames, masks[0])
    j = np.array([region_similarity(gt, m) for gt, m in zip(masks, predicted)])
    assert j[1:20].mean() > 0.8, j


def test_a_visual_tracker_window_keeps_an_object_the_box_leaves_behind(video):
    frames, masks = video
    frozen = {"position_damping": 0.0, "scale_damping": 0.0}  # the box never moves: the object walks out of it
    alone = run(plm(candidates=frozen), frames[:20], masks[0])
    helped_segmenter = plm(candidates={**frozen, "visual_tracker": "csrt"})
    helped = run(helped_segmenter, frames[:20], masks[0])
    # frames 8-14: the object is walking out of the frozen box's windows (then it is lost and found by the
    # recovery grid); the tracker's window stays on it
    j_alone = np.array([region_similarity(gt, m) for gt, m in zip(masks[8:15], alone[8:15])])
    j_helped = np.array([region_similarity(gt, m) for gt, m in zip(masks[8:15], helped[8:15])])
    assert j_alone.mean() < 0.3 and j_helped.mean() > 0.85, (j_alone, j_helped)
    assert 3 < helped_segmenter.timing_summary()["windows_per_frame"] <= 4  # one more window, when it differs


def test_a_lost_object_is_searched_for_in_the_whole_frame(video):
    frames, masks = video
    segmenter = plm()
    segmenter.start(frames[0], masks[0])
    segmenter.step(frames[1])
    blank = np.zeros_like(frames[0]) + np.array([90, 160, 70], np.uint8)  # the object is gone
    assert not segmenter.step(blank).any() and segmenter.trackers[0].lost
    assert len(segmenter.trackers[0].windows()) > 3  # next: the recovery grid
    found = segmenter.step(frames[25])  # back, far away and larger
    assert not segmenter.trackers[0].lost and region_similarity(masks[25], found) > 0.7


def test_plm_u_updates_the_query_every_ten_frames_and_plm_p_filters(video):
    frames, masks = video
    frames = frames[:14]
    reference = plm()
    plm_masks = run(reference, frames, masks[0])
    probabilities = []
    segmenter = PLMUSegmenter(ColourNet(), finetune=False, update_model=False)  # the query only: see below
    queries = []
    for k, mask in enumerate(segment_video(segmenter, frames, masks[0])):
        queries.append(segmenter.matchers[0].query_vec.clone())
        probabilities.append(segmenter.probabilities.copy())
    changed = [k for k in range(1, len(queries)) if not torch.equal(queries[k], queries[k - 1])]
    assert changed == [10]  # after frame 10, the query is frame 10's prediction
    reference_probabilities = plm()
    plm_probabilities = []
    for mask in segment_video(reference_probabilities, frames, masks[0]):
        plm_probabilities.append(reference_probabilities.probabilities.copy())
    assert all(np.array_equal(a, b) for a, b in zip(plm_probabilities[:11], probabilities[:11]))
    assert not np.array_equal(plm_probabilities[11], probabilities[11])  # PLM_U changes the output
    plm_p = run(plm(postprocess={"radius": 3}), frames, masks[0])
    assert sum(not np.array_equal(a, b) for a, b in zip(plm_masks[1:], plm_p[1:])) >= 5  # PLM_P changes it
    assert np.mean([region_similarity(gt, m) for gt, m in zip(masks[1:14], plm_p[1:])]) > 0.8


def test_plm_u_model_update_fine_tunes_the_current_network_on_its_own_prediction(video):
    """Slides: "successive frames matching with model update ... after ten-frame processing": at frame 10 the
    object's network is fine-tuned further, from the one it has, on that frame and its predicted mask."""
    frames, masks = video
    options = {"checkpoint": None, "preset": "small", "device": "cpu", "finetune_options": {"iterations": 2}}
    segmenter = PLMUSegmenter(**options)
    assert segmenter.update_model and segmenter.update_every == 10
    networks, queries, calls = [], [], []
    tune = segmenter.builder.finetuned

    def spy(frame, object_mask, start=None):
        calls.append((start, object_mask.copy()))
        return tune(frame, object_mask, start=start)

    segmenter.builder.finetuned = spy
    outputs = []
    for mask in segment_video(segmenter, frames[:12], masks[0]):
        networks.append(segmenter.matchers[0].net)
        queries.append(segmenter.matchers[0].query_vec.clone())
        outputs.append(mask)
    assert [start is None for start, _ in calls] == [True, False]  # the first frame's, then one update
    assert calls[1][0] is networks[9]  # the update starts from the network the object had
    assert np.array_equal(calls[1][1], (outputs[10] == 1).astype(np.uint8))  # ... on its own prediction
    changed = [k for k in range(1, 12) if networks[k] is not networks[k - 1]]
    assert changed == [10]
    before, after = networks[9].state_dict(), networks[10].state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # weights moved
    assert not torch.equal(queries[10], queries[9])
    timing = segmenter.timing_summary()
    assert timing["update_seconds"] > 0 and timing["finetune_seconds"] > 0
    assert segmenter.settings()["update_model"] is True and segmenter.settings()["finetune_options"]["iterations"] == 2
    # handed a fine-tuned network (finetune=False), its updates still fine-tune, with the options handed over
    shared, _ = share_finetuning(frames[0], masks[0], **options)
    handed = create_segmenter("plm_u", **{**options, **shared})
    run(handed, frames[:11], masks[0])
    assert handed.timing["finetune_seconds"] == 0 and handed.timing["update_seconds"] > 0


def test_grabcut_refines_each_map_and_the_box_follows_the_refined_mask(video):
    frames, masks = video
    frames = frames[:12]
    plain, refined = plm(), plm(grabcut={"iterations": 2})
    plm_masks, grabcut_masks = run(plain, frames, masks[0]), run(refined, frames, masks[0])
    assert sum(not np.array_equal(a, b) for a, b in zip(plm_masks[1:], grabcut_masks[1:])) >= 5
    j = [region_similarity(gt, m) for gt, m in zip(masks[1:12], grabcut_masks[1:])]
    assert np.mean(j) > 0.8, j
    # the map it thresholds is the refined one: thresholding it again gives the mask
    np.testing.assert_array_equal(refined.probabilities[1] >= refined.threshold, grabcut_masks[-1] == 1)
    with pytest.raises(TypeError, match="GrabCutConfig"):
        plm(grabcut={"radius": 3})
    with pytest.raises(ValueError, match="sure_background < threshold < sure_foreground"):
        plm(grabcut=True, threshold=0.8)  # refused when built, not at the first frame


def test_two_objects_come_out_with_their_own_ids():
    frames, masks = scripted_video(n_frames=6, twin=True)
    first = np.where(masks[0] == 2, 7, masks[0] * 3).astype(np.uint8)  # ids 3 and 7 (DAVIS 2017 style)
    segmenter = plm()
    predicted = run(segmenter, frames, first)
    last, gt = predicted[-1], masks[-1]
    assert set(np.unique(last)) == {0, 3, 7}
    assert region_similarity(gt == 1, last == 3) > 0.8 and region_similarity(gt == 2, last == 7) > 0.8
    assert segmenter.probabilities.shape == (3, *SIZE) and len(segmenter.matchers) == 2
    np.testing.assert_allclose(segmenter.probabilities[0], 1 - segmenter.probabilities[1:].max(0), atol=1e-6)


def test_streams_frames_one_at_a_time(video):
    frames, masks = video
    produced = []

    def camera():  # a generator without a length, like a live stream
        for frame in frames[:8]:
            produced.append(1)
            yield frame

    for k, mask in enumerate(segment_frames(camera(), masks[0], model=ColourNet(), finetune=False)):
        assert len(produced) == k + 1 and mask.shape == SIZE  # frame k is segmented before frame k + 1 is read
    assert k == 7


def test_the_threshold_default_depends_on_whether_the_network_is_pretrained():
    assert plm().threshold == PLM_THRESHOLD == 0.3       # a network handed over: pre-trained (measured on DAVIS)
    assert PLMSegmenter(checkpoint=None).threshold == 0.5  # a fresh preset network: the paper README's start
    assert plm(threshold=0.42).threshold == 0.42
    # a fresh network handed over as a model (plmlib.experiments.ablation): fresh defaults for both, none of the pre-trained ones
    from plmlib.train import finetune_defaults

    fresh = plm(pretrained_network=False)
    assert fresh.threshold == 0.5 and fresh.builder.finetune_options == finetune_defaults(False)
    assert fresh.builder.finetune_options["cache.pool_size"] != finetune_defaults(True)["cache.pool_size"]


def test_bad_inputs_give_clear_errors(video):
    frames, masks = video
    with pytest.raises(FrameError, match="1 frame"):
        run(plm(), frames[:1], masks[0])
    with pytest.raises(MaskError, match="empty"):
        run(plm(), frames[:3], np.zeros(SIZE, np.uint8))
    with pytest.raises(MaskError, match="mask is 128x144 but its frame is 256x144"):
        run(plm(), frames[:3], masks[0][:, :128])
    with pytest.raises(TypeError, match="unknown CandidateConfig fields"):
        plm(candidates={"windows": 3})
    with pytest.raises(ValueError, match="weight_type"):
        plm(postprocess={"weight_type": "box"})
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        plm(threshold=50)


def test_one_finetuning_can_serve_several_variants(video):
    frames, masks = video
    options = {"checkpoint": None, "preset": "small", "device": "cpu", "finetune_options": {"iterations": 2}}
    tuner = PLMSegmenter(**options)
    network = tuner.builder.finetuned(frames[0], masks[0] * 255)  # every non-zero pixel is the object
    base = tuner.builder.base()
    changed = [not torch.equal(a, b) for a, b in zip(network.state_dict().values(), base.state_dict().values())]
    assert any(changed)  # a fine-tuned copy; the base network is left as it was
    # handed over, it gives the masks a segmenter that fine-tunes itself gives (same seed), without fine-tuning again
    own = run(PLMSegmenter(**options), frames[:4], masks[0])
    shared = PLMSegmenter(network, finetune=False, pretrained_network=False, device="cpu")
    assert all(np.array_equal(a, b) for a, b in zip(own, run(shared, frames[:4], masks[0])))
    assert shared.timing["finetune_seconds"] == 0
    with pytest.raises(MaskError, match="object mask is empty"):
        tuner.builder.finetuned(frames[0], np.zeros_like(masks[0]))
    with pytest.raises(MaskError, match="mask is 128x144 but its frame is 256x144"):
        tuner.builder.finetuned(frames[0], masks[0][:, :128])
    with pytest.raises(MaskError, match="object mask: expected a 2-D id map"):
        tuner.builder.finetuned(frames[0], np.dstack([masks[0]] * 3))
    with pytest.raises(FrameError, match="expected an H x W x 3 uint8 RGB frame"):
        tuner.builder.finetuned(frames[0].astype(np.float32), masks[0])


def test_share_finetuning_hands_one_network_to_the_variants_only_for_one_object(video):
    frames, masks = video
    options = {"checkpoint": None, "preset": "small", "device": "cpu", "finetune_options": {"iterations": 2}}
    shared, seconds = share_finetuning(frames[0], masks[0], **options)
    assert set(shared) == {"model", "finetune", "pretrained_network", "finetune_options"}
    assert shared["finetune"] is False and shared["finetune_options"]["iterations"] == 2
    # defaults filled in: PLM_U reuses them
    assert shared["finetune_options"] == PLMSegmenter(**options).builder.finetune_options
    assert seconds > 0 and shared["pretrained_network"] is False  # a fresh preset network, as PLMSegmenter says
    own = run(PLMSegmenter(**options), frames[:3], masks[0])
    handed = run(create_segmenter("plm_u", **{**options, **shared}), frames[:3], masks[0])  # no update before 10
    assert all(np.array_equal(a, b) for a, b in zip(own, handed))
    two = masks[0].copy()
    two[:8, :8] = 2
    assert share_finetuning(frames[0], two, **options) == ({}, 0.0)  # several objects: one network per object
    assert share_finetuning(frames[0], masks[0], finetune=False, **options) == ({}, 0.0)


def test_plm_segment_command(tmp_path, video, capsys):
    import cv2

    frames, masks = video
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(frames[:3]):
        cv2.imwrite(str(folder / f"{i:05d}.png"), frame[..., ::-1])
    two = np.where(masks[0] > 0, 5, 0).astype(np.uint8)
    two[:12, :12] = 9  # a second object: palette ids are kept
    write_mask(tmp_path / "first.png", two)
    out = tmp_path / "out"
    argv = ["segment", str(folder), "--mask", str(tmp_path / "first.png"), "--out", str(out), "--method", "plm",
            "--device", "cpu", "--no-finetune"]
    assert main(argv) == 0
    assert "3 frames segmented with plm" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["00000.png", "00001.png", "00002.png", "config.yaml",
                                                    "overlay.mp4", "timing.json"]
    timing = json.loads((out / "timing.json").read_text())
    for key in ("finetune_seconds", "network_seconds_per_frame", "rest_seconds_per_frame", "io_seconds_per_frame"):
        assert key in timing
    np.testing.assert_array_equal(read_mask(out / "00000.png"), two)
    assert set(np.unique(read_mask(out / "00002.png"))) <= {0, 5, 9}
    # PLM-only options are refused for the baselines; a missing checkpoint is named
    assert main(["segment", str(folder), "--mask", str(tmp_path / "first.png"), "--out", str(out),
                 "--method", "flow", "--no-finetune"]) == 2
    assert "apply to plm" in capsys.readouterr().err
    assert main(argv[:-1] + ["--checkpoint", str(tmp_path / "none.pt")]) == 2
    assert "none.pt: neither a checkpoint or release file nor a shipped model" in capsys.readouterr().err
    # candidate options: checked, applied, written down
    assert main(argv + ["--candidates", "visual_tracker=kcf"]) == 2
    assert "visual_tracker must be one of" in capsys.readouterr().err
    assert main(argv + ["--out", str(tmp_path / "csrt"), "--candidates", "visual_tracker=csrt", "--threads", "1"]) == 0
    saved = yaml.safe_load((tmp_path / "csrt" / "config.yaml").read_text())["config"]
    assert saved["candidates"] == {"visual_tracker": "csrt"} and saved["threads"] == 1
    assert json.loads((tmp_path / "csrt" / "timing.json").read_text())["windows_per_frame"] > 3


def test_finetuning_a_network_in_memory_equals_fine_tuning_its_checkpoint(tmp_path):
    """PLMSegmenter(model=net) copies the network in memory; it trains exactly as from net's checkpoint file, and
    the network handed over is left untouched."""
    from plmlib.data import make_video
    from plmlib.model import build_model, save_checkpoint

    video = make_video("translate", n_frames=2, size=(96, 128), seed=0)
    net = build_model("small", pretrained=False, seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    path = save_checkpoint(tmp_path / "net.pt", net)
    options = {"iterations": 3, "batch_size": 2, "cache.pool_size": 16}
    a = PLMSegmenter(model=net, finetune_options=options).builder.finetuned(video.frames[0], video.first_mask)
    b = PLMSegmenter(checkpoint=path, finetune_options=options).builder.finetuned(video.frames[0], video.first_mask)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(x, y, rtol=1e-6, atol=1e-6, msg=name)
    assert any(not torch.equal(v, a.state_dict()[k]) for k, v in before.items())  # it did train
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())  # on a copy


def test_each_shipped_release_fine_tunes_with_its_own_measured_budget(tmp_path):
    """plmlib.train.finetune_defaults per release (plmlib.model.release.RELEASE_FINETUNE): by name, by the shipped
    file's path, as the default, as a loaded network; another checkpoint gets the generic pre-trained budget; an
    explicit option wins."""
    from plmlib.model import build_model, save_checkpoint, shipped_path
    from plmlib.model.release import PAPER_ARCHITECTURE_NAME, RELEASE_FINETUNE, SHIPPED_NAME

    def budget(segmenter):
        return segmenter.builder.finetune_options["iterations"], segmenter.builder.finetune_options["lr"]

    def expected(name):
        return RELEASE_FINETUNE[name]["iterations"], RELEASE_FINETUNE[name]["lr"]

    assert budget(PLMSegmenter()) == expected(SHIPPED_NAME)
    assert budget(PLMSegmenter(checkpoint=PAPER_ARCHITECTURE_NAME)) == expected(PAPER_ARCHITECTURE_NAME)
    assert budget(PLMSegmenter(checkpoint=str(shipped_path(PAPER_ARCHITECTURE_NAME)))) == \
        expected(PAPER_ARCHITECTURE_NAME)
    save_checkpoint(tmp_path / "mine.pt", build_model("small", pretrained=False, seed=0))
    assert budget(PLMSegmenter(checkpoint=tmp_path / "mine.pt")) == (100, 1e-4)
    # a network handed over in memory (plm reproduce, plm demo) knows the release it was loaded from
    from plmlib.model import pretrained
    from plmlib.train.config import ModelChoice
    from plmlib.train.pretrain import build_net

    paper = pretrained(PAPER_ARCHITECTURE_NAME)
    assert budget(PLMSegmenter(model=paper)) == expected(PAPER_ARCHITECTURE_NAME)
    assert build_net(ModelChoice(), start=paper).release_name is None  # trained further: not the release any more
    assert PLMSegmenter(finetune_options={"iterations": 7}).builder.finetune_options["iterations"] == 7
