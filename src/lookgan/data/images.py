"""Safe image reading: any common format and mode to sRGB float RGB, with bombs refused and damage reported.

Users point lookgan at their own photo folders, so reading must survive what real folders hold: EXIF-rotated phone
pictures, CMYK and 16-bit files from editors, palette PNGs with transparency, wide-gamut ICC profiles, files cut off
by a failed copy, ``.DS_Store`` and sidecar files. Every function here either returns a correct image or raises an
:class:`~lookgan.core.errors.InputError` subclass that names the file.
"""
from __future__ import annotations

import io
import struct
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps

from ..core.errors import ImageTooLargeError, InputError, UnreadableImageError
from ..core.extras import require
from ..core.io import atomic_write_bytes

#: Default pixel limit: about 180 megapixels, the same order as Pillow's own bomb limit (2 × 89.5 MP).
DEFAULT_MAX_PIXELS = 180_000_000

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif"})

#: What Pillow raises on malformed files. Besides its documented OSError/SyntaxError/ValueError, fuzzing found
#: TypeError (a TIFF strip-offset tag of type RATIONAL) and its decoders can raise the others on crafted input;
#: all mean "damaged file", never a bug of ours (tests/reliability/test_fuzz.py keeps the inputs).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError, IndexError, ZeroDivisionError,
                  struct.error)

_HEIF_REGISTERED: bool | None = None
_HEIF_PROBLEM = ""  # why HEIC cannot be read: the heic extra missing or broken (extras.require's message)
_OPEN_LOCK = threading.Lock()
_SRGB = ImageCms.createProfile("sRGB")


def _register_heif() -> bool:
    """Register pillow-heif's opener once, when the optional package is installed."""
    global _HEIF_REGISTERED, _HEIF_PROBLEM
    if _HEIF_REGISTERED is None:
        try:
            require("heic", "pillow_heif").register_heif_opener()
            _HEIF_REGISTERED = True
        except InputError as e:
            _HEIF_REGISTERED, _HEIF_PROBLEM = False, str(e)
    return _HEIF_REGISTERED


