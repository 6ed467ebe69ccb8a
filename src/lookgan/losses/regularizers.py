"""Regularisers on 3D LUTs (Zeng et al., TPAMI 2020, sec. 3.3), on ``(..., 3, n, n, n)`` tensors ``[c, b, g, r]``.

Why both: a LUT trained from a few images only sees the colours those images hold; smoothness spreads what it
learns to the empty parts of the cube, and monotonicity keeps the ordering of tones (a brighter input never
comes out darker), which is what makes a learnt grade safe on photos it never saw.
"""
from __future__ import annotations

import torch

_AXES = (-1, -2, -3)  # r, g, b input axes of a (…, 3, n, n, n) LUT


def lut_smoothness(lut: torch.Tensor) -> torch.Tensor:
    """Total variation: the mean squared difference between neighbouring entries along each input axis."""
    return sum(torch.diff(lut, dim=axis).pow(2).mean() for axis in _AXES)  # type: ignore[return-value]


def lut_monotonicity(lut: torch.Tensor) -> torch.Tensor:
    """How far each output channel falls as its own input channel rises (red out vs red in, ...); 0 when every
    channel is non-decreasing along its own axis."""
    total = lut.new_zeros(())
    for channel, axis in enumerate(_AXES):
        own = lut.select(-4, channel)  # (..., n, n, n)
        total = total + torch.relu(-torch.diff(own, dim=axis)).mean()  # own: (..., b, g, r)
    return total
