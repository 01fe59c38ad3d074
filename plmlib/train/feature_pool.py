"""A pool of pairs whose encoder features are cached: training a frozen-encoder PLM without re-running VGG-16.

Our choice, for CPUs: several times faster per step than running the frozen encoder (results/defaults/README.md).
When every encoder parameter is frozen its output for a crop never changes, so the
pool encodes ``size`` augmented pairs once (query and search tap features, stored in float16) and training steps
draw their batches from it, running only the compressors, the three FC layers and the decoder. The price is less
augmentation diversity: every ``refresh_every`` steps the oldest ``refresh_fraction`` of the pool is replaced by new
pairs (round robin).

A partly frozen encoder (our choice, to train the last VGG block(s) on a CPU): when blocks 1..k are frozen and the
later ones are trained, the pool caches what the frozen blocks produce (the taps inside them and the input of block
k + 1, e.g. the 512 x 8 x 8 output of pool4 for k = 4) and each step runs the trained blocks from there.

Determinism: the pool is cut into chunks of ``chunk`` consecutive pair indices, always encoded together, and which
chunk each slot holds is a function of the step alone (``chunks_at``): a run resumed at step k rebuilds exactly the
pool the uninterrupted run held at step k, and batches are drawn with a generator seeded by (seed, rank, step).
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from plmlib.model import PLMNet

from .pairs import PairDataset, collate


def encoder_is_frozen(net: PLMNet) -> bool:
    """True when no encoder parameter is trained (every tap can be cached)."""
    return not any(p.requires_grad for p in net.encoder.parameters())


def cache_boundary(net: PLMNet) -> int:
    """Index in ``net.encoder.features`` where the frozen prefix ends: the first layer of the first VGG block with a
    trainable parameter (len(features) when the whole encoder is frozen). Layers before it can be cached."""
    encoder = net.encoder
    return encoder.block_start(encoder.frozen_prefix() + 1)


def cached_taps(net: PLMNet, features: dict[str, torch.Tensor], boundary_input: torch.Tensor | None) -> dict:
    """All taps of one branch from a pool batch: the cached ones, plus (partly frozen encoder) the trained blocks
    run from the cached input of the first trained layer. Shallow to deep, as ``net.encode`` returns them."""
    if boundary_input is None:
        return features
    later = net.encoder(boundary_input, start=cache_boundary(net))
    return {t: features[t] if t in features else later[t] for t in net.encoder.taps}


class FeaturePool:
    """Cached tap features of ``size`` pairs of ``pairs`` (this rank's share: indices n * world + rank)."""

    def __init__(self, net: PLMNet, pairs: PairDataset, size: int, *, chunk: int = 16, refresh_every: int = 0,
                 refresh_fraction: float = 0.25, seed: int = 0, rank: int = 0, world: int = 1,
                 device: torch.device | str = "cpu", dtype: torch.dtype = torch.float16, progress: bool = True):
        if net.encoder.frozen_prefix() == 0:
            raise ValueError("a feature pool needs the encoder frozen from its block 1 on (frozen_blocks='all', or a "
                             "prefix such as (1, 2, 3, 4) to train the later blocks)")
        self.net, self.pairs, self.chunk = net, pairs, int(chunk)
        self.boundary = cache_boundary(net)
        self.partial = not encoder_is_frozen(net)  # trained blocks after the boundary: cache their input too
        self.slots = max(1, int(size) // self.chunk)  # chunks held
        self.size = self.slots * self.chunk
        self.refresh_every = int(refresh_every)
        self.refresh_chunks = max(1, int(round(refresh_fraction * self.slots))) if refresh_every else 0
        self.seed, self.rank, self.world = int(seed), int(rank), int(world)
        self.device, self.dtype, self.progress = torch.device(device), dtype, progress
        self.held = [-1] * self.slots  # chunk id currently in each slot (-1: none yet)
        self.query: dict[str, torch.Tensor] = {}
        self.search: dict[str, torch.Tensor] = {}
        self.boundary_inputs: dict[str, torch.Tensor] = {}  # "query" / "search": input of the first trained layer
        self.target: torch.Tensor | None = None

    # -------------------------------------------------------------------------------------------------------------
    def chunks_at(self, step: int) -> list[int]:
        """The chunk id each slot holds while step ``step`` is computed: 0..slots-1 at first; refresh r (at step
        r * refresh_every) gives the next refresh_chunks ids to the next slots, round robin."""
        ids = list(range(self.slots))
        if not self.refresh_every:
            return ids
        replaced = (step // self.refresh_every) * self.refresh_chunks  # chunk replacements so far
        for slot in range(self.slots):
            if replaced > slot:  # latest replacement k < replaced with k % slots == slot
                k = slot + ((replaced - 1 - slot) // self.slots) * self.slots
                ids[slot] = self.slots + k
        return ids

    def sync(self, step: int) -> int:
        """Encode the chunks that step ``step`` needs and the pool lacks; returns how many were encoded."""
        wanted = self.chunks_at(step)
        todo = [s for s in range(self.slots) if self.held[s] != wanted[s]]
        bar = tqdm(todo, desc=f"encoding pool (step {step})", unit="chunk", leave=False,
                   disable=not self.progress or len(todo) < 2)
        for slot in bar:
            self._encode(slot, wanted[slot])
        return len(todo)

    @torch.no_grad()
    def _encode(self, slot: int, chunk_id: int) -> None:
        first = chunk_id * self.chunk
        batch = collate([self.pairs[(first + k) * self.world + self.rank] for k in range(self.chunk)])
        was_training = self.net.training
        self.net.eval()
        net = self.net
        q, q_in = net.encoder.split(net.prepare(batch["query"].to(self.device), batch["query_mask"].to(self.device)),
                                    self.boundary)
        s, s_in = net.encoder.split(net.prepare(batch["search"].to(self.device)), self.boundary)
        net.train(was_training)
        if self.target is None:  # allocate on first use, when the shapes are known
            def empty(like: torch.Tensor) -> torch.Tensor:
                return torch.empty((self.size, *like.shape[1:]), dtype=self.dtype, device=self.device)
            self.query = {t: empty(f) for t, f in q.items()}
            self.search = {t: empty(f) for t, f in s.items()}
            if self.partial:
                self.boundary_inputs = {"query": empty(q_in), "search": empty(s_in)}
            self.target = torch.empty((self.size, *batch["target"].shape[1:]), dtype=torch.uint8, device=self.device)
        rows = slice(slot * self.chunk, (slot + 1) * self.chunk)
        for t in q:
            self.query[t][rows] = q[t].to(self.dtype)
            self.search[t][rows] = s[t].to(self.dtype)
        if self.partial:
            self.boundary_inputs["query"][rows] = q_in.to(self.dtype)
            self.boundary_inputs["search"][rows] = s_in.to(self.dtype)
        self.target[rows] = batch["target"].to(self.device, torch.uint8)
        self.held[slot] = chunk_id

    def batch(self, step: int, batch_size: int) -> dict:
        """The batch of step ``step`` (drawn without replacement from the pool; float32 features)."""
        rng = np.random.default_rng([self.seed, 2, self.rank, int(step)])
        idx = torch.from_numpy(rng.choice(self.size, size=min(batch_size, self.size), replace=False)).to(self.device)
        batch = {
            "query_features": {t: f[idx].float() for t, f in self.query.items()},
            "search_features": {t: f[idx].float() for t, f in self.search.items()},
            "target": self.target[idx].long(),
        }
        for branch, cached in self.boundary_inputs.items():
            batch[f"{branch}_boundary"] = cached[idx].float()
        return batch

    def nbytes(self) -> int:
        """Memory held by the cached features and targets."""
        tensors = [*self.query.values(), *self.search.values(), *self.boundary_inputs.values()]
        tensors += [self.target] if self.target is not None else []
        return sum(t.numel() * t.element_size() for t in tensors)
