"""A ``preset`` look's controls in a photo editor's words: an overall colour amount with white-balance, contrast and
saturation trims, and Lightroom's *Effects* panel (post-crop vignette, grain), as numbers a creator knows, each a
documented function of the learnt parameters and back.

The vignette and grain numbers are exactly the fields the exports write (Camera Raw's ``PostCropVignette*`` and
``Grain*``; :mod:`lookgan.use.exporting.xmp`), so the slider a user moved is the value they find in their editor:

==========================  ==========  ================================================================
control                     range       definition (``v``: the learnt parameters, :meth:`PresetNet.values`)
==========================  ==========  ================================================================
``colour.amount``           0..200      % of the learnt colour change (the LUTs blended with identity)
``colour.warmth``           -100..100   red up and blue down by up to a quarter stop each (+: warmer)
``colour.tint``             -100..100   green down by up to a quarter stop (+: magenta, -: green)
``colour.saturation``       -100..100   chroma around each colour's Rec. 709 luma, x (1 + value / 100)
``colour.contrast``         -100..100   an S-curve per channel, ``x - k sin(2 pi x) / (2 pi)``, k = value / 100
                                        (black and white stay; slope 1 + k at mid-grey)
``vignette.amount``         -100..100   how much the whole look changes mid-grey from the centre to the
                                        corners, in % (-30: corners 30 % darker); set by the outer end of the
                                        overlay's ramp: its opacity and its colour's lightness (0: like the
                                        centre), never its hue or the blend modes
``vignette.midpoint``       0..250      100 x (radius + width / 2): where the change is half done (100: the
                                        corners); keeps the feather
``vignette.feather``        5..205      100 x width of the ramp (corners at 100); keeps the midpoint
``vignette.roundness``      -100..100   100 x (1 - 2 roundness): 100 a circle, -100 following the frame
``vignette.highlights``     0..100      100 x how much the overlay spares bright values: each channel's change
                                        times ``1 - p value²`` (Camera Raw's Highlights); keeps the amount
``vignette.hue``            0..360      hue and saturation (%) of the overlay's outer colour (HSL; keeps its
``vignette.saturation``     0..100      lightness and the amount)
``tint.opacity``            0..100      100 x the overlay's opacity at the centre (a tint or gradient start)
``tint.hue``                0..360      hue and saturation (%) of the overlay's inner colour (HSL; keeps its
``tint.saturation``         0..100      lightness)
``film_grain.amount``       0..300      1000 x the grain's standard deviation on mid-grey; scales the
                                        shadow, midtone and highlight amounts together
``film_grain.size``         6.25..250   25 x size / 0.002 (Camera Raw's scale: 25 is its default fine grain)
``film_grain.colour``       0..100      100 x (1 - mono): 0 monochrome grain, 100 independent per channel
==========================  ==========  ================================================================

The colour controls are *trims*, applied in that order to what the learnt LUTs give (every ring's too): they are
folded into the tables, cost nothing per pixel, and exported LUTs, profiles and ffmpeg scripts carry them.

Setting one control changes only that control's number, with three limits: a hue means nothing for a grey colour
(saturation 0: set the saturation first); a midpoint below half the feather, or a feather wider than twice the
midpoint, moves the other (the ramp cannot start before the centre); and a new ramp, colour, tint or highlight
protection keeps the vignette amount only where the outer end of the ramp can reach it (see ``vignette.amount``).
The learnt parameters stay reachable as ``overlay.*`` and ``grain.*`` (the advanced settings).
"""
from __future__ import annotations

import colorsys
import math
from typing import Callable

import torch

from ...ops.lut3d import identity_lut
from .network import TRIMS_NONE, PresetNet, grain_amount_map

