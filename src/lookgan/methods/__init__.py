"""Look kinds ("methods"). Importing this package registers all built-in kinds.

How to add a method
-------------------
1. Create ``methods/<name>.py`` with a config dataclass (a docstring per field, checks in ``__post_init__``) and a
   :class:`~lookgan.methods.base.Method` subclass decorated with ``@register("<name>")``.
2. In ``__init__`` build ``self.nets`` (every trainable network), ``self.optimizers`` (one per network you step),
   optionally ``self.ema``/``self.ema_source`` and ``self.buffers`` (fixed tensors such as sample latents).
   Everything in these dicts is checkpointed and restored by the loop: keep no other training state.
3. Implement ``data_spec()``, ``train_step(batch, step)`` (call ``self.optimize(name, loss)`` for each update,
   so the NaN guard works; return detached scalar losses), ``sample()`` (deterministic, no global RNG) and
   ``look_tensors()``; add ``build_inference(config, tensors)`` so a saved look can be used.
4. Import the module below and add a tiny-config test under ``tests/methods/``.
The loop (``lookgan.training.loop.run_training``) gives the method progress, samples, plots, EMA, AMP,
checkpoints, exact resume and signal handling for free.
"""
from . import cut, cyclegan, dcgan, fastgan, lut  # noqa: F401
from .base import DataSpec, Method, NonFiniteStepError

__all__ = ["DataSpec", "Method", "NonFiniteStepError"]
