"""lookgan: learn a visual look from a few photos with GANs, then apply, export and generate in it.

The public API is small: :func:`train`, :func:`generate`, :func:`info`, :func:`load_look` and :class:`Look`.
The CLI (``lookgan ...``) and the web app are thin layers over these functions.
"""
__version__ = "0.1.0"

from .api import demo, generate, info, train  # noqa: E402
from .look import Look, load_look  # noqa: E402

__all__ = ["Look", "load_look", "train", "generate", "info", "demo", "__version__"]
