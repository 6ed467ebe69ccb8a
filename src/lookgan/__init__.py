"""lookgan: learn a visual look from a few photos with GANs, then apply, export and generate in it.

The public API is small: :func:`train`, :func:`apply`, :func:`adjust`, :func:`export`, :func:`import_lut`,
:func:`evaluate`, :func:`compare_sets`, :func:`generate`, :func:`info`, :func:`load_look` and :class:`Look`. The
CLI (``lookgan ...``) and the web app are thin layers over these functions. They live in :mod:`lookgan.api` and
load on first use (:mod:`lookgan.core.lazy`), so ``import lookgan`` does not pay for torch until something
computes.
"""
__version__ = "0.1.0"

from .core.lazy import lazy_exports

__all__ = ["Look", "load_look", "train", "apply", "adjust", "export", "import_lut", "evaluate", "compare_sets",
           "generate", "generate_images", "info", "demo", "__version__"]

__getattr__, __dir__ = lazy_exports([n for n in __all__ if n != "__version__"], globals())
