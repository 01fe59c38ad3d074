"""Pre-training under torchrun with DistributedDataParallel: 2 CPU processes (gloo) end with identical weights,
equal to one process that takes both processes' pairs in one batch (rank r takes (step * 2 + r) * batch + k)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from plmlib.model import build_model

REPO = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent("""
    import os, sys
    import torch
    from plmlib.train import OptimConfig, pretrain, pretrain_profile
    from plmlib.train.pairs import DataConfig

    out, batch = sys.argv[1], int(sys.argv[2])
    cfg = pretrain_profile("smoke")
    cfg.model.pretrained = False
    cfg.data = DataConfig(dataset="synthetic", scenarios=("translate", "distractor"), n_frames=6)
    cfg.iterations, cfg.batch_size = 3, batch
    cfg.optim = OptimConfig(optimizer="sgd", lr=0.05, schedule="constant", grad_clip=None)
    cfg.run.out_dir, cfg.run.progress, cfg.run.checkpoint_every = out, False, 0
    net = pretrain(cfg)
    torch.save(net.state_dict(), os.path.join(out, f"rank{os.environ.get('RANK', '0')}.pt"))
""")


def run(cmd, env):
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_ddp_two_processes_match(tmp_path):
    pytest.importorskip("torch.distributed")
    if not torch.distributed.is_gloo_available():
        pytest.skip("gloo backend not available")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script),
         str(tmp_path / "ddp"), "2"], env)
    run([sys.executable, str(script), str(tmp_path / "single"), "4"], env)

    rank0 = torch.load(tmp_path / "ddp" / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "ddp" / "rank1.pt", weights_only=True)
    single = torch.load(tmp_path / "single" / "rank0.pt", weights_only=True)
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)  # the replicas stay identical
    torch.manual_seed(0)  # the initial weights (pretrain seeds with run.seed = 0 before building): training moved them
    initial = build_model("small", pretrained=False).state_dict()
    assert not torch.equal(initial["fc1.weight"], rank0["fc1.weight"])
    for k in rank0:  # and equal one process at twice the batch (gradients averaged over the processes)
        torch.testing.assert_close(rank0[k], single[k], rtol=1e-4, atol=1e-5, msg=k)
    # Only rank 0 writes the run's files.
    assert (tmp_path / "ddp" / "model.pt").is_file() and (tmp_path / "ddp" / "loss.csv").is_file()
    logged = (tmp_path / "ddp" / "loss.csv").read_text().splitlines()
    assert len(logged) == 4  # header + 3 steps
