"""FastGAN (Liu et al., "Towards Faster and Stabilized GAN Training for High-fidelity Few-shot Image Synthesis",
ICLR 2021), for 64-1024 px.

Generator: 4x4 from the latent, then 2x upsampling blocks (nearest upsample, 3x3 conv, BatchNorm, GLU; every
other block a heavier one with two convolutions and learnt noise injection) and **skip-layer excitation**
(SLE): the 4, 8, 16 and 32 px features gate, channel by channel, the 64, 128, 256 and 512 px ones (pooled to
4x4, a 4x4 conv, Swish, 1x1 conv, sigmoid). It returns the image and a half-size version (for the
discriminator's second path).

Discriminator: the full image is reduced to 8x8 by strided blocks (with SLE from every stage to the one three
halvings later) and judged on a 5x5 logit map; the half-size image takes a lighter path to its own 5x5 map.
**Self-supervision**: on real images, small decoders rebuild the image (at half its side, as the paper) from the
8x8 features of each path, and one quadrant of it from the 16x16 features, so D must keep describing the image
instead of latching onto a few artefacts: the paper's fix for few-shot overfitting of D.

Spectral normalisation on every convolution, as the paper's code. Sizes and widths are parameters; the widths
follow the paper's table (channels = width x {4: 16, 8: 8, 16: 4, 32: 2, 64: 2, 128: 1, 256: 0.5, ...}).
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

SUPPORTED_SIZES = (64, 128, 256, 512, 1024)
_G_MULT = {4: 16, 8: 8, 16: 4, 32: 2, 64: 2, 128: 1, 256: 0.5, 512: 0.25, 1024: 0.125}
_D_MULT = {4: 16, 8: 16, 16: 8, 32: 4, 64: 2, 128: 1, 256: 0.5, 512: 0.25, 1024: 0.125, 2048: 0.0625}  # D reads the entry at twice its resolution


def _sn_conv(cin: int, cout: int, k: int, s: int = 1, p: int = 0, bias: bool = True) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, k, s, p, bias=bias))


def _ch(width: int, mult: float) -> int:
    return max(8, int(width * mult))


class NoiseInjection(nn.Module):
    """Adds learnt-scale per-pixel Gaussian noise (scale starts at 0). Training only: in eval mode it adds
    nothing, so generation is a pure function of the latent (seeded, reproducible, no hidden random state)."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        b, _, h, w = x.shape
        return x + self.weight * torch.randn(b, 1, h, w, device=x.device, dtype=x.dtype)


def _up_block(cin: int, cout: int, *, heavy: bool, noise: bool) -> nn.Sequential:
    """Upsample x2, then conv -> [noise] -> BN -> GLU (twice when ``heavy``)."""
    layers: list[nn.Module] = [nn.Upsample(scale_factor=2, mode="nearest")]
    for i in range(2 if heavy else 1):
        layers.append(_sn_conv(cin if i == 0 else cout, cout * 2, 3, 1, 1, bias=False))
        if heavy and noise:
            layers.append(NoiseInjection())
        layers += [nn.BatchNorm2d(cout * 2), nn.GLU(dim=1)]
    return nn.Sequential(*layers)


