"""The ``preset`` look as an editor would build it: a colour LUT, a radial overlay and film grain, each layer a
handful of bounded, named parameters (what the sliders show).

Everything is defined in normalised frame coordinates (``x``, ``y`` in [-1, 1] from edge to edge, whatever the
size or aspect) and grain in fractions of the short side, so a 4K export looks like the 256-px preview.

* **colour** — one 3D LUT (``lut``), applied per pixel; or, when the look has a *radial colour* layer, one LUT
  per ring of distance from the frame centre (``ring_luts``, ``(K, 3, n, n, n)``), blended linearly between
  the rings' middles (:func:`ring_weights`), so the colour may change from the centre to the corners (tinted
  gradients, radial masks with their own colour, position-dependent split toning) without a step anywhere.
  ``lut`` is then the same look fitted globally: what a .cube or an editor gets;
* **overlay** — a radial gradient from ``colour_in`` at ``radius`` to ``colour_out`` at ``radius + width``
  (linear in between, as CSS radial gradients and Instagram-style filters), centred at ``centre``, a circle in
  pixels (``roundness`` 0, normalised by the half-diagonal so the corners sit at 1) or an ellipse that follows
  the frame (``roundness`` 1); blended with a mix of the editors' blend modes (normal, multiply, screen, overlay,
  soft light; W3C compositing definitions) at opacity ``opacity_in`` → ``opacity_out`` along the same ramp.
  Vignettes (dark or light), warm centres and coloured corners are all this one layer;
* **grain** — Gaussian noise of a given size (fraction of the short side), monochrome/colour share, and amounts
  for shadows, midtones and highlights (Bernstein weights of the luma), seeded so that a rerun is identical.

``order`` says whether the overlay is laid before the colour grade (Instagram-style filters: gradient, then
contrast/brightness) or after it (a film grade, then a vignette).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Literal

import torch
from torch import nn

from ...ops.grain import grain_field
from ...ops.lut3d import apply_lut, identity_lut

BLEND_MODES = ("normal", "multiply", "screen", "overlay", "soft_light")
Order = Literal["overlay_first", "colour_first"]
ORDERS: tuple[Order, ...] = ("overlay_first", "colour_first")


# --- blend modes (W3C Compositing and Blending Level 1), base b and source s in [0, 1] ---------------------------
def _soft_light(b: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    d = torch.where(b <= 0.25, ((16 * b - 12) * b + 4) * b, b.clamp_min(1e-6).sqrt())  # no inf gradient at 0
    return torch.where(s <= 0.5, b - (1 - 2 * s) * b * (1 - b), b + (2 * s - 1) * (d - b))


def blend_mode(base: torch.Tensor, source: torch.Tensor, mode: str) -> torch.Tensor:
    """``mode`` of ``source`` over ``base`` (both [0, 1]), before opacity."""
    if mode == "normal":
        return source.expand_as(base)
    if mode == "multiply":
        return base * source
    if mode == "screen":
        return base + source - base * source
    if mode == "overlay":  # hard light with the layers swapped
        return torch.where(base <= 0.5, 2 * base * source, 1 - 2 * (1 - base) * (1 - source))
    if mode == "soft_light":
        return _soft_light(base, source)
    raise ValueError(f"unknown blend mode {mode!r}; one of {', '.join(BLEND_MODES)}")


# --- frame geometry -------------------------------------------------------------------------------------------
def frame_grid(height: int, width: int, *, box: tuple[int, int, int, int] | None = None,
               device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised coordinates ``(x, y)``, each ``(1, 1, height, width)`` in [-1, 1] across the whole frame at pixel
    centres. ``box`` = (top, left, frame_height, frame_width) places a crop inside a larger frame."""
    top, left, fh, fw = box if box is not None else (0, 0, height, width)
    ys = (torch.arange(height, device=device, dtype=torch.float32) + top + 0.5) / fh * 2 - 1
    xs = (torch.arange(width, device=device, dtype=torch.float32) + left + 0.5) / fw * 2 - 1
    return xs.view(1, 1, 1, width).expand(1, 1, height, width), ys.view(1, 1, height, 1).expand(1, 1, height, width)


