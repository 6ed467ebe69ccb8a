"""Exponential moving average of generator weights, the copy that samples and exports use.

Averaging weights over the last few hundred steps removes much of the step-to-step jitter of GAN training
(Karras et al.; Yazici et al., "The Unusual Effectiveness of Averaging in GAN Training"). The decay ramps up
from ~0 so that short CPU runs do not export an average dominated by the random initialisation.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Holds ``module``, a frozen copy of the source network updated by :meth:`update`."""

    def __init__(self, source: nn.Module, *, decay: float = 0.999) -> None:
        self.decay = decay
        self.module = copy.deepcopy(source).eval().requires_grad_(False)

    def current_decay(self, step: int) -> float:
        """Ramped decay: min(decay, (1 + step) / (10 + step))."""
        return min(self.decay, (1.0 + step) / (10.0 + step))

    @torch.no_grad()
    def update(self, source: nn.Module, step: int) -> None:
        """Move every parameter toward ``source``'s; buffers (BatchNorm statistics) are copied as they are."""
        d = self.current_decay(step)
        for ema_p, p in zip(self.module.parameters(), source.parameters()):
            ema_p.lerp_(p.detach(), 1.0 - d)
        for ema_b, b in zip(self.module.buffers(), source.buffers()):
            ema_b.copy_(b)
