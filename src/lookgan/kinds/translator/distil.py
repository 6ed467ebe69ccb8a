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

from ...data.images import as_float, as_uint8, downscale_for_metrics
from ...ops.color import psnr
from ...ops.lut3d import apply_lut
from ...ops.transfer import fit_lut
from .network import ResnetGenerator
from .tiled import translate_image


def colour_pairs(generator: ResnetGenerator, photos: Sequence[np.ndarray], *, side: int = 256,
                 max_pixels: int = 1 << 18, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(input, output) RGB pairs ``(N, 3)`` in [0, 1] from the generator applied to ``photos`` (each reduced
    to ``side`` px on its longer side), at most ``max_pixels`` drawn uniformly."""
    inputs, outputs = [], []
    for photo in photos:
        small = as_uint8(downscale_for_metrics(photo, side))
        out = translate_image(generator, small)
        inputs.append(torch.from_numpy(as_float(small).reshape(-1, 3)))
        outputs.append(torch.from_numpy(as_float(out).reshape(-1, 3)))
    x, y = torch.cat(inputs), torch.cat(outputs)
    if len(x) > max_pixels:
        pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:max_pixels]
        x, y = x[pick], y[pick]
    return x, y


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
