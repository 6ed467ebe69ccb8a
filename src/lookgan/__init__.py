"""lookgan: learn a visual look from a few photos with GANs, then apply, export and generate in it.

The public API is small: :func:`train`, :func:`apply`, :func:`export`, :func:`import_lut`, :func:`evaluate`, :func:`compare_sets`,
:func:`generate`, :func:`info`, :func:`load_look` and :class:`Look`. The CLI (``lookgan ...``) and the web app
are thin layers over these functions. (Modules are named ``training``, ``applying`` and ``exporting`` so that
they never shadow these functions.)
"""
__version__ = "0.1.0"

from .api import (apply, compare_sets, demo, evaluate, export, generate, generate_images, import_lut,  # noqa: E402
                  info, train)
from .look import Look, load_look  # noqa: E402

__all__ = ["Look", "load_look", "train", "apply", "export", "import_lut", "evaluate", "compare_sets", "generate", "generate_images", "info", "demo",
           "__version__"]
