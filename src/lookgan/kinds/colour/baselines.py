"""The ``reinhard`` and ``ot`` kinds: classical colour transfers fitted in one go into one global LUT, the
baselines every learnt colour look is measured against."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import torch

from ...ops.transfer import OtSpace, ot_lut, reinhard_lut
from ...prior.posterior import PriorSettings
from .method import _LUTMethod


@dataclass
class TransferConfig:
    """A classical colour transfer fitted into one global LUT."""

    lut_size: int = 33
    load_size: int = 256
    pixels: int = 200_000
    """Pixels sampled from each image set."""
    iterations: int = 40
    """``ot`` only: random rotations of the iterative distribution transfer."""
    space: OtSpace = "auto"
    """``ot`` only: colour space of the matching: ``rgb``, ``lab``, or ``auto`` (CIELAB for a black-and-white
    style set, sRGB otherwise: the best measured space for each, see :func:`~lookgan.ops.transfer.ot_lut`)."""
    match_content: bool = False
    """As :attr:`LUTConfig.match_content`."""
    prior: bool = False  # ot only: gate the fit by the grade prior, as lut's init: prior (off: the baseline)
    prior_pairs: int = PriorSettings.pairs
    n_samples: int = 4

    def __post_init__(self) -> None:
        if not 2 <= self.lut_size <= 129 or self.pixels < 100 or self.iterations < 1:
            raise ValueError("lut_size must be in 2..129, pixels >= 100, iterations >= 1")
        if self.space not in get_args(OtSpace):
            raise ValueError(f"space must be one of {', '.join(get_args(OtSpace))}, got {self.space!r}")

    def model_kwargs(self) -> dict[str, Any]:
        return dict(lut_size=self.lut_size, n_luts=1, adaptive=False)


class _Transfer(_LUTMethod):
    Config = TransferConfig
    needs_photos = True
    closed_form = True


class Reinhard(_Transfer):
    """Baseline: Lab mean/std matching (Reinhard et al. 2001) as one global LUT."""

    learns = "baseline: Lab mean/std colour transfer baked into one LUT"
    time_here = "seconds"

    def fit_lut(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return reinhard_lut(content, style, n=self.config.lut_size)


class OptimalTransport(_Transfer):
    """Baseline: iterative distribution transfer (Pitié et al.) as one global LUT."""

    learns = "baseline: optimal-transport colour transfer baked into one LUT; strong for global grades"
    time_here = "seconds"

    def fit_lut(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return ot_lut(content, style, n=self.config.lut_size, iterations=self.config.iterations,
                      space=self.config.space)
