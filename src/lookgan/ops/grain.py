"""Film grain noise, defined once: what a look with grain adds in ``lookgan apply`` and what an app running the
look's ONNX export must feed its ``noise`` input (see :class:`lookgan.kinds.capabilities.NoiseInput`)."""
from __future__ import annotations

import math
import zlib

import numpy as np
import torch
import torch.nn.functional as F


def grain_field(height: int, width: int, *, size: float, mono: float, seed: int,
                device: torch.device | str = "cpu") -> torch.Tensor:
    """Unit-variance film grain ``(1, 3, height, width)``: white noise drawn on cells of ``size`` x the short side
    (at least one pixel), smoothly upsampled; ``mono`` of its variance shared by the three channels."""
    cell = max(1.0, size * min(height, width))
    gh, gw = max(2, round(height / cell)), max(2, round(width / cell))
    gen = torch.Generator().manual_seed(int(seed) % (2**63))
    noise = torch.randn(1, 4, gh, gw, generator=gen)  # one mono channel, three colour channels
    if (gh, gw) != (height, width):
        noise = F.interpolate(noise, size=(height, width), mode="bicubic", align_corners=False)
    noise = noise / noise.flatten(2).std(dim=2).clamp_min(1e-6)[..., None, None]
    m = float(min(max(mono, 0.0), 1.0))
    return (math.sqrt(m) * noise[:, :1] + math.sqrt(1 - m) * noise[:, 1:]).to(device)


def photo_seed(image: np.ndarray) -> int:
    """The grain seed of a photo ``(H, W, 3)``: from a 64x64 sample of its own pixels, so a rerun (in lookgan or
    in an ONNX app that follows this rule) writes the same file and different photos get different grain."""
    step_h, step_w = max(1, image.shape[0] // 64), max(1, image.shape[1] // 64)
    return zlib.crc32(np.ascontiguousarray(image[::step_h, ::step_w]).tobytes())
