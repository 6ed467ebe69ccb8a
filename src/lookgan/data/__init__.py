"""Reading user images safely and streaming them into training."""
from .dataset import BatchStream, ImageFolder
from .images import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, list_images, read_image, save_image, to_uint8
from .transforms import (
    center_crop,
    from_model_range,
    random_crop,
    random_flip,
    resize,
    resize_shorter,
    to_model_range,
    to_numpy,
    to_tensor,
)

__all__ = [
    "BatchStream", "ImageFolder", "DEFAULT_MAX_PIXELS", "IMAGE_EXTENSIONS", "list_images", "read_image",
    "save_image", "to_uint8", "center_crop", "from_model_range", "random_crop", "random_flip", "resize",
    "resize_shorter", "to_model_range", "to_numpy", "to_tensor",
]