class SkipExcitation(nn.Module):
    """SLE: ``big * sigmoid(conv1x1(swish(conv4x4(pool4(small)))))``: low-resolution features gate the
    channels of high-resolution ones (a style-like modulation that also shortens the gradient path)."""

    def __init__(self, c_small: int, c_big: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(4), _sn_conv(c_small, c_big, 4, 1, 0, bias=False), nn.SiLU(),
                                  _sn_conv(c_big, c_big, 1, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, small: torch.Tensor, big: torch.Tensor) -> torch.Tensor:
        return big * self.gate(small)


class FastGANGenerator(nn.Module):
    """``z`` ``(B, z_dim)`` -> image ``(B, 3, size, size)`` in [-1, 1]; :meth:`forward_pair` also returns the
    half-size image the discriminator's second path sees."""

    def __init__(self, *, size: int = 64, z_dim: int = 256, ngf: int = 32, noise: bool = True) -> None:
        super().__init__()
        if size not in SUPPORTED_SIZES:
            raise ValueError(f"FastGAN size must be one of {SUPPORTED_SIZES}, got {size}")
        self.size, self.z_dim = size, z_dim
        ch = {r: _ch(ngf, m) for r, m in _G_MULT.items()}
        self.init = nn.Sequential(spectral_norm(nn.ConvTranspose2d(z_dim, ch[4] * 2, 4, 1, 0, bias=False)),
                                  nn.BatchNorm2d(ch[4] * 2), nn.GLU(dim=1))  # (B, ch4, 4, 4)
        self.resolutions = [2 ** i for i in range(3, int(math.log2(size)) + 1)]  # 8 .. size
        self.ups = nn.ModuleDict({str(r): _up_block(ch[r // 2], ch[r], heavy=r in (8, 32, 128, 512), noise=noise)
                                  for r in self.resolutions})
        # SLE from 4 -> 64, 8 -> 128, 16 -> 256, 32 -> 512 (sources at 1/16 of the target resolution).
        self.sle = nn.ModuleDict({str(r): SkipExcitation(ch[r // 16], ch[r]) for r in self.resolutions if r >= 64})
        self.to_rgb = _sn_conv(ch[size], 3, 3, 1, 1)
        self.to_rgb_half = _sn_conv(ch[size // 2], 3, 1, 1, 0)

    def forward_pair(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = {4: self.init(z.view(len(z), -1, 1, 1))}
        x = feats[4]
        for r in self.resolutions:
            x = self.ups[str(r)](x)
            if str(r) in self.sle:
                x = self.sle[str(r)](feats[r // 16], x)
            feats[r] = x
        return torch.tanh(self.to_rgb(x)), torch.tanh(self.to_rgb_half(feats[self.size // 2]))

    def forward(self, z: torch.Tensor, pair: bool = False) -> Any:
        """The image; with ``pair``, :meth:`forward_pair`'s two outputs (through ``forward`` so that a
        DistributedDataParallel wrapper sees the call)."""
        return self.forward_pair(z) if pair else self.forward_pair(z)[0]


def _down_block(cin: int, cout: int) -> nn.Sequential:
    """Strided 4x4 conv, BN, LeakyReLU: halves the resolution."""
    return nn.Sequential(_sn_conv(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True))


class DownBlockComp(nn.Module):
    """The discriminator's main block: a strided path and an average-pooled shortcut, averaged."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.main = nn.Sequential(_down_block(cin, cout), _sn_conv(cout, cout, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True))
        self.direct = nn.Sequential(nn.AvgPool2d(2, 2), _sn_conv(cin, cout, 1, 1, 0, bias=False),
                                    nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.main(x) + self.direct(x)) / 2


class SimpleDecoder(nn.Module):
    """8x8 features -> an RGB image of ``out_size`` (the self-supervision target)."""

    def __init__(self, cin: int, out_size: int, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.AdaptiveAvgPool2d(8)]
        c = cin
        for r in (2 ** i for i in range(4, int(math.log2(out_size)) + 1)):  # 16 .. out_size (none for 8)
            cout = _ch(width, _G_MULT[r])
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), _sn_conv(c, cout * 2, 3, 1, 1, bias=False),
                       nn.BatchNorm2d(cout * 2), nn.GLU(dim=1)]
            c = cout
        layers += [_sn_conv(c, 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def quadrant(x: torch.Tensor, part: int) -> torch.Tensor:
    """One of the four quadrants of ``(B, C, H, W)``: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right."""
    h, w = x.shape[-2] // 2, x.shape[-1] // 2
    top, left = (part // 2) * h, (part % 2) * w
    return x[..., top:top + h, left:left + w]


class FastGANDiscriminator(nn.Module):
    """Judges ``(image, half-size image)`` pairs: ``(B, 50)`` logits (two 5x5 maps); on real images
    :meth:`forward` with ``part`` also returns the three self-supervised reconstructions."""

    def __init__(self, *, size: int = 64, ndf: int = 32) -> None:
        super().__init__()
        if size not in SUPPORTED_SIZES:
            raise ValueError(f"FastGAN size must be one of {SUPPORTED_SIZES}, got {size}")
        ch = {r: _ch(ndf, _D_MULT[2 * r]) for r in (2 ** i for i in range(3, 11))}  # channels at resolution r
        self.size = size
        self.stem = nn.Sequential(_sn_conv(3, ch[size], 3, 1, 1), nn.LeakyReLU(0.2, True))
        self.resolutions = [size >> i for i in range(1, int(math.log2(size // 8)) + 1)]  # size/2 .. 8
        self.downs = nn.ModuleList(DownBlockComp(ch[2 * r], ch[r]) for r in self.resolutions)
        # SLE from each stage to the one three halvings later (the paper's 2->16, 4->32, 8->64 at 256 px).
        self.sle = nn.ModuleDict({str(r): SkipExcitation(ch[r * 8], ch[r]) for r in self.resolutions if r * 8 <= size})
        self.logits = nn.Sequential(_sn_conv(ch[8], ch[8] * 2, 1, 1, 0, bias=False), nn.BatchNorm2d(ch[8] * 2),
                                    nn.LeakyReLU(0.2, True), _sn_conv(ch[8] * 2, 1, 4, 1, 0))  # (B, 1, 5, 5)
        half = size // 2
        small = [_sn_conv(3, ch[half // 2], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        r = half // 2
        while r > 8:
            small.append(_down_block(ch[r], ch[r // 2]))
            r //= 2
        self.small = nn.Sequential(*small)  # (B, ch8, 8, 8)
        self.small_logits = _sn_conv(ch[8], 1, 4, 1, 0)
        out = min(128, size // 2)  # the paper rebuilds 128-px images from 256-px inputs: half the input side
        self.decoder_big = SimpleDecoder(ch[8], out, ndf)
        self.decoder_small = SimpleDecoder(ch[8], out, ndf)
        self.decoder_part = SimpleDecoder(ch[16], out, ndf)

    def forward(self, big: torch.Tensor, small: torch.Tensor, part: int | None = None):
        feats = {self.size: self.stem(big)}
        x = feats[self.size]
        for r, down in zip(self.resolutions, self.downs):
            x = down(x)
            if str(r) in self.sle:
                x = self.sle[str(r)](feats[r * 8], x)
            feats[r] = x
        feat_small = self.small(small)
        logits = torch.cat([self.logits(x).flatten(1), self.small_logits(feat_small).flatten(1)], dim=1)
        if part is None:
            return logits
        recon = (self.decoder_big(x), self.decoder_small(feat_small), self.decoder_part(quadrant(feats[16], part)))
        return logits, recon
