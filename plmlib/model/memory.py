"""Parameters and peak training memory per preset and batch size: the slides' "with vs without compressor".

Slides: with compressors about 3.7 GB at batch 32; without them more than 12 GB at batch 1 ("TITAN X cannot
handle this"). Both were GPU figures of the authors' (Caffe-era) implementation; ours are CPU figures of this one.

Two methods, reported side by side:
- computed (``estimate_training_memory``): the model is built on PyTorch's ``meta`` device (shapes, no data), one
  training forward pass runs there with a saved-tensors hook that adds up the bytes autograd keeps for the backward
  pass (each storage once, parameters excluded). Peak = weights + gradients (trainable) + optimiser state
  (Adam 2x, SGD with momentum 1x the trainable weights) + the larger of the backward pass's needs (saved activations
  and the gradients flowing through the largest one) and the optimiser step's temporaries (Adam: two copies of the
  largest trainable tensor). Works for any size, also ones that do not fit this machine.
- measured (``measure_training_memory``): a fresh Python subprocess builds the model (random weights), runs
  ``steps`` full training steps (forward, cross-entropy, backward, optimiser step) on random crops and reports its
  peak resident memory (Linux: VmHWM of /proc/self/status; elsewhere ``ru_maxrss``, which on Linux would inherit
  the parent's size through fork/exec); the peak of the same process just before the model is built (Python and
  torch imported) is subtracted. The second step is the one that holds the optimiser
  state during the backward pass, hence 2 steps.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from .build import build_model
from .config import PLMConfig, resolve_config
from .plm_net import PLMNet

GB = 1e9  # the slides' GB; decimal
OPTIMIZERS = {"adam": 2, "sgd": 1}  # optimiser state per trainable weight (SGD: with momentum, as Caffe)
PAPER_GB = {("plm", 32): "about 3.7", ("plm_no_compressor", 1): "more than 12"}


def _meta_model(config: PLMConfig) -> PLMNet:
    with torch.device("meta"):
        return PLMNet(config)


def count_parameters(config: PLMConfig | str) -> dict[str, int]:
    """Parameters per part (encoder, compressors, fc, fc1, decoder), total and trainable; no memory used."""
    config = resolve_config(config)
    model = _meta_model(config)

    def n(module: torch.nn.Module | None) -> int:
        return 0 if module is None else sum(p.numel() for p in module.parameters())

    return {
        "encoder": n(model.encoder),
        "compressors": n(model.compressors),
        "fc": n(model.fc1) + n(model.fc2) + n(model.fc3),
        "fc1": n(model.fc1),
        "decoder": n(model.decoder),
        "total": model.num_parameters(),
        "trainable": model.num_parameters(trainable_only=True),
    }


def _saved_activation_bytes(model: PLMNet, batch_size: int) -> tuple[int, int]:
    """(total, largest) bytes autograd saves for backward in one training forward pass (meta: nothing computed)."""
    s = model.config.crop_size
    param_storages = {p.untyped_storage()._cdata for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        st = t.untyped_storage()
        if st._cdata not in param_storages:
            seen[st._cdata] = st.nbytes()
        return t

    model.train()
    with torch.device("meta"), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        q, m, x = torch.rand(batch_size, 3, s, s), torch.rand(batch_size, 1, s, s), torch.rand(batch_size, 3, s, s)
        target = torch.zeros(batch_size, s, s, dtype=torch.long)
        F.cross_entropy(model(q, m, x), target)
    return sum(seen.values()), max(seen.values(), default=0)


def estimate_training_memory(config: PLMConfig | str, batch_size: int, optimizer: str = "adam") -> dict[str, float]:
    """Computed peak memory of one training step (float32), in bytes per component and ``total``.

    total = weights + gradients + optimiser state + max(backward, optimiser step), where the backward pass adds the
    saved activations plus two copies of the largest one (the gradients flowing through it), and the step adds
    PyTorch's single-tensor Adam temporaries (sqrt, then division: two copies of the largest trainable tensor;
    SGD with momentum works in place). An approximation: compare with the measured column.
    """
    config = resolve_config(config)
    model = _meta_model(config)
    params = list(model.parameters())
    trainable = [p for p in params if p.requires_grad]
    weights = 4.0 * sum(p.numel() for p in params)
    grads = 4.0 * sum(p.numel() for p in trainable)
    state = OPTIMIZERS[optimizer] * grads
    saved, largest = map(float, _saved_activation_bytes(model, batch_size))
    backward = saved + 2 * largest
    step = (8.0 * max((p.numel() for p in trainable), default=0)) if optimizer == "adam" else 0.0
    return {"weights": weights, "gradients": grads, "optimizer_state": state, "activations": saved,
            "backward_transient": 2 * largest, "step_transient": step,
            "total": weights + grads + state + max(backward, step)}


# ---- measurement in a subprocess ------------------------------------------------------------------------------------
def _peak_rss_bytes() -> int:
    """Peak resident memory of this process: VmHWM on Linux (the high-water mark of this process's own address
    space; ``ru_maxrss`` would carry over the parent's size through fork and exec), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024  # Linux reports KiB, macOS bytes


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs in the subprocess: build, train ``steps`` steps, report peak RSS and per-stage seconds."""
    baseline = _peak_rss_bytes()
    torch.manual_seed(0)
    model = build_model(PLMConfig.from_dict(spec["config"]), pretrained=False)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.Adam(params, lr=1e-5) if spec["optimizer"] == "adam"
           else torch.optim.SGD(params, lr=1e-5, momentum=0.9))
    b, s = spec["batch_size"], model.config.crop_size
    q, m, x = torch.rand(b, 3, s, s), (torch.rand(b, 1, s, s) > 0.5).float(), torch.rand(b, 3, s, s)
    target = torch.randint(0, 2, (b, s, s))
    times = []
    for _ in range(spec["steps"]):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(q, m, x), target)
        t1 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        times.append((t1 - t0, t2 - t1, t3 - t2))
    return {"peak_rss": _peak_rss_bytes(), "baseline_rss": baseline, "forward_s": times[-1][0],
            "backward_s": times[-1][1], "optimizer_s": times[-1][2], "threads": torch.get_num_threads()}


#: the subprocess of measure_training_memory: one spec in (JSON, argv[1]), one line of JSON out
_CHILD = "import json, sys; from plmlib.model.memory import _child; print(json.dumps(_child(json.loads(sys.argv[1]))))"


def measure_training_memory(config: PLMConfig | str, batch_size: int, optimizer: str = "adam", steps: int = 2,
                            timeout: float = 600) -> dict[str, Any]:
    """Measured peak of a training step in a fresh subprocess (see the module docstring). Keys: peak_rss,
    baseline_rss, net (bytes), forward_s, backward_s, optimizer_s (seconds of the last step)."""
    config = resolve_config(config)
    spec = {"config": config.to_dict(), "batch_size": batch_size, "optimizer": optimizer, "steps": steps}
    proc = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(spec)],
                          capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
    if proc.returncode != 0:
        raise RuntimeError(f"memory measurement failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["net"] = out["peak_rss"] - out["baseline_rss"]
    return out


# ---- the report -----------------------------------------------------------------------------------------------------
DEFAULT_PLAN = (
    # (preset, optimizer, batch sizes)
    ("small", "adam", (1, 16, 32)),
    ("plm_s", "adam", (1, 32)),
    ("plm", "adam", (1, 16, 32)),
    ("plm", "sgd", (1, 32)),
    ("plm_no_decoder", "adam", (32,)),
    ("plm_no_compressor", "adam", (1, 32)),
    ("plm_no_compressor", "sgd", (1, 32)),
)


def memory_report(plan=DEFAULT_PLAN, measure: bool = True, max_measure_gb: float = 10.0,
                  log=print) -> list[dict[str, Any]]:
    """One row per (preset, optimizer, batch): parameters, computed peak, measured peak where the computed one is
    at most ``max_measure_gb`` (keeps within this machine's RAM), seconds per stage, and the paper's figure."""
    rows = []
    for preset, opt, batches in plan:
        cfg = resolve_config(preset)
        counts = count_parameters(cfg)
        for b in batches:
            est = estimate_training_memory(cfg, b, opt)
            row: dict[str, Any] = {
                "preset": preset, "optimizer": opt, "batch": b, "crop": cfg.crop_size,
                "vector_size": cfg.vector_size, "params_total": counts["total"],
                "params_trainable": counts["trainable"], "params_fc1": counts["fc1"],
                "computed_gb": round(est["total"] / GB, 2),
                "computed_weights_gb": round(est["weights"] / GB, 2),
                "computed_static_gb": round((est["total"] - est["activations"]) / GB, 2),
                "computed_activations_gb": round(est["activations"] / GB, 2),
                "measured_gb": "", "measured_rss_gb": "", "forward_s": "", "backward_s": "", "optimizer_s": "",
                "method": "computed", "paper_gb": PAPER_GB.get((preset, b), ""),
            }
            if measure and est["total"] / GB <= max_measure_gb:
                t0 = time.time()
                m = measure_training_memory(cfg, b, opt)
                row.update(measured_gb=round(m["net"] / GB, 2), measured_rss_gb=round(m["peak_rss"] / GB, 2),
                           forward_s=round(m["forward_s"], 3), backward_s=round(m["backward_s"], 3),
                           optimizer_s=round(m["optimizer_s"], 3), method="measured+computed")
                log(f"{preset:18s} {opt:4s} b={b:<3d} computed {row['computed_gb']:6.2f} GB  measured "
                    f"{row['measured_gb']:6.2f} GB  ({time.time() - t0:.0f} s)")
            else:
                log(f"{preset:18s} {opt:4s} b={b:<3d} computed {row['computed_gb']:6.2f} GB  (not measured)")
            rows.append(row)
    return rows


def compressor_ratio(rows: list[dict[str, Any]], optimizer: str = "sgd") -> dict[str, Any]:
    """The slides' comparison: (without compressor, batch 1) / (with compressor, batch 32)."""
    def pick(preset, b, key):
        for r in rows:
            if (r["preset"], r["batch"], r["optimizer"]) == (preset, b, optimizer) and r[key] != "":
                return float(r[key])
        return None

    without = pick("plm_no_compressor", 1, "computed_gb")
    with_c = pick("plm", 32, "measured_gb") or pick("plm", 32, "computed_gb")
    return {"optimizer": optimizer, "with_compressor_b32_gb": with_c, "without_compressor_b1_gb": without,
            "ratio": None if not (without and with_c) else round(without / with_c, 2),
            "paper_ratio": "more than 12 / 3.7 = more than 3.2"}


def read_report(csv_path: str | Path) -> list[dict[str, Any]]:
    """Rows of a memory_report.csv, numbers as numbers ("" where not measured)."""
    def num(v: str) -> Any:
        for cast in (int, float):
            try:
                return cast(v)
            except ValueError:
                pass
        return v

    with open(csv_path, newline="") as f:
        return [{k: num(v) for k, v in row.items()} for row in csv.DictReader(f)]


def write_report(rows: list[dict[str, Any]], out_dir: str | Path, notes: str = "") -> tuple[Path, Path]:
    """results/memory/memory_report.csv and .md (the .md holds the table, the ratios and the method)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "memory_report.csv", out / "memory_report.md"
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cols = ["preset", "optimizer", "batch", "params_total", "params_fc1", "computed_weights_gb", "computed_gb",
            "measured_gb", "paper_gb", "forward_s", "backward_s", "optimizer_s"]
    lines = ["# Peak training memory per preset and batch size", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(f"{r[c]:,}" if isinstance(r[c], int) and c.startswith("params") else str(r[c])
                                       for c in cols) + " |")
    lines += ["", "## With vs without compressor (slides: about 3.7 GB at batch 32 vs more than 12 GB at batch 1)", ""]
    for opt in ("sgd", "adam"):
        c = compressor_ratio(rows, opt)
        if c["ratio"] is not None:
            lines.append(f"- {opt}: with compressor, batch 32: {c['with_compressor_b32_gb']} GB; without, batch 1: "
                         f"{c['without_compressor_b1_gb']} GB; ratio {c['ratio']} (paper: {c['paper_ratio']}).")
    lines += ["", "## Method", "", (__doc__ or "").strip(), ""]
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    md_path.write_text("\n".join(lines))
    return csv_path, md_path
