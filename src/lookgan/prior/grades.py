"""Random colour grades: the synthetic examples the grade prior learns from.

A grade is a ``(3, n, n, n)`` LUT (the :mod:`lookgan.ops.lut3d` convention). :func:`sample_grades` draws a batch
from a broad family so that the prior sees content vary while the grade is known: the identity, real film LUTs
(given by the caller, so that the grade being scored can be left out), their blends and extrapolations, and
parametric grades built from what colourists do (per-channel tone curves, a 3x3 matrix, saturation, hue-dependent
hue and chroma shifts, split toning, fades, black-and-white channel mixes), composed in random order.
"""
from __future__ import annotations

import math

import torch

from ..ops.color import lab_to_rgb, rgb_to_lab
from ..ops.lut3d import apply_lut, identity_lut, lattice_colours, resample_lut

#: Rec. 709 luma weights (the black-and-white mixes start from these).
_LUMA = torch.tensor([0.2126, 0.7152, 0.0722])


def _u(gen: torch.Generator, lo: float, hi: float, *shape: int) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(*shape, generator=gen)


def _curve(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    """A random monotone tone curve per channel (shared shape plus a per-channel part), applied to ``(N, 3)``."""
    knots = 6
    shared = torch.randn(knots, generator=gen) * strength
    steps = torch.softmax(shared[None] + 0.5 * strength * torch.randn(3, knots, generator=gen), dim=1)
    lo = (0.08 * strength * torch.rand(3, generator=gen)) * (torch.rand(1, generator=gen) < 0.5)  # fade
    hi = 1.0 - (0.08 * strength * torch.rand(3, generator=gen)) * (torch.rand(1, generator=gen) < 0.5)
    ys = torch.cat([torch.zeros(3, 1), steps.cumsum(1)], 1)
    ys = lo[:, None] + (hi - lo)[:, None] * ys  # (3, knots + 1)
    t = x.clamp(0, 1) * knots
    i = t.floor().clamp(max=knots - 1).long()
    f = t - i
    cols = [ys[c][i[:, c]] + (ys[c][i[:, c] + 1] - ys[c][i[:, c]]) * f[:, c] for c in range(3)]
    return torch.stack(cols, 1)


def _matrix(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    m = torch.eye(3) + 0.12 * strength * torch.randn(3, 3, generator=gen)
    m = m / m.sum(1, keepdim=True)  # grey stays grey, up to the offset
    offset = 0.03 * strength * torch.randn(3, generator=gen)
    return x @ m.T + offset


def _saturation(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    y = (x @ _LUMA)[:, None]
    return y + (x - y) * math.exp(0.35 * strength * float(torch.randn(1, generator=gen)))


def _hue(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    """Hue rotation and chroma gain, each a short Fourier series of the hue angle (CIELAB)."""
    lab = rgb_to_lab(x.clamp(0, 1))
    a, b = lab[:, 1], lab[:, 2]
    h = torch.atan2(b, a)
    basis = torch.stack([torch.ones_like(h), torch.cos(h), torch.sin(h), torch.cos(2 * h), torch.sin(2 * h)], 1)
    turn = basis @ (0.25 * strength * torch.randn(5, generator=gen))
    gain = torch.exp(basis @ (0.2 * strength * torch.randn(5, generator=gen)))
    cos, sin = torch.cos(turn), torch.sin(turn)
    out = torch.stack([lab[:, 0], gain * (cos * a - sin * b), gain * (sin * a + cos * b)], 1)
    return lab_to_rgb(out)


def _split_tone(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    y = (x @ _LUMA)[:, None]
    shadows, highlights = 0.06 * strength * torch.randn(2, 3, generator=gen)
    shadows, highlights = shadows - shadows.mean(), highlights - highlights.mean()
    return x + (1 - y) ** 2 * shadows + y ** 2 * highlights


def _mono(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    w = (_LUMA + 0.25 * torch.randn(3, generator=gen)).clamp(min=0.02)
    y = (x @ (w / w.sum()))[:, None]
    tint = 0.04 * torch.randn(3, generator=gen) * (torch.rand(1, generator=gen) < 0.4)
    return y.expand(-1, 3) + (tint - tint.mean()) * 4 * y * (1 - y)


_STEPS = (_curve, _matrix, _saturation, _hue, _split_tone)


def parametric_grade(n: int, gen: torch.Generator) -> torch.Tensor:
    """One random parametric grade: 1-4 of the steps above in random order, sometimes ending in black and white."""
    x = lattice_colours(n).reshape(-1, 3)
    strength = float(_u(gen, 0.3, 1.6, 1))
    order = torch.randperm(len(_STEPS), generator=gen)[: int(torch.randint(1, 5, (1,), generator=gen))]
    for k in order.tolist():
        x = _STEPS[k](x, gen, strength).clamp(0, 1)
    if torch.rand(1, generator=gen) < 0.08:
        x = _mono(x, gen, strength).clamp(0, 1)
        x = _curve(x, gen, 0.5 * strength).clamp(0, 1)
    return x.reshape(n, n, n, 3).permute(3, 0, 1, 2).contiguous()


def film_grade(films: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A film LUT from ``films`` (``(K, 3, n, n, n)``), at a random strength (0.3-1.3: weakened or
    extrapolated), or a blend of two."""
    ident = identity_lut(films.shape[-1])
    i, j = torch.randint(0, len(films), (2,), generator=gen).tolist()
    s = float(_u(gen, 0.3, 1.3, 1))
    if torch.rand(1, generator=gen) < 0.35:
        t = float(torch.rand(1, generator=gen))
        return (ident + s * (t * (films[i] - ident) + (1 - t) * (films[j] - ident))).clamp(0, 1)
    return (ident + s * (films[i] - ident)).clamp(0, 1)


def sample_grades(count: int, n: int, gen: torch.Generator, films: torch.Tensor | None = None, *,
                  identity: float = 0.1, film_share: float = 0.4) -> torch.Tensor:
    """``count`` random grades as ``(count, 3, n, n, n)``: the identity with probability ``identity``, a film
    grade (``films`` resampled to ``n``) with ``film_share``, else parametric, and a third of the film ones
    followed by a mild parametric grade."""
    if films is not None and films.shape[-1] != n:
        films = torch.stack([resample_lut(f, n) for f in films])
    out = []
    for _ in range(count):
        r = float(torch.rand(1, generator=gen))
        if r < identity:
            out.append(identity_lut(n))
        elif films is not None and len(films) and r < identity + film_share:
            g = film_grade(films, gen)
            if torch.rand(1, generator=gen) < 0.33:
                g = apply_lut(g.reshape(3, n * n, n), parametric_grade(9, gen)).reshape(3, n, n, n)
            out.append(g)
        else:
            out.append(parametric_grade(n, gen))
    return torch.stack(out)