#: name -> (low, high)
CONTROLS: dict[str, tuple[float, float]] = {
    "colour.amount": (0.0, 200.0), "colour.warmth": (-100.0, 100.0), "colour.tint": (-100.0, 100.0),
    "colour.saturation": (-100.0, 100.0), "colour.contrast": (-100.0, 100.0),
    "vignette.amount": (-100.0, 100.0), "vignette.midpoint": (0.0, 250.0), "vignette.feather": (5.0, 205.0),
    "vignette.roundness": (-100.0, 100.0), "vignette.highlights": (0.0, 100.0), "vignette.hue": (0.0, 360.0),
    "vignette.saturation": (0.0, 100.0),
    "tint.opacity": (0.0, 100.0), "tint.hue": (0.0, 360.0), "tint.saturation": (0.0, 100.0),
    "film_grain.amount": (0.0, 300.0), "film_grain.size": (6.25, 250.0), "film_grain.colour": (0.0, 100.0),
}
#: The colour trims, in the order of :data:`~lookgan.kinds.preset.network.TRIMS_NONE` (the look's ``trims`` buffer).
TRIMS = ("colour.amount", "colour.warmth", "colour.tint", "colour.saturation", "colour.contrast")
#: The layers of the learnt parameters (shown folded away, as "advanced").
EXPERT_LAYERS = ("overlay", "grain")
_GRAIN = ("grain.shadows", "grain.midtones", "grain.highlights")


@torch.no_grad()
def corner_change(net: PresetNet, *, lut: torch.Tensor | None = None, ring_luts: torch.Tensor | None = None,
                  strength: float = 1.0) -> float:
    """The whole look's change of mid-grey at the corners relative to the centre (-0.3: 30 % darker); ``lut``
    and ``ring_luts`` replace the learnt tables (with the apply options folded in)."""
    grey = torch.full((1, 3, 1, 2), 0.5)
    x = y = torch.tensor([-1.0, 0.0]).view(1, 1, 1, 2)  # the corner itself and the centre of a square frame
    lit = net(grey, x, y, aspect=1.0, lut=lut, ring_luts=ring_luts, strength=strength)[0, :, 0].mean(0)
    return float(lit[0] / lit[1].clamp_min(1e-6) - 1.0)


def grain_at_grey(v: dict[str, float]) -> float:
    """The grain's standard deviation on mid-grey (the grain's own amount at luma 0.5)."""
    return float(grain_amount_map(torch.tensor(0.5), torch.tensor([v[k] for k in _GRAIN])))


def trimmed(lut: torch.Tensor, trims: torch.Tensor) -> torch.Tensor:
    """``lut`` ``(3, n, n, n)`` with the colour trims (amount, warmth, tint, saturation, contrast) applied to its
    results; the identity trims give ``lut`` back unchanged."""
    if torch.equal(trims, torch.tensor(TRIMS_NONE, dtype=trims.dtype)):
        return lut
    amount, warmth, tint, saturation, contrast = (float(t) for t in trims)
    ident = identity_lut(lut.shape[-1], dtype=lut.dtype)
    out = ident + amount / 100.0 * (lut - ident)
    gains = torch.tensor([2 ** (0.25 * warmth / 100), 2 ** (-0.25 * tint / 100), 2 ** (-0.25 * warmth / 100)],
                         dtype=lut.dtype).view(3, 1, 1, 1)
    out = (out * gains).clamp(0.0, 1.0)
    k = contrast / 100.0
    out = out - k * torch.sin(2 * torch.pi * out) / (2 * torch.pi)
    grey = (out * torch.tensor([0.2126, 0.7152, 0.0722], dtype=lut.dtype).view(3, 1, 1, 1)).sum(0, keepdim=True)
    return (grey + (1 + saturation / 100.0) * (out - grey)).clamp(0.0, 1.0)


def read(net: PresetNet) -> dict[str, float]:
    """Every control's value for ``net``."""
    v = net.values()
    return {**{name: float(t) for name, t in zip(TRIMS, net.trims)},"vignette.amount": 100.0 * corner_change(net),
            "vignette.midpoint": 100.0 * (v["overlay.radius"] + v["overlay.width"] / 2),
            "vignette.feather": 100.0 * v["overlay.width"],
            "vignette.roundness": 100.0 * (1.0 - 2.0 * v["overlay.roundness"]),
            "vignette.highlights": 100.0 * v["overlay.protect_highlights"],
            **_hue_saturation(v, "out", "vignette"), "tint.opacity": 100.0 * v["overlay.opacity_in"],
            **_hue_saturation(v, "in", "tint"),
            "film_grain.amount": 1000.0 * grain_at_grey(v), "film_grain.size": 25.0 * v["grain.size"] / 0.002,
            "film_grain.colour": 100.0 * (1.0 - v["grain.mono"])}


