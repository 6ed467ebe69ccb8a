"""``fastgan``: few-shot generation after Liu et al. (ICLR 2021) with DiffAugment (Zhao et al., NeurIPS 2020).

Training as in the paper's code: hinge loss with a randomised margin (real logits pushed above U(0.8, 1.0),
fakes below -U(0.8, 1.0)), the generator maximising the fakes' logits; on real batches the discriminator also
rebuilds the image from its 8x8 features (both paths) and a random quadrant from its 16x16 features. The paper
measures those reconstructions with LPIPS, which needs ImageNet VGG weights that no package ships: we use L1
on pixels (an honest substitute: it asks D to keep the same information, with a weaker notion of similarity).
DiffAugment (colour, translation, cutout by default) on every image D sees, real and fake, both sizes; Adam
2e-4, β (0.5, 0.999); EMA generator for samples and the look; optional lazy R1 on real images.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from ...core.errors import InputError
from ...ops.diffaugment import parse_policy
from ...ops.ema import EMA
from ..base import DataSpec
from .fastgan_net import SUPPORTED_SIZES, FastGANDiscriminator, FastGANGenerator, quadrant
from .method import GeneratorMethod


@dataclass
class FastGANConfig:
    """What the FastGAN learns and how (defaults sized for a CPU: 64 px, widths 32)."""

    size: int = 64
    """Image side: 64, 128, 256, 512 or 1024 (256+ wants a GPU)."""
    z_dim: int = 256
    ngf: int = 32
    """Generator width (the paper: 64)."""
    ndf: int = 32
    """Discriminator width (the paper: 64)."""
    noise: bool = True
    """Learnt noise injection in the heavy upsampling blocks (training only; generation is deterministic)."""
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    augment: str = "color,translation,cutout"
    """DiffAugment policy on everything D sees; empty = off (not recommended below a few thousand images)."""
    recon_weight: float = 1.0
    """Weight of the discriminator's self-supervised reconstruction loss (L1)."""
    r1_gamma: float = 0.0
    """R1 penalty on real images (0: off); applied lazily every ``r1_every`` steps, scaled to match."""
    r1_every: int = 16
    crop: str = "center"
    """``center`` suits aligned sets (portraits); ``random`` adds position jitter."""
    n_samples: int = 64
    """Images in each sample grid (a fixed latent batch)."""

    def __post_init__(self) -> None:
        if self.size not in SUPPORTED_SIZES:
            raise InputError(f"fastgan size must be one of {SUPPORTED_SIZES}, got {self.size}")
        if self.z_dim < 1 or self.ngf < 4 or self.ndf < 4:
            raise InputError("z_dim must be >= 1, ngf and ndf >= 4")
        if not 0 < self.lr <= 1 or self.recon_weight < 0 or self.r1_gamma < 0 or self.r1_every < 1:
            raise InputError("lr must be in (0, 1], recon_weight and r1_gamma >= 0, r1_every >= 1")
        if self.crop not in ("center", "random"):
            raise InputError(f"crop must be center or random, got {self.crop!r}")
        parse_policy(self.augment)


class FastGAN(GeneratorMethod):
    """Generates new images in the look of 20-300 style images: skip-layer excitation, a self-supervised
    discriminator and DiffAugment."""

    Config = FastGANConfig
    learns = "new images from 20-300 examples: skip-layer excitation, self-supervised D, DiffAugment"
    time_here = "20 minutes"
    train_defaults: ClassVar[dict[str, Any]] = {"batch": 8, "steps": 10000, "minutes": 20.0, "sample_every": 250,
                                                "checkpoint_every": 500, "eval_every": 250}

    def __init__(self, config: FastGANConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        c = config
        g = self.make_generator(c).to(self.device)
        d = FastGANDiscriminator(size=c.size, ndf=c.ndf).to(self.device)
        self.nets = {"generator": g, "discriminator": d}
        betas = (c.beta1, c.beta2)
        self.optimizers = {"generator": torch.optim.Adam(g.parameters(), lr=c.lr, betas=betas),
                           "discriminator": torch.optim.Adam(d.parameters(), lr=c.lr, betas=betas)}
        self.ema, self.ema_source = EMA(g), "generator"

    @classmethod
    def make_generator(cls, config: FastGANConfig) -> FastGANGenerator:
        return FastGANGenerator(size=config.size, z_dim=config.z_dim, ngf=config.ngf, noise=config.noise)

    def data_spec(self) -> DataSpec:
        return DataSpec(load_size=self.config.size, crop_size=self.config.size, crop=self.config.crop,  # type: ignore[arg-type]
                        min_images=2)

    def _views(self, big: torch.Tensor, small: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(image, half-size image) as D sees them, each DiffAugmented (independently, as the paper's code)."""
        if small is None:
            small = F.interpolate(big, scale_factor=0.5, mode="bilinear", align_corners=False, antialias=True)
        return self.augment(big), self.augment(small)

    def reconstruction_loss(self, real: torch.Tensor, recon: tuple[torch.Tensor, ...], part: int) -> torch.Tensor:
        """L1 between D's three reconstructions and the (augmented) real image, its half-size version and the
        chosen quadrant, each resized to the decoders' output size."""
        big, small, piece = recon
        size = big.shape[-1]

        def fit(x: torch.Tensor) -> torch.Tensor:
            return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)

        return ((big - fit(real[0])).abs().mean() + (small - fit(real[1])).abs().mean()
                + (piece - fit(quadrant(real[0], part))).abs().mean())

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        c = self.config
        g, d = self.nets["generator"], self.nets["discriminator"]
        z = torch.randn(batch.shape[0], c.z_dim, device=batch.device)
        fake_big, fake_small = g(z, pair=True)  # (B, 3, S, S), (B, 3, S/2, S/2)
        # Discriminator: hinge with random margins, plus self-supervised reconstruction of real images.
        real = self._views(batch)
        part = int(torch.randint(0, 4, ()))
        r1 = c.r1_gamma > 0 and step % c.r1_every == 0
        if r1:
            real = (real[0].detach().requires_grad_(True), real[1].detach().requires_grad_(True))
        logits_real, recon = d(*real, part=part)
        logits_fake = d(*self._views(fake_big.detach(), fake_small.detach()))
        hinge = (F.relu(torch.rand_like(logits_real) * 0.2 + 0.8 - logits_real).mean()
                 + F.relu(torch.rand_like(logits_fake) * 0.2 + 0.8 + logits_fake).mean())
        recon_loss = self.reconstruction_loss(real, recon, part)
        loss_d = hinge + c.recon_weight * recon_loss
        losses = {"d": hinge.detach(), "recon": recon_loss.detach()}
        if r1:
            grads = torch.autograd.grad(logits_real.sum(), real, create_graph=True)
            penalty = sum(gr.pow(2).flatten(1).sum(1).mean() for gr in grads)
            loss_d = loss_d + 0.5 * c.r1_gamma * c.r1_every * penalty
            losses["r1"] = penalty.detach()
        self.optimize("discriminator", loss_d)
        # Generator: make D call the fakes real.
        d.requires_grad_(False)
        try:
            loss_g = -d(*self._views(fake_big, fake_small)).mean()
        finally:
            d.requires_grad_(True)
        self.optimize("generator", loss_g)
        losses["g"] = loss_g.detach()
        return losses
