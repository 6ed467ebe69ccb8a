"""Fuzzing the readers of untrusted files: the image loader and the .cube / HaldCLUT parsers.

Hypothesis feeds random and mutated inputs; the only acceptable outcomes are a correct result or lookgan's
documented error (:class:`~lookgan.core.errors.InputError` and its subclasses, which name the file). 1,000 inputs per
reader in the default run; `make test-all` (marker ``slow``) runs 20,000. Inputs that once crashed a reader are
kept in ``REGRESSIONS`` and replayed every run.
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from lookgan.core.errors import InputError
from lookgan.data.images import read_image
from lookgan.use.exporting.cube import read_cube, read_hald

FAST, SLOW = 1_000, 20_000
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
_DIR = Path(tempfile.mkdtemp(prefix="lookgan-fuzz-"))


def _seed_images() -> list[tuple[str, bytes]]:
    """Small valid files of every format we read, to mutate."""
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (9, 7, 3), dtype=np.uint8))
    out = []
    for fmt, ext, kw in (("PNG", ".png", {}), ("JPEG", ".jpg", {"quality": 80}), ("WEBP", ".webp", {}),
                         ("BMP", ".bmp", {}), ("TIFF", ".tif", {}), ("GIF", ".png", {})):
        buf = io.BytesIO()
        (img.convert("P") if fmt == "GIF" else img).save(buf, format=fmt if fmt != "GIF" else "PNG", **kw)
        out.append((ext, buf.getvalue()))
    buf = io.BytesIO()
    img.convert("RGBA").save(buf, format="PNG")
    out.append((".png", buf.getvalue()))
    return out


SEEDS = _seed_images()

#: Inputs that crashed a reader once (kept after the fix). Format: (suffix, bytes).
REGRESSIONS: list[tuple[str, bytes]] = [
    (".png", b""),
    (".jpg", b"\xff\xd8\xff"),
    (".tif", b"II*\x00\x08\x00\x00\x00\x01\x00\x00\x01\x04\x00\x01\x00\x00\x00\xff\xff\xff\x7f"),
    # Found by test_image_loader_fuzz_long: StripOffsets (0x111) stored as RATIONAL -> TypeError inside Pillow.
    (".tif", b"II*\x00\x08\x00\x00\x00\n\x00\x00\x01\x04\x00\x01\x00\x00\x00\x07\x00\x00\x00\x01\x01\x04\x00\x01"
             b"\x00\x00\x00\t\x00\x00\x00\x02\x01\x03\x00\x03\x00\x00\x00\x86\x00\x00\x00\x03\x01\x03\x00\x01\x00\x00"
             b"\x00\x01\x00\x00\x00\x06\x01\x03\x00\x01\x00\x00\x00\x02\x00\x00\x00\x11\x01\x05\x00\x01\x00\x00\x00"
             b"\x8c\x00\x00\x00\x15\x01\x03\x00\x01\x00\x00\x00\x03\x00\x00\x00\x16\x01\x04\x00\x01\x00\x00\x00\t\x00"
             b"\x00\x00\x17\x01\x04\x00\x01\x00\x00\x00\xbd\x00\x00\x00\x1c\x01\x03\x00\x01\x00\x00\x00\x01\x00\x00\x00"
             b"\x00\x00\x00\x00\x08\x00\x08\x00\x08\x00" + bytes(range(256)) * 1),
]


def _check_image_bytes(suffix: str, data: bytes) -> None:
    path = _DIR / f"f{os.getpid()}{suffix}"
    path.write_bytes(data)
    try:
        out = read_image(path, max_pixels=4_000_000)
    except InputError as e:
        assert path.name in str(e)  # the message names the file
        return
    assert out.ndim == 3 and out.shape[2] == 3 and np.isfinite(out.astype(np.float32)).all()


@st.composite
def mutated_images(draw):
    suffix, data = draw(st.sampled_from(SEEDS))
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif data:
            data[pos:pos + 4] = b"\x00\x00\x00\x00"
    return suffix, bytes(data)


def _fuzz_images(n: int):
    @settings(max_examples=n, **SETTINGS)
    @given(st.one_of(mutated_images(), st.tuples(st.sampled_from([".png", ".jpg", ".tif", ".webp"]),
                                                  st.binary(max_size=256))))
    def run(case):
        _check_image_bytes(*case)

    run()


def test_image_loader_regressions():
    for suffix, data in REGRESSIONS:
        _check_image_bytes(suffix, data)


def test_image_loader_fuzz():
    _fuzz_images(FAST)


@pytest.mark.slow
def test_image_loader_fuzz_long():
    _fuzz_images(SLOW)


# --- .cube and HaldCLUT ------------------------------------------------------------------------------------------
def _valid_cube(n: int = 2) -> str:
    grid = np.stack(np.meshgrid(*[np.linspace(0, 1, n)] * 3, indexing="ij"), -1).reshape(-1, 3)[:, ::-1]
    return "TITLE \"x\"\nLUT_3D_SIZE %d\n" % n + "\n".join(" ".join(f"{v:.4f}" for v in row) for row in grid) + "\n"


TOKENS = ["LUT_3D_SIZE", "LUT_1D_SIZE", "DOMAIN_MIN", "DOMAIN_MAX", "LUT_3D_INPUT_RANGE", "LUT_1D_INPUT_RANGE",
          "TITLE", "#", "nan",
          "inf", "-inf", "1e309", "0", "1", "0.5", "-0.2", "2", "3", "256", "257", "x", "\"", "\t", "\n", " ",
          "\ufeff", "1e-5", "0x10", "+1", "1,0"]


@st.composite
def cube_texts(draw):
    if draw(st.booleans()):
        text = list(_valid_cube(draw(st.integers(2, 3))))
        for _ in range(draw(st.integers(1, 6))):
            pos = draw(st.integers(0, len(text)))
            text[pos:pos + draw(st.integers(0, 5))] = list(draw(st.sampled_from(TOKENS)))
        return "".join(text)
    return " ".join(draw(st.lists(st.sampled_from(TOKENS), max_size=60)))


def _check_cube(text: str | bytes) -> None:
    path = _DIR / f"c{os.getpid()}.cube"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        lut = read_cube(path)
    except InputError as e:
        assert path.name in str(e)
        return
    # values a little outside 0..1 are kept (clipped after interpolation), never far outside, never NaN
    assert lut.ndim == 4 and lut.shape[0] == 3 and bool(((lut >= -0.5) & (lut <= 1.5)).all())


def _check_hald(data: bytes) -> None:
    path = _DIR / f"h{os.getpid()}.png"
    path.write_bytes(data)
    try:
        lut = read_hald(path)
    except InputError as e:
        assert path.name in str(e)
        return
    assert lut.ndim == 4 and lut.shape[0] == 3


def _hald_seed() -> bytes:
    from lookgan.ops.lut3d import identity_lut
    from lookgan.use.exporting.cube import write_hald

    path = _DIR / "seed-hald.png"
    write_hald(identity_lut(4), path, level=2)
    return path.read_bytes()


def _fuzz_luts(n: int):
    hald = _hald_seed()

    @settings(max_examples=n, **SETTINGS)
    @given(cube_texts(), st.binary(max_size=128), st.integers(0, len(hald) - 1), st.binary(min_size=1, max_size=8))
    def run(text, junk, pos, patch):
        _check_cube(text)
        _check_cube(junk)
        _check_hald(hald[:pos] + patch + hald[pos + len(patch):])

    run()


def test_lut_parsers_fuzz():
    _fuzz_luts(FAST)


@pytest.mark.slow
def test_lut_parsers_fuzz_long():
    _fuzz_luts(SLOW)
