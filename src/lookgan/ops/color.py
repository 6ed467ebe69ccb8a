"""Colour spaces and colour difference: sRGB <-> linear <-> XYZ <-> CIE Lab (D65), and CIEDE2000.

Pure tensor functions on the *last* dimension (``(..., 3)``): pixel lists ``(N, 3)``, images ``(H, W, 3)`` and
LUT lattices ``(n, n, n, 3)`` all pass through unchanged in shape. Use ``x.movedim(-3, -1)`` for ``(B, 3, H, W)``
tensors. Float64 in, float64 out where precision matters (ΔE reference tests); float32 works everywhere.

>>> lab = rgb_to_lab(torch.tensor([[1.0, 1.0, 1.0]]))  # white
>>> lab.round()
tensor([[100., 0., 0.]])
"""
from __future__ import annotations

import math

import torch

# sRGB (D65) primaries -> CIE XYZ, IEC 61966-2-1.
_RGB_TO_XYZ = ((0.4124564, 0.3575761, 0.1804375),
               (0.2126729, 0.7151522, 0.0721750),
               (0.0193339, 0.1191920, 0.9503041))
_WHITE_D65 = (0.95047, 1.0, 1.08883)
_EPS = (6.0 / 29.0) ** 3


def srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB-encoded values in [0, 1] -> linear light (the IEC piecewise curve)."""
    return torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb.clamp(min=0.0) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(lin: torch.Tensor) -> torch.Tensor:
    """Linear light -> sRGB encoding (inverse of :func:`srgb_to_linear`)."""
    return torch.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin.clamp(min=0.0) ** (1.0 / 2.4) - 0.055)


def _matrix(rows: tuple[tuple[float, ...], ...], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(rows, dtype=like.dtype, device=like.device)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB ``(..., 3)`` in [0, 1] -> CIE Lab (D65): L in [0, 100], a/b roughly [-128, 127]."""
    xyz = srgb_to_linear(rgb) @ _matrix(_RGB_TO_XYZ, rgb).T
    xyz = xyz / torch.tensor(_WHITE_D65, dtype=rgb.dtype, device=rgb.device)
    f = torch.where(xyz > _EPS, xyz.clamp(min=_EPS).pow(1.0 / 3.0), xyz / (3 * (6 / 29) ** 2) + 4.0 / 29.0)
    fx, fy, fz = f.unbind(-1)
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], dim=-1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """CIE Lab (D65) -> sRGB ``(..., 3)``, *not* clipped (out-of-gamut colours fall outside [0, 1])."""
    L, a, b = lab.unbind(-1)
    fy = (L + 16.0) / 116.0
    f = torch.stack([fy + a / 500.0, fy, fy - b / 200.0], dim=-1)
    xyz = torch.where(f > 6.0 / 29.0, f ** 3, 3 * (6 / 29) ** 2 * (f - 4.0 / 29.0))
    xyz = xyz * torch.tensor(_WHITE_D65, dtype=lab.dtype, device=lab.device)
    lin = xyz @ torch.linalg.inv(_matrix(_RGB_TO_XYZ, lab)).T
    return linear_to_srgb(lin)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """Relative luminance Y of sRGB ``(..., 3)`` (linear-light weighting), shape ``(...)``."""
    return srgb_to_linear(rgb) @ _matrix(_RGB_TO_XYZ, rgb)[1]


