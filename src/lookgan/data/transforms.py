"""Image transforms on tensors, without torchvision.

All take and return float tensors ``(3, H, W)`` (or ``(B, 3, H, W)`` where noted); every random choice draws from
an explicit :class:`torch.Generator`, so a data stream is reproducible and its state can be checkpointed.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) float [0, 1] numpy image -> (3, H, W) float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float()


def unit_range(image: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A uint8 tensor (0..255) or a float one (already [0, 1]) as ``dtype`` in [0, 1]: the torch-side twin of
    :func:`lookgan.data.images.as_float`."""
    return image.to(dtype) / 255.0 if image.dtype == torch.uint8 else image.to(dtype)


def to_numpy(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) tensor in [0, 1] -> (H, W, 3) float32 numpy image."""
    return image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()


def resize(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Antialiased bilinear resize of (3, H, W) or (B, 3, H, W); downscaling does not alias."""
    batched = image.dim() == 4
    x = image if batched else image[None]
    if x.shape[-2:] != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False, antialias=True)
    return x if batched else x[0]


def resize_shorter(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize so that the shorter side is ``size``, keeping the aspect ratio (longer side rounded)."""
    h, w = image.shape[-2:]
    if h <= w:
        new_h, new_w = size, max(size, round(w * size / h))
    else:
        new_h, new_w = max(size, round(h * size / w)), size
    return resize(image, new_h, new_w)


def center_crop(image: torch.Tensor, size: int) -> torch.Tensor:
    """The central ``size`` x ``size`` square; the image must be at least that large."""
    h, w = image.shape[-2:]
    if h < size or w < size:
        raise ValueError(f"cannot crop {size}x{size} from a {w}x{h} image")
    top, left = (h - size) // 2, (w - size) // 2
    return image[..., top:top + size, left:left + size]


def random_crop(image: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """A random ``size`` x ``size`` square, position drawn from ``generator``."""
    h, w = image.shape[-2:]
    if h < size or w < size:
        raise ValueError(f"cannot crop {size}x{size} from a {w}x{h} image")
    top = int(torch.randint(0, h - size + 1, (1,), generator=generator))
    left = int(torch.randint(0, w - size + 1, (1,), generator=generator))
    return image[..., top:top + size, left:left + size]


def random_flip(image: torch.Tensor, generator: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Mirror left-right with probability ``p``."""
    if float(torch.rand((), generator=generator)) < p:
        return image.flip(-1)
    return image


def to_model_range(image: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1], the range every lookgan network sees."""
    return image * 2.0 - 1.0


def from_model_range(image: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], clamped."""
    return ((image + 1.0) * 0.5).clamp(0.0, 1.0)