def _hue_saturation(v: dict[str, float], where: str, control: str) -> dict[str, float]:
    """The hue (degrees) and saturation (%) of the overlay's ``where`` ("in", "out") colour, HSL."""
    h, _, s = colorsys.rgb_to_hls(*(v[f"overlay.colour_{where}_{c}"] for c in "rgb"))
    return {f"{control}.hue": 360.0 * h, f"{control}.saturation": 100.0 * s}


def _set_colour(net: PresetNet, where: str, hue: float | None = None, saturation: float | None = None) -> None:
    """The overlay's ``where`` colour with a new hue or saturation, its HSL lightness kept."""
    v = net.values()
    h, lightness, s = colorsys.rgb_to_hls(*(v[f"overlay.colour_{where}_{c}"] for c in "rgb"))
    h = h if hue is None else hue / 360.0
    rgb = colorsys.hls_to_rgb(h, lightness, s if saturation is None else saturation / 100.0)
    net.set_values({f"overlay.colour_{where}_{c}": x for c, x in zip("rgb", rgb)})


def _ramp(net: PresetNet, midpoint: float, width: float) -> None:
    """Radius and width for a ramp half done at ``midpoint`` (the ramp starts at the centre at the earliest)."""
    lo, hi = PresetNet.RANGES["overlay.width"]
    width = min(max(width, lo), hi, 2 * max(midpoint, lo / 2))
    net.set_values({"overlay.width": width, "overlay.radius": midpoint - width / 2})


def _solve(net: PresetNet, target: float, family: Callable[[float], dict[str, float]]) -> float | None:
    """Set ``family(u)`` for the ``u`` in [0, 1] that makes the corner change ``target`` (the change is monotone
    along each family used here); returns how far from it the nearer end stayed when none does
    (the net then holds that end), None when it was met."""
    ends = []
    for u in (0.0, 1.0):
        net.set_values(family(u))
        ends.append(corner_change(net))
    if not min(ends) - 1e-4 <= target <= max(ends) + 1e-4:
        nearer = min((0.0, 1.0), key=lambda u: abs(ends[int(u)] - target))
        net.set_values(family(nearer))
        return abs(ends[int(nearer)] - target)
    # regula falsi (Illinois): the change is close to linear along these families, so a few steps do
    (lo, f_lo), (hi, f_hi) = (0.0, ends[0] - target), (1.0, ends[1] - target)
    u, side = 0.5, 0
    for _ in range(40):
        u = hi - f_hi * (hi - lo) / (f_hi - f_lo) if abs(f_hi - f_lo) > 1e-12 else (lo + hi) / 2
        net.set_values(family(u))
        f = corner_change(net) - target
        if abs(f) < 1e-5:  # a thousandth of the control's unit
            break
        if f * f_hi > 0:
            hi, f_hi = u, f
            f_lo = f_lo / 2 if side == -1 else f_lo
            side = -1
        else:
            lo, f_lo = u, f
            f_hi = f_hi / 2 if side == 1 else f_hi
            side = 1
    return None