def delta_e2000(lab1: torch.Tensor, lab2: torch.Tensor, *, kl: float = 1.0, kc: float = 1.0,
                kh: float = 1.0) -> torch.Tensor:
    """CIEDE2000 colour difference between Lab colours ``(..., 3)``; returns ``(...)``.

    Follows Sharma, Wu & Dalal, "The CIEDE2000 color-difference formula: implementation notes, supplementary test
    data, and mathematical observations" (2005), including its notes on hue angles at the 0/360 wrap and on
    neutral colours (C'=0). About 1 is a just-noticeable difference; under 2 is hard to see side by side.
    """
    L1, a1, b1 = lab1.unbind(-1)
    L2, a2, b2 = lab2.unbind(-1)
    c_mean = (torch.hypot(a1, b1) + torch.hypot(a2, b2)) / 2.0
    c7 = c_mean ** 7
    g = 0.5 * (1.0 - torch.sqrt(c7 / (c7 + 25.0 ** 7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = torch.hypot(a1p, b1), torch.hypot(a2p, b2)
    # atan2(0, 0) is defined as 0 here; angles in degrees in [0, 360).
    h1p = torch.rad2deg(torch.atan2(b1, a1p)) % 360.0
    h2p = torch.rad2deg(torch.atan2(b2, a2p)) % 360.0
    dLp = L2 - L1
    dCp = c2p - c1p
    chroma_zero = (c1p * c2p) == 0
    dh = h2p - h1p
    dh = torch.where(dh > 180.0, dh - 360.0, torch.where(dh < -180.0, dh + 360.0, dh))
    dh = torch.where(chroma_zero, torch.zeros_like(dh), dh)
    dHp = 2.0 * torch.sqrt(c1p * c2p) * torch.sin(torch.deg2rad(dh) / 2.0)
    Lp = (L1 + L2) / 2.0
    Cp = (c1p + c2p) / 2.0
    hsum = h1p + h2p
    hp = torch.where((h1p - h2p).abs() <= 180.0, hsum / 2.0,
                     torch.where(hsum < 360.0, (hsum + 360.0) / 2.0, (hsum - 360.0) / 2.0))
    hp = torch.where(chroma_zero, hsum, hp)
    t = (1.0 - 0.17 * torch.cos(torch.deg2rad(hp - 30.0)) + 0.24 * torch.cos(torch.deg2rad(2.0 * hp))
         + 0.32 * torch.cos(torch.deg2rad(3.0 * hp + 6.0)) - 0.20 * torch.cos(torch.deg2rad(4.0 * hp - 63.0)))
    d_theta = 30.0 * torch.exp(-(((hp - 275.0) / 25.0) ** 2))
    cp7 = Cp ** 7
    rc = 2.0 * torch.sqrt(cp7 / (cp7 + 25.0 ** 7))
    sl = 1.0 + 0.015 * (Lp - 50.0) ** 2 / torch.sqrt(20.0 + (Lp - 50.0) ** 2)
    sc = 1.0 + 0.045 * Cp
    sh = 1.0 + 0.015 * Cp * t
    rt = -torch.sin(torch.deg2rad(2.0 * d_theta)) * rc
    tl, tc, th = dLp / (kl * sl), dCp / (kc * sc), dHp / (kh * sh)
    return torch.sqrt(tl ** 2 + tc ** 2 + th ** 2 + rt * tc * th)


def delta_e2000_rgb(rgb1: torch.Tensor, rgb2: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 between sRGB ``(..., 3)`` colours in [0, 1] (converted to Lab in float64 for accuracy)."""
    return delta_e2000(rgb_to_lab(rgb1.double()), rgb_to_lab(rgb2.double()))


def psnr(x: torch.Tensor, y: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB between two images in [0, 1] (infinite for identical images)."""
    mse = float(((x.double() - y.double()) ** 2).mean())
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def blend(photo: torch.Tensor, result: torch.Tensor, *, strength: float = 1.0,
          keep_colour: bool = False) -> torch.Tensor:
    """Strength and keep-colour on ``(..., 3)`` RGB in [0, 1]: ``photo + strength * (result - photo)``; with
    ``keep_colour`` the result's Lab lightness with the photo's a*, b*."""
    if keep_colour:
        lab_p, lab_r = rgb_to_lab(photo), rgb_to_lab(result)
        result = lab_to_rgb(torch.cat([lab_r[..., :1], lab_p[..., 1:]], dim=-1)).clamp(0, 1)
    if strength != 1.0:
        result = photo + strength * (result - photo)
    return result.clamp(0, 1)
