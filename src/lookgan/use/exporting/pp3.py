"""Looks for RawTherapee (``export --format pp3``): a processing profile whose Film Simulation applies the look's
LUT as a HaldCLUT written beside it, plus RawTherapee's post-crop vignette (``[PCVignette]``) for a look's
vignette.

How the vignette maps (RawTherapee 5.9, ``rtengine/iptransform.cc``, ``calcPCVignetteFactor``): at roundness 50
its outer ellipse follows the frame through the corners and its inner one sits at ``(1 - feather) / sqrt(2)`` of
that; between them the factor falls as cos⁴, and beyond the outer one it is ``2^-strength``, multiplying linear
RGB early in the pipeline (before the film simulation: a look whose overlay comes first). So: strength from the
look's change of mid-grey at the corners (in linear light), feather from where its ramp starts, roundness 50
(frame ellipse) to 100 (circle) from its roundness. RawTherapee has no film grain and no coloured vignette: the
profile says so in its notes.

ClutFilename is an absolute path (RawTherapee resolves relative names against its own CLUT folder setting):
keep the .pp3 and the .png together and export again after moving them.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from ...core.io import atomic_write_bytes
from ...kinds.capabilities import ApplyOptions, EditorLayers, VignetteLayer
from ...kinds.look import Look
from ...ops.color import linear_to_srgb, rgb_to_lab
from .cube import write_hald
from .editor import check_suffix, editor_look, grey_linear, record_missing

HALD_LEVEL = 8  # 64 points per axis, a 512x512 PNG: finer than any look's own LUT, exact for 33³ (it resamples)
RT_VERSION = (5.9, 349)  # AppVersion and profile Version of the RawTherapee we check against (Debian 12)


def _grey_lightness(value: torch.Tensor) -> torch.Tensor:
    """CIE L* of greys of sRGB ``value``."""
    return rgb_to_lab(value[..., None].expand(*value.shape, 3))[..., 0]


def _rt_grey_lightness(d: torch.Tensor, inner: float, strength: float) -> torch.Tensor:
    """L* of mid-grey under RawTherapee's post-crop vignette at distances ``d`` (frame ellipse, corners at 1)."""
    scale = 2.0 ** -strength
    s = ((d - inner) / (1.0 - inner)).clamp(0.0, 1.0)
    shape = torch.cos(math.pi / 2 * s) ** 4 if scale < 1 else 1 - torch.sin(math.pi / 2 * s) ** 4
    return _grey_lightness(linear_to_srgb(grey_linear(0.5) * (scale + shape * (1.0 - scale))))


def vignette_section(v: VignetteLayer) -> dict[str, str]:
    """``[PCVignette]`` settings for a vignette (see the module docstring): strength and feather (where
    RawTherapee's cos⁴ fall begins) chosen so its mid-grey lightness from centre to corner stays closest, at
    worst, to the look's linear ramp (a small grid search; the two curves differ in shape, not only in scale)."""
    d = torch.sqrt((torch.arange(200, dtype=torch.float64) + 0.5) / 200)  # distances at equal areas, corners at 1
    start, end = max(v.midpoint - v.feather / 2, 0.0), max(v.midpoint + v.feather / 2, 1e-3)
    ramp = ((d - start) / max(end - start, 1e-3)).clamp(0.0, 1.0)
    at_corner = min(max((1.0 - start) / max(end - start, 1e-3), 1e-3), 1.0)
    target = _grey_lightness((0.5 * (1.0 + v.amount * ramp / at_corner)).clamp(1e-4, 1.0))
    corner = min(max(0.5 * (1.0 + v.amount), 1e-4), 1.0)
    strength0 = -math.log2(grey_linear(corner) / grey_linear(0.5))
    candidates = ((min(max(strength0 * float(k), -6.0), 6.0), float(inner))
                  for k in torch.linspace(0.7, 1.3, 25) for inner in torch.linspace(0.0, 1 / math.sqrt(2.0), 72))
    strength, inner = min(candidates,
                          key=lambda c: float((_rt_grey_lightness(d, c[1], c[0]) - target).abs().max()))
    feather = min(max(1.0 - math.sqrt(2.0) * inner, 0.0), 1.0)
    return {"Enabled": "true", "Strength": f"{strength:.3f}", "Feather": str(int(round(100 * feather))),
            "Roundness": str(int(round(100 - 50 * min(max(v.roundness, 0.0), 1.0))))}


def profile_text(hald: Path, layers: EditorLayers | None, *, notes: list[str]) -> str:
    sections: dict[str, dict[str, str]] = {
        "Version": {"AppVersion": f"{RT_VERSION[0]}", "Version": str(RT_VERSION[1])},
        "General": {"Rank": "0", "ColorLabel": "0", "InTrash": "false"},
        "Film Simulation": {"Enabled": "true", "ClutFilename": str(hald.resolve()), "Strength": "100"},
    }
    if layers is not None and layers.vignette is not None:
        sections["PCVignette"] = vignette_section(layers.vignette)
    head = "".join(f"# {n}\n" for n in ["made by lookgan; Film Simulation names its HaldCLUT by absolute path",
                                         *notes])
    body = "\n".join(f"[{name}]\n" + "".join(f"{k}={v}\n" for k, v in items.items())
                     for name, items in sections.items())
    return head + "\n" + body


def export_pp3(look: Look, out: str | Path, *, options: ApplyOptions = ApplyOptions(),
               report: dict[str, Any] | None = None) -> Path:
    """Write ``out`` (.pp3) and its HaldCLUT (``out`` with ``.png``); ``report`` receives ``not_in_lut`` for
    what RawTherapee cannot carry and ``hald`` (the CLUT's path)."""
    out = Path(out)
    check_suffix(out, ".pp3", "a RawTherapee profile")
    report = {} if report is None else report
    source = editor_look(look, options, report)
    if source.layers is not None and source.layers.grain is not None:
        source.missing.append("the film grain (RawTherapee has no grain tool)")
    record_missing(report, source.missing)
    out.parent.mkdir(parents=True, exist_ok=True)
    hald = write_hald(source.lut, out.with_suffix(".png"), level=HALD_LEVEL)
    notes = [f"not carried: {m}" for m in source.missing]
    atomic_write_bytes(out, profile_text(hald, source.layers, notes=notes).encode())
    report["hald"] = str(hald)
    return out
