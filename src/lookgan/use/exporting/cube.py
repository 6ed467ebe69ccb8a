"""Read and write 3D LUTs as Adobe/Resolve ``.cube`` text files and HaldCLUT PNG images.

Both hold the table in the same order as a lookgan LUT flattened with ``lut.permute(1, 2, 3, 0).reshape(-1, 3)``:
red varies fastest, then green, then blue. Readers validate everything (sizes, counts, numbers, domain) and raise
:class:`~lookgan.core.errors.LutFileError` naming the file, the line and the fix; they never guess.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...core.errors import LutFileError
from ...core.io import atomic_write_bytes
from ...ops.lut3d import LUT_VALUE_RANGE, identity_lut, resample_lut
from .editor import read_text
from .xmp import read_xmp_table

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
    # Comments before every keyword: DaVinci Resolve reads comment lines only ahead of the header
    header = (f'# made by lookgan: red index fastest, then green, then blue\nTITLE "{safe_title}"\n'
              f"LUT_3D_SIZE {n}\nDOMAIN_MIN 0.0 0.0 0.0\nDOMAIN_MAX 1.0 1.0 1.0\n")
    rows = np.clip(_flat(lut), *LUT_VALUE_RANGE)  # values beyond 0..1 kept: readers clip after interpolating
    body = "\n".join(f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in rows.tolist())
    atomic_write_bytes(path, (header + body + "\n").encode("ascii"))
    return path


def _fail(path: Path, line_no: int | None, message: str) -> LutFileError:
    where = f"{path}, line {line_no}" if line_no else str(path)
    return LutFileError(f"{where}: {message}")


#: Points per axis of the 3D LUT a 1D LUT (or a shaper + 3D file) becomes: per-channel curves sampled at 65
#: points differ from the file's own linear interpolation by well under one 8-bit level for tone curves.
CURVE_LUT_SIZE = 65
_SDR_RANGE = LUT_VALUE_RANGE  # input ranges and table values a display look can have (legal-range margins included)


def read_cube(path: str | Path) -> torch.Tensor:
    """Read a .cube file into a ``(3, n, n, n)`` LUT on the 0..1 input domain.

    Reads 3D files, 1D files (``LUT_1D_SIZE``: per-channel curves, the usual form of a tone curve) and
    Resolve's shaper + 3D files (both sizes: the 1D table's lines first), with ``LUT_1D_INPUT_RANGE`` /
    ``LUT_3D_INPUT_RANGE`` and ``DOMAIN_MIN`` / ``DOMAIN_MAX``; 1D and shaper files become one 3D LUT of
    :data:`CURVE_LUT_SIZE` points. Table values slightly outside 0..1 are kept: like ffmpeg and Resolve, lookgan
    interpolates first and clips the result. Refuses, naming the line and the fix, what cannot be an SDR look
    (input ranges or values far outside 0..1: HDR and log LUTs) and malformed files (counts, numbers, sizes).
    """
    path = Path(path)
    sizes, ranges, rows = _parse_cube(path, read_text(path, ".cube"))
    if not sizes:
        raise _fail(path, None, "no LUT_3D_SIZE or LUT_1D_SIZE line: this is not a .cube file")
    n1, n3 = sizes.get("1D", 0), sizes.get("3D", 0)
    if len(rows) != n1 + n3 ** 3:
        parts = " + ".join(f"{k} {v}" for k, v in (("LUT_1D_SIZE", n1), ("LUT_3D_SIZE", n3)) if v)
        raise _fail(path, None, f"{parts} needs {n1 + n3 ** 3} table lines, found {len(rows)}; the file is "
                                "truncated or its size line is wrong")
    table = np.asarray(rows, dtype=np.float64)
    if table.min() < _SDR_RANGE[0] or table.max() > _SDR_RANGE[1]:
        raise _fail(path, None, f"output values range {table.min():.3g}..{table.max():.3g}, far outside 0..1: "
                                "a log or HDR LUT is not a display look; export it for Rec.709/sRGB 0..1")
    domain = ranges.get("domain")
    # the input range of what comes first: the shaper when there is one, else the only table
    first = "1D" if n1 else "3D"
    outer = ranges.get(first, domain or (np.zeros(3), np.ones(3)))
    _check_range(path, outer, "input range" if first in ranges else "input domain")
    curves = table[:n1]
    cube = _unflat(table[n1:], n3).double() if n3 else None
    inner = ranges.get("3D", (np.zeros(3), np.ones(3))) if n1 and n3 else None
    if inner is not None and not np.all(inner[1] > inner[0]):
        raise _fail(path, None, "LUT_3D_INPUT_RANGE max must be greater than its min")
    if cube is not None and n1 == 0 and np.allclose(outer[0], 0.0) and np.allclose(outer[1], 1.0):
        return cube.float()  # the common case: a 3D table on 0..1, as it is
    n = max(CURVE_LUT_SIZE if n1 else 0, n3)
    grid = identity_lut(n).double().permute(1, 2, 3, 0).reshape(-1, 3)  # (n³, 3) input colours on 0..1
    x = (grid - torch.from_numpy(outer[0])) / torch.from_numpy(outer[1] - outer[0])
    if n1:
        x = _curves(torch.from_numpy(curves), x)
        if inner is not None:
            x = (x - torch.from_numpy(inner[0])) / torch.from_numpy(inner[1] - inner[0])
    if cube is not None:
        x = _trilinear(cube, x)
    return x.T.reshape(3, n, n, n).float().contiguous()


def _parse_cube(path: Path, text: str) -> tuple[dict[str, int], dict[str, tuple[np.ndarray, np.ndarray]],
                                              list[list[float]]]:
    """A .cube file's sizes (``1D``/``3D``), input ranges (``1D``/``3D``/``domain``) and table lines, each
    keyword line checked (naming the line and the fix)."""
    sizes: dict[str, int] = {}
    ranges: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rows: list[list[float]] = []
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head = line.split()[0].upper()
        if head == "TITLE":
            continue
        if head in ("LUT_1D_SIZE", "LUT_3D_SIZE"):
            parts = line.split()
            if len(parts) != 2 or not re.fullmatch(r"\d+", parts[1]):
                raise _fail(path, line_no, f"{head} needs one whole number, got {line!r}")
            size = int(parts[1])
            limit = MAX_CUBE_SIZE if head == "LUT_3D_SIZE" else 65536
            if not 2 <= size <= limit:
                raise _fail(path, line_no, f"{head} {size} is outside 2..{limit}")
            sizes[head[4:6]] = size
            continue
        if head in ("DOMAIN_MIN", "DOMAIN_MAX", "LUT_1D_INPUT_RANGE", "LUT_3D_INPUT_RANGE"):
            vals = _numbers(path, line_no, line.split()[1:])
            if head.endswith("INPUT_RANGE"):
                if len(vals) != 2:
                    raise _fail(path, line_no, f"{head} needs two numbers (min max)")
                ranges[head[4:6]] = (np.full(3, vals[0]), np.full(3, vals[1]))
            elif len(vals) != 3:
                raise _fail(path, line_no, f"{head} needs three numbers (r g b)")
            else:
                lo, hi = ranges.get("domain", (np.zeros(3), np.ones(3)))
                ranges["domain"] = (np.array(vals), hi) if head == "DOMAIN_MIN" else (lo, np.array(vals))
            continue
        if head[0].isalpha() and head not in ("NAN", "INF", "-INF", "+INF", "INFINITY"):
            continue  # other keywords (vendor extras) carry nothing we use
        vals = _numbers(path, line_no, line.split())
        if len(vals) != 3:
            raise _fail(path, line_no, f"a table line needs three numbers (r g b), got {len(vals)}")
        rows.append(vals)
    return sizes, ranges, rows


def _check_range(path: Path, rng: tuple[np.ndarray, np.ndarray], what: str) -> None:
    lo, hi = rng
    if not np.all(hi > lo):
        raise _fail(path, None, f"{what} max {hi.tolist()} must be greater than its min {lo.tolist()}")
    if np.any(lo > 1e-6) or np.any(hi < 1 - 1e-6) or np.any(lo < _SDR_RANGE[0]) or np.any(hi > _SDR_RANGE[1]):
        raise _fail(path, None, f"{what} {lo.tolist()}..{hi.tolist()} does not cover 0..1 (or reaches far "
                                "beyond it): a log or HDR LUT, not a display look; re-export it for Rec.709/sRGB "
                                "with a 0..1 domain")


def _curves(curves: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-channel 1D curves ``(m, 3)`` (equally spaced on 0..1) at ``x`` ``(N, 3)``, linearly interpolated
    (clamped at the ends)."""
    m = curves.shape[0]
    pos = x.clamp(0.0, 1.0) * (m - 1)
    lo = pos.floor().clamp(max=m - 2).long()
    frac = pos - lo
    cols = torch.arange(3).expand_as(lo)
    return torch.lerp(curves[lo, cols], curves[lo + 1, cols], frac)


