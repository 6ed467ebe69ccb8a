"""Exporting looks for other programs: .cube and HaldCLUT files for editors and ffmpeg (:mod:`.cube`), and
importing such files as looks."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import torch

from ..applying import ApplyOptions, finish_lut, image_lut, restyle_model
from ..data.images import read_image
from ..errors import InputError
from ..look import Look, as_look, write_look
from ..models.translator import ResnetGenerator
from ..ops.lut3d import resample_lut
from .cube import hald_level_for, read_lut_file, write_cube, write_hald

ExportFormat = Literal["cube", "hald", "onnx"]
FORMATS: tuple[str, ...] = ("cube", "hald", "onnx")


def look_lut(look: Look, *, for_image: str | Path | None = None, options: ApplyOptions = ApplyOptions(),
             report: dict[str, Any] | None = None) -> torch.Tensor:
    """The single LUT ``(3, n, n, n)`` that stands for ``look`` outside lookgan: for an adaptive look, the LUT of
    its mean weights over the training photos, or the one it picks for ``for_image``; for a translator, its
    colour mapping distilled over its training photos (or ``for_image``), with the fidelity figures of
    :func:`lookgan.exporting.distil.distil` put into ``report`` when given."""
    model = restyle_model(look)
    if isinstance(model, ResnetGenerator):
        from .distil import distil

        lut, figures = distil(model, _distil_photos(look, for_image))
        if report is not None:
            report.update(figures)
        return finish_lut(lut, options)
    if for_image is not None:
        return image_lut(model, read_image(for_image, keep_8bit=True), options)
    with torch.no_grad():
        return finish_lut(model.mean_lut().clamp(0.0, 1.0), options)


def _distil_photos(look: Look, for_image: str | Path | None, limit: int = 64) -> list[Any]:
    """The photos a translator's LUT is distilled over: ``for_image``, else (up to ``limit`` of) the photos it
    was trained on, when that folder still exists."""
    from ..data.images import list_images

    if for_image is not None:
        return [read_image(for_image, keep_8bit=True)]
    folder = ((look.meta.get("data") or {}).get("photos") or {}).get("folder")
    paths = list_images(folder)[:limit] if folder and Path(folder).is_dir() else []
    if not paths:
        raise InputError(f"{look.path} is a {look.kind} look: its LUT is fitted to what the generator does to "
                         f"photos, and its training photos ({folder}) are not there any more; pass --for IMAGE")
    return [read_image(p, keep_8bit=True) for p in paths]


def export(look: Look | str | Path, *, format: ExportFormat = "cube", out: str | Path, size: int | None = None,
           for_image: str | Path | None = None, strength: float = 1.0, keep_colour: bool = False,
           report: dict[str, Any] | None = None) -> Path:
    """Write ``look`` as a .cube file (``size`` points per axis, default the look's own), a HaldCLUT PNG
    (``size`` = HaldCLUT level, default the smallest level holding the look's LUT: 33 -> level 6, 36³) or an
    ONNX model of the whole look, any kind (:mod:`lookgan.exporting.onnx`).

    A translator look is distilled into a LUT first; ``report`` (a dict, when given) receives how faithful the
    LUT is to the generator (``lut_psnr`` in dB): high means the look is "just colour"."""
    look = as_look(look)
    if format not in FORMATS:
        raise InputError(f"--format {format!r} is not supported; choose one of: {', '.join(FORMATS)}")
    if format == "onnx":
        from .onnx import export_onnx

        if size is not None or for_image is not None or strength != 1.0 or keep_colour:
            raise InputError("--format onnx exports the whole look as it is; --size, --for, --strength and "
                             "--keep-colour apply to .cube/HaldCLUT only (blend in your app instead)")
        return export_onnx(look, out)
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


def import_lut(path: str | Path, *, out: str | Path, overwrite: bool = False) -> Path:
    """Turn a .cube file or HaldCLUT image into a (global) ``lut`` look at ``out``."""
    path, out = Path(path), Path(out)
    if (out / "look.json").exists() and not overwrite:
        raise InputError(f"{out} already holds a look; pass --overwrite to replace it or choose another --out")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name such as {out.with_suffix('.look').name}")
    return write_lut_look(read_lut_file(path), out, source=path.name,
                          data={"folder": None, "n_images": 0, "imported_from": str(path)})


def write_lut_look(lut: torch.Tensor, out: str | Path, *, source: str, data: dict[str, Any]) -> Path:
    """A global ``lut`` look holding ``lut`` ``(3, n, n, n)`` (imported files, one-reference fits)."""
    from ..methods.lut import LUTConfig
    from ..models.lut import AdaptiveLUT
    from ..viz import lut_preview

    config = LUTConfig(lut_size=lut.shape[-1], n_luts=1, adaptive=False, init="identity", source=source)
    model = AdaptiveLUT(**config.model_kwargs(), init=lut)
    write_look(out, kind="lut", config=config, tensors=model.state_dict(), preview=lut_preview(lut),
               meta={"steps": 0, "data": data})
    return Path(out)
