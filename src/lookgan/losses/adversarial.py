"""Adversarial losses, outside the networks: each takes discriminator logits and returns a scalar.

``ns`` is the non-saturating loss of Goodfellow et al. (what DCGAN intended: the generator maximises
log D(G(z)), written stably as softplus(-logit)); ``hinge`` is the SAGAN/BigGAN loss; ``lsgan`` the least-squares
loss of Mao et al. (targets 1 for real, 0 for fake).
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

GanLoss = Literal["ns", "hinge", "lsgan"]
GAN_LOSSES: tuple[str, ...] = ("ns", "hinge", "lsgan")


def d_loss(kind: GanLoss, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator loss: push real logits up, fake logits down."""
    if kind == "ns":
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if kind == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    if kind == "lsgan":
        return 0.5 * ((real_logits - 1.0).pow(2).mean() + fake_logits.pow(2).mean())
    raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


def g_loss(kind: GanLoss, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss: make the discriminator call fakes real."""
    if kind == "ns":
        return F.softplus(-fake_logits).mean()
    if kind == "hinge":
        return -fake_logits.mean()
    if kind == "lsgan":
        return 0.5 * (fake_logits - 1.0).pow(2).mean()
    raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")
