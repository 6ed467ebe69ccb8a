"""A ``preset`` look as an ffmpeg filter graph: ``lut3d`` for the colour, ``geq`` for the radial overlay (the
same formulas as :class:`~lookgan.models.preset.PresetNet`, evaluated per pixel in 16-bit RGB) and ``noise``
for the grain, drawn on cells of the learnt grain size, upsampled bicubically and added in proportion to the
graded luma — so it works at any frame size, like ``lookgan apply``, and changes every frame of a video.

Why these filters: ``geq`` sees ``X``, ``Y``, ``W`` and ``H`` and so can place the overlay in normalised frame
coordinates whatever the size; ffmpeg's ``blend`` has no per-pixel opacity and its soft-light formula differs
from the W3C one we learn with. The grain needs the graded frame's luma and a noise frame at once: they are put
side by side (``hstack``), combined by one ``geq`` and the noise half cropped away.
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from ..models.preset import BLEND_MODES

_MAX = 65535.0  # the graph works in gbrp16le / gbrap16le: 16-bit RGB(A) planes
#: ``noise`` strength (0..100): the filter draws Gaussian noise of standard deviation strength / sqrt(3) levels
#: around 128 (8-bit), clipped to one byte; 60 keeps clipping beyond 3.7 sigma.
_NOISE_STRENGTH = 60
_NOISE_STD = _NOISE_STRENGTH / math.sqrt(3.0) / 255.0  # in [0, 1] units
#: Grain cell sizes (pixels) at which the standard deviation of bicubically upsampled unit noise is tabulated.
_CELL_KNOTS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0)


def num(value: float) -> str:
    """A constant for an ffmpeg expression (negative numbers in parentheses, so ``a-(-1)`` parses)."""
    text = f"{float(value):.9g}"
    return f"({text})" if text.startswith("-") else text


@lru_cache(maxsize=None)
def upsampled_noise_std(cell: float) -> float:
    """Standard deviation of unit white noise on cells of ``cell`` pixels after bicubic upsampling (the
    interpolation averages neighbouring cells, so it is below 1 once a cell spans more than a pixel). The
    look's grain is normalised to unit deviation after upsampling; the ffmpeg graph divides by this instead."""
    if cell <= 1.0:
        return 1.0
    side = 384
    cells = max(2, round(side / cell))
    gen = torch.Generator().manual_seed(0)
    noise = torch.randn(1, 1, cells, cells, generator=gen)
    up = F.interpolate(noise, size=(side, side), mode="bicubic", align_corners=False)
    return float(up.std() / noise.std())


def _piecewise(variable: str, knots: tuple[float, ...], values: list[float]) -> str:
    """``values`` interpolated linearly at ``variable`` between ``knots`` (constant beyond the ends)."""
    expr = num(values[-1])
    for i in range(len(knots) - 2, -1, -1):
        k0, k1, v0, v1 = knots[i], knots[i + 1], values[i], values[i + 1]
        segment = f"{num(v0)}+({variable}-{num(k0)})*{num((v1 - v0) / (k1 - k0))}"
        expr = f"if(lt({variable},{num(k1)}),{segment},{expr})"
    return f"if(lt({variable},{num(knots[0])}),{num(values[0])},{expr})"


# --- the overlay ----------------------------------------------------------------------------------------------
def _blend_expr(mode: str) -> str:
    """W3C blend ``mode`` with the base in register 4 and the source in register 5 (see models.preset)."""
    b, s = "ld(4)", "ld(5)"
    if mode == "normal":
        return s
    if mode == "multiply":
        return f"{b}*{s}"
    if mode == "screen":
        return f"({b}+{s}-{b}*{s})"
    if mode == "overlay":
        return f"if(lte({b},0.5),2*{b}*{s},1-2*(1-{b})*(1-{s}))"
    if mode == "soft_light":
        d = f"if(lte({b},0.25),((16*{b}-12)*{b}+4)*{b},sqrt({b}))"
        return f"if(lte({s},0.5),{b}-(1-2*{s})*{b}*(1-{b}),{b}+(2*{s}-1)*({d}-{b}))"
    raise ValueError(f"unknown blend mode {mode!r}")


