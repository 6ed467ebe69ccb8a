"""Exporting looks for other programs: .cube and HaldCLUT files for editors and ffmpeg (:mod:`.cube`), and
importing such files as looks."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import torch

from ...core.errors import InputError
from ...core.registry import get_method
from ...data.images import read_image
from ...kinds.capabilities import ApplyOptions
from ...kinds.look import Look, as_look, as_restyler
from ...ops.lut3d import resample_lut
from .cube import hald_level_for, read_lut_file, write_cube, write_hald
from .dtstyle import export_dtstyle
from .ffmpeg import export_ffmpeg
from .onnx import export_onnx
from .pp3 import export_pp3
from .xmp import export_xmp

ExportFormat = Literal["cube", "hald", "ffmpeg", "xmp", "pp3", "dtstyle", "onnx", "all"]
FORMATS: tuple[str, ...] = ("cube", "hald", "ffmpeg", "xmp", "pp3", "dtstyle", "onnx", "all")

#: ``--format all``: (file name pattern, format, size, where it goes) in the order README.txt lists them.
ALL_FILES: tuple[tuple[str, str, int | None, str], ...] = (
    ("{name}-33.cube", "cube", 33, "DaVinci Resolve (LUT folder or Color page), Premiere Pro / Lumetri (Creative > "
     "Look), Final Cut Pro (Custom LUT effect), CapCut (Adjust > LUT), OBS (Apply LUT filter), ffmpeg -vf lut3d"),
    ("{name}-65.cube", "cube", 65, "the same programs, finer (65 points per axis: Resolve and Premiere read it; "
     "some phone apps accept 33 only)"),
    ("{name}-hald.png", "hald", 8, "HaldCLUT: GIMP/G'MIC, RawTherapee Film Simulation, ffmpeg haldclut"),
    ("{name}.ffmpeg", "ffmpeg", None, "ffmpeg -i IN -filter_complex_script {name}.ffmpeg OUT (with {name}.cube; "
     "a preset's vignette and grain too)"),
    ("{name}-lightroom.zip", "xmp", None, "Lightroom Classic / Lightroom / Camera Raw: a profile (colour) and a "
     "preset (vignette, grain); see the README inside"),
    ("{name}.pp3", "pp3", None, "RawTherapee: load as processing profile (with {name}.png beside it)"),
    ("{name}.dtstyle", "dtstyle", None, "darktable: lighttable > styles > import; put {name}.cube in darktable's "
     "3D lut root folder (preferences > processing)"),
    ("{name}.onnx", "onnx", None, "apps with onnxruntime: the whole look as one graph"),
)


def look_lut(look: Look | str | Path, *, for_image: str | Path | None = None,
             options: ApplyOptions = ApplyOptions(), report: dict[str, Any] | None = None) -> torch.Tensor:
    """The single LUT ``(3, n, n, n)`` that stands for ``look`` outside lookgan (its kind's
    :meth:`~lookgan.kinds.capabilities.Restyler.as_lut`: for an adaptive look the LUT of its mean weights, for a
    translator its colour mapping distilled over its training photos), or the one it uses for ``for_image``.
    Fidelity figures go into ``report`` where the LUT is fitted."""
    image = read_image(for_image, keep_8bit=True) if for_image is not None else None
    return as_restyler(look).as_lut(options, for_image=image, report=report)


def export(look: Look | str | Path, *, format: ExportFormat = "cube", out: str | Path, size: int | None = None,
           for_image: str | Path | None = None, strength: float = 1.0, keep_colour: bool = False,
           report: dict[str, Any] | None = None) -> Path:
    """Write ``look`` as a .cube file (``size`` points per axis, default the look's own), a HaldCLUT PNG
    (``size`` = HaldCLUT level, default the smallest level holding the look's LUT: 33 -> level 6, 36³), an
    ffmpeg filter script with its .cube (:mod:`lookgan.use.exporting.ffmpeg`: the whole look where the kind can
    say how, e.g. a preset's overlay and grain) or an ONNX model of the whole look, any kind
    (:mod:`lookgan.use.exporting.onnx`).

    A translator look is distilled into a LUT first; ``report`` (a dict, when given) receives how faithful the
    LUT is to the generator (``lut_psnr`` in dB): high means the look is "just colour", and ``not_in_lut``
    when the file carries only the look's colour part."""
    look = as_look(look)
    if format not in FORMATS:
        raise InputError(f"--format {format!r} is not supported; choose one of: {', '.join(FORMATS)}")
    if format == "all":
        if size is not None or for_image is not None:
            raise InputError("--format all writes each format at its usual size; drop --size and --for")
        return export_all(look, out, options=ApplyOptions(strength=strength, keep_colour=keep_colour),
                          report=report)
    if format == "onnx":
        if size is not None or for_image is not None or strength != 1.0 or keep_colour:
            raise InputError("--format onnx exports the whole look as it is; --size, --for, --strength and "
                             "--keep-colour apply to .cube/HaldCLUT only (blend in your app instead)")
        return export_onnx(look, out)
    writers = {"ffmpeg": export_ffmpeg, "xmp": export_xmp, "pp3": export_pp3, "dtstyle": export_dtstyle}
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


def export_all(look: Look, out: str | Path, *, options: ApplyOptions = ApplyOptions(),
               report: dict[str, Any] | None = None) -> Path:
    """Every format of :data:`ALL_FILES` into the folder ``out``, with a README.txt naming each file's program
    and what it leaves out. ONNX is skipped (and said so) when the onnx extra is not installed."""
    out = Path(out)
    if out.suffix:
        raise InputError(f"--format all writes a folder of files; give --out a folder name, e.g. {out.stem}-export")
    out.mkdir(parents=True, exist_ok=True)
    name = look.path.stem
    lines = [f"{name}: a look made with lookgan ({look.kind}), in the formats editors and apps read.", ""]
    notes: dict[str, str] = {}
    for pattern, fmt, size, where in ALL_FILES:
        file = out / pattern.format(name=name)
        part: dict[str, Any] = {}
        try:
            if fmt == "onnx":
                export_onnx(look, file)
            else:
                kwargs: dict[str, Any] = {"size": size} if size is not None else {}
                export(look, format=fmt, out=file, strength=options.strength,  # type: ignore[arg-type]
                       keep_colour=options.keep_colour, report=part, **kwargs)
        except InputError as e:
            lines.append(f"{file.name}: not written ({e})")
            continue
        lines.append(f"{file.name}\n    {where.format(name=name)}")
        if part.get("not_in_lut"):
            notes[part["not_in_lut"]] = notes.get(part["not_in_lut"], "") + f" {file.name}"
    if notes:
        lines += ["", "What some files cannot carry:"]
        lines += [f"- {missing} (not in:{files})" for missing, files in notes.items()]
    (out / "README.txt").write_text("\n".join(lines) + "\n")
    if report is not None:
        report["files"] = sorted(p.name for p in out.iterdir())
    return out


def import_lut(path: str | Path, *, out: str | Path, overwrite: bool = False, kind: str = "lut") -> Path:
    """Turn a .cube file or HaldCLUT image into a (global) look of ``kind`` at ``out``."""
    path, out = Path(path), Path(out)
    if (out / "look.json").exists() and not overwrite:
        raise InputError(f"{out} already holds a look; pass --overwrite to replace it or choose another --out")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name such as {out.with_suffix('.look').name}")
    return get_method(kind).from_lut(read_lut_file(path), out, source=path.name,
                                     data={"folder": None, "n_images": 0, "imported_from": str(path)})
