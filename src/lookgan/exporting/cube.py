"""Read and write 3D LUTs as Adobe/Resolve ``.cube`` text files and HaldCLUT PNG images.

Both hold the table in the same order as a lookgan LUT flattened with ``lut.permute(1, 2, 3, 0).reshape(-1, 3)``:
red varies fastest, then green, then blue. Readers validate everything (sizes, counts, numbers, domain) and raise
:class:`~lookgan.errors.LutFileError` naming the file, the line and the fix; they never guess.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import LutFileError
from ..io_utils import atomic_write_bytes
from ..ops.lut3d import resample_lut

MAX_CUBE_SIZE = 256  # 256³ entries (~16.7M lines) is already far past what editors use (17–65)
_HALD_LEVELS = range(2, 17)  # level L -> an L³ x L³ image holding an (L²)³ table


def _flat(lut: torch.Tensor) -> np.ndarray:
    return lut.detach().double().cpu().permute(1, 2, 3, 0).reshape(-1, 3).numpy()


def _unflat(rows: np.ndarray, n: int) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rows.reshape(n, n, n, 3).transpose(3, 0, 1, 2))).float()


def write_cube(lut: torch.Tensor, path: str | Path, *, title: str = "lookgan") -> Path:
    """Write a ``(3, n, n, n)`` LUT as a .cube file (TITLE, LUT_3D_SIZE, DOMAIN_MIN/MAX, red fastest)."""
    path = Path(path)
    n = lut.shape[-1]
    safe_title = title.replace('"', "'").replace("\n", " ")
    header = (f'TITLE "{safe_title}"\n# made by lookgan: red index fastest, then green, then blue\n'
              f"LUT_3D_SIZE {n}\nDOMAIN_MIN 0.0 0.0 0.0\nDOMAIN_MAX 1.0 1.0 1.0\n")
    rows = np.clip(_flat(lut), 0.0, 1.0)
    body = "\n".join(f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in rows.tolist())
    atomic_write_bytes(path, (header + body + "\n").encode("ascii"))
    return path


def _fail(path: Path, line_no: int | None, message: str) -> LutFileError:
    where = f"{path}, line {line_no}" if line_no else str(path)
    return LutFileError(f"{where}: {message}")


def read_cube(path: str | Path) -> torch.Tensor:
    """Read a .cube file into a ``(3, n, n, n)`` LUT with outputs mapped to [0, 1].

    Accepts TITLE, comments, LUT_3D_SIZE, DOMAIN_MIN/DOMAIN_MAX (per channel; the input domain must be a box with
    max > min, and lookgan rescales it to [0, 1]) and LUT_3D_INPUT_RANGE. Refuses 1D LUTs, wrong entry counts,
    non-numbers, NaN/inf and sizes outside 2..256.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LutFileError(f"{path} does not exist; check the path") from None
    except UnicodeDecodeError:
        raise LutFileError(f"{path} is not a text .cube file (it holds binary data)") from None
    size: int | None = None
    dmin, dmax = np.zeros(3), np.ones(3)
    rows: list[list[float]] = []
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head = line.split()[0].upper()
        if head == "TITLE":
            continue
        if head == "LUT_1D_SIZE":
            raise _fail(path, line_no, "this is a 1D LUT (LUT_1D_SIZE); lookgan reads 3D LUTs only")
        if head == "LUT_3D_SIZE":
            parts = line.split()
            if len(parts) != 2 or not re.fullmatch(r"\d+", parts[1]):
                raise _fail(path, line_no, f"LUT_3D_SIZE needs one whole number, got {line!r}")
            size = int(parts[1])
            if not 2 <= size <= MAX_CUBE_SIZE:
                raise _fail(path, line_no, f"LUT_3D_SIZE {size} is outside 2..{MAX_CUBE_SIZE}")
            continue
        if head in ("DOMAIN_MIN", "DOMAIN_MAX", "LUT_3D_INPUT_RANGE"):
            vals = _numbers(path, line_no, line.split()[1:])
            if head == "LUT_3D_INPUT_RANGE":
                if len(vals) != 2:
                    raise _fail(path, line_no, "LUT_3D_INPUT_RANGE needs two numbers (min max)")
                dmin, dmax = np.full(3, vals[0]), np.full(3, vals[1])
            elif len(vals) != 3:
                raise _fail(path, line_no, f"{head} needs three numbers (r g b)")
            elif head == "DOMAIN_MIN":
                dmin = np.array(vals)
            else:
                dmax = np.array(vals)
            continue
        if head[0].isalpha() and head not in ("NAN", "INF", "-INF", "+INF", "INFINITY"):
            continue  # other keywords (LUT_3D_..., vendor extras) carry nothing we use
        vals = _numbers(path, line_no, line.split())
        if len(vals) != 3:
            raise _fail(path, line_no, f"a table line needs three numbers (r g b), got {len(vals)}")
        rows.append(vals)
    if size is None:
        raise _fail(path, None, "no LUT_3D_SIZE line: this is not a 3D .cube file")
    if len(rows) != size ** 3:
        raise _fail(path, None, f"LUT_3D_SIZE {size} needs {size ** 3} table lines, found {len(rows)}; "
                                "the file is truncated or its size line is wrong")
    if not np.all(dmax > dmin):
        raise _fail(path, None, f"DOMAIN_MAX {dmax.tolist()} must be greater than DOMAIN_MIN {dmin.tolist()}")
    if not (np.allclose(dmin, 0.0) and np.allclose(dmax, 1.0)):
        raise _fail(path, None, f"input domain {dmin.tolist()}..{dmax.tolist()} is not 0..1; lookgan reads "
                                "display-referred LUTs (domain 0..1). Re-export the LUT with a 0..1 domain")
    table = np.asarray(rows, dtype=np.float64)
    if table.min() < -0.5 or table.max() > 1.5:
        raise _fail(path, None, f"output values range {table.min():.3g}..{table.max():.3g}, far outside 0..1: "
                                "a log or HDR LUT is not a display look; export it for Rec.709/sRGB 0..1")
    return _unflat(np.clip(table, 0.0, 1.0), size)


