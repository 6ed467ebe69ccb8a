"""Look kinds ("methods"): one module each, declared in the ``lookgan.kinds`` entry-point group (pyproject).

Nothing here imports the kinds: :mod:`lookgan.registry` loads a kind's module when that kind is asked for, the
same way for the built-in kinds and for kinds from plugin packages. How to add one: ``docs/adding-a-kind.md``
(the method protocol is :class:`~lookgan.methods.base.Method`; what a saved look can do is
:mod:`lookgan.capabilities`). The training loop (:func:`lookgan.training.loop.run_training`) gives every kind
progress, samples, plots, EMA, AMP, checkpoints, exact resume and signal handling for free.
"""
from .base import DataSpec, Method, NonFiniteStepError

__all__ = ["DataSpec", "Method", "NonFiniteStepError"]
