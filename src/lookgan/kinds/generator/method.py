"""What the kinds that generate new images (``dcgan``, ``fastgan``) share: a fixed latent batch for sample grids,
samples and the look from the EMA generator, the periodic SWD against a fixed sample of training images, and
rebuilding the generator for ``lookgan generate``. Subclasses build ``nets["generator"]`` (and the rest) and set
:meth:`make_generator`; their config has ``size``, ``z_dim`` and ``n_samples``.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ...data.transforms import center_crop, unit_range
from ..base import Method
from ..capabilities import GenerateModule
from ..look import Look

#: Real and generated images in the periodic SWD (``eval_every``): enough for a stable curve, cheap on a CPU.
EVAL_IMAGES = 64


class GeneratorMethod(Method):
    generates = True
    train_defaults: ClassVar[dict[str, Any]] = {"eval_every": 250}

    def __init__(self, config: Any, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        # A fixed latent batch, drawn from its own generator so that creating it leaves the global RNG alone.
        fixed = torch.Generator().manual_seed(1234)
        self.buffers = {"sample_z": torch.randn(config.n_samples, config.z_dim, generator=fixed).to(self.device)}
        self._eval_reals: torch.Tensor | None = None  # set by prepare(): real images for the periodic SWD

    @classmethod
    def make_generator(cls, config: Any) -> nn.Module:
        """A freshly initialised generator for ``config`` (training and :meth:`build_inference` share it)."""
        raise NotImplementedError

    def prepare(self, data: dict[str, Any], *, fresh: bool) -> None:
        """Keep a fixed sample of real images for the periodic SWD (``eval_every``), at most ``EVAL_IMAGES``."""
        style = data["style"]
        pick = torch.randperm(len(style), generator=torch.Generator().manual_seed(4321))[:EVAL_IMAGES]
        self._eval_reals = unit_range(torch.stack([center_crop(style.images[int(i)], self.config.size) for i in pick]))

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        assert self.ema is not None
        return self.ema.module(self.buffers["sample_z"])

    @torch.no_grad()
    def eval_sets(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        assert self.ema is not None
        if self._eval_reals is None:
            return None
        z = torch.randn(len(self._eval_reals), self.config.z_dim, generator=torch.Generator().manual_seed(5678))
        fake = torch.cat([self.ema.module(chunk.to(self.device)).float().cpu() for chunk in z.split(32)])
        return ((fake + 1) / 2).clamp(0, 1), self._eval_reals

    def look_tensors(self) -> dict[str, torch.Tensor]:
        return self.ema_look_tensors()

    @classmethod
    def build_inference(cls, config: Any, tensors: dict[str, torch.Tensor], *, device: str = "cpu") -> nn.Module:
        return cls.load_prefixed(cls.make_generator(config), tensors).to(device).eval()

    @classmethod
    def open(cls, look: Look, *, device: str = "cpu") -> "GeneratorLook":
        return GeneratorLook(look, look.build(device=device), z_dim=look.config.z_dim)


class GeneratorLook:
    """A generator look as a :class:`~lookgan.kinds.capabilities.Generator`: latents in, images in [0, 1] out."""

    def __init__(self, look: Look, net: nn.Module, *, z_dim: int) -> None:
        self.look, self.net, self.z_dim = look, net, z_dim

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return (self.net(z).clamp(-1.0, 1.0) + 1.0) * 0.5

    def module(self) -> nn.Module:
        return GenerateModule(self.net, self.z_dim).eval()