def _numbers(path: Path, line_no: int, parts: list[str]) -> list[float]:
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise _fail(path, line_no, f"expected numbers, got {' '.join(parts)!r}") from None
    if not all(math.isfinite(v) for v in vals):
        raise _fail(path, line_no, "NaN or infinite value in the table")
    return vals


def hald_level_for(n: int) -> int:
    """The smallest HaldCLUT level whose table (level² points per axis) has at least ``n`` points."""
    return max(2, math.ceil(math.sqrt(n)))


def write_hald(lut: torch.Tensor, path: str | Path, *, level: int = 8) -> Path:
    """Write a LUT as a HaldCLUT PNG of ``level`` (an L³ x L³ image for an (L²)³ table; 8 -> 512 px, 64³)."""

    if level not in _HALD_LEVELS:
        raise ValueError(f"HaldCLUT level must be in {_HALD_LEVELS.start}..{_HALD_LEVELS.stop - 1}, got {level}")
    n, side = level * level, level ** 3
    rows = np.clip(_flat(resample_lut(lut.detach().double().cpu(), n)), 0.0, 1.0)
    pixels = (rows * 255.0 + 0.5).astype(np.uint8).reshape(side, side, 3)
    import io

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


def read_hald(path: str | Path) -> torch.Tensor:
    """Read a HaldCLUT image (PNG, any level 2..16) into a ``(3, L², L², L²)`` LUT."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            w, h = im.size
            level = round(w ** (1.0 / 3.0))
            if w != h or level ** 3 != w or level not in _HALD_LEVELS:
                raise LutFileError(f"{path} is {w}x{h}: a HaldCLUT image is square with side L³ "
                                   "(8, 27, 64, 125, 216, 343, 512, ...)")
            pixels = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
    except FileNotFoundError:
        raise LutFileError(f"{path} does not exist; check the path") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise LutFileError(f"{path} is not a readable image ({e})") from None
    return _unflat(pixels.reshape(-1, 3), level * level)


def read_lut_file(path: str | Path) -> torch.Tensor:
    """A .cube or HaldCLUT image, chosen by suffix."""
    path = Path(path)
    if path.suffix.lower() == ".cube":
        return read_cube(path)
    if path.suffix.lower() in (".png", ".tif", ".tiff"):
        return read_hald(path)
    raise LutFileError(f"{path}: unknown LUT file type; give a .cube file or a HaldCLUT .png")