def is_image_path(path: Path) -> bool:
    """Whether a path has an image extension and is not a hidden or macOS resource-fork file."""
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def list_images(folder: str | Path, *, recursive: bool = True) -> list[Path]:
    """Image files under ``folder`` in a deterministic order (by relative path, case-sensitive).

    Non-image files, hidden files and hidden folders are ignored. Raises :class:`InputError` when the folder does
    not exist or is a file.
    """
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"folder {folder} does not exist; check the path")
    if not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder of images; pass the folder that holds it")
    pattern = "**/*" if recursive else "*"
    found = []
    for p in folder.glob(pattern):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts[:-1]):
            continue
        if p.is_file() and is_image_path(p):
            found.append(p)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse images above ``max_pixels`` before any pixel is decoded."""
    if path.suffix.lower() in (".heic", ".heif") and not _register_heif():
        raise UnreadableImageError(f"{path}: {_HEIF_PROBLEM}")
    try:
        # Pillow's own bomb check runs inside open() with a fixed global limit; we apply ours instead, so that the
        # limit is configurable. The lock keeps the temporary change from leaking into other threads.
        with _OPEN_LOCK:
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                im = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except _DECODE_ERRORS as e:
        size = path.stat().st_size if path.exists() else 0
        why = "the file is empty (0 bytes)" if size == 0 else f"not a readable image ({e})"
        raise UnreadableImageError(f"{path}: {why}; remove it or replace it with a good copy") from None
    w, h = im.size
    if w * h > max_pixels:
        im.close()
        raise ImageTooLargeError(
            f"{path}: {w}x{h} = {w * h / 1e6:.0f} megapixels is over the limit of {max_pixels / 1e6:.0f} MP "
            "(a possible decompression bomb); downscale it, remove it, or raise the limit (max_pixels)"
        )
    return im


def check_image(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """Cheap check that ``path`` is an image lookgan reads, without decoding its pixels: extension, header,
    size limit. Returns (width, height); raises :class:`UnreadableImageError` or :class:`ImageTooLargeError`.
    Used where files arrive one by one (web uploads) so that a bad one is named before any work starts."""
    path = Path(path)
    if not is_image_path(path):
        kinds = ", ".join(sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS))
        raise UnreadableImageError(f"{path}: not an image lookgan reads (it reads {kinds})")
    im = _open(path, max_pixels)
    try:
        return im.size
    finally:
        im.close()


def _to_srgb(im: Image.Image, path: Path) -> Image.Image:
    """Convert an image with an embedded ICC profile to sRGB, keeping its mode family."""
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        return im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if im.mode in ("L", "LA"):
            return im  # a grey profile only changes the tone curve slightly; grey stays grey
        out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(im, src, _SRGB, outputMode=out_mode, renderingIntent=0)
    except (ImageCms.PyCMSError, OSError, ValueError) as e:
        warnings.warn(f"{path}: embedded colour profile could not be used ({e}); reading the pixels as sRGB",
                      stacklevel=3)
        return im


def _composite_on_white(rgba: np.ndarray) -> np.ndarray:
    rgb, alpha = rgba[..., :3], rgba[..., 3:4]
    return rgb * alpha + (1.0 - alpha)


def _to_float_rgb(im: Image.Image, keep_8bit: bool = False) -> np.ndarray:
    """Pixels of a decoded image as float32 (H, W, 3) in [0, 1]; high bit depths are scaled, never clipped.
    ``keep_8bit``: 8-bit sources come back as uint8 (H, W, 3) instead, unscaled (exact and 4x smaller)."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        grey = np.asarray(im, dtype=np.float32) / 65535.0
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "I":
        arr = np.asarray(im, dtype=np.float64)
        # 16-bit PNGs decode as 32-bit "I"; treat values above 8 bits as 16-bit data.
        scale = 65535.0 if arr.max(initial=0) > 255 else 255.0
        grey = np.clip(arr / scale, 0, 1).astype(np.float32)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "F":
        grey = np.clip(np.asarray(im, dtype=np.float32), 0, 1)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode in ("RGB;16", "RGB;16B", "RGB;16L", "RGB;16N"):  # newer Pillow keeps 48-bit PNG/TIFF as such
        arr = np.asarray(im, dtype=np.float32) / 65535.0
        return arr[..., :3]
    if mode == "P":
        im = im.convert("RGBA") if "transparency" in im.info else im.convert("RGB")
        mode = im.mode
    if mode in ("LA", "La", "PA", "RGBa"):
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode == "RGBA":
        return _composite_on_white(np.asarray(im, dtype=np.float32) / 255.0).astype(np.float32)
    if mode != "RGB":
        im = im.convert("RGB")  # L, 1, CMYK (no profile), YCbCr, LAB, HSV
    if keep_8bit:
        return np.array(im, dtype=np.uint8)
    return np.asarray(im, dtype=np.float32) / 255.0


