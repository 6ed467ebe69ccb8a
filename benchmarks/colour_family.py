"""A structured family of colour grades for issue 18's lever 1 (``colour_levers.py structured``; it lost to OT,
so it lives here and not in lookgan): per-channel tone curves -> 3x3 matrix + offset -> hue-dependent saturation
and hue rotation (3 harmonics of the hue angle, in YCbCr) -> per-channel tone curves, on sRGB in [0, 1]. About
70 parameters, the identity at start. Fitted either to a known map (least squares: how well the family can
represent a grade) or by sliced W2 between the user's graded pixels and the feed's (unpaired)."""
from __future__ import annotations

import torch
from torch import nn

from lookgan.ops.lut3d import lut_from_function

_YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


class Curves(nn.Module):
    """Per-channel monotone piecewise-linear curves with ``knots`` equal input steps and free end points."""

    def __init__(self, knots: int = 9) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(3, knots - 1))  # softmax: equal steps, the identity
        self.ends = nn.Parameter(torch.tensor([[0.0, 1.0]] * 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.logits.shape[1]
        ys = torch.cat([torch.zeros(3, 1), torch.softmax(self.logits, dim=1).cumsum(1)], dim=1)
        ys = self.ends[:, :1] + (self.ends[:, 1:] - self.ends[:, :1]) * ys  # (3, k + 1)
        t = x.clamp(0, 1) * k
        i = t.floor().clamp(max=k - 1).long()
        f = t - i
        return torch.stack([ys[c][i[:, c]] + (ys[c][i[:, c] + 1] - ys[c][i[:, c]]) * f[:, c] for c in range(3)], 1)


class HueSat(nn.Module):
    """Chroma (Cb, Cr) scaled by exp(s(h)) and rotated by r(h), s and r Fourier series of the hue angle h."""

    def __init__(self, harmonics: int = 3) -> None:
        super().__init__()
        self.sat = nn.Parameter(torch.zeros(2 * harmonics + 1))
        self.hue = nn.Parameter(torch.zeros(2 * harmonics + 1))
        self.harmonics = harmonics

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ycc = x @ _YCC.T
        cb, cr = ycc[:, 1], ycc[:, 2]
        norm = torch.sqrt(cb * cb + cr * cr + 1e-8)
        u = torch.complex(cb / norm, cr / norm)  # e^{ih} (about 0 for grey: no hue, no gradient trouble)
        basis, power = [torch.ones_like(cb)], torch.ones_like(u)
        for _ in range(self.harmonics):
            power = power * u
            basis += [power.real, power.imag]
        b = torch.stack(basis, 1)
        gain, turn = torch.exp(b @ self.sat), b @ self.hue
        cos, sin = torch.cos(turn), torch.sin(turn)
        out = torch.stack([ycc[:, 0], gain * (cos * cb - sin * cr), gain * (sin * cb + cos * cr)], 1)
        return out @ torch.linalg.inv(_YCC).T


class GradeFamily(nn.Module):
    def __init__(self, *, knots: int = 9, harmonics: int = 3, hue: bool = True) -> None:
        super().__init__()
        self.pre, self.post = Curves(knots), Curves(knots)
        self.mix = nn.Parameter(torch.eye(3))
        self.offset = nn.Parameter(torch.zeros(3))
        self.huesat = HueSat(harmonics) if hue else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pre(x) @ self.mix.T + self.offset
        if self.huesat is not None:
            h = self.huesat(h)
        return self.post(h).clamp(0, 1)

    def lut(self, n: int = 33) -> torch.Tensor:
        with torch.no_grad():
            return lut_from_function(lambda rgb: self(rgb.float()).double(), n)


def _fit(family: GradeFamily, loss_fn, steps: int, lr: float) -> GradeFamily:
    opt = torch.optim.Adam(family.parameters(), lr=lr)
    for _ in range(steps):
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return family


def fit_sliced_w2(family: GradeFamily, content: torch.Tensor, style: torch.Tensor, *, steps: int = 400,
                  batch: int = 8192, directions: int = 32, seed: int = 0) -> GradeFamily:
    """Unpaired: sliced W2 (sRGB) between the family's output on ``content`` pixels and ``style`` pixels."""
    gen = torch.Generator().manual_seed(seed)

    def loss() -> torch.Tensor:
        i = torch.randint(0, len(content), (batch,), generator=gen)
        j = torch.randint(0, len(style), (batch,), generator=gen)
        d = torch.randn(3, directions, generator=gen)
        d = d / d.norm(dim=0, keepdim=True)
        a, b = (family(content[i]) @ d).sort(0).values, (style[j] @ d).sort(0).values
        return (a - b).pow(2).mean()
    return _fit(family, loss, steps, 0.01)


def fit_least_squares(family: GradeFamily, x: torch.Tensor, y: torch.Tensor, *, steps: int = 600,
                      seed: int = 0) -> GradeFamily:
    """Paired: the family member closest to the map ``x -> y`` (how well the family can represent it)."""
    gen = torch.Generator().manual_seed(seed)

    def loss() -> torch.Tensor:
        i = torch.randint(0, len(x), (8192,), generator=gen)
        return (family(x[i]) - y[i]).pow(2).mean()
    return _fit(family, loss, steps, 0.02)
