"""Differentiable augmentation (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", 2020).

The discriminator of a GAN trained on 20–300 images memorises them within a few hundred steps; augmenting *both*
real and generated images, with operations gradients flow through, keeps it honest without leaking the
augmentation into the generator. Translation and cutout are the default; colour is opt-in, because for a look that
*is* colour (a LUT), colour jitter teaches the discriminator to ignore the very thing being learnt.

All ops take ``(B, C, H, W)`` in [-1, 1] and draw one random setting per sample.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Op = Callable[[torch.Tensor, "torch.Generator | None"], torch.Tensor]


def _rand(shape: tuple[int, ...], x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(shape, generator=generator, device=x.device, dtype=x.dtype)


def rand_brightness(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Add one offset per sample, uniform in [-0.5, 0.5)."""
    return x + (_rand((x.shape[0], 1, 1, 1), x, generator) - 0.5)


def rand_saturation(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Scale the distance from the per-pixel grey by a factor uniform in [0, 2)."""
    grey = x.mean(dim=1, keepdim=True)  # (B, 1, H, W)
    return (x - grey) * (_rand((x.shape[0], 1, 1, 1), x, generator) * 2.0) + grey


def rand_contrast(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Scale the distance from the image mean by a factor uniform in [0.5, 1.5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return (x - mean) * (_rand((x.shape[0], 1, 1, 1), x, generator) + 0.5) + mean


def rand_translation(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.125) -> torch.Tensor:
    """Shift each sample by up to ``ratio`` of its size in x and y, filling with zeros."""
    b, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dev = x.device
    dy = torch.randint(-sy, sy + 1, (b, 1, 1), generator=generator, device=dev)
    dx = torch.randint(-sx, sx + 1, (b, 1, 1), generator=generator, device=dev)
    # Source row/column of each output pixel, offset by 1 into a zero-padded copy: anything shifted in from
    # outside lands on the zero border (index 0 or size + 1).
    ys = (torch.arange(h, device=dev).view(1, h, 1) - dy + 1).clamp(0, h + 1)  # (B, H, 1)
    xs = (torch.arange(w, device=dev).view(1, 1, w) - dx + 1).clamp(0, w + 1)  # (B, 1, W)
    padded = F.pad(x, (1, 1, 1, 1)).permute(0, 2, 3, 1)  # (B, H+2, W+2, C)
    batch = torch.arange(b, device=dev).view(b, 1, 1)
    return padded[batch, ys, xs].permute(0, 3, 1, 2)  # (B, C, H, W)


def rand_cutout(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of ``ratio`` x the image size per sample, centred anywhere in the image."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dev = x.device
    cy = torch.randint(0, h, (b, 1, 1), generator=generator, device=dev)
    cx = torch.randint(0, w, (b, 1, 1), generator=generator, device=dev)
    ys = torch.arange(h, device=dev).view(1, h, 1) - (cy - ch // 2)  # (B, H, 1)
    xs = torch.arange(w, device=dev).view(1, 1, w) - (cx - cw // 2)  # (B, 1, W)
    inside = (ys >= 0) & (ys < ch) & (xs >= 0) & (xs < cw)  # (B, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


OPS: dict[str, list[Op]] = {
    "color": [rand_brightness, rand_saturation, rand_contrast],
    "translation": [rand_translation],
    "cutout": [rand_cutout],
}


def parse_policy(policy: str) -> list[str]:
    """``"translation,cutout"`` -> ``["translation", "cutout"]``; unknown names raise ``ValueError``."""
    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [n for n in names if n not in OPS]
    if unknown:
        raise ValueError(f"unknown DiffAugment op(s) {', '.join(unknown)}; choose from {', '.join(OPS)}")
    return names


def diff_augment(x: torch.Tensor, policy: str = "translation,cutout",
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the ops of ``policy`` in order (colour, then translation, then cutout as written).

    >>> diff_augment(torch.zeros(2, 3, 8, 8), "translation,cutout").shape
    torch.Size([2, 3, 8, 8])
    """
    for name in parse_policy(policy):
        for op in OPS[name]:
            x = op(x, generator)
    return x.contiguous()


class DiffAugment(torch.nn.Module):
    """Module twin of :func:`diff_augment`, for use inside ``nn.Sequential`` pipelines."""

    def __init__(self, policy: str = "translation,cutout") -> None:
        super().__init__()
        parse_policy(policy)
        self.policy = policy

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.policy)
