"""Looks for darktable (``export --format dtstyle``): a style with the ``lut3d`` module applying the look's .cube
(written beside it), plus ``vignette`` and ``grain`` for a look that has them, with the binary module parameters
of darktable 4.2 (Debian 12): ``lut3d`` version 3, ``vignette`` version 4, ``grain`` version 2; newer darktables
convert older versions themselves.

The parameter layouts were read from the installed modules' own introspection data (field names, offsets and
sizes; see docs/formats.md) and the formulas from darktable's source (``src/iop/vignette.c``, ``grain.c``):

* ``lut3d`` (12940 bytes): ``filepath`` char[512] (relative to darktable's "3D lut root folder" preference:
  put the .cube there), ``colorspace`` int (0 = sRGB), ``interpolation`` int (1 = trilinear, like lookgan),
  ``nb_keypoints`` int (0: no embedded G'MIC table), ``c_clut`` char[12288], ``lutname`` char[128];
* ``vignette`` (44 bytes): ``scale`` and ``falloff_scale`` (the ramp's start and width in % of the half-frame,
  where the corners are at 141 %), ``brightness`` (-1..1: multiplies linear RGB by ``1 + weight * brightness``),
  ``saturation``, ``center`` x y, ``autoratio`` (1: the ellipse follows the frame), ``whratio``, ``shape`` (1 =
  ellipse), ``dithering`` (0: off, which keeps the ramp linear), ``unbound``;
* ``grain`` (16 bytes): ``channel`` (2 = lightness), ``scale`` (coarseness: noise features of about
  ``(1 + 0.08 scale) / 800`` of the short side, so 0.13-0.43 % only), ``strength`` (%), ``midtones_bias`` (%).

darktable runs ``lut3d`` before ``grain`` and ``vignette``: the vignette comes after the colour, as in a preset
whose order is colour first; a look with its overlay first differs where its LUT is strongly non-linear.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ...core.errors import InputError
from ...core.io import atomic_write_bytes
from ...kinds.capabilities import ApplyOptions, GrainLayer, VignetteLayer
from ...kinds.look import Look
from .cube import write_cube
from .editor import check_suffix, editor_look, grey_linear, record_missing

MODULE_VERSIONS = {"lut3d": 3, "vignette": 4, "grain": 2}
_LUT3D_SIZE, _PATH_LEN = 12940, 512
#: Standard deviation (0..1, at mid-grey) of darktable 4.2's lightness grain per 1 % of strength, measured on a
#: mid-grey frame with darktable-cli (0.0234 at 25 %, 0.0464 at 50 %; scripts/measure_darktable.py).
GRAIN_STD_PER_PERCENT = 0.000936


def lut3d_params(cube_name: str) -> bytes:
    name = cube_name.encode()
    if len(name) >= _PATH_LEN:
        raise InputError(f"{cube_name}: darktable's lut3d module holds paths of at most {_PATH_LEN - 1} bytes")
    params = bytearray(_LUT3D_SIZE)
    params[:len(name)] = name
    struct.pack_into("<iii", params, _PATH_LEN, 0, 1, 0)  # sRGB, trilinear, no embedded table
    return bytes(params)


def vignette_params(v: VignetteLayer) -> bytes:
    """darktable's vignette for a look's: the same ramp (in darktable's radius units, corners at √2) and the
    same change of mid-grey at the corners, in linear light as darktable applies it."""
    start, end = max(v.midpoint - v.feather / 2, 0.0), max(v.midpoint + v.feather / 2, 1e-3)
    width = max(end - start, 1e-3)
    at_corner = min(max((1.0 - start) / width, 1e-3), 1.0)  # how far along its ramp the look is at the corners
    corner = min(max(0.5 * (1.0 + v.amount), 1e-4), 1.0)
    change = grey_linear(corner) / grey_linear(0.5) - 1.0  # in linear light, at the corners
    brightness = min(max(change / at_corner, -1.0), 1.0)
    root2 = 2 ** 0.5
    return struct.pack("<ffffffiffii", 100 * root2 * start, 100 * root2 * width, brightness, 0.0, 0.0, 0.0,
                       1, 1.0, 1.0, 0, 0)


def grain_params(g: GrainLayer) -> bytes:
    """darktable's grain for a look's: strength from the mid-grey deviation; midtones bias from the tonal spread
    (measured: bias 0 leaves dark/light greys at 0.82-1.08x mid-grey's grain, bias 100 at about 0.5x)."""
    coarseness = min(max((g.size * 800 - 1.0) * 100 / 8, 20.0 / 213.2), 6400.0 / 213.2)
    strength = min(max(g.amount / GRAIN_STD_PER_PERCENT, 0.0), 100.0)
    bias = 100.0 * min(max((0.95 - g.tonal_spread) / (0.95 - 0.5), 0.0), 1.0)
    return struct.pack("<ifff", 2, coarseness, strength, bias)


def style_text(name: str, plugins: list[tuple[str, bytes]], description: str) -> str:
    items = "".join(
        f"<plugin>\n<num>{i}</num>\n<module>{MODULE_VERSIONS[op]}</module>\n<operation>{op}</operation>\n"
        f"<op_params>{params.hex()}</op_params>\n<enabled>1</enabled>\n<blendop_params></blendop_params>\n"
        "<blendop_version>11</blendop_version>\n<multi_priority>0</multi_priority>\n<multi_name></multi_name>\n"
        "</plugin>\n" for i, (op, params) in enumerate(plugins))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<darktable_style version="1.0">\n<info>\n'
            f"<name>{escape(name)}</name>\n<description>{escape(description)}</description>\n</info>\n"
            f"<style>\n{items}</style>\n</darktable_style>\n")


def export_dtstyle(look: Look, out: str | Path, *, options: ApplyOptions = ApplyOptions(),
                   report: dict[str, Any] | None = None) -> Path:
    """Write ``out`` (.dtstyle) and its .cube beside it; ``report`` receives ``lut`` and ``not_in_lut``."""
    out = Path(out)
    check_suffix(out, ".dtstyle", "a darktable style")
    report = {} if report is None else report
    source = editor_look(look, options, report)
    layers = source.layers
    out.parent.mkdir(parents=True, exist_ok=True)
    cube = write_cube(source.lut, out.with_suffix(".cube"), title=look.path.stem)
    plugins = [("lut3d", lut3d_params(cube.name))]
    if layers is not None and layers.grain is not None:
        plugins.append(("grain", grain_params(layers.grain)))
        if layers.grain.mono < 0.9:
            source.missing.append("the colour share of the grain (darktable's grain is monochrome)")
    if layers is not None and layers.vignette is not None:
        plugins.append(("vignette", vignette_params(layers.vignette)))
    record_missing(report, source.missing)
    description = (f"lookgan {look.kind} look; put {cube.name} in darktable's 3D lut root folder "
                   "(preferences > processing)")
    atomic_write_bytes(out, style_text(out.stem, plugins, description).encode())  # darktable names it so
    report["lut"] = str(cube)
    return out
