"""``dcgan``: the seed's DCGAN, corrected, as the baseline generator of new images in a look.

Adam(2e-4, β1 0.5), z = 100, BatchNorm generator with tanh, LeakyReLU(0.2) discriminator; non-saturating loss by
default (hinge and LSGAN as options); DiffAugment optional (off by default to stay the plain baseline).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch

from ..data.transforms import center_crop
from ..losses.adversarial import GanLoss, d_loss, g_loss
from ..models.dcgan import SUPPORTED_SIZES, DCGANDiscriminator, DCGANGenerator
from ..ops.diffaugment import diff_augment, parse_policy
from ..registry import register
from ..training.ema import EMA
from .base import DataSpec, Method

#: Real and generated images in the periodic SWD (``eval_every``): enough for a stable curve, cheap on a CPU.
_EVAL_N = 64


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


def truncated_normal(shape: tuple[int, ...], *, truncation: float | None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal samples; with ``truncation`` T, values with |z| > T are redrawn (BigGAN's trick):
    lower T trades variety for typicality."""
    z = torch.randn(shape, generator=generator)
    if truncation is None or truncation <= 0:
        return z
    for _ in range(100):
        bad = z.abs() > truncation
        if not bad.any():
            break
        z[bad] = torch.randn(int(bad.sum()), generator=generator)
    return z.clamp(-truncation, truncation)


@register("dcgan")
class DCGAN(Method):
    """Generates new images in the look of the style images (no content photos)."""

    Config = DCGANConfig
    generates = True
    train_defaults: ClassVar[dict[str, Any]] = {"eval_every": 250}

    def __init__(self, config: DCGANConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        c = config
        g = DCGANGenerator(image_size=c.size, z_dim=c.z_dim, ngf=c.ngf).to(self.device)
        d = DCGANDiscriminator(image_size=c.size, ndf=c.ndf).to(self.device)
        self.nets = {"generator": g, "discriminator": d}
        betas = (c.beta1, c.beta2)
        self.optimizers = {"generator": torch.optim.Adam(g.parameters(), lr=c.lr_g, betas=betas),
                           "discriminator": torch.optim.Adam(d.parameters(), lr=c.lr_d, betas=betas)}
        self.ema, self.ema_source = EMA(g), "generator"
        # A fixed latent batch, drawn from its own generator so that creating it leaves the global RNG alone.
        fixed = torch.Generator().manual_seed(1234)
        self.buffers = {"sample_z": torch.randn(c.n_samples, c.z_dim, generator=fixed).to(self.device)}
        self._eval_reals: torch.Tensor | None = None  # set by prepare(): real images for the periodic SWD

    def data_spec(self) -> DataSpec:
        return DataSpec(load_size=self.config.size, crop_size=self.config.size, crop=self.config.crop,
                        min_images=2)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.config.augment) if self.config.augment else x

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        g, d = self.nets["generator"], self.nets["discriminator"]
        z = torch.randn(batch.shape[0], self.config.z_dim, device=batch.device)
        fake = g(z)  # (B, 3, S, S)
        loss_d = d_loss(self.config.gan_loss, d(self._augment(batch)), d(self._augment(fake.detach())))
        self.optimize("discriminator", loss_d)
        loss_g = g_loss(self.config.gan_loss, d(self._augment(fake)))
        self.optimize("generator", loss_g)
        return {"d": loss_d.detach(), "g": loss_g.detach()}

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        assert self.ema is not None
        return self.ema.module(self.buffers["sample_z"])

    def prepare(self, data: dict[str, Any], *, fresh: bool) -> None:
        """Keep a fixed sample of real images for the periodic SWD (``eval_every``), at most ``_EVAL_N``."""
        style = data["style"]
        pick = torch.randperm(len(style), generator=torch.Generator().manual_seed(4321))[:_EVAL_N]
        self._eval_reals = torch.stack([center_crop(style.images[int(i)], self.config.size) for i in pick]).float() / 255

    @torch.no_grad()
    def eval_sets(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        assert self.ema is not None
        if self._eval_reals is None:
            return None
        z = torch.randn(len(self._eval_reals), self.config.z_dim, generator=torch.Generator().manual_seed(5678))
        fake = torch.cat([self.ema.module(chunk.to(self.device)).float().cpu() for chunk in z.split(32)])
        return ((fake + 1) / 2).clamp(0, 1), self._eval_reals

    def look_tensors(self) -> dict[str, torch.Tensor]:
        assert self.ema is not None
        return {f"generator.{k}": v for k, v in self.ema.module.state_dict().items()}

    @classmethod
    def build_inference(cls, config: DCGANConfig, tensors: dict[str, torch.Tensor], *,
                        device: str = "cpu") -> torch.nn.Module:
        g = DCGANGenerator(image_size=config.size, z_dim=config.z_dim, ngf=config.ngf)
        g.load_state_dict({k[len("generator."):]: v for k, v in tensors.items() if k.startswith("generator.")},
                          strict=True)
        return g.to(device).eval()

    @classmethod
    def latent_dim(cls, config: DCGANConfig) -> int:
        return config.z_dim
