"""The training loops: the loss falls, a resumed run equals an uninterrupted one, fine-tuning fits its frame.

Budgets are counted in steps, not seconds, so that a busy machine makes the tests slower, never flaky. The models
use a random (frozen) encoder so that no weights file is needed.
"""

import numpy as np
import pytest
import torch

from plmlib.data import make_video
from plmlib.model import build_model, load_checkpoint, read_checkpoint
from plmlib.train import (CacheConfig, OptimConfig, finetune, finetune_profile, first_frame_fit, pretrain,
                          pretrain_profile, read_loss_csv)
from plmlib.train.feature_pool import FeaturePool
from plmlib.train.pairs import DataConfig, PairConfig, PairDataset, collate


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: on a loaded 2-core machine two threads spin-wait for each other (10x slower steps)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small_pretrain(out, **changes):
    cfg = pretrain_profile("smoke")
    cfg.model.pretrained = False
    cfg.data = DataConfig(dataset="synthetic", scenarios=("translate", "distractor"), n_frames=6)
    cfg.run.out_dir, cfg.run.progress = str(out), False
    for key, value in changes.items():
        setattr(cfg, key, value)
    return cfg


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_loss_falls_on_synthetic_pairs(tmp_path):
    cfg = small_pretrain(tmp_path, iterations=60, batch_size=8,
                         cache=CacheConfig(enabled=True, pool_size=48, chunk=16, refresh_every=0),
                         optim=OptimConfig(lr=1e-3, schedule="constant"))
    pretrain(cfg)
    loss = read_loss_csv(tmp_path / "loss.csv")["loss"]
    assert len(loss) == 60
    first, last = loss[:10].mean(), loss[-10:].mean()
    assert last < 0.7 * first, (first, last)
    assert (tmp_path / "model.pt").is_file() and (tmp_path / "config.yaml").is_file()
    assert load_checkpoint(tmp_path / "model.pt").config.crop_size == 64


@pytest.mark.parametrize("cached", [False, True], ids=["images", "feature-pool"])
def test_resume_equals_uninterrupted(tmp_path, cached):
    """Checkpoint at step 3 of 6, then a fresh process state resumes from it: same weights, same loss log."""
    cache = CacheConfig(enabled=cached, pool_size=16, chunk=8, refresh_every=2, refresh_fraction=0.5)
    whole = small_pretrain(tmp_path / "whole", iterations=6, batch_size=2, cache=cache,
                           optim=OptimConfig(lr=1e-3, schedule="cosine", warmup=2))
    whole.run.checkpoint_every, whole.run.keep_checkpoints = 3, 0
    net_whole = pretrain(whole)

    # "Interrupted after step 3": a new run folder holding only the step-3 checkpoint (and the log so far).
    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    (part / "checkpoints" / "checkpoint_0000003.pt").write_bytes(
        (tmp_path / "whole" / "checkpoints" / "checkpoint_0000003.pt").read_bytes())
    rows = (tmp_path / "whole" / "loss.csv").read_text().splitlines()
    (part / "loss.csv").write_text("\n".join(rows[:4] + ["4,99,0,0"]) + "\n")  # + a step logged, never saved
    torch.manual_seed(123)  # disturb the global RNG: the checkpoint must restore it
    np.random.seed(123)
    resumed = small_pretrain(part, iterations=6, batch_size=2, cache=cache,
                             optim=OptimConfig(lr=1e-3, schedule="cosine", warmup=2))
    resumed.run.checkpoint_every = 3
    net_resumed = pretrain(resumed)

    assert same_weights(net_whole, net_resumed)
    a, b = read_loss_csv(tmp_path / "whole" / "loss.csv"), read_loss_csv(part / "loss.csv")
    assert np.array_equal(a["step"], b["step"]) and np.array_equal(a["loss"], b["loss"])
    extra = read_checkpoint(part / "checkpoints" / "checkpoint_0000006.pt")["extra"]
    assert extra["step"] == 6 and extra["sampler"]["step"] == 6


def test_resume_refuses_another_batch_size(tmp_path):
    cfg = small_pretrain(tmp_path, iterations=2, batch_size=2)
    pretrain(cfg)
    cfg.iterations, cfg.batch_size = 4, 3
    with pytest.raises(ValueError, match="batch"):
        pretrain(cfg)


def test_pool_chunks_follow_the_step():
    video = make_video("translate", n_frames=4)
    from plmlib.model import build_model

    net = build_model("small", pretrained=False)
    pool = FeaturePool(net, PairDataset([video], PairConfig(crop_size=64)), 32, chunk=8, refresh_every=10,
                       refresh_fraction=0.5, progress=False)
    assert pool.chunks_at(0) == [0, 1, 2, 3] and pool.chunks_at(9) == [0, 1, 2, 3]
    assert pool.chunks_at(10) == [4, 5, 2, 3] and pool.chunks_at(20) == [4, 5, 6, 7]
    assert pool.chunks_at(30) == [8, 9, 6, 7]


def test_finetuned_small_model_fits_its_own_frame(tmp_path):
    """Slides: fine-tuning on the single first frame teaches the target; the network then segments that frame.

    With the hed encoder weights (a random encoder reaches about 0.9: too close to the bar)."""
    try:
        build_model("small")
    except FileNotFoundError as err:
        pytest.skip(f"hed encoder weights not installed: {err}")
    cfg = finetune_profile("smoke")
    cfg.iterations, cfg.batch_size = 150, 8
    cfg.run.out_dir, cfg.run.progress = str(tmp_path), False
    video = make_video("translate", n_frames=4, seed=0)
    net = finetune(cfg, video)
    j = first_frame_fit(net, video, frames=(0,), pairs=cfg.pairs)[0]["J"]
    assert j > 0.9, j
    assert (tmp_path / "model.pt").is_file()


