"""PatchNCE (Park et al., "Contrastive Learning for Unpaired Image-to-Image Translation", ECCV 2020).

A patch of the translated image should be more similar to the patch *at the same place* in the input than to
any other patch of that input: an InfoNCE loss with one positive and P-1 negatives per query. As in CUT,
negatives come only from the same image (patches of other images in the batch are too easy to tell apart to
teach anything), and the keys are detached: the source image's features are the anchor, the translation moves.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def patch_nce(queries: torch.Tensor, keys: torch.Tensor, *, batch: int, temperature: float = 0.07) -> torch.Tensor:
    """Mean PatchNCE loss of ``queries`` against ``keys``, both ``(batch * P, D)`` L2-normalised, P patches
    per image in the same order (query i's positive is key i).

    Unlike the reference, the number of images is passed explicitly from the actual tensors: the reference uses
    the configured batch size, which silently mixes images when a batch is smaller (the last one, or the
    identity pass).

    Computed in float32 even under bf16 autocast: the similarities are divided by a temperature of 0.07, so
    bf16's 8-bit mantissa (cosines off by up to ~0.004) would put noise of ~0.06 on every logit. (It was the
    first suspect for CUT's worse style distance in bf16 at equal minutes; it did not explain it:
    docs/results/precision.md.)"""
    with torch.autocast(queries.device.type, enabled=False):
        return _patch_nce(queries.float(), keys.detach().float(), batch, temperature)


def _patch_nce(queries: torch.Tensor, keys: torch.Tensor, batch: int, temperature: float) -> torch.Tensor:
    n, dim = queries.shape
    positives = (queries * keys).sum(dim=1, keepdim=True)  # (n, 1)
    q = queries.view(batch, -1, dim)  # (B, P, D)
    k = keys.view(batch, -1, dim)
    p = q.shape[1]
    negatives = torch.bmm(q, k.transpose(1, 2))  # (B, P, P): query i vs every key of its own image
    eye = torch.eye(p, dtype=torch.bool, device=queries.device)[None]
    negatives = negatives.masked_fill(eye, -10.0).view(n, p)  # the diagonal is the positive: exp(-10/T) ~ 0
    logits = torch.cat([positives, negatives], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(n, dtype=torch.long, device=queries.device))
