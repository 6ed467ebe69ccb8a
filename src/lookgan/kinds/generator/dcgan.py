"""``dcgan``: the seed's DCGAN, corrected, as the baseline generator of new images in a look.

Adam(2e-4, β1 0.5), z = 100, BatchNorm generator with tanh, LeakyReLU(0.2) discriminator; non-saturating loss by
default (hinge and LSGAN as options); DiffAugment optional (off by default to stay the plain baseline).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from ...losses.adversarial import GanLoss, d_loss, g_loss
from ...ops.diffaugment import parse_policy
from ...ops.ema import EMA
from ..base import DataSpec
from .dcgan_net import SUPPORTED_SIZES, DCGANDiscriminator, DCGANGenerator
from .method import GeneratorMethod


@dataclass
class DCGANConfig:
    """What the DCGAN learns and how."""

    size: int = 64
    """Image side in pixels: 32, 64 or 128."""
    z_dim: int = 100
    """Length of the latent vector."""
    ngf: int = 64
    """Generator width (channels of its last hidden layer)."""
    ndf: int = 64
    """Discriminator width (channels of its first layer)."""
    gan_loss: GanLoss = "ns"
    """``ns`` (non-saturating), ``hinge`` or ``lsgan``."""
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    augment: str = ""
    """DiffAugment policy applied to everything D sees, e.g. ``color,translation,cutout``; empty = off."""
    crop: Literal["center", "random"] = "center"
    """``center`` suits aligned sets (portraits); ``random`` adds position jitter."""
    n_samples: int = 64
    """Images in each sample grid (a fixed latent batch, so grids are comparable across steps)."""

    def __post_init__(self) -> None:
        if self.size not in SUPPORTED_SIZES:
            raise ValueError(f"size must be one of {SUPPORTED_SIZES}, got {self.size}")
        if self.z_dim < 1 or self.ngf < 4 or self.ndf < 4:
            raise ValueError("z_dim must be >= 1 and ngf/ndf >= 4")
        if self.lr_g <= 0 or self.lr_d <= 0 or self.lr_g > 1 or self.lr_d > 1:
            raise ValueError(f"learning rates must be in (0, 1], got lr_g={self.lr_g}, lr_d={self.lr_d}")
        parse_policy(self.augment)


class DCGAN(GeneratorMethod):
    """Generates new images in the look of the style images (no content photos)."""

    Config = DCGANConfig
    learns = "new images in the look (the baseline generator)"
    time_here = "3-10 minutes"

    def __init__(self, config: DCGANConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        c = config
        g = self.make_generator(c).to(self.device)
        d = DCGANDiscriminator(image_size=c.size, ndf=c.ndf).to(self.device)
        self.nets = {"generator": g, "discriminator": d}
        betas = (c.beta1, c.beta2)
        self.optimizers = {"generator": torch.optim.Adam(g.parameters(), lr=c.lr_g, betas=betas),
                           "discriminator": torch.optim.Adam(d.parameters(), lr=c.lr_d, betas=betas)}
        self.ema, self.ema_source = EMA(g), "generator"

    def data_spec(self) -> DataSpec:
        return DataSpec(load_size=self.config.size, crop_size=self.config.size, crop=self.config.crop,
                        min_images=2)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        g, d = self.nets["generator"], self.nets["discriminator"]
        z = torch.randn(batch.shape[0], self.config.z_dim, device=batch.device)
        fake = g(z)  # (B, 3, S, S)
        loss_d = d_loss(self.config.gan_loss, d(self.augment(batch)), d(self.augment(fake.detach())))
        self.optimize("discriminator", loss_d)
        loss_g = g_loss(self.config.gan_loss, d(self.augment(fake)))
        self.optimize("generator", loss_g)
        return {"d": loss_d.detach(), "g": loss_g.detach()}

    @classmethod
    def make_generator(cls, config: DCGANConfig) -> DCGANGenerator:
        return DCGANGenerator(image_size=config.size, z_dim=config.z_dim, ngf=config.ngf)