def test_finetune_on_frame_trains_a_copy_in_memory_and_writes_nothing(tmp_path, monkeypatch):
    """plmlib.train.finetune_on_frame (what plmlib.infer fine-tunes with): no file, no temporary folder; the network
    handed over is left as it was; the same seed, the same weights."""
    import tempfile

    from plmlib.train import FinetuneConfig, finetune_on_frame

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: pytest.fail("a temporary folder"))
    video = make_video("translate", n_frames=2, size=(96, 128), seed=0)
    net = build_model("small", pretrained=False, seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    config = FinetuneConfig(iterations=3, batch_size=2)
    config.run.device, config.run.progress = "cpu", False
    a = finetune_on_frame(net, video.frames[0], video.first_mask * 255, config)
    b = finetune_on_frame(net, video.frames[0], video.first_mask, config)
    assert list(tmp_path.iterdir()) == []
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert any(not torch.equal(v, a.state_dict()[k]) for k, v in before.items()) and not a.training


def test_cli_pretrain_then_finetune(tmp_path, capsys):
    from plmlib.cli import main

    pre = tmp_path / "pre"
    assert main(["train", "pretrain", "--profile", "smoke", "--out", str(pre), "--iterations", "3",
                 "--no-progress", "--set", "model.pretrained=false", "--set", "data.n_frames=4"]) == 0
    assert (pre / "loss.png").is_file() and (pre / "model.pt").is_file()
    fine = tmp_path / "fine"
    assert main(["train", "finetune", "--profile", "smoke", "--checkpoint", str(pre / "model.pt"), "--out", str(fine),
                 "--iterations", "3", "--no-progress", "--eval-frames", "0,2", "--set", "cache.pool_size=16"]) == 0
    out = capsys.readouterr().out
    assert "J before" in out and (fine / "fit.csv").read_text().startswith("sequence,frame,J_before,J_after")
    assert main(["train", "pretrain", "--out", str(pre), "--set", "nope=1"]) == 2


def test_partly_frozen_encoder_pool_equals_the_image_forward():
    """Blocks 1-4 frozen: the pool caches conv3_3, conv4_3 and pool4's output; block 5 runs (and learns) per step."""
    from plmlib.model import build_model
    from plmlib.train.pretrain import PairForward

    torch.manual_seed(0)
    net = build_model("plm", pretrained=False)
    net.encoder.freeze_blocks((1, 2, 3, 4))
    pairs = PairDataset([make_video("translate", n_frames=4)], PairConfig(crop_size=128))
    pool = FeaturePool(net, pairs, 4, chunk=4, dtype=torch.float32, progress=False)
    pool.sync(0)
    assert pool.partial and set(pool.query) == {"conv3_3", "conv4_3"}
    assert pool.boundary_inputs["query"].shape == (4, 512, 8, 8)
    cached = {"query_features": pool.query, "search_features": pool.search,
              "query_boundary": pool.boundary_inputs["query"], "search_boundary": pool.boundary_inputs["search"]}
    images = collate([pairs[i] for i in range(4)])
    net.eval()
    from_pool = PairForward(net)(cached)
    with torch.no_grad():
        from_images = net(images["query"], images["query_mask"], images["search"])
    assert torch.allclose(from_pool, from_images, atol=1e-4)
    from_pool.sum().backward()
    assert net.encoder.block_parameters(5)[0].grad is not None
    assert all(p.grad is None for b in (1, 2, 3, 4) for p in net.encoder.block_parameters(b))


def test_pretrain_trains_the_last_block_from_a_pool(tmp_path):
    cfg = small_pretrain(tmp_path, iterations=3, batch_size=2,
                         cache=CacheConfig(enabled=True, pool_size=8, chunk=4, refresh_every=2))
    cfg.model.frozen_blocks = (1, 2, 3, 4)
    cfg.run.checkpoint_every = 3
    torch.manual_seed(0)
    start = build_model("small", pretrained=False)
    net = pretrain(cfg)
    assert read_checkpoint(tmp_path / "checkpoints" / "checkpoint_0000003.pt")["extra"]["sampler"]["pool"]
    assert torch.equal(net.encoder.block_parameters(1)[0], start.encoder.block_parameters(1)[0])
    assert not torch.equal(net.encoder.block_parameters(5)[0], start.encoder.block_parameters(5)[0])


def test_balanced_loss_gives_object_and_background_equal_weight():
    """OptimConfig.loss = "balanced" (OSVOS): the mean of the two classes' mean cross-entropies, whatever their
    shares; an all-background prediction of a one-pixel object is cheap with plain cross-entropy, not balanced."""
    import torch.nn.functional as F

    from plmlib.train.pretrain import pixel_loss

    target = torch.zeros(1, 10, 10, dtype=torch.long)
    target[0, 4, 4] = 1
    logits = torch.zeros(1, 2, 10, 10)
    logits[:, 0] = 3.0  # confident background everywhere
    per_pixel = F.cross_entropy(logits, target, reduction="none")[0]
    expected = (per_pixel[target[0] == 1].mean() + per_pixel[target[0] == 0].mean()) / 2
    torch.testing.assert_close(pixel_loss(logits, target, "balanced"), expected)
    assert pixel_loss(logits, target, "balanced") > 10 * pixel_loss(logits, target, "cross_entropy")
    background_only = torch.zeros_like(target)
    torch.testing.assert_close(pixel_loss(logits, background_only, "balanced"),
                               pixel_loss(logits, background_only, "cross_entropy"))
    with pytest.raises(ValueError, match="loss must be one of"):
        OptimConfig(loss="dice")
