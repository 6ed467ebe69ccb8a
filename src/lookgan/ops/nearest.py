"""Nearest neighbours between image sets, by RMS pixel distance at 32x32.

What the memorisation check (:mod:`lookgan.use.eval.memorisation`) measures, and what the nearest-neighbour sheets
of ``lookgan generate --nearest`` show: coarse enough to ignore a GAN's high-frequency noise, fine enough that
two different portraits are far apart.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .encoder import thumbnail

FEATURE_SIZE = 32


def pixel_features(images: torch.Tensor, size: int = FEATURE_SIZE) -> torch.Tensor:
    """``(N, 3, H, W)`` in [0, 1] -> ``(N, 3 * size * size)``, antialiased downscale."""
    small = F.interpolate(images.float(), size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return small.reshape(len(images), -1)


def nearest(queries: torch.Tensor, references: torch.Tensor, *, exclude_self: bool = False,
            chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of ``queries`` ``(N, D)``: RMS distance to its nearest row of ``references`` ``(M, D)``
    and that row's index. ``exclude_self`` (queries *are* the references) skips the zero self-distance."""
    dists, idxs = [], []
    d = queries.shape[1]
    for start in range(0, len(queries), chunk):
        block = torch.cdist(queries[start:start + chunk].double(), references.double()) / d ** 0.5  # (n, M)
        if exclude_self:
            rows = torch.arange(len(block))
            block[rows, rows + start] = float("inf")
        dist, idx = block.min(dim=1)
        dists.append(dist)
        idxs.append(idx)
    return torch.cat(dists).float(), torch.cat(idxs)


def nearest_style(queries: torch.Tensor, pool: torch.Tensor) -> torch.Tensor:
    """Index of the most similar image in ``pool`` for each query, by 16x16 grey structure (colour-blind on
    purpose: the grid shows a style image *like* the photo, to compare colours)."""
    def feat(x: torch.Tensor) -> torch.Tensor:
        g = thumbnail(x.float(), 16).mean(1).flatten(1)
        return (g - g.mean(1, keepdim=True)) / (g.std(1, keepdim=True) + 1e-6)

    return torch.cdist(feat(queries), feat(pool)).argmin(1)