def _trilinear(lut: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A ``(3, n, n, n)`` LUT (indexed [c, b, g, r]) at colours ``x`` ``(N, 3)`` clamped to 0..1, float64."""
    n = lut.shape[-1]
    pos = x.clamp(0.0, 1.0) * (n - 1)
    lo = pos.floor().clamp(max=n - 2).long()
    f = pos - lo
    out = torch.zeros_like(x)
    for dr in (0, 1):
        for dg in (0, 1):
            for db in (0, 1):
                w = ((f[:, 0] if dr else 1 - f[:, 0]) * (f[:, 1] if dg else 1 - f[:, 1])
                     * (f[:, 2] if db else 1 - f[:, 2]))
                out += w[:, None] * lut[:, lo[:, 2] + db, lo[:, 1] + dg, lo[:, 0] + dr].T
    return out


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
    """A .cube, a HaldCLUT image or a Lightroom / Camera Raw profile (.xmp with an RGB table), by suffix."""
    path = Path(path)
    if path.suffix.lower() == ".cube":
        return read_cube(path)
    if path.suffix.lower() in (".png", ".tif", ".tiff"):
        return read_hald(path)
    if path.suffix.lower() == ".xmp":
        return read_xmp_table(path)
    raise LutFileError(f"{path}: unknown LUT file type; give a .cube file, a HaldCLUT .png or a Lightroom "
                       "profile .xmp")