def radial_distance(x: torch.Tensor, y: torch.Tensor, *, aspect: float | torch.Tensor, centre: torch.Tensor,
                    roundness: torch.Tensor) -> torch.Tensor:
    """Distance from ``centre`` (in normalised coordinates) with the corners of a centred frame at 1: a circle
    in pixels for ``roundness`` 0 (``aspect`` = width / height, a number or one per image ``(B, 1, 1, 1)``), an
    ellipse following the frame for 1."""
    ax, ay = radial_axes(torch.as_tensor(aspect, dtype=x.dtype, device=x.device), roundness)
    return torch.sqrt(((x - centre[0]) * ax) ** 2 + ((y - centre[1]) * ay) ** 2 + 1e-12)


def radial_axes(aspect: Any, roundness: Any) -> tuple[Any, Any]:
    """The scales of the normalised x and y in :func:`radial_distance` (numbers or tensors alike): from the
    half-diagonal's (a circle in pixels, roundness 0) to 1/sqrt(2) each (an ellipse following the frame, 1)."""
    diag = (aspect**2 + 1.0) ** 0.5
    half = 1 / math.sqrt(2)
    return aspect / diag + (half - aspect / diag) * roundness, 1.0 / diag + (half - 1.0 / diag) * roundness


# --- grain ----------------------------------------------------------------------------------------------------


