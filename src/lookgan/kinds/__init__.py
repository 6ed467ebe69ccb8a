"""Look kinds: what a kind is, what its saved look can do, and one folder per family of built-in kinds.

- :mod:`~lookgan.kinds.base`: :class:`Method`, the training recipe every kind implements (the trainer in
  :mod:`lookgan.training` gives it progress, samples, EMA, AMP, checkpoints, exact resume and signals);
- :mod:`~lookgan.kinds.capabilities`: what a saved look can do (grade a photo, give its colour part as a LUT,
  generate, expose sliders, editor layers, ffmpeg filters, ONNX modules); the use side calls only these;
- :mod:`~lookgan.kinds.look`: the saved look on disk (safetensors + ``look.json``) and its loading;
- ``colour/``, ``preset/``, ``translator/``, ``generator/``: the built-in families, each with its network,
  training recipe, saved-look runtime, exporter hooks and its own losses.

Kinds are declared in the ``lookgan.kinds`` entry-point group (``pyproject.toml``), built-in ones exactly like a
plugin's, and loaded by :mod:`lookgan.core.registry` only when asked for. Nothing outside a family folder
imports inside it. How to add one: ``docs/adding-a-kind.md``.
"""
from .base import DataSpec, Method, NonFiniteStepError

__all__ = ["DataSpec", "Method", "NonFiniteStepError"]