def _set_amount(net: PresetNet, amount: float) -> None:
    """The vignette amount, by the outer end of the ramp alone: its opacity and its colour's lightness move along
    the line through the inner end's (an even overlay: no vignette of its own) and their present values, so
    moving the amount away and back gives the same look; its hue, its saturation and the blend modes (which shape
    the tint at the centre too) never change. Beyond the line's ends: any lightness at full opacity, else as near
    as the look allows."""
    v = net.values()
    h, l_out, s = colorsys.rgb_to_hls(*(v[f"overlay.colour_out_{c}"] for c in "rgb"))
    l_in = colorsys.rgb_to_hls(*(v[f"overlay.colour_in_{c}"] for c in "rgb"))[1]
    l_in = min(max(l_in, _LIGHTNESS[0]), _LIGHTNESS[1])
    o_in, o_out = v["overlay.opacity_in"], v["overlay.opacity_out"]
    dl, do = l_out - l_in, o_out - o_in
    if abs(dl) + abs(do) < 1e-6:  # no vignette of its own yet: start one towards black at full opacity
        dl, do = _LIGHTNESS[0] - l_in, 1.0 - o_in

    def reach(sign: float) -> float:  # how far along (dl, do) the box of lightness and opacity lets us go
        limits = [((_LIGHTNESS[1] if sign * dl > 0 else _LIGHTNESS[0]) - l_in) / dl if abs(dl) > 1e-9 else math.inf,
                  ((1.0 if sign * do > 0 else 0.0) - o_in) / do if abs(do) > 1e-9 else math.inf]
        return min(abs(x) for x in limits)

    low, high = -reach(-1.0), reach(1.0)

    def on_line(u: float) -> dict[str, float]:
        t = low + u * (high - low)
        rgb = colorsys.hls_to_rgb(h, l_in + t * dl, s)
        return {"overlay.opacity_out": o_in + t * do, **{f"overlay.colour_out_{c}": x for c, x in zip("rgb", rgb)}}

    missed = _solve(net, amount / 100.0, on_line)
    if missed is not None:  # beyond the line (e.g. rings that darken the corners): any lightness at full opacity
        light = lambda u: {"overlay.opacity_out": 1.0, **{  # noqa: E731
            f"overlay.colour_out_{c}": x for c, x in zip("rgb", colorsys.hls_to_rgb(h, 0.02 + 0.96 * u, s))}}
        state = net.values()
        if (_solve(net, amount / 100.0, light) or 0.0) > missed:
            net.set_values(state)  # the line's end was nearer


#: The outer colour's lightness stays inside this range while the amount moves it (its hue stays readable).
_LIGHTNESS = (0.02, 0.98)


@torch.no_grad()
def write(net: PresetNet, values: dict[str, float]) -> None:
    """Set controls (clipped to their ranges) on ``net``; the others keep their values. Saturations come before
    hues (a grey has none) and the amount last, on the ramp and colours the other controls give."""
    last = ("vignette.saturation", "tint.saturation", "vignette.hue", "tint.hue", "vignette.amount")
    for name, value in sorted(values.items(), key=lambda item: last.index(item[0]) if item[0] in last else -1):
        lo, hi = CONTROLS[name]
        value = min(max(float(value), lo), hi)
        v = net.values()
        keeps_amount = name.startswith("tint.") or name.startswith("vignette.") and name != "vignette.amount"
        amount = corner_change(net) * 100.0 if keeps_amount else 0.0
        if name == "vignette.amount":
            _set_amount(net, value)
        elif name == "vignette.midpoint":
            _ramp(net, value / 100.0, v["overlay.width"])
        elif name == "vignette.feather":
            _ramp(net, v["overlay.radius"] + v["overlay.width"] / 2, value / 100.0)
        elif name == "vignette.roundness":
            net.set_values({"overlay.roundness": (1.0 - value / 100.0) / 2})
        elif name in ("vignette.hue", "vignette.saturation", "tint.hue", "tint.saturation"):
            layer, what = name.split(".")
            _set_colour(net, "out" if layer == "vignette" else "in", **{what: value})
        elif name == "vignette.highlights":
            net.set_values({"overlay.protect_highlights": value / 100.0})
        elif name == "tint.opacity":
            net.set_values({"overlay.opacity_in": value / 100.0})
        elif name == "film_grain.amount":
            now = grain_at_grey(v)
            scale = value / 1000.0 / now if now > 1e-9 else None
            net.set_values({k: v[k] * scale if scale is not None else value / 1000.0 for k in _GRAIN})
        elif name == "film_grain.size":
            net.set_values({"grain.size": value * 0.002 / 25.0})
        elif name == "film_grain.colour":
            net.set_values({"grain.mono": 1.0 - value / 100.0})
        elif name in TRIMS:
            net.trims[TRIMS.index(name)] = value
        if keeps_amount:
            _set_amount(net, amount)  # the corners' change moved with the ramp or the colour: keep it
