"""Pixel samples whose *content* resembles the feed's: the user's photos reweighted by grade-invariant cells.

A distribution fit (:func:`~lookgan.ops.transfer.ot_lut`) maps the user's colours onto the feed's. When the
feed shows more sky or more shadow than the user's photos, the fit bends the map to make up the difference,
which no grade does (issue 18: with the same photos on both sides OT is 0.6x its unpaired error). Some things
about a pixel survive any colour grade: its height in the frame, how textured its neighbourhood is (ranked within
its image set, so a contrast change does not move it) and its luminance rank within its image (a grade's tone
curve is monotone). Counting pixels in cells of those three, the user's pixels are resampled so that each cell
holds the feed's share (say, the user's close-ups of grass count less at the top of the frame when the feed's
tops are smooth sky). Opt-in (``match_content``), because over the 40 development grades it did not clearly win
(docs/results/colour_ot.md): scored on pixels of held-out photos, OT's mean ΔE2000 3.29 -> 3.22 (better on 37 of
40); through ``lookgan train ot`` and the full table's protocol, 3.175 -> 3.165 (better on 22 of 40, a wash).
Every cell marginal is uniform by construction (ranks and quantiles), so only the *joint* mix of height, texture
and tone is matched; fixed texture edges, which keep each set's share of smooth pixels, were better on 27 of 40.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.transforms import unit_range
from .transfer import pixel_draws, sample_pixels

#: Fewer images than this in either set and the user's pixels are used as they are: the cell shares of a few
#: images are mostly chance (a synthetic case of 8 + 8 small random pictures got 19 % worse, 6.00 -> 7.14 ΔE2000);
#: the gain was measured with 60 + 60 photos.
MIN_IMAGES = 40

#: Cells: heights in the frame x texture quantiles x luminance-rank bins (the best of 3x4x1 ... 4x8x8 measured).
DEFAULT_BINS = (3, 6, 8)
_LUMA = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)
_SOBEL = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], dtype=torch.float64)


def invariant_features(image: torch.Tensor) -> torch.Tensor:
    """``(H*W, 3)`` per pixel of a uint8/float ``(3, H, W)`` image: local texture (Sobel gradient magnitude of
    the luminance, averaged over 7x7), height in the frame (0 top .. 1 bottom) and luminance rank in the image
    (0 darkest .. 1 brightest). None of the three is changed by a global colour grade, up to the texture's scale,
    which :func:`cell_weights` removes by ranking it within each set."""
    rgb = unit_range(image, torch.float64)
    lum = torch.einsum("chw,c->hw", rgb, _LUMA)[None, None]
    padded = F.pad(lum, (1, 1, 1, 1), mode="replicate")
    kernels = torch.stack([_SOBEL, _SOBEL.T])[:, None]
    grad = F.conv2d(padded, kernels).pow(2).sum(1, keepdim=True).sqrt()
    texture = F.avg_pool2d(grad, 7, stride=1, padding=3, count_include_pad=False)[0, 0]
    h, w = lum.shape[-2:]
    height = torch.arange(h, dtype=torch.float64)[:, None].expand(h, w) / h
    flat = lum.reshape(-1)
    rank = torch.searchsorted(flat.sort().values, flat).double() / flat.numel()  # equal pixels, equal rank
    return torch.stack([texture.reshape(-1), height.reshape(-1), rank], dim=1)


def sample_with_features(images: list[torch.Tensor], n: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The pixels :func:`~lookgan.ops.transfer.sample_pixels` draws (float64 ``(N, 3)`` in [0, 1]) and their
    :func:`invariant_features`."""
    draws = pixel_draws(images, n, seed=seed)
    colours = [unit_range(img.reshape(3, -1).T[idx], torch.float64) for img, idx in zip(images, draws)]
    features = [invariant_features(img)[idx] for img, idx in zip(images, draws)]
    return torch.cat(colours), torch.cat(features)


#: Fixed texture bin edges (``texture_edges=TEXTURE_EDGES``, not the default) on the Sobel magnitude of luminance
#: in [0, 1]: the sextiles of 60 plain landscape photos (photos256). They keep each set's share of smooth and busy
#: pixels (a feed with more sky has more smooth pixels) at the price of some sensitivity to the grade's contrast;
#: measured better on 27 of 40 grades against 37 for per-set quantiles.
TEXTURE_EDGES = (0.056, 0.13, 0.26, 0.42, 0.62)


def _cells(features: torch.Tensor, bins: tuple[int, int, int],
           texture_edges: tuple[float, ...] | None) -> tuple[torch.Tensor, int]:
    """Each pixel's cell index, and the number of cells."""
    n_height, n_texture, n_rank = bins
    if texture_edges is None:  # quantiles per set: contrast-free, but every set then has as much of each texture
        edges = torch.quantile(features[:, 0], torch.linspace(0, 1, n_texture + 1, dtype=torch.float64)[1:-1])
    else:
        edges, n_texture = torch.tensor(texture_edges, dtype=torch.float64), len(texture_edges) + 1
    texture = torch.searchsorted(edges, features[:, 0].contiguous())
    height = (features[:, 1] * n_height).long().clamp(max=n_height - 1)
    rank = (features[:, 2] * n_rank).long().clamp(max=n_rank - 1)
    return (height * n_texture + texture) * n_rank + rank, n_height * n_texture * n_rank


def cell_weights(content: torch.Tensor, style: torch.Tensor, bins: tuple[int, int, int] = DEFAULT_BINS,
                 clip: float = 5.0, texture_edges: tuple[float, ...] | None = None) -> torch.Tensor:
    """Per content pixel, the feed's share of its cell over the user's (both with one pseudo-count per cell, so
    an empty cell is no division by zero), clipped at ``clip`` so a few pixels never stand for a whole cell.
    ``bins``: heights x texture bins x luminance-rank bins; with ``texture_edges`` (fixed edges, one bin more
    than edges) the texture count of ``bins`` is ignored, with ``None`` texture is binned by each set's own
    quantiles."""
    (c_cells, size), (s_cells, _) = _cells(content, bins, texture_edges), _cells(style, bins, texture_edges)
    pc = torch.bincount(c_cells, minlength=size).double() + 1.0
    ps = torch.bincount(s_cells, minlength=size).double() + 1.0
    return ((ps / ps.sum()) / (pc / pc.sum()))[c_cells].clamp(max=clip)


def content_matched_pixels(content: list[torch.Tensor], style: list[torch.Tensor], n: int, *, seed: int = 0,
                           bins: tuple[int, int, int] = DEFAULT_BINS,
                           texture_edges: tuple[float, ...] | None = None,
                           min_images: int = MIN_IMAGES) -> tuple[torch.Tensor, torch.Tensor]:
    """``(user pixels, feed pixels)`` for a distribution fit, the user's resampled (with replacement, ``n`` of
    them) so that their mix of grade-invariant cells is the feed's (:func:`cell_weights`); plain samples when
    either set has fewer than ``min_images`` images."""
    if min(len(content), len(style)) < min_images:
        return sample_pixels(content, n, seed=seed), sample_pixels(style, n, seed=seed + 1)
    px_c, f_c = sample_with_features(content, n, seed=seed)
    px_s, f_s = sample_with_features(style, n, seed=seed + 1)
    weights = cell_weights(f_c, f_s, bins, texture_edges=texture_edges)
    rng = torch.Generator().manual_seed(seed + 2)
    pick = torch.multinomial(weights, len(px_c), replacement=True, generator=rng)
    return px_c[pick], px_s
