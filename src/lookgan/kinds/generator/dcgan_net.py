"""The seed's DCGAN, corrected (Radford et al., 2016).

The seed document's Keras example emitted 8x8 images into a discriminator that expected 64x64, had no
upsampling or activations in the generator and a wrong generator loss. What it intended, and what this is:
z (100) -> transposed convs + BatchNorm + ReLU, doubling the size each time, -> RGB with tanh; a discriminator of
strided convs + LeakyReLU(0.2), BatchNorm from the second layer on, one logit per image. Sizes 32, 64 and 128.
"""
from __future__ import annotations

import math

import torch
from torch import nn

SUPPORTED_SIZES = (32, 64, 128)


def _check_size(image_size: int) -> int:
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(f"DCGAN image_size must be one of {SUPPORTED_SIZES}, got {image_size}")
    return int(math.log2(image_size)) - 2  # number of 2x stages between 4x4 and the image


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN's initialisation: conv weights N(0, 0.02); BatchNorm scale N(1, 0.02), shift 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """z ``(B, z_dim)`` -> image ``(B, 3, S, S)`` in [-1, 1]."""

    def __init__(self, *, image_size: int = 64, z_dim: int = 100, ngf: int = 64) -> None:
        super().__init__()
        stages = _check_size(image_size)
        self.z_dim = z_dim
        ch = ngf * 2 ** (stages - 1)
        layers: list[nn.Module] = [  # 1x1 -> 4x4
            nn.ConvTranspose2d(z_dim, ch, 4, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True)]
        for _ in range(stages - 1):  # 4 -> 8 -> ... -> S/2, halving channels
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, 3, 4, 2, 1, bias=False), nn.Tanh()]  # S/2 -> S
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))  # (B, 3, S, S)


class DCGANDiscriminator(nn.Module):
    """image ``(B, 3, S, S)`` -> logits ``(B,)`` (no sigmoid: the losses take logits)."""

    def __init__(self, *, image_size: int = 64, ndf: int = 64) -> None:
        super().__init__()
        stages = _check_size(image_size)
        layers: list[nn.Module] = [nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]  # S -> S/2, no norm
        ch = ndf
        for _ in range(stages - 1):  # S/2 -> ... -> 4x4, doubling channels
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [nn.Conv2d(ch, 1, 4, 1, 0)]  # 4x4 -> 1x1
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()  # (B,)
