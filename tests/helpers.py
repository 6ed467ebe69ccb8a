"""Factories for the odd files real photo folders hold, built byte by byte where Pillow cannot write them."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png16_rgb(path: Path, rgb16: np.ndarray) -> None:
    """A 48-bit (16 bits per channel) RGB PNG from a (H, W, 3) uint16 array (Pillow cannot write these)."""
    h, w, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(raw))
                           + _png_chunk(b"IEND", b""))


def write_bomb_png(path: Path, width: int = 20000, height: int = 20000) -> None:
    """A PNG of a few hundred bytes whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
                           + _png_chunk(b"IEND", b""))


def _s15(x: float) -> bytes:
    return struct.pack(">i", round(x * 65536))


def linear_rgb_icc() -> bytes:
    """An ICC v2 matrix/TRC display profile with sRGB primaries but a *linear* tone curve (gamma 1.0).

    A pixel stored as 128 in such a file means 50 % linear light, which is about 188 in sRGB: reading it
    correctly proves that embedded profiles are converted."""
    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)

    curve = b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", 0x0100) + b"\0\0"
    text = b"linear sRGB test profile\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve), (b"cprt", b"text" + b"\0" * 4 + b"none\0")]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
              + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def solid(color: tuple[int, int, int], size: tuple[int, int] = (32, 24)) -> Image.Image:
    return Image.new("RGB", size, color)


def write_image_folder(folder: Path, n: int, *, size: tuple[int, int] = (40, 48), seed: int = 0) -> Path:
    """``n`` small random-texture JPEGs (smooth noise) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        small = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
        Image.fromarray(small).resize(size, Image.BILINEAR).save(folder / f"img_{i:03d}.jpg", quality=90)
    return folder


def colourful_image(rng: np.random.Generator, size: int = 48) -> np.ndarray:
    """A uint8 (size, size, 3) picture with smooth gradients and flat patches of many colours."""
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((size, size), Image.BILINEAR)).copy()
    for _ in range(3):
        y, x = rng.integers(0, size - 8, 2)
        img[y:y + 8, x:x + 8] = rng.integers(0, 256, 3)
    return img


def write_colour_case(root: Path, grade, *, n: int = 10, n_held: int = 4, size: int = 48) -> Path:
    """A known-answer colour-look case like ../shared/tools/lut_case.py: content/ (plain), style/ (other
    pictures, graded), held/ + truth/ (plain and graded, same names), all PNG. ``grade``: uint8 image -> uint8."""
    rng = np.random.default_rng(1)
    for sub in ("content", "style", "held", "truth"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(2 * n + n_held):
        img = colourful_image(rng, size)
        name = f"pic_{i:03d}.png"
        if i < n:
            Image.fromarray(img).save(root / "content" / name)
        elif i < 2 * n:
            Image.fromarray(grade(img)).save(root / "style" / name)
        else:
            Image.fromarray(img).save(root / "held" / name)
            Image.fromarray(grade(img)).save(root / "truth" / name)
    return root


def warm_grade(img: np.ndarray) -> np.ndarray:
    """A strong, smooth synthetic grade: warmer, lifted shadows, crushed blues."""
    x = img.astype(np.float64) / 255.0
    out = np.stack([0.1 + 0.9 * x[..., 0] ** 0.8, x[..., 1], 0.8 * x[..., 2] ** 1.2], -1)
    return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)


#: A preset with every layer on: a soft-light/overlay/multiply/screen mix towards dark corners, and grain.
BUSY_PRESET = {"overlay.opacity_in": 0.25, "overlay.opacity_out": 0.85, "overlay.radius": 0.35, "overlay.width": 0.6,
               "overlay.centre_x": 0.1, "overlay.centre_y": -0.05, "overlay.roundness": 0.4,
               "overlay.colour_in_r": 0.95, "overlay.colour_in_g": 0.8, "overlay.colour_in_b": 0.6,
               "overlay.colour_out_r": 0.2, "overlay.colour_out_g": 0.1, "overlay.colour_out_b": 0.3,
               "overlay.mode_soft_light": 0.3, "overlay.mode_overlay": 0.2, "overlay.mode_multiply": 0.2,
               "overlay.mode_screen": 0.15, "grain.shadows": 0.05, "grain.midtones": 0.04, "grain.highlights": 0.02,
               "grain.size": 0.004, "grain.mono": 0.6}


def write_preset_look(folder: Path, values: dict[str, float], *, order: str = "overlay_first",
                      rings: int = 0) -> Path:
    """A ``preset`` look with a warm, contrasty 17³ LUT and the given settings, written without training;
    ``rings``: with a radial colour layer, the same LUT darker and bluer ring by ring towards the corners."""
    import torch

    from lookgan.kinds.look import write_look
    from lookgan.kinds.preset.method import PresetConfig
    from lookgan.kinds.preset.network import PresetNet

    net = PresetNet(lut_size=17, order=order, rings=rings)  # type: ignore[arg-type]
    with torch.no_grad():
        lut = net.lut.clone()
        lut[0] = lut[0].pow(0.85)
        lut[2] = lut[2].pow(1.2)
        net.lut.copy_(lut)
        for k in range(rings):
            tint = torch.tensor([1.0 - 0.2 * k, 1.0 - 0.15 * k, 1.0 - 0.05 * k]).view(3, 1, 1, 1)
            net.ring_luts[k] = lut * tint
    net.set_values(values)
    return write_look(folder, kind="preset", config=PresetConfig(lut_size=17, rings=rings),
                      tensors={k: v.detach().clone() for k, v in net.state_dict().items()})


def require_program(command: str, package: str) -> str:
    """The path of a program the test runs; a skip without it, but a failure under CI (where `make test`
    installs the Debian ``package``)."""
    import os
    import shutil

    import pytest

    path = shutil.which(command)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{command} is missing: `make test` installs Debian's {package}; run it through make")
        pytest.skip(f"{command} not installed (make test installs {package})")
    return path


def mean_delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIEDE2000 between two uint8 RGB images."""
    import torch

    from lookgan.ops.color import delta_e2000_rgb

    t = lambda x: torch.from_numpy(x.astype(np.float64) / 255.0)  # noqa: E731
    return float(delta_e2000_rgb(t(a), t(b)).mean())


def bundled_jpegs(n: int) -> list[Path]:
    """The first ``n`` bundled JPEG photos (landscapes and portraits), as an editor would be given."""
    from lookgan.use.demos import bundled_photos

    return [p for p in bundled_photos() if p.suffix.lower() in (".jpg", ".jpeg")][:n]


def write_warm_lut_look(folder: Path) -> Path:
    """A global ``lut`` look of a warm grade (red lifted, blue compressed), imported from a .cube in ``folder``."""
    import lookgan
    from lookgan.ops.lut3d import identity_lut
    from lookgan.use.exporting.cube import write_cube

    lut = identity_lut(33).clone()
    lut[0] = lut[0] ** 0.8
    lut[2] = 0.05 + 0.9 * lut[2] ** 1.2
    write_cube(lut, folder / "warm.cube")
    return lookgan.import_lut(folder / "warm.cube", out=folder / "warm.look")
