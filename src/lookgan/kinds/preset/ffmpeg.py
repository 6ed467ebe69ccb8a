"""A ``preset`` look as an ffmpeg filter graph that runs in real time: ``lut3d`` for the colour, ``lut2`` tables
for the radial overlay and the grain, in 8-bit planar RGB (``gbrp``), at any frame size.

Why these filters: the overlay of a channel depends only on that channel's value and the pixel's place on the
ramp (the blend modes work per channel), so it is a two-input table: ``lut2`` of the frame and a *mask* whose value
is the ramp position. The mask is drawn once, by ``geq`` on the first frame (its formula sees ``W`` and ``H``, so it
fits any size and aspect), and repeated for every later frame (``lut2`` repeats a finished second input). The
grain is noise drawn on cells of the learnt grain size (``noise``, new every frame), mixed mono/colour on those
few cells (``colorchannelmixer``), upsampled bicubically to the frame (``scale2ref``), made
proportional to the graded luma (``lut2`` of a luma frame from ``colorchannelmixer`` and the noise) and added
(``lut2`` of the frame and the scaled noise). Every per-pixel step is a table lookup: no expression is evaluated
per pixel of every frame (the ``geq`` graph of issue 20 took 3-15 s per 1080p frame).
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from .network import BLEND_MODES, ring_knots

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


def _ramp_expr(values: dict[str, float]) -> str:
    """The overlay's ramp position (0..255) at pixel ``X``, ``Y`` of a ``W`` x ``H`` frame (``geq``; the distance of
    :func:`~lookgan.kinds.preset.network.radial_distance`)."""
    r = values["overlay.roundness"]
    half = 1 / math.sqrt(2)
    return (f"st(0,W/H);st(1,sqrt(ld(0)*ld(0)+1));"
            f"st(2,ld(0)/ld(1)+({num(half)}-ld(0)/ld(1))*{num(r)});st(3,1/ld(1)+({num(half)}-1/ld(1))*{num(r)});"
            f"st(3,sqrt(pow(((X+0.5)/W*2-1-{num(values['overlay.centre_x'])})*ld(2),2)"
            f"+pow(((Y+0.5)/H*2-1-{num(values['overlay.centre_y'])})*ld(3),2)));"
            f"clip((ld(3)-{num(values['overlay.radius'])})/{num(values['overlay.width'])},0,1)*255")


def overlay_filter(values: dict[str, float], strength: float) -> str | None:
    """The radial overlay as ``lut2`` of the frame and its ramp mask (drawn once); None when invisible. The
    chain takes one unlabelled input and gives one unlabelled output."""
    o_in, o_out = strength * values["overlay.opacity_in"], strength * values["overlay.opacity_out"]
    if max(abs(o_in), abs(o_out)) < 1e-4:
        return None
    ramp, protect = _ramp_expr(values), values.get("overlay.protect_highlights", 0.0)
    modes = [(values[f"overlay.mode_{m}"], m) for m in BLEND_MODES]
    blended = "+".join(f"{num(w)}*{_blend_expr(m)}" for w, m in modes if w > 1e-4) or "ld(4)"
    planes = {}
    for c in "rgb":  # x: the frame's value, y: the ramp position, both 0..255
        c_in, c_out = values[f"overlay.colour_in_{c}"], values[f"overlay.colour_out_{c}"]
        planes[c] = (f"st(3,y/255);st(4,x/255);st(5,{num(c_in)}+{num(c_out - c_in)}*ld(3));"
                     f"st(6,({num(o_in)}+{num(o_out - o_in)}*ld(3))*(1-{num(protect)}*ld(4)*ld(4)));"
                     f"clip(ld(4)+ld(6)*(({blended})-ld(4)),0,1)*255")
    mask = f"trim=end_frame=1,geq=r='{ramp}':g='{ramp}':b='{ramp}'"
    # gbrp's planes are G, B, R: c0 is green
    return (f"split[ovframe][ovfirst];[ovfirst]{mask}[ovmask];"
            f"[ovframe][ovmask]lut2=c0='{planes['g']}':c1='{planes['b']}':c2='{planes['r']}'")


# --- the grain ------------------------------------------------------------------------------------------------
#: The noise frame's standard deviation after mixing, in levels (its centre is 128-181 levels: 4 sigma fit in).
_CELL_STD = 26.0


def grain_filters(values: dict[str, float], strength: float, *, seed: int) -> str | None:
    """The grain as a chain with one unlabelled input and output (see the module's notes); None without grain."""
    amounts = [strength * values[f"grain.{k}"] for k in ("shadows", "midtones", "highlights")]
    if max(amounts) <= 0:
        return None
    size, mono = values["grain.size"], min(max(values["grain.mono"], 0.0), 1.0)
    cells = f"max(2,round(iw/max(1,{num(size)}*min(iw,ih))))", f"max(2,round(ih/max(1,{num(size)}*min(iw,ih))))"
    seeds = ":".join(f"c{i}_seed={(seed + 7919 * i) % 2_147_483_647}" for i in range(4))
    # on the few cells: mono and colour mixed by a channel mixer (no per-pixel expression); the mix is centred on
    # `centre` levels with _CELL_STD levels of deviation
    gain = _CELL_STD / (_NOISE_STD * 255)
    wm, wc = gain * math.sqrt(mono), gain * math.sqrt(1 - mono)
    centre = 128 * (wm + wc)
    mixer = ":".join(f"{o}{o}={num(wc)}:{o}a={num(wm)}" for o in "rgb")
    noise = (f"scale=w='{cells[0]}':h='{cells[1]}':flags=neighbor,format=gbrap,lutrgb=r=128:g=128:b=128:a=128,"
             f"noise=c0s={_NOISE_STRENGTH}:c1s={_NOISE_STRENGTH}:c2s={_NOISE_STRENGTH}:c3s={_NOISE_STRENGTH}:"
             f"{seeds}:allf=t,colorchannelmixer={mixer},format=gbrp")
    # the cell size in pixels of this frame, and the deviation the upsampling leaves (tabulated here)
    spread = _piecewise("ld(1)", _CELL_KNOTS, [upsampled_noise_std(k) for k in _CELL_KNOTS])
    peak = max(amounts) * 255 * 4 * 1.0  # the largest grain offset (4 sigma), in levels
    k = min(8.0, max(1.0, 120.0 / max(peak, 1e-6)))  # scaled-noise levels per output level
    amount = f"({num(amounts[0])}*pow(1-ld(0),2)+{num(amounts[1])}*2*ld(0)*(1-ld(0))+{num(amounts[2])}*ld(0)*ld(0))"
    scaled = (f"st(0,x/255);st(1,max(1,{num(size)}*min(w,h)));st(2,{spread});"
              f"clip(128+{num(k * 255)}*{amount}*(y-{num(centre)})/({num(_CELL_STD)}*ld(2)),0,255)")
    added = f"clip(x+(y-128)/{num(k)},0,255)"
    luma = ":".join(f"{o}r=0.2126:{o}g=0.7152:{o}b=0.0722" for o in "rgb")
    return (f"split=3[grframe][grluma][grcells];[grcells]{noise}[grnoise];"
            f"[grnoise][grframe]scale2ref=flags=bicubic:param0=0:param1=0.75[grup][grbase];"
            f"[grluma]colorchannelmixer={luma}[grlum];[grlum][grup]lut2=c0='{scaled}':c1='{scaled}':c2='{scaled}'"
            f"[grscaled];[grbase][grscaled]lut2=c0='{added}':c1='{added}':c2='{added}'")


#: Where the radial colour's per-channel curves are given (levels; linear between).
_CURVE_KNOTS = tuple(float(v) for v in range(0, 256, 8)) + (255.0,)


def ring_curves(lut: torch.Tensor, ring_luts: torch.Tensor) -> torch.Tensor:
    """Per-channel curves ``(K, 3, knots)`` (levels) from the global LUT's result to each ring's: for each channel
    the mean of the ring's value over the lattice colours whose global value falls near each knot. This is the
    part of the radial colour layer that a per-channel table can carry after the global ``lut3d`` (measured in
    ``benchmarks/ffmpeg_export.py``); colours whose rings differ by more than a per-channel curve lose the rest."""
    g = lut.reshape(3, -1).float().clamp(0, 1) * 255  # (3, n³): every lattice colour's global result
    knots = torch.tensor(_CURVE_KNOTS)
    weight = (1 - (g[:, None, :] - knots[None, :, None]).abs() / 8).clamp_min(0)  # (3, knots, n³) hats
    curves = []
    for ring in ring_luts:
        r = ring.reshape(3, -1).float().clamp(0, 1) * 255
        total = weight.sum(-1)
        fitted = (weight * r[:, None, :]).sum(-1) / total.clamp_min(1e-6)
        curves.append(torch.where(total > 1e-3, fitted, knots.expand_as(fitted)))  # no colour there: unchanged
    return torch.stack(curves)


def radial_colour_filter(curves: torch.Tensor) -> str:
    """The radial colour layer after the global ``lut3d``: ``lut2`` of the frame and a mask of the ring position
    (drawn once), blending each ring's per-channel curve (:func:`ring_curves`) as
    :func:`~lookgan.kinds.preset.network.ring_weights` blends the rings' LUTs."""
    rings = curves.shape[0]
    knots = [float(k) for k in ring_knots(rings)]
    d = "sqrt((pow((X+0.5)/W*2-1,2)+pow((Y+0.5)/H*2-1,2))/2)"
    position = "+".join(f"clip((ld(0)-{num(knots[q])})/{num(knots[q + 1] - knots[q])},0,1)" for q in range(rings - 1))
    mask = f"st(0,{d});({position})/{rings - 1}*255"
    planes = {}
    for i, c in enumerate("rgb"):  # x: the globally graded value, y: the ring position (0..255 over 0..K-1)
        terms = [f"max(0,1-abs(ld(1)-{k}))*({_piecewise('x', _CURVE_KNOTS, curves[k, i].tolist())})"
                 for k in range(rings)]
        planes[c] = f"st(1,y/255*{rings - 1});clip({'+'.join(terms)},0,255)"
    return (f"split[rcframe][rcfirst];[rcfirst]trim=end_frame=1,geq=r='{mask}':g='{mask}':b='{mask}'[rcmask];"
            f"[rcframe][rcmask]lut2=c0='{planes['g']}':c1='{planes['b']}':c2='{planes['r']}'")


def filter_graph(values: dict[str, float], *, overlay_first: bool, strength: float, lut3d: str, seed: int,
                 ring_curves: torch.Tensor | None = None) -> str:
    """The whole preset as one ffmpeg filter graph (one input, one output) for ``-filter_complex_script``;
    ``ring_curves``: a radial colour layer's per-channel curves after ``lut3d`` (:func:`ring_curves`)."""
    overlay = overlay_filter(values, strength)
    colour = lut3d if ring_curves is None or len(ring_curves) < 2 else f"{lut3d},{radial_colour_filter(ring_curves)}"
    steps = [overlay, colour] if overlay_first else [colour, overlay]
    grain = grain_filters(values, strength, seed=seed)
    return ",".join(["format=gbrp", *(s for s in (*steps, grain) if s)])