def read_image(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int | None = None,
               keep_8bit: bool = False) -> np.ndarray:
    """Read any supported image as sRGB float32 ``(H, W, 3)`` in [0, 1].

    EXIF orientation is applied; palette, grey, LA, RGBA (alpha composited on white), CMYK and 16-bit images are
    converted correctly; an embedded ICC profile is converted to sRGB. ``min_side``: when set, a JPEG may be
    decoded at a reduced scale (DCT scaling, much faster) as long as its shorter side stays >= ``min_side``.
    ``keep_8bit``: return uint8 ``(H, W, 3)`` when the source has 8 bits per channel (float32 otherwise), so
    full-resolution work on ordinary photos needs no float copy.

    Raises :class:`UnreadableImageError` (truncated, corrupt, empty, not an image) and
    :class:`ImageTooLargeError` (over ``max_pixels``); both name the file.

    >>> read_image("photo.jpg").shape  # doctest: +SKIP
    (768, 512, 3)
    """
    path = Path(path)
    im = _open(path, max_pixels)
    try:
        if min_side and im.format == "JPEG":
            # draft() picks the largest 1/2^k scale whose width and height both stay >= the request; an
            # EXIF rotation only swaps the sides, so asking for (min_side, min_side) keeps the shorter side large.
            im.draft(im.mode, (min_side, min_side))
        im.load()
        exif_fixed = ImageOps.exif_transpose(im)
        if exif_fixed is not None:
            im = exif_fixed
        im = _to_srgb(im, path)
        return _to_float_rgb(im, keep_8bit)
    except _DECODE_ERRORS as e:
        raise UnreadableImageError(f"{path}: damaged or truncated image ({e}); remove it or replace it "
                                   "with a good copy") from None
    finally:
        im.close()


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] to uint8, rounded."""
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def as_uint8(image: np.ndarray) -> np.ndarray:
    """An 8-bit photo as it is, a float one in [0, 1] rounded to uint8 (what MediaPipe and Pillow want)."""
    return image if image.dtype == np.uint8 else to_uint8(image)


def as_float(image: np.ndarray) -> np.ndarray:
    """uint8 or float ``(H, W, 3)`` -> float32 in [0, 1] (the working form of every per-pixel blend)."""
    return np.asarray(image, dtype=np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)


def like(result: np.ndarray, source: np.ndarray) -> np.ndarray:
    """A float result in [0, 1] in ``source``'s dtype: uint8 (rounded) for 8-bit photos, float otherwise."""
    return to_uint8(result) if source.dtype == np.uint8 else result


def fit_within(image: np.ndarray, side: int) -> np.ndarray:
    """At most ``side`` px on the longer side (bilinear); smaller images unchanged. For statistics and masks,
    which need no more resolution than that."""
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def image_metadata(path: str | Path) -> dict[str, bytes | None]:
    """What an output made from ``path`` should carry over: its EXIF (orientation reset to normal, since
    reading already applied it) and, when the source had an embedded profile, the sRGB profile (reading
    converted the pixels to sRGB). Never raises for damaged metadata: it is then simply not kept."""
    meta: dict[str, bytes | None] = {"exif": None, "icc_profile": None}
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            if exif:
                exif[0x0112] = 1  # Orientation: pixels are already upright
                meta["exif"] = exif.tobytes()
            if im.info.get("icc_profile"):
                meta["icc_profile"] = ImageCms.ImageCmsProfile(_SRGB).tobytes()
    except Exception:  # noqa: BLE001 - metadata is a courtesy; the pixels were read fine
        pass
    return meta


def save_image(image: np.ndarray, path: str | Path, *, quality: int = 95, exif: bytes | None = None,
               icc_profile: bytes | None = None) -> None:
    """Save a float (H, W, 3) [0, 1] or uint8 image; the format follows the suffix. Written atomically.
    ``exif`` and ``icc_profile`` are embedded where the format allows (JPEG, PNG, WebP, TIFF)."""
    atomic_write_bytes(path, encode_image(image, Path(path), quality=quality, exif=exif, icc_profile=icc_profile))


def encode_image(image: np.ndarray, path: Path, *, quality: int = 95, exif: bytes | None = None,
                 icc_profile: bytes | None = None) -> bytes:
    """The bytes :func:`save_image` writes to ``path`` (whose suffix chooses the format)."""
    arr = image if image.dtype == np.uint8 else to_uint8(image)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF",
           ".tiff": "TIFF"}.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown image suffix; use .png, .jpg, .webp, .bmp or .tif")
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if fmt != "BMP":
        kwargs.update({k: v for k, v in (("exif", exif), ("icc_profile", icc_profile)) if v})
    Image.fromarray(arr).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def downscale_for_metrics(image: np.ndarray, max_side: int) -> np.ndarray:
    """``image`` with its longer side at most ``max_side`` (Pillow, antialiased); unchanged when smaller.

    Content metrics on 24-megapixel photos would cost seconds each and say nothing more than at 512 px."""
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image
    scale = max_side / max(h, w)
    u8 = as_uint8(image)
    return np.asarray(Image.fromarray(u8).resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                                 Image.Resampling.LANCZOS))
