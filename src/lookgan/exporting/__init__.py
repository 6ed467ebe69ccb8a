"""Exporting looks for other programs: .cube and HaldCLUT files for editors and ffmpeg (:mod:`.cube`), and
importing such files as looks."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import torch

from ..capabilities import ApplyOptions
from ..data.images import read_image
from ..errors import InputError
from ..look import Look, as_look, as_restyler
from ..ops.lut3d import resample_lut
from ..registry import get_method
from .cube import hald_level_for, read_lut_file, write_cube, write_hald
from .ffmpeg import export_ffmpeg
from .pp3 import export_pp3
from .xmp import export_xmp
from .onnx import export_onnx

ExportFormat = Literal["cube", "hald", "ffmpeg", "xmp", "pp3", "onnx"]
FORMATS: tuple[str, ...] = ("cube", "hald", "ffmpeg", "xmp", "pp3", "onnx")


def look_lut(look: Look | str | Path, *, for_image: str | Path | None = None,
             options: ApplyOptions = ApplyOptions(), report: dict[str, Any] | None = None) -> torch.Tensor:
    """The single LUT ``(3, n, n, n)`` that stands for ``look`` outside lookgan (its kind's
    :meth:`~lookgan.capabilities.Restyler.as_lut`: for an adaptive look the LUT of its mean weights, for a
    translator its colour mapping distilled over its training photos), or the one it uses for ``for_image``.
    Fidelity figures go into ``report`` where the LUT is fitted."""
    image = read_image(for_image, keep_8bit=True) if for_image is not None else None
    return as_restyler(look).as_lut(options, for_image=image, report=report)


def export(look: Look | str | Path, *, format: ExportFormat = "cube", out: str | Path, size: int | None = None,
           for_image: str | Path | None = None, strength: float = 1.0, keep_colour: bool = False,
           report: dict[str, Any] | None = None) -> Path:
    """Write ``look`` as a .cube file (``size`` points per axis, default the look's own), a HaldCLUT PNG
    (``size`` = HaldCLUT level, default the smallest level holding the look's LUT: 33 -> level 6, 36³), an
    ffmpeg filter script with its .cube (:mod:`lookgan.exporting.ffmpeg`: the whole look where the kind can
    say how, e.g. a preset's overlay and grain) or an ONNX model of the whole look, any kind
    (:mod:`lookgan.exporting.onnx`).

    A translator look is distilled into a LUT first; ``report`` (a dict, when given) receives how faithful the
    LUT is to the generator (``lut_psnr`` in dB): high means the look is "just colour", and ``not_in_lut``
    when the file carries only the look's colour part."""
    look = as_look(look)
    if format not in FORMATS:
        raise InputError(f"--format {format!r} is not supported; choose one of: {', '.join(FORMATS)}")
    if format == "onnx":
        if size is not None or for_image is not None or strength != 1.0 or keep_colour:
            raise InputError("--format onnx exports the whole look as it is; --size, --for, --strength and "
                             "--keep-colour apply to .cube/HaldCLUT only (blend in your app instead)")
        return export_onnx(look, out)
    writers = {"ffmpeg": export_ffmpeg, "xmp": export_xmp, "pp3": export_pp3}
    if format in writers:
        if size is not None or for_image is not None:
            raise InputError(f"--format {format} writes the look's own LUT; --size and --for apply to .cube/HaldCLUT")
        return writers[format](look, out, options=ApplyOptions(strength=strength, keep_colour=keep_colour),
                               report=report)
    lut = look_lut(look, for_image=for_image, options=ApplyOptions(strength=strength, keep_colour=keep_colour),
                   report=report)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if format == "cube":
        n = size or lut.shape[-1]
        if not 2 <= n <= 256:
            raise InputError(f"--size {n}: a .cube LUT has 2..256 points per axis (editors use 17, 33 or 65)")
        return write_cube(resample_lut(lut, n), out, title=look.path.stem)
    level = size or hald_level_for(lut.shape[-1])
    if not 2 <= level <= 16:
        raise InputError(f"--size {level}: a HaldCLUT level is 2..16 (8 = 512x512 px, 64 points per axis)")
    return write_hald(lut, out, level=level)


def import_lut(path: str | Path, *, out: str | Path, overwrite: bool = False, kind: str = "lut") -> Path:
    """Turn a .cube file or HaldCLUT image into a (global) look of ``kind`` at ``out``."""
    path, out = Path(path), Path(out)
    if (out / "look.json").exists() and not overwrite:
        raise InputError(f"{out} already holds a look; pass --overwrite to replace it or choose another --out")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name such as {out.with_suffix('.look').name}")
    return get_method(kind).from_lut(read_lut_file(path), out, source=path.name,
                                     data={"folder": None, "n_images": 0, "imported_from": str(path)})
