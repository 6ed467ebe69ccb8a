"""A look as one ``nn.Module`` with one convention for every kind: what ONNX export and ``torch.hub`` hand out.

* restyling looks (``lut``, ``reinhard``, ``ot``, ``cyclegan``, ``cut``, ``fastcut``): ``image`` float
  ``(N, 3, H, W)`` RGB in [0, 1] -> the styled image, same shape and range (translators: H and W multiples of 4;
  normalisation statistics from the input itself, so one whole-image pass);
* generator looks (``dcgan``, ``fastgan``): ``z`` ``(N, z_dim)`` standard normal -> ``(N, 3, S, S)`` in [0, 1].

The CLI's own apply path does more than this module (Pillow thumbnails, tiling, strength and keep-colour); this is
the plain network an app embeds.
"""
from __future__ import annotations

import torch
from torch import nn

from .look import Look
from .models.lut import AdaptiveLUT
from .models.translator import ResnetGenerator
from .registry import get_method


class LutLook(nn.Module):
    """Predictor, LUT mixing and trilinear LUT apply of a colour look, in [0, 1]."""

    def __init__(self, model: AdaptiveLUT) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model(image)


class TranslatorLook(nn.Module):
    """A translator's generator with the [0, 1] convention (it works in [-1, 1] inside)."""

    def __init__(self, model: ResnetGenerator) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return (self.model(image * 2.0 - 1.0).clamp(-1.0, 1.0) + 1.0) * 0.5


class GeneratorLook(nn.Module):
    """A generator from latents to images in [0, 1]; ``z_dim`` is the latent length."""

    def __init__(self, model: nn.Module, z_dim: int) -> None:
        super().__init__()
        self.model = model
        self.z_dim = z_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.model(z).clamp(-1.0, 1.0) + 1.0) * 0.5


def look_module(look: Look, device: str = "cpu") -> nn.Module:
    """The look's network in the convention above, in eval mode."""
    method_cls = get_method(look.kind)
    model = look.build(device=device)
    if method_cls.generates:
        return GeneratorLook(model, method_cls.latent_dim(look.config)).eval()
    if isinstance(model, AdaptiveLUT):
        return LutLook(model).eval()
    if isinstance(model, ResnetGenerator):
        return TranslatorLook(model).eval()
    raise TypeError(f"no inference module for a {look.kind} look ({type(model).__name__})")
