"""A small model overfits one synthetic pair (a textured square on a textured background) in a few seconds.

About 12 Adam steps, 2-3 s on an idle 2-core CPU. The budget is counted in steps, not seconds, so that a busy
machine does not make the test flaky.
"""

import numpy as np
import torch
import torch.nn.functional as F

from plmlib.model import build_model


def textured(rng, size, cell):
    coarse = rng.random((size // cell + 1, size // cell + 1, 3))
    return np.kron(coarse, np.ones((cell, cell, 1)))[:size, :size] * 0.6 + rng.random((size, size, 3)) * 0.4


def synthetic_pair(size=64, side=24):
    rng = np.random.default_rng(0)
    background, object_ = textured(rng, size, 8), textured(rng, size, 4)

    def frame(y, x):
        img, mask = background.copy(), np.zeros((size, size), np.float32)
        img[y:y + side, x:x + side] = object_[:side, :side]
        mask[y:y + side, x:x + side] = 1
        return torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)[None], torch.tensor(mask)[None]

    (q, qm), (s, sm) = frame(20, 20), frame(10, 30)  # the object moved between query and search
    return q, qm[:, None], s, sm.long()


def test_small_model_overfits_one_pair():
    torch.manual_seed(0)
    model = build_model("small", pretrained=False).train()
    q, qm, s, target = synthetic_pair(model.config.crop_size)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    first_loss = None
    for _ in range(40):
        logits = model(q, qm, s)
        loss = F.cross_entropy(logits, target)
        first_loss = first_loss or loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
        pred = logits.argmax(1)
        iou = ((pred == 1) & (target == 1)).sum() / ((pred == 1) | (target == 1)).sum()
        if iou > 0.95:
            break
    assert iou > 0.95, (iou, loss.item())
    assert loss.item() < 0.25 * first_loss
