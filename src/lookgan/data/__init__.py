"""Reading user images safely and streaming them into training.

Names are loaded on first use (see :mod:`lookgan.core.lazy`): :mod:`.images` needs only Pillow and NumPy, so code
that only checks images (the web app's uploads) does not import torch.
"""
from ..core.lazy import lazy_exports

_EXPORTS = {**{n: "dataset" for n in ("BatchStream", "ImageFolder")},
            **{n: "images" for n in ("DEFAULT_MAX_PIXELS", "IMAGE_EXTENSIONS", "list_images", "read_image",
                                     "save_image", "to_uint8")},
            **{n: "transforms" for n in ("center_crop", "from_model_range", "random_crop", "random_flip", "resize",
                                         "resize_shorter", "to_model_range", "to_numpy", "to_tensor")}}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
