"""Training pairs: (query, search, target) cut from video sequences, with the slides' augmentation.

Slides, "Two-stage Training": pre-training = cropping, augmentation (translation, rotation, scale variation,
flipping), resizing, probability vs ground truth, loss; fine-tuning = cropping, resizing, segmenting on the first
frame of a new sequence. One pair:

- query  = the object in frame i: the window ``plmlib.core.crops.context_window`` cuts around its mask (exactly the
  query inference cuts from the first frame), and that crop's mask;
- search = a window in frame j of the same sequence, placed where inference would place it: around the object's box
  in the *previous* frame (j - 1; our choice, ``window_from``), jittered (translation, scale) because inference's
  windows come from its own, imperfect, previous prediction;
- target = the search window's ground-truth mask (S x S, 0/1).

Every pair is a pure function of (seed, index): ``PairDataset(seqs, cfg, seed)[n]`` is the same on any machine,
in any process, in any order; so the "data sampler position" of a run is a number (the next index), resuming
replays the same pairs, and DistributedDataParallel ranks take disjoint index ranges.

Empty masks (the object is out of view or hidden; DAVIS 2016 bmx-bumps has 14 such frames, surf one), on purpose:
- never a query (a query must show the object);
- kept as a search frame at their natural rate, with the window placed around the nearest annotated box (where
  inference's window would still be) and an all-background target: the network is taught to answer "nothing here".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from plmlib.core import crops
from plmlib.data import Davis2016, Sequence, make_video
from plmlib.data.roots import environment_root

# ---------------------------------------------------------------------------------------------------------------- #
# configuration


@dataclass
class Augmentation:
    """Random geometric changes of a crop (slides: translation, rotation, scale variation, flipping).

    Ranges are ours (the paper gives none); each is drawn uniformly and independently per crop:
      translate  shift of the window centre, a fraction of the window's side, in [-translate, translate] per axis
      scale      the window's side times 2**u, u in [-scale, scale] (0.25: 0.84x .. 1.19x)
      rotate     rotation of the image about the window centre, degrees in [-rotate, rotate]
      flip       probability of a horizontal flip
      colour     ours, beyond the slides: brightness, contrast and saturation each times 2**u, u in
                 [-colour, colour] (drawn from a stream of their own: the geometric draws stay as without it)
    """

    translate: float = 0.0
    scale: float = 0.0
    rotate: float = 0.0
    flip: float = 0.0
    colour: float = 0.0

    @property
    def is_identity(self) -> bool:
        return not (self.translate or self.scale or self.rotate or self.flip or self.colour)


# Our default ranges. The search crop varies more than the query: at inference the query is always the exact
# first-frame crop, while search windows come from imperfect previous predictions. Fine-tuning uses milder ranges:
# one frame has little to spare. Fine-tuning *for tracking* (plmlib.infer's first-frame fine-tuning) uses wider
# ranges, TRACKING_FINETUNE_SEARCH_AUG: with the mild ones a network fine-tuned on one frame learns "the object is at
# the window's centre, at this size", and at inference its box lags until the object is lost; the price is a looser
# fit to the frame itself. Measured: results/defaults/README.md.
PRETRAIN_QUERY_AUG = Augmentation(translate=0.0, scale=0.0, rotate=10.0, flip=0.5)
PRETRAIN_SEARCH_AUG = Augmentation(translate=0.15, scale=0.25, rotate=15.0, flip=0.5)
FINETUNE_QUERY_AUG = Augmentation()  # the query inference will use, unchanged
FINETUNE_SEARCH_AUG = Augmentation(translate=0.1, scale=0.15, rotate=5.0, flip=0.5)
TRACKING_FINETUNE_SEARCH_AUG = Augmentation(translate=0.25, scale=0.35, rotate=5.0, flip=0.5)


@dataclass
class PairConfig:
    """How pairs are cut (crop geometry is plmlib.core.crops', shared with inference).

      crop_size     S; None = the model's (the training loops fill it in)
      context       window = context x the object's box (paper README: 1.5 to start)
      square        square windows (see plmlib.core.crops)
      min_side      smallest window side in frame pixels
      pad           fill outside the frame: "mean" (the frame's mean colour) or "zeros"
      max_gap       |j - i| at most this many frames; None = any two frames of the sequence (our default: the
                    paper matches every frame against the first one, so any gap occurs at inference)
      window_from   "previous": the search window is placed around the object's box in frame j - 1 (as inference
                    places it around its previous prediction); "same": around its box in frame j
      query_aug     Augmentation of the query crop
      search_aug    Augmentation of the search crop
    """

    crop_size: int | None = None
    context: float = crops.DEFAULT_CONTEXT
    square: bool = True
    min_side: int = crops.DEFAULT_MIN_SIDE
    pad: str = "mean"
    max_gap: int | None = None
    window_from: str = "previous"
    query_aug: Augmentation = field(default_factory=lambda: Augmentation(**vars(PRETRAIN_QUERY_AUG)))
    search_aug: Augmentation = field(default_factory=lambda: Augmentation(**vars(PRETRAIN_SEARCH_AUG)))

    def __post_init__(self) -> None:
        if isinstance(self.query_aug, dict):
            self.query_aug = Augmentation(**self.query_aug)
        if isinstance(self.search_aug, dict):
            self.search_aug = Augmentation(**self.search_aug)
        if self.window_from not in ("previous", "same"):
            raise ValueError(f"window_from must be 'previous' or 'same', got {self.window_from!r}")


@dataclass
class DataConfig:
    """Which sequences pairs are drawn from.

      dataset      "davis2016" or "synthetic" (plmlib.data.make_video: exact ground truth, no download)
      root         DAVIS root; None = $PLM_DAVIS_ROOT
      split        DAVIS split ("train": the paper's 30 pre-training sequences)
      sequences    a subset by name; None = the whole split
      scenarios    synthetic: one video per scenario ...
      videos_per_scenario, n_frames, size, seed   ... of this many frames, (height, width), generator seed
    """

    dataset: str = "davis2016"
    root: str | None = None
    split: str = "train"
    sequences: tuple[str, ...] | None = None
    scenarios: tuple[str, ...] = ("translate", "rotate_scale", "occlusion", "out_of_view", "distractor", "clutter")
    videos_per_scenario: int = 1
    n_frames: int = 12
    size: tuple[int, int] = (144, 256)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in ("davis2016", "synthetic"):
            raise ValueError(f"dataset must be 'davis2016' or 'synthetic', got {self.dataset!r}")
        self.sequences = None if self.sequences is None else tuple(self.sequences)
        self.scenarios, self.size = tuple(self.scenarios), tuple(self.size)


def load_sequences(data: DataConfig) -> list[Sequence]:
    """The sequences a DataConfig names (DAVIS frames stay on disk and are read lazily)."""
    if data.dataset == "synthetic":
        return [make_video(s, n_frames=data.n_frames, size=data.size, seed=data.seed + k, name=f"synthetic-{s}-{k}")
                for s in data.scenarios for k in range(data.videos_per_scenario)]
    davis = Davis2016(data.root, split=data.split)  # None: the environment's root (plmlib.data.roots)
    names = data.sequences or davis.names
    return [davis[n] for n in names]


def davis_train_sample_or_full() -> tuple[str, str]:
    """(root, description) of the DAVIS 2016 to use at reduced cost: $PLM_DAVIS_ROOT, else the shared sample."""
    root = environment_root("davis2016")
    if root and (Path(root) / "ImageSets").is_dir():
        return root, "DAVIS 2016 ($PLM_DAVIS_ROOT)"
    sample = Path(__file__).resolve().parents[3] / "shared" / "data" / "davis2016-sample"
    return str(sample), "the 3-sequence DAVIS 2016 sample (train: bear)"


# ---------------------------------------------------------------------------------------------------------------- #
# augmentation


def augmented_crop(frame: np.ndarray, mask: np.ndarray, window, aug: Augmentation, rng: np.random.Generator,
                   size: int, pad: str = "mean") -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """Crop ``window`` of frame and mask to S x S after the random changes of ``aug``, applied identically to both.

    Always draws the same count of random numbers (5), whatever is enabled: the streams stay aligned across configs.
    Returns (rgb S x S x 3 uint8, mask S x S uint8 0/1, the jittered window before rotation and flip).
    """
    dx, dy, u, angle, flip_draw = rng.uniform(-1.0, 1.0, size=5)
    (cx, cy), (w, h) = crops.box_center(window), crops.box_size(window)
    s = 2.0 ** (u * aug.scale)
    window = crops.round_window(crops.box_from_center(cx + dx * aug.translate * w, cy + dy * aug.translate * h,
                                                      w * s, h * s))
    fill = crops.pad_colour(frame, pad)
    degrees = float(angle * aug.rotate)
    if degrees:
        rgb, msk = _rotated_crop(frame, mask, window, degrees, size, fill)
    else:  # exactly the crop inference cuts
        rgb, msk = crops.crop_image(frame, window, size, pad=fill), crops.crop_mask(mask, window, size)
    if (flip_draw + 1.0) / 2.0 < aug.flip:
        rgb, msk = rgb[:, ::-1], msk[:, ::-1]
    return np.ascontiguousarray(rgb), np.ascontiguousarray(msk), window


def colour_jitter(rgb: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Brightness, contrast (about the crop's mean grey) and saturation (about each pixel's grey), each scaled by
    2**u with u uniform in [-amount, amount]; uint8 in, uint8 out. Always draws 3 numbers."""
    b, c, s = 2.0 ** (rng.uniform(-1.0, 1.0, size=3) * amount)
    if not amount:
        return rgb
    x = rgb.astype(np.float32) * b
    grey = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    x = (x - grey.mean()) * c + grey.mean()
    grey = (grey - grey.mean()) * c + grey.mean()
    x = (x - grey[..., None]) * s + grey[..., None]
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _rotated_crop(frame: np.ndarray, mask: np.ndarray, window, degrees: float, size: int,
                  fill: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The S x S crop of ``window`` from the frame rotated by ``degrees`` about the window's centre (mask alike).

    Only a region around the window is read (large enough for the rotated window's corners); it is first reduced
    (area averaging) to about the crop's resolution, then one affine warp maps every crop pixel to its rotated
    position in that region. The image and the mask go through the same two resamplings."""
    wx0, wy0, wx1, wy1 = window
    w, h = wx1 - wx0, wy1 - wy0
    margin = int(np.ceil(0.5 * max(w, h) * (np.sqrt(2.0) - 1.0))) + 2
    region_box = (wx0 - margin, wy0 - margin, wx1 + margin, wy1 + margin)
    region = crops.cut_window(np.asarray(frame), region_box, np.round(fill))
    region_mask = (crops.cut_window(np.asarray(mask), region_box, 0) > 0).astype(np.float32)
    scale = min(1.0, size / max(w, h))  # reduce to about the crop's resolution (never enlarge here)
    if scale < 1.0:
        dsize = (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale)))
        sx, sy = dsize[0] / region.shape[1], dsize[1] / region.shape[0]
        region = cv2.resize(region, dsize, interpolation=cv2.INTER_AREA)
        region_mask = cv2.resize(region_mask, dsize, interpolation=cv2.INTER_AREA)
    else:
        sx = sy = 1.0
    # Crop pixel (u, v) -> window point p -> rotated about the window centre c -> region pixel coordinates.
    cx, cy = margin + w / 2.0, margin + h / 2.0  # window centre, in region (frame-pixel) units
    theta = np.deg2rad(degrees)
    cos, sin = np.cos(theta), np.sin(theta)
    a = np.array([[w / size, 0.0], [0.0, h / size]])  # crop pixel -> window offset
    r = np.array([[cos, -sin], [sin, cos]])
    lin = r @ a
    offset = np.array([-w / 2.0, -h / 2.0]) + 0.5 * np.array([w / size, h / size])  # pixel centres
    t = r @ offset + np.array([cx, cy])
    to_region = np.diag([sx, sy])
    matrix = np.hstack([to_region @ lin, (to_region @ t - 0.5)[:, None]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    rgb = cv2.warpAffine(region, matrix, (size, size), flags=flags, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=tuple(float(v) for v in np.round(fill)))
    msk = cv2.warpAffine(region_mask, matrix, (size, size), flags=flags, borderValue=0.0)
    return rgb, (msk >= 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------------- #
# the dataset


class PairDataset(Dataset):
    """Pairs from a list of sequences; item ``n`` is a pure function of (seed, n).

    ``first_frame_only=True`` is fine-tuning (slides: "using single frame"): query and search both come from the
    annotated first frame of the (single) sequence, each with its own augmentation.
    Items: query (3, S, S) and search (3, S, S) float RGB in [0, 1], query_mask (1, S, S) float 0/1,
    target (S, S) int64 0/1, and where it came from (sequence, query_frame, search_frame: ints).
    """

    def __init__(self, sequences: list[Sequence], config: PairConfig, seed: int = 0, first_frame_only: bool = False,
                 length: int = 10**12):
        if not sequences:
            raise ValueError("no sequences to draw pairs from")
        if config.crop_size is None:
            raise ValueError("PairConfig.crop_size is not set (use the model's crop size)")
        self.sequences, self.config, self.seed = list(sequences), config, int(seed)
        self.first_frame_only, self.length = first_frame_only, int(length)
        # Boxes of every annotated frame (None where the mask is empty), read once.
        self.boxes: list[list[crops.Box | None]] = []
        for seq in self.sequences:
            n = 1 if first_frame_only else len(seq)
            if seq.masks is None:
                raise ValueError(f"{seq.name}: no masks: pairs need ground truth")
            self.boxes.append([crops.mask_box(seq.masks[i]) for i in range(n)])
        self.queries = [[i for i, b in enumerate(bs) if b is not None] for bs in self.boxes]
        empty = [s.name for s, q in zip(self.sequences, self.queries) if not q]
        if empty:
            raise ValueError(f"no frame with a non-empty mask in {empty} (first frame, when fine-tuning)")

    def __len__(self) -> int:
        return self.length

    def empty_frames(self) -> dict[str, int]:
        """Frames with an empty mask per sequence (search-only frames, see the module's docstring)."""
        return {s.name: sum(b is None for b in bs) for s, bs in zip(self.sequences, self.boxes) if None in bs}

    def _window_box(self, seq_index: int, frame: int) -> crops.Box:
        """The box the search window of ``frame`` is placed around (window_from), else the nearest annotated one."""
        boxes = self.boxes[seq_index]
        ref = frame
        if self.config.window_from == "previous" and len(boxes) > 1:
            ref = frame - 1 if frame > 0 else frame + 1
        for d in range(len(boxes)):  # nearest non-empty box, earlier frames first
            for k in (ref - d, ref + d):
                if 0 <= k < len(boxes) and boxes[k] is not None:
                    return boxes[k]
        raise AssertionError("unreachable: every sequence has an annotated frame")

    def draw(self, index: int) -> tuple[int, int, int]:
        """(sequence, query frame, search frame) of pair ``index``: sequences uniformly (our choice: long sequences
        do not dominate), a query frame uniformly among annotated ones, a search frame uniformly within max_gap."""
        rng = np.random.default_rng([self.seed, int(index), 0])
        s = int(rng.integers(len(self.sequences)))
        if self.first_frame_only:
            return s, 0, 0
        i = int(rng.choice(self.queries[s]))
        n, gap = len(self.boxes[s]), self.config.max_gap
        lo, hi = (0, n - 1) if gap is None else (max(0, i - gap), min(n - 1, i + gap))
        choices = [j for j in range(lo, hi + 1) if j != i] or [i]
        return s, i, int(rng.choice(choices))

    def __getitem__(self, index: int) -> dict:
        c, size = self.config, self.config.crop_size
        s, i, j = self.draw(index)
        rng = np.random.default_rng([self.seed, int(index), 1])  # augmentation draws
        seq = self.sequences[s]
        frame_i, mask_i = np.asarray(seq.frames[i]), np.asarray(seq.masks[i])
        q_window = crops.context_window(self.boxes[s][i], c.context, square=c.square, min_side=c.min_side)
        q_rgb, q_mask, _ = augmented_crop(frame_i, mask_i, q_window, c.query_aug, rng, size, c.pad)
        if j == i:
            frame_j, mask_j = frame_i, mask_i
        else:
            frame_j, mask_j = np.asarray(seq.frames[j]), np.asarray(seq.masks[j])
        s_window = crops.context_window(self._window_box(s, j), c.context, square=c.square, min_side=c.min_side)
        s_rgb, target, _ = augmented_crop(frame_j, mask_j, s_window, c.search_aug, rng, size, c.pad)
        if c.query_aug.colour or c.search_aug.colour:
            colour_rng = np.random.default_rng([self.seed, int(index), 2])
            q_rgb = colour_jitter(q_rgb, c.query_aug.colour, colour_rng)
            s_rgb = colour_jitter(s_rgb, c.search_aug.colour, colour_rng)
        return {
            "query": crops.image_to_tensor(q_rgb),
            "query_mask": crops.mask_to_tensor(q_mask),
            "search": crops.image_to_tensor(s_rgb),
            "target": torch.from_numpy(target.astype(np.int64)),
            "sequence": s, "query_frame": i, "search_frame": j,
        }


def collate(items: list[dict]) -> dict:
    """Stack a list of pairs into a batch (tensors stacked, ints as a LongTensor)."""
    return {k: torch.stack([it[k] for it in items]) if torch.is_tensor(items[0][k])
            else torch.tensor([it[k] for it in items]) for k in items[0]}
