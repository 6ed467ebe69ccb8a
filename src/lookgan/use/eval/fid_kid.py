"""FID (Heusel et al., 2017) and KID (Bińkowski et al., 2018) on Inception pool3 features.

FID fits a Gaussian to each set's features and takes the Fréchet distance between the two:
``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``. The matrix square root's trace is computed as the sum of
square roots of the eigenvalues of ``S1^(1/2) S2 S1^(1/2)`` (symmetric, so ``eigvalsh`` in float64 is exact and
stable, with no complex round-off as with a general ``sqrtm``). FID is biased for small sets: compare numbers
made with the same counts only.

KID is the unbiased squared MMD with the cubic polynomial kernel ``k(x, y) = (x.y / d + 1)^3``, averaged over
random subsets (seeded); it is unbiased, so it is the better of the two for the 20–300-image sets lookgan sees.
"""
from __future__ import annotations

from typing import Callable

import torch


@torch.no_grad()
def features(images: torch.Tensor, network: Callable[[torch.Tensor], torch.Tensor], *, batch: int = 32,
             device: str = "cpu") -> torch.Tensor:
    """``network`` features of ``(N, 3, H, W)`` images in [0, 1], computed in batches -> ``(N, D)`` float64."""
    out = [network(images[i:i + batch].float().to(device)).double().cpu() for i in range(0, len(images), batch)]
    return torch.cat(out)


def gaussian_stats(feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``(D,)`` and unbiased covariance ``(D, D)`` of ``(N, D)`` features (N >= 2)."""
    if len(feats) < 2:
        raise ValueError("FID needs at least two images per set")
    feats = feats.double()
    return feats.mean(0), torch.cov(feats.T)


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """Fréchet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2, sigma1, sigma2 = (t.double() for t in (mu1, mu2, sigma1, sigma2))
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    tr_covmean = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    value = (mu1 - mu2).square().sum() + sigma1.trace() + sigma2.trace() - 2 * tr_covmean
    return max(0.0, float(value))  # tiny negative values are float round-off of a zero distance


def fid_from_features(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    return frechet_distance(*gaussian_stats(feats_a), *gaussian_stats(feats_b))


def _mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return float((kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
                 + (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1)) - 2 * kxy.mean())


def kid_from_features(feats_a: torch.Tensor, feats_b: torch.Tensor, *, subsets: int = 100,
                      subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """KID mean and standard deviation over ``subsets`` random subsets of ``min(subset_size, N, M)`` images
    from each set (the full sets, once, when they are no larger than one subset)."""
    size = min(subset_size, len(feats_a), len(feats_b))
    if size < 2:
        raise ValueError("KID needs at least two images per set")
    a, b = feats_a.double(), feats_b.double()
    if size == len(a) == len(b):
        return _mmd2_unbiased(a, b), 0.0
    g = torch.Generator().manual_seed(seed)
    values = torch.tensor([_mmd2_unbiased(a[torch.randperm(len(a), generator=g)[:size]],
                                          b[torch.randperm(len(b), generator=g)[:size]]) for _ in range(subsets)])
    return float(values.mean()), float(values.std()) if subsets > 1 else 0.0