def overlay_filter(values: dict[str, float], strength: float) -> str | None:
    """``geq`` drawing the radial overlay of a preset whose named ``values`` are given; None when invisible."""
    o_in, o_out = strength * values["overlay.opacity_in"], strength * values["overlay.opacity_out"]
    if max(abs(o_in), abs(o_out)) < 1e-4:
        return None
    r = values["overlay.roundness"]
    half = 1 / math.sqrt(2)
    geometry = (  # registers 0..3: aspect-dependent axis scales, distance, ramp position t
        f"st(0,W/H);st(1,sqrt(ld(0)*ld(0)+1));"
        f"st(2,ld(0)/ld(1)+({num(half)}-ld(0)/ld(1))*{num(r)});st(3,1/ld(1)+({num(half)}-1/ld(1))*{num(r)});"
        f"st(3,sqrt(pow(((X+0.5)/W*2-1-{num(values['overlay.centre_x'])})*ld(2),2)"
        f"+pow(((Y+0.5)/H*2-1-{num(values['overlay.centre_y'])})*ld(3),2)));"
        f"st(3,clip((ld(3)-{num(values['overlay.radius'])})/{num(values['overlay.width'])},0,1));")
    modes = [(values[f"overlay.mode_{m}"], m) for m in BLEND_MODES]
    blended = "+".join(f"{num(w)}*{_blend_expr(m)}" for w, m in modes if w > 1e-4) or "ld(4)"
    channels = []
    for plane, c in (("r", "r"), ("g", "g"), ("b", "b")):
        c_in, c_out = values[f"overlay.colour_in_{c}"], values[f"overlay.colour_out_{c}"]
        expr = (f"{geometry}st(4,{plane}(X,Y)/{num(_MAX)});st(5,{num(c_in)}+{num(c_out - c_in)}*ld(3));"
                f"st(6,{num(o_in)}+{num(o_out - o_in)}*ld(3));"
                f"clip(ld(4)+ld(6)*(({blended})-ld(4)),0,1)*{num(_MAX)}")
        channels.append(f"{plane}='{expr}'")
    return "geq=i=n:" + ":".join(channels)


# --- the grain ------------------------------------------------------------------------------------------------
def grain_filters(values: dict[str, float], strength: float, *, seed: int) -> tuple[str, str] | None:
    """The grain as (what goes before, what goes after) the labelled graded frame ``[graded]``: a noise frame
    on cells of the grain size is made from a copy of the frame, upsampled to its size and combined with it."""
    amounts = [strength * values[f"grain.{k}"] for k in ("shadows", "midtones", "highlights")]
    if max(amounts) <= 0:
        return None
    size, mono = values["grain.size"], min(max(values["grain.mono"], 0.0), 1.0)
    cells = f"max(2,round(iw/max(1,{num(size)}*min(iw,ih))))", f"max(2,round(ih/max(1,{num(size)}*min(iw,ih))))"
    seeds = ":".join(f"c{i}_seed={(seed + 7919 * i) % 2_147_483_647}" for i in range(4))
    noise = (f"scale=w='{cells[0]}':h='{cells[1]}':flags=neighbor,format=gbrap,geq=r=128:g=128:b=128:a=128,"
             f"noise=c0s={_NOISE_STRENGTH}:c1s={_NOISE_STRENGTH}:c2s={_NOISE_STRENGTH}:c3s={_NOISE_STRENGTH}:"
             f"{seeds}:allf=t,format=gbrap16le")
    # the cell size in pixels at run time, and the deviation the upsampling leaves (tabulated here)
    cell = f"max(1,{num(size)}*min(W/2,H))"
    spread = _piecewise("ld(1)", _CELL_KNOTS, [upsampled_noise_std(k) for k in _CELL_KNOTS])
    scale = f"/({num(_NOISE_STD)}*ld(2))"
    lum = f"(0.2126*r(X,Y)+0.7152*g(X,Y)+0.0722*b(X,Y))/{num(_MAX)}"
    amount = f"({num(amounts[0])}*pow(1-ld(0),2)+{num(amounts[1])}*2*ld(0)*(1-ld(0))+{num(amounts[2])}*ld(0)*ld(0))"
    channels = []
    for plane in ("r", "g", "b"):
        mixed = (f"({num(math.sqrt(mono))}*(alpha(X+W/2,Y)/{num(_MAX)}-0.5)"
                 f"+{num(math.sqrt(1 - mono))}*({plane}(X+W/2,Y)/{num(_MAX)}-0.5)){scale}")
        expr = (f"st(0,{lum});st(1,{cell});st(2,{spread});"
                f"clip({plane}(X,Y)/{num(_MAX)}+{amount}*{mixed},0,1)*{num(_MAX)}")
        channels.append(f"{plane}='{expr}'")
    before = f"split[graded][copy];[copy]{noise}[cells];[cells][graded]scale2ref=flags=bicubic:param0=0:param1=0.75"
    after = ("[noise][frame];[frame]format=gbrap16le[base];[base][noise]hstack,geq=i=n:" + ":".join(channels)
             + ",crop=iw/2:ih:0:0,format=gbrp16le")
    return before, after


def filter_graph(values: dict[str, float], *, overlay_first: bool, strength: float, lut3d: str, seed: int) -> str:
    """The whole preset as one ffmpeg filter graph (one input, one output) for ``-filter_complex_script``."""
    overlay = overlay_filter(values, strength)
    steps = [overlay, lut3d] if overlay_first else [lut3d, overlay]
    chain = ",".join(["format=gbrp16le", *(s for s in steps if s)])
    grain = grain_filters(values, strength, seed=seed)
    if grain is None:
        return chain
    before, after = grain
    return f"{chain},{before}{after}"
