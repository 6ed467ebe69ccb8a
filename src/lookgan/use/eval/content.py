"""Structural similarity: SSIM (Wang et al., 2004) for truth comparisons, and its *structure* term alone for
"is the content kept?" between a photo and its styled version.

A colour look is *supposed* to change brightness and contrast, so full SSIM between a photo and its graded
version punishes the look for doing its job. SSIM is the product of a luminance, a contrast and a structure
term; the structure term, ``(σxy + C3) / (σx σy + C3)``, is the local correlation of the two images: 1 when the
edges and textures line up whatever the tone curve did, lower when detail is lost, blurred, invented or moved.
That is ``content_ssim``.

Both work on luma (Rec. 601 weights of the gamma-encoded RGB, as MATLAB's ``rgb2gray`` and most SSIM tables),
with the reference 11x11 Gaussian window (σ 1.5), K1 0.01, K2 0.03, data range 1, valid-region averaging.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ...data.transforms import unit_range

_K1, _K2 = 0.01, 0.03
_LUMA = (0.299, 0.587, 0.114)


def luma(image: torch.Tensor) -> torch.Tensor:
    """``(..., 3, H, W)`` RGB in [0, 1] -> ``(..., 1, H, W)`` Rec. 601 luma."""
    w = torch.tensor(_LUMA, dtype=image.dtype, device=image.device).view(3, 1, 1)
    return (image * w).sum(dim=-3, keepdim=True)


def _window(size: int = 11, sigma: float = 1.5, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    x = torch.arange(size, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return torch.outer(g, g)[None, None]  # (1, 1, size, size)


def ssim_maps(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel SSIM and structure-term maps of single-channel images ``(B, 1, H, W)`` in [0, 1] (valid
    region only, so the maps are 10 px smaller in each direction)."""
    if x.shape != y.shape:
        raise ValueError(f"SSIM needs images of one size, got {tuple(x.shape)} and {tuple(y.shape)}")
    if min(x.shape[-2:]) < 11:
        raise ValueError(f"SSIM needs images of at least 11x11 pixels, got {x.shape[-1]}x{x.shape[-2]}")
    x, y = x.double(), y.double()
    win = _window().to(x.device)
    mu_x, mu_y = F.conv2d(x, win), F.conv2d(y, win)
    var_x = (F.conv2d(x * x, win) - mu_x ** 2).clamp(min=0)
    var_y = (F.conv2d(y * y, win) - mu_y ** 2).clamp(min=0)
    cov = F.conv2d(x * y, win) - mu_x * mu_y
    c1, c2 = (_K1 ** 2), (_K2 ** 2)
    full = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    c3 = c2 / 2
    structure = (cov + c3) / (var_x.sqrt() * var_y.sqrt() + c3)
    return full, structure


def _as_luma_tensor(image: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8/float ``(H, W, 3)`` numpy or ``(3, H, W)`` tensor -> ``(1, 1, H, W)`` float64 luma in [0, 1]."""
    if isinstance(image, np.ndarray):
        t = torch.from_numpy(np.array(image))  # a copy: the array may be read-only (Pillow)
        t = unit_range(t, torch.float64).permute(2, 0, 1)
    else:
        t = image.double()
    return luma(t)[None]


def ssim(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    """Mean SSIM between two same-size RGB images (``(H, W, 3)`` uint8/float numpy or ``(3, H, W)`` tensors in
    [0, 1]), on luma. 1 means identical."""
    return float(ssim_maps(_as_luma_tensor(x), _as_luma_tensor(y))[0].mean())


def structure_similarity(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    """Mean SSIM structure term on luma: 1 when local detail lines up, whatever the brightness/contrast change."""
    return float(ssim_maps(_as_luma_tensor(x), _as_luma_tensor(y))[1].mean())
