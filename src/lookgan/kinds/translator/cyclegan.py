"""CycleGAN (Zhu et al., ICCV 2017): two generators (photos -> look, look -> photos), two PatchGAN discriminators,
cycle-consistency and identity losses, and a history pool of translated images for the discriminators.

Losses as in the paper's code: ``GAN(D_Y(G(x))) + GAN(D_X(F(y))) + λ_cyc (|F(G(x)) - x|_1 + |G(F(y)) - y|_1)
+ λ_id λ_cyc (|G(y) - y|_1 + |F(x) - x|_1)``, with λ_cyc 10 and λ_id 0.5; each discriminator is trained on a
real image against a translated one drawn from a pool of the last 50 (Shrivastava et al.), which keeps it from
chasing the generator's latest trick. The pool lives in the method's buffers, so it survives resume exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ...core.errors import InputError
from .method import TranslatorConfig, TranslatorMethod
from .network import PatchDiscriminator, ResnetGenerator, init_weights


@dataclass
class CycleGANConfig(TranslatorConfig):
    lambda_cycle: float = 10.0
    """Weight of the cycle-consistency L1 terms (the paper's λ_A = λ_B)."""
    lambda_identity: float = 0.5
    """Identity loss weight, relative to lambda_cycle (the paper's 0.5): G(y) should leave a styled image alone."""
    pool_size: int = 50
    """Translated images kept for the discriminators (0: no pool)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lambda_cycle < 0 or self.lambda_identity < 0 or self.pool_size < 0:
            raise InputError("lambda_cycle, lambda_identity and pool_size must be >= 0")


class CycleGAN(TranslatorMethod):
    """Unpaired translation with two generators and a cycle: texture and colour, both ways."""

    Config = CycleGANConfig
    learns = "texture and colour style with two generators and a cycle (slowest)"
    time_here = "30 minutes"

    def __init__(self, config: CycleGANConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        c = config
        g_back = ResnetGenerator(ngf=c.ngf, n_blocks=c.n_blocks)  # look -> photos
        d_photos = PatchDiscriminator(ndf=c.ndf, n_layers=c.d_layers)
        init_weights(g_back)
        init_weights(d_photos)
        self.nets.update(generator_back=g_back.to(self.device), discriminator_photos=d_photos.to(self.device))
        self.optimizers["generator"] = self._adam(self.nets["generator"], g_back)  # one step for both, as the paper
        self.optimizers["discriminator_photos"] = self._adam(d_photos)
        shape = (c.pool_size, 3, c.size, c.size)
        self.buffers.update(pool_look=torch.zeros(shape, device=self.device),
                            pool_photos=torch.zeros(shape, device=self.device),
                            pool_count=torch.zeros(2, dtype=torch.long, device=self.device))

    def _from_pool(self, which: int, images: torch.Tensor) -> torch.Tensor:
        """The paper's image pool: while filling, store and return each image; once full, for each image with
        probability 1/2 return a stored one and store the new one in its place."""
        pool = self.buffers["pool_look" if which == 0 else "pool_photos"]
        if len(pool) == 0:
            return images
        out = []
        for img in images.detach():
            n = int(self.buffers["pool_count"][which])
            if n < len(pool):
                pool[n] = img
                self.buffers["pool_count"][which] += 1
                out.append(img)
            elif float(torch.rand(())) < 0.5:
                i = int(torch.randint(0, len(pool), ()))
                out.append(pool[i].clone())
                pool[i] = img
            else:
                out.append(img)
        return torch.stack(out)

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        c = self.config
        g, f = self.nets["generator"], self.nets["generator_back"]
        x, y = batch["content"], batch["style"]  # photos, images in the look; (B, 3, S, S) in [-1, 1]
        fake_y, fake_x = g(x), f(y)
        cycle = (f(fake_y) - x).abs().mean() + (g(fake_x) - y).abs().mean()
        identity = ((g(y) - y).abs().mean() + (f(x) - x).abs().mean()) if c.lambda_identity > 0 else x.new_zeros(())
        adv = self.adversarial("discriminator", fake_y) + self.adversarial("discriminator_photos", fake_x)
        # The generators step first, against the discriminators' current weights (as the paper's code).
        self.optimize("generator", adv + c.lambda_cycle * cycle + c.lambda_cycle * c.lambda_identity * identity)
        loss_d = self.discriminator_step("discriminator", y, self._from_pool(0, fake_y))
        loss_d_photos = self.discriminator_step("discriminator_photos", x, self._from_pool(1, fake_x))
        return {"g": adv.detach(), "cycle": cycle.detach(), "identity": identity.detach(), "d": loss_d,
                "d_photos": loss_d_photos}

    @torch.no_grad()
    def third_column(self, translated: torch.Tensor) -> torch.Tensor:
        """The reconstruction F(G(x)): how much of the photo the cycle keeps."""
        return self.nets["generator_back"](translated)
