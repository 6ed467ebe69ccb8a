"""Distil a translator's colour mapping into a 3D LUT, and say how much of its change the LUT carries.

A translator (CycleGAN/CUT) changes texture *and* colour; editors and ffmpeg only take LUTs. We run the
generator over photos, collect (input colour, output colour) pairs, and fit a 33³ LUT to them by least squares
(Adam on the lattice, with a little total-variation smoothing so colours the photos never show stay sensible).
The PSNR between the generator's output and the LUT's output on the same photos tells the user whether the
look is "just colour" (high, 30+ dB: the .cube is the look) or mostly texture (low: the .cube is only its
colour part).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..eval.content import downscale_for_metrics
from ..losses.regularizers import lut_monotonicity, lut_smoothness
from ..models.translator import ResnetGenerator
from ..ops.color import psnr
from ..ops.lut3d import apply_lut, identity_lut
from ..translate import translate_image


def colour_pairs(generator: ResnetGenerator, photos: Sequence[np.ndarray], *, side: int = 256,
                 max_pixels: int = 1 << 18, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(input, output) RGB pairs ``(N, 3)`` in [0, 1] from the generator applied to ``photos`` (each reduced
    to ``side`` px on its longer side), at most ``max_pixels`` drawn uniformly."""
    inputs, outputs = [], []
    for photo in photos:
        small = downscale_for_metrics(photo, side)
        small = small if small.dtype == np.uint8 else (np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)
        out = translate_image(generator, small)
        inputs.append(torch.from_numpy(small.reshape(-1, 3).astype(np.float32) / 255.0))
        outputs.append(torch.from_numpy(out.reshape(-1, 3).astype(np.float32) / 255.0))
    x, y = torch.cat(inputs), torch.cat(outputs)
    if len(x) > max_pixels:
        pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:max_pixels]
        x, y = x[pick], y[pick]
    return x, y


def fit_lut(inputs: torch.Tensor, outputs: torch.Tensor, *, size: int = 33, steps: int = 400, lr: float = 0.02,
            smoothness: float = 1e-4, monotonicity: float = 0.0) -> torch.Tensor:
    """The ``(3, size, size, size)`` LUT whose trilinear interpolation best maps ``inputs`` to ``outputs``
    (``(N, 3)`` in [0, 1]), starting from the identity; returns it clipped to [0, 1]."""
    lut = identity_lut(size).requires_grad_(True)
    opt = torch.optim.Adam([lut], lr=lr)
    image = inputs.T.reshape(3, 1, -1)  # (3, 1, N): the pairs as a one-row "image"
    target = outputs.T.reshape(3, 1, -1)
    for _ in range(steps):
        loss = F.mse_loss(apply_lut(image, lut), target) + smoothness * lut_smoothness(lut)
        if monotonicity:
            loss = loss + monotonicity * lut_monotonicity(lut)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return lut.detach().clamp(0.0, 1.0)


def distil(generator: ResnetGenerator, photos: Sequence[np.ndarray], *, size: int = 33) -> tuple[torch.Tensor,
                                                                                                  dict[str, Any]]:
    """A LUT standing for the generator's colour change over ``photos``, and how faithful it is:
    ``lut_psnr`` (dB, generator output vs LUT output on those photos' pixels), ``change_psnr`` (generator output
    vs the untouched photo: how big the whole change is) and ``n_photos``."""
    x, y = colour_pairs(generator, photos)
    lut = fit_lut(x, y, size=size)
    with torch.no_grad():
        approx = apply_lut(x.T.reshape(3, 1, -1), lut).reshape(3, -1).T
    return lut, {"lut_psnr": psnr(approx, y), "change_psnr": psnr(x, y), "n_photos": len(photos)}