# --- radial colour --------------------------------------------------------------------------------------------
def ring_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Distance from the frame centre for the radial colour layer: an ellipse that follows the frame, corners at 1
    (on a frame squashed to a square it is a circle, so the rings are the same at every aspect)."""
    return torch.sqrt((x * x + y * y) / 2 + 1e-12)


@lru_cache(maxsize=16)
def _ring_quantiles(quantiles: tuple[float, ...]) -> torch.Tensor:
    x, y = frame_grid(512, 512)
    return torch.quantile(ring_distance(x, y).flatten(), torch.tensor(quantiles)).contiguous()


def ring_edges(rings: int) -> torch.Tensor:
    """Edges ``(rings + 1,)`` of ``rings`` rings of equal area of the frame (the outer ones are cut by its
    sides, so they are not the circles' equal-area radii), 0 first and 1 (the corners) last."""
    edges = _ring_quantiles(tuple(k / rings for k in range(rings + 1))).clone()
    edges[0], edges[-1] = 0.0, 1.0
    return edges


def ring_knots(rings: int) -> torch.Tensor:
    """Where each ring's LUT holds exactly: the middle (by area) of each of ``rings`` equal-area rings."""
    return _ring_quantiles(tuple((k + 0.5) / rings for k in range(rings))).clone()


def ring_weights(d: torch.Tensor, rings: int) -> torch.Tensor:
    """Blend weights ``(..., rings, H, W)`` of the ring LUTs at distances ``d`` ``(..., 1, H, W)``: linear between
    neighbouring knots, constant inside the first and beyond the last; they sum to 1. Written with clamps only,
    so the ONNX graph traces it at any size."""
    knots = ring_knots(rings).to(d)
    t = torch.zeros_like(d)  # the continuous ring index in [0, rings - 1]
    for k in range(rings - 1):
        t = t + ((d - knots[k]) / (knots[k + 1] - knots[k])).clamp(0.0, 1.0)
    index = torch.arange(rings, dtype=d.dtype, device=d.device).view(*([1] * (d.dim() - 3)), rings, 1, 1)
    return (1.0 - (t - index).abs()).clamp_min(0.0)


def radial_colour(images: torch.Tensor, ring_luts: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The ring LUTs ``(K, 3, n, n, n)`` on ``images`` ``(B, 3, H, W)`` at coordinates ``x``, ``y``, blended by
    :func:`ring_weights` (differentiable in the images and the tables)."""
    w = ring_weights(ring_distance(x, y), ring_luts.shape[0])  # (1, K, H, W)
    out = torch.zeros_like(images)
    for k in range(ring_luts.shape[0]):
        out = out + w[:, k:k + 1] * apply_lut(images, ring_luts[k])
    return out


def luma(images: torch.Tensor) -> torch.Tensor:
    """Rec. 709 luma ``(B, 1, H, W)`` of RGB in [0, 1]."""
    w = torch.tensor([0.2126, 0.7152, 0.0722], device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    return (images * w).sum(1, keepdim=True)


def grain_amount_map(lum: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
    """Grain strength per pixel from shadow / midtone / highlight ``amounts`` (Bernstein weights of luma)."""
    return amounts[0] * (1 - lum) ** 2 + amounts[1] * 2 * lum * (1 - lum) + amounts[2] * lum**2


def with_grain(images: torch.Tensor, noise: torch.Tensor, amounts: torch.Tensor,
               strength: float = 1.0) -> torch.Tensor:
    """``images`` plus unit-variance ``noise`` scaled by the grain strength at each pixel's luma (the one grain
    formula: training, photos, the ONNX graph)."""
    return (images + strength * grain_amount_map(luma(images), amounts) * noise).clamp(0.0, 1.0)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


#: The colour trims of a look nobody has trimmed: amount 100 %, warmth, tint, saturation, contrast 0.
TRIMS_NONE = (100.0, 0.0, 0.0, 0.0, 0.0)


class PresetNet(nn.Module):
    """The three layers with their raw (unbounded) parameters; :meth:`values` gives the named, bounded ones.

    Colour and overlay are trained by gradient; the grain parameters are buffers fitted by moment matching
    (their effect on a loss is a random field, whose gradient says little)."""

    #: name -> (low, high): the range of every named parameter (sliders, ``--set``).
    RANGES: dict[str, tuple[float, float]] = {
        "overlay.centre_x": (-0.5, 0.5), "overlay.centre_y": (-0.5, 0.5), "overlay.roundness": (0.0, 1.0),
        "overlay.radius": (0.0, 1.5), "overlay.width": (0.05, 2.05),
        "overlay.opacity_in": (0.0, 1.0), "overlay.opacity_out": (0.0, 1.0),
        **{f"overlay.colour_{w}_{c}": (0.0, 1.0) for w in ("in", "out") for c in "rgb"},
        **{f"overlay.mode_{m}": (0.0, 1.0) for m in BLEND_MODES},
        "grain.shadows": (0.0, 0.3), "grain.midtones": (0.0, 0.3), "grain.highlights": (0.0, 0.3),
        "grain.size": (0.0005, 0.02), "grain.mono": (0.0, 1.0), "overlay.protect_highlights": (0.0, 1.0),
    }

    def __init__(self, *, lut_size: int = 33, order: Order = "overlay_first", rings: int = 0) -> None:
        super().__init__()
        # the order is state (saved with the look, chosen by fit), so it is a buffer: 0 overlay first, 1 colour first
        self.register_buffer("order_code", torch.tensor(float(ORDERS.index(order))))  # float: looks hold floats
        self.lut = nn.Parameter(identity_lut(lut_size))  # (3, n, n, n)
        # (K, 3, n, n, n): the radial colour layer, or K = 0 for none (looks from before it load so too)
        self.ring_luts = nn.Parameter(identity_lut(lut_size).repeat(rings, 1, 1, 1, 1), requires_grad=False)
        self.centre = nn.Parameter(torch.zeros(2))
        self.roundness = nn.Parameter(torch.zeros(1))
        self.radius = nn.Parameter(torch.tensor([_logit(0.3 / 1.5)]))
        self.width = nn.Parameter(torch.tensor([_logit(0.7 / 2.0)]))
        self.colour_in = nn.Parameter(torch.zeros(3))
        self.colour_out = nn.Parameter(torch.full((3,), -2.0))
        self.opacity = nn.Parameter(torch.full((2,), -6.0))  # in, out: the overlay starts (almost) invisible
        self.mode_logits = nn.Parameter(torch.zeros(len(BLEND_MODES)))
        self.register_buffer("grain", torch.tensor([0.0, 0.0, 0.0, 0.002, 1.0]))  # shadows, mid, high, size, mono
        # a person's colour trims on top of the learnt LUTs (kinds/preset/controls.py); the learnt look has none
        self.register_buffer("trims", torch.tensor(TRIMS_NONE))
        # how much the overlay spares bright values (a person's choice, like the trims; the learnt look: 0)
        self.register_buffer("protect", torch.zeros(1))

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> "PresetNet":
        """A network holding a saved look's tensors (looks from before the radial colour layer have none)."""
        tensors = dict(tensors)
        lut = tensors["lut"]
        tensors.setdefault("ring_luts", lut.new_zeros((0, *lut.shape)))
        tensors.setdefault("trims", torch.tensor(TRIMS_NONE))  # looks from before the editor's colour trims
        tensors.setdefault("protect", torch.zeros(1))  # ... and before highlight protection
        net = cls(lut_size=lut.shape[-1], rings=tensors["ring_luts"].shape[0])
        net.load_state_dict(tensors, strict=True)
        return net

    @property
    def order(self) -> Order:
        return ORDERS[round(float(self.order_code))]

    @order.setter
    def order(self, value: Order) -> None:
        self.order_code.fill_(float(ORDERS.index(value)))

    # --- named values ------------------------------------------------------------------------------------------
    def overlay_values(self) -> dict[str, torch.Tensor]:
        """The overlay's bounded parameters as tensors (differentiable)."""
        return {"centre": 0.5 * torch.tanh(self.centre), "roundness": torch.sigmoid(self.roundness)[0],
                "radius": 1.5 * torch.sigmoid(self.radius)[0], "width": 0.05 + 2.0 * torch.sigmoid(self.width)[0],
                "colour_in": torch.sigmoid(self.colour_in), "colour_out": torch.sigmoid(self.colour_out),
                "opacity": torch.sigmoid(self.opacity), "modes": torch.softmax(self.mode_logits, 0),
                "protect": self.protect[0]}

    def values(self) -> dict[str, float]:
        """Every named parameter (see :data:`RANGES`) as a plain number."""
        with torch.no_grad():
            o = self.overlay_values()
            out = {"overlay.centre_x": o["centre"][0], "overlay.centre_y": o["centre"][1],
                   "overlay.roundness": o["roundness"], "overlay.radius": o["radius"], "overlay.width": o["width"],
                   "overlay.opacity_in": o["opacity"][0], "overlay.opacity_out": o["opacity"][1]}
            for w in ("in", "out"):
                out.update({f"overlay.colour_{w}_{c}": o[f"colour_{w}"][i] for i, c in enumerate("rgb")})
            out.update({f"overlay.mode_{m}": o["modes"][i] for i, m in enumerate(BLEND_MODES)})
            out["overlay.protect_highlights"] = o["protect"]
            g = self.grain
            out.update({"grain.shadows": g[0], "grain.midtones": g[1], "grain.highlights": g[2], "grain.size": g[3],
                        "grain.mono": g[4]})
        return {k: round(float(v), 6) for k, v in out.items()}

    @torch.no_grad()
    def set_values(self, values: dict[str, float]) -> None:
        """Set named parameters (clipped to their ranges); blend-mode weights are renormalised."""
        for name, value in values.items():
            lo, hi = self.RANGES[name]
            v = min(max(float(value), lo), hi)
            layer, _, field = name.partition(".")
            if layer == "grain":
                self.grain[["shadows", "midtones", "highlights", "size", "mono"].index(field)] = v
            elif field == "protect_highlights":
                self.protect[0] = v
            elif field in ("centre_x", "centre_y"):
                self.centre[0 if field == "centre_x" else 1] = math.atanh(min(max(v / 0.5, -0.9999), 0.9999))
            elif field in ("roundness", "radius", "width"):
                getattr(self, field)[0] = _logit((v - lo) / (hi - lo))
            elif field.startswith("opacity_"):
                self.opacity[0 if field.endswith("_in") else 1] = _logit(v)
            elif field.startswith("colour_"):
                _, where, c = field.split("_")
                getattr(self, f"colour_{where}")["rgb".index(c)] = _logit(v)
            else:  # a blend-mode weight: the others share the rest in their present proportions
                modes = torch.softmax(self.mode_logits, 0)
                i = BLEND_MODES.index(field[len("mode_"):])
                others = modes.clone()
                others[i] = 0.0
                modes = others * (1.0 - v) / others.sum().clamp_min(1e-12)
                modes[i] = v
                self.mode_logits.copy_(torch.log(modes.clamp_min(1e-6)))

    # --- the layers --------------------------------------------------------------------------------------------
    def overlay(self, images: torch.Tensor, x: torch.Tensor, y: torch.Tensor, *, aspect: float | torch.Tensor,
                strength: float = 1.0) -> torch.Tensor:
        """The radial overlay on ``images`` ``(B, 3, H, W)`` in [0, 1] at coordinates ``x``, ``y``."""
        o = self.overlay_values()
        d = radial_distance(x, y, aspect=aspect, centre=o["centre"], roundness=o["roundness"])
        t = ((d - o["radius"]) / o["width"]).clamp(0.0, 1.0)  # (1, 1, H, W): 0 inside, 1 outside the ramp
        return self.overlay_at(images, t, strength=strength, values=o)

    def overlay_at(self, images: torch.Tensor, t: torch.Tensor, *, strength: float = 1.0,
                   values: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The overlay on ``images`` at ramp positions ``t`` (0 at ``radius``, 1 at ``radius + width``;
        broadcast against the images): what :meth:`overlay` does once it knows where each pixel lies. Each channel
        is spared by ``1 - protect * value²`` (highlight protection: 0 for a learnt look)."""
        o = self.overlay_values() if values is None else values
        source = torch.lerp(o["colour_in"].view(1, 3, 1, 1), o["colour_out"].view(1, 3, 1, 1), t)
        alpha = strength * torch.lerp(o["opacity"][0], o["opacity"][1], t) * (1 - o["protect"] * images * images)
        blended = sum(w * blend_mode(images, source, m) for w, m in zip(o["modes"], BLEND_MODES))
        return (images + alpha * (blended - images)).clamp(0.0, 1.0)

    @property
    def rings(self) -> int:
        """Rings of the radial colour layer (0: one LUT for the whole frame)."""
        return self.ring_luts.shape[0]

    def colour(self, images: torch.Tensor, lut: torch.Tensor | None = None, *, x: torch.Tensor | None = None,
               y: torch.Tensor | None = None, ring_luts: torch.Tensor | None = None) -> torch.Tensor:
        """The colour layer: the ring LUTs at coordinates ``x``, ``y`` when the look has them (``ring_luts``
        replaces them, e.g. with strength folded in), else ``lut`` (default: the learnt one)."""
        rings = self.ring_luts if ring_luts is None else ring_luts
        if rings.shape[0] and x is not None and y is not None:
            return radial_colour(images, rings, x, y).clamp(0.0, 1.0)
        return apply_lut(images, self.lut if lut is None else lut).clamp(0.0, 1.0)

    def add_grain(self, images: torch.Tensor, *, seed: int, strength: float = 1.0) -> torch.Tensor:
        """Film grain on ``images`` ``(B, 3, H, W)``; the same ``seed`` gives the same grain."""
        g = self.grain
        if strength == 0 or float(g[:3].abs().max()) == 0:
            return images
        h, w = images.shape[-2:]
        noise = grain_field(h, w, size=float(g[3]), mono=float(g[4]), seed=seed, device=images.device)
        return with_grain(images, noise, g[:3], strength)

    def forward(self, images: torch.Tensor, x: torch.Tensor | None = None, y: torch.Tensor | None = None, *,
                aspect: float | torch.Tensor | None = None, lut: torch.Tensor | None = None,
                ring_luts: torch.Tensor | None = None, grain_seed: int | None = None,
                strength: float = 1.0) -> torch.Tensor:
        """The look on ``images`` ``(B, 3, H, W)`` in [0, 1]. ``x``, ``y`` (default: the whole frame) and ``aspect``
        (width / height of the frame; default: of ``images``) place the overlay and the radial colour; ``lut`` and
        ``ring_luts`` replace the learnt tables (strength and keep-colour folded in); grain only with a
        ``grain_seed``."""
        h, w = images.shape[-2:]
        if x is None or y is None:
            x, y = frame_grid(h, w, device=images.device)
        aspect = w / h if aspect is None else aspect
        if self.order == "overlay_first":
            out = self.colour(self.overlay(images, x, y, aspect=aspect, strength=strength), lut, x=x, y=y,
                              ring_luts=ring_luts)
        else:
            out = self.overlay(self.colour(images, lut, x=x, y=y, ring_luts=ring_luts), x, y, aspect=aspect,
                               strength=strength)
        return out if grain_seed is None else self.add_grain(out, seed=grain_seed, strength=strength)
