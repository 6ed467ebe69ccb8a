"""lookgan: learn a visual look from a few photos with GANs, then apply, export and generate in it.

The public API is small: :func:`train`, :func:`apply`, :func:`adjust`, :func:`export`, :func:`import_lut`, :func:`evaluate`, :func:`compare_sets`,
:func:`generate`, :func:`info`, :func:`load_look` and :class:`Look`. The CLI (``lookgan ...``) and the web app
are thin layers over these functions. (Modules are named ``training``, ``applying`` and ``exporting`` so that
they never shadow these functions.)
"""
__version__ = "0.1.0"

from .core.lazy import lazy_exports

#: Public name -> the module that defines it, loaded on first use so that ``import lookgan`` (and the CLI's help,
#: and the web app's start) does not pay for torch until something computes.
_EXPORTS = {**{name: "api" for name in ("train", "apply", "adjust", "export", "import_lut", "evaluate",
                                        "compare_sets", "generate", "generate_images", "info", "demo")},
            "Look": "kinds.look", "load_look": "kinds.look"}

__all__ = ["Look", "load_look", "train", "apply", "adjust", "export", "import_lut", "evaluate", "compare_sets", "generate",
           "generate_images", "info", "demo", "__version__"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
