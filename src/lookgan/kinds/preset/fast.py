"""The fast way a saved ``preset`` look grades photos and video frames: one compiled pass over the pixels.

Why: the network (:class:`~lookgan.kinds.preset.network.PresetNet`) evaluates the overlay's blend modes, up to four ring
LUTs and a freshly drawn grain field as whole-image tensor operations, each a pass over memory with its own
temporaries (3 s for a 4K photo, 26x a ``lut`` look). Here everything that depends only on the frame size is
made once per size and reused for every photo or frame of that size:

* the overlay's and the radial colour's distances are *separable* (``d² = fx(x) + fy(y)``), so they are two
  short profiles, one per column and one per row;
* the grain is a seamless (periodic) noise texture of the look's grain size at this frame size, at most
  :data:`NOISE_TILE` px a side; each photo or frame reads it from its own seeded offset, so the grain differs
  between photos and video frames, and a rerun writes the same file;

and each pixel then goes through overlay, colour (one LUT, or the two neighbouring ring LUTs blended) and grain in
registers, written straight to 8 bits: one read and one write of the photo. The per-pixel formulas are the
network's (float32): without grain the output matches it within one level on every pixel
(``tests/kinds/preset/test_preset_fast.py``); the grain is another draw with the same statistics (unit variance on
cells of the same size, bicubically smoothed, the same mono share).
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import torch
import torch.nn.functional as F

from ...ops.lut3d import axis_weights, in_parallel
from .network import PresetNet, radial_axes, ring_knots

#: The longest side of the grain texture; larger frames repeat it (seamlessly) with that period.
NOISE_TILE = 4096
#: Ramp positions at which the overlay is tabulated (:func:`overlay_table`).
OVERLAY_STEPS = 1024
_f32 = numba.float32
_ZERO, _HALF, _ONE = np.float32(0.0), np.float32(0.5), np.float32(1.0)
#: Steps of the squared ring distance at which the radial colour's ring position is tabulated.
RING_STEPS = 8192
#: The texture is stored in int8 at this many steps per standard deviation (clipped at +-3.97 sigma).
NOISE_STEPS = 32.0


# --- the pass over the pixels (numba: compiled on first use, cached on disk) ----------------------------------
# Everything is float32 (float64 would double the time: every table read converted) and 8-bit inputs take their
# lattice cells from tables, not float-to-int conversions.
@numba.njit(cache=True, fastmath=True)
def _corners(lut: np.ndarray, ib: int, ig: int, ir: int, k: int, c: int, fr: float, fg: float, fb: float) -> float:
    """Trilinear interpolation of channel ``c`` of ring ``k`` inside the lattice cell at (``ib``, ``ig``, ``ir``)."""
    x0 = lut[ib, ig, ir, k, c] + fr * (lut[ib, ig, ir + 1, k, c] - lut[ib, ig, ir, k, c])
    x1 = lut[ib, ig + 1, ir, k, c] + fr * (lut[ib, ig + 1, ir + 1, k, c] - lut[ib, ig + 1, ir, k, c])
    y0 = lut[ib + 1, ig, ir, k, c] + fr * (lut[ib + 1, ig, ir + 1, k, c] - lut[ib + 1, ig, ir, k, c])
    y1 = lut[ib + 1, ig + 1, ir, k, c] + fr * (lut[ib + 1, ig + 1, ir + 1, k, c] - lut[ib + 1, ig + 1, ir, k, c])
    lo = x0 + fg * (x1 - x0)
    return lo + fb * (y0 + fg * (y1 - y0) - lo)


@numba.njit(cache=True, fastmath=True)
def _corners2(lut: np.ndarray, ib: int, ig: int, ir: int, k: int, c: int, fr: float, fg: float, fb: float,
              w: float) -> float:
    """:func:`_corners` of ring ``k`` blended with ring ``k + 1`` by ``w`` (the blend is linear, so the two
    rings' corners are blended first and interpolated once)."""
    a = _ONE - w
    x0 = a * lut[ib, ig, ir, k, c] + w * lut[ib, ig, ir, k + 1, c]
    x1 = a * lut[ib, ig, ir + 1, k, c] + w * lut[ib, ig, ir + 1, k + 1, c]
    y0 = a * lut[ib, ig + 1, ir, k, c] + w * lut[ib, ig + 1, ir, k + 1, c]
    y1 = a * lut[ib, ig + 1, ir + 1, k, c] + w * lut[ib, ig + 1, ir + 1, k + 1, c]
    z0 = a * lut[ib + 1, ig, ir, k, c] + w * lut[ib + 1, ig, ir, k + 1, c]
    z1 = a * lut[ib + 1, ig, ir + 1, k, c] + w * lut[ib + 1, ig, ir + 1, k + 1, c]
    u0 = a * lut[ib + 1, ig + 1, ir, k, c] + w * lut[ib + 1, ig + 1, ir, k + 1, c]
    u1 = a * lut[ib + 1, ig + 1, ir + 1, k, c] + w * lut[ib + 1, ig + 1, ir + 1, k + 1, c]
    x0 += fr * (x1 - x0)
    y0 += fr * (y1 - y0)
    z0 += fr * (z1 - z0)
    u0 += fr * (u1 - u0)
    x0 += fg * (y0 - x0)
    z0 += fg * (u0 - z0)
    return x0 + fb * (z0 - x0)


@numba.njit(cache=True, fastmath=True)
def _cell(v: float, n1: int) -> tuple[int, float]:
    """The lattice cell below value ``v`` (clipped to [0, 1]) of a LUT with ``n1`` cells a side, and where in it."""
    u = min(max(v, _ZERO), _ONE) * _f32(n1)
    i = min(int(u), n1 - 1)
    return i, u - _f32(i)


@numba.njit(cache=True, fastmath=True)
def _on_value(table: np.ndarray, it: int, v: float, c: int) -> float:
    """``table[it, v, c]`` at a value ``v`` in [0, 1] between its 256 levels (linear)."""
    u = min(max(v, _ZERO), _ONE) * _f32(255.0)
    i = min(int(u), 254)
    lo = table[it, i, c]
    return lo + (u - _f32(i)) * (table[it, i + 1, c] - lo)


@numba.njit(cache=True, fastmath=True, nogil=True)
def _grade(top, bottom, src, out, to_u8, ov, otab, ocell, ofrac, ovx, ovy, luts, cells, rtab, rx, ry, noise,
           noise_row, noise_col, grain):
    """Grade rows ``top`` to ``bottom`` of ``src`` ``(H, W, 3)`` (uint8 or float32) into ``out`` (same shape and
    dtype; ``to_u8``: whether they are uint8).

    ``ov``: on, overlay first, radius, 1 / width; ``otab``: the overlay by ramp position and value
    (:func:`overlay_table`), ``ocell``/``ofrac`` the same as lattice cells (:func:`lattice_cells`); ``ovx``/``ovy``:
    the squared overlay distance per column / row; ``luts`` ``(n, n, n, K, 3)`` (K = 1: one LUT) and ``cells``
    ``(2, 256)``: the lattice cell and position in it of each 8-bit level; ``rtab``: ring position by squared ring
    distance (:func:`ring_table`) with ``rx``/``ry`` its profiles; ``noise`` ``(th, tw, 3)`` int8 read from
    ``noise_row``/``noise_col`` on; ``grain``: shadows, midtones, highlights (per texture step, strength folded
    in) and whether there is any."""
    wd = src.shape[1]
    th, tw = noise.shape[0], noise.shape[1]
    scale = _f32(1.0 / 255.0) if to_u8 else _ONE
    n1, n_rings, steps = luts.shape[0] - 1, luts.shape[3], otab.shape[0] - 1
    r_steps = _f32(rtab.shape[0] - 1)
    overlay_on, overlay_first, grain_on = ov[0] > 0, ov[1] > 0, grain[3] > 0
    for i in range(top, bottom):
        ny = (noise_row + i) % th
        nx = noise_col % tw
        for j in range(wd):
            it = 0  # the overlay's ramp position, as a row of otab
            if overlay_on:
                d = math.sqrt(ovx[j] + ovy[i])
                it = int(min(max((d - ov[2]) * ov[3], _ZERO), _ONE) * _f32(steps) + _HALF)
            k, w = 0, _ZERO  # the radial colour's pair of rings and the share of the outer one
            if n_rings > 1:
                pos = rtab[min(int((rx[j] + ry[i]) * r_steps + _HALF), rtab.shape[0] - 1)]
                k = min(int(pos), n_rings - 2)
                w = pos - _f32(k)
            if to_u8 and not (overlay_on and overlay_first):  # 8-bit values: the cells from the table
                vr, vg, vb = int(src[i, j, 0]), int(src[i, j, 1]), int(src[i, j, 2])
                ir, ig, ib = int(cells[0, vr]), int(cells[0, vg]), int(cells[0, vb])
                fr, fg, fb = cells[1, vr], cells[1, vg], cells[1, vb]
            else:
                if overlay_on and overlay_first:
                    if to_u8:  # the overlaid value's lattice cell and position in it, from the table
                        vr, vg, vb = int(src[i, j, 0]), int(src[i, j, 1]), int(src[i, j, 2])
                        ir, ig, ib = int(ocell[it, vr, 0]), int(ocell[it, vg, 1]), int(ocell[it, vb, 2])
                        fr, fg, fb = ofrac[it, vr, 0], ofrac[it, vg, 1], ofrac[it, vb, 2]
                    else:
                        r, g, b = (_on_value(otab, it, src[i, j, 0], 0), _on_value(otab, it, src[i, j, 1], 1),
                                   _on_value(otab, it, src[i, j, 2], 2))
                else:
                    r, g, b = src[i, j, 0] * scale, src[i, j, 1] * scale, src[i, j, 2] * scale
                if not (to_u8 and overlay_on and overlay_first):
                    ir, fr = _cell(r, n1)
                    ig, fg = _cell(g, n1)
                    ib, fb = _cell(b, n1)
            if w > 0:
                r = _corners2(luts, ib, ig, ir, k, 0, fr, fg, fb, w)
                g = _corners2(luts, ib, ig, ir, k, 1, fr, fg, fb, w)
                b = _corners2(luts, ib, ig, ir, k, 2, fr, fg, fb, w)
            else:
                r = _corners(luts, ib, ig, ir, k, 0, fr, fg, fb)
                g = _corners(luts, ib, ig, ir, k, 1, fr, fg, fb)
                b = _corners(luts, ib, ig, ir, k, 2, fr, fg, fb)
            if overlay_on and not overlay_first:
                r, g, b = _on_value(otab, it, r, 0), _on_value(otab, it, g, 1), _on_value(otab, it, b, 2)
            r, g, b = min(max(r, _ZERO), _ONE), min(max(g, _ZERO), _ONE), min(max(b, _ZERO), _ONE)
            if grain_on:
                lum = _f32(0.2126) * r + _f32(0.7152) * g + _f32(0.0722) * b
                amount = grain[0] * (_ONE - lum) ** 2 + grain[1] * _f32(2.0) * lum * (_ONE - lum) + grain[2] * lum * lum
                r = min(max(r + amount * noise[ny, nx, 0], _ZERO), _ONE)
                g = min(max(g + amount * noise[ny, nx, 1], _ZERO), _ONE)
                b = min(max(b + amount * noise[ny, nx, 2], _ZERO), _ONE)
                nx += 1
                if nx == tw:
                    nx = 0
            if to_u8:
                out[i, j, 0] = r * _f32(255.0) + _HALF
                out[i, j, 1] = g * _f32(255.0) + _HALF
                out[i, j, 2] = b * _f32(255.0) + _HALF
            else:
                out[i, j, 0], out[i, j, 1], out[i, j, 2] = r, g, b


# --- what is made once per look and once per frame size -----------------------------------------------------
def _cubic_taps(n_out: int, n_in: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices and weights ``(n_out, 4)`` of bicubic upsampling from ``n_in`` to ``n_out`` samples (torch's
    kernel, a = -0.75, half-pixel centres) with the input read periodically, so the result tiles seamlessly."""
    u = (torch.arange(n_out, dtype=torch.float64) + 0.5) * n_in / n_out - 0.5
    i0 = torch.floor(u)
    f = (u - i0)[:, None]
    taps = torch.tensor([-1.0, 0.0, 1.0, 2.0], dtype=torch.float64)
    x = (f - taps).abs()
    a = -0.75
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    weights = torch.where(x <= 1, near, torch.where(x < 2, far, torch.zeros_like(x)))
    index = (i0[:, None].long() + taps.long()) % n_in
    return index, weights.float()


@lru_cache(maxsize=4)  # one per frame size and grain: a batch, a video or the web app's previews make it once
def noise_texture(height: int, width: int, *, size: float, mono: float, seed: int = 0) -> np.ndarray:
    """Seamless film-grain texture ``(th, tw, 3)`` int8 (:data:`NOISE_STEPS` per standard deviation) for frames of
    ``height`` x ``width``: white noise on cells of ``size`` x the frame's short side, bicubically smoothed,
    unit variance per channel, ``mono`` of it shared by the channels (the statistics of
    :func:`~lookgan.kinds.preset.network.grain_field`); at most :data:`NOISE_TILE` px a side, periodic."""
    cell = max(1.0, size * min(height, width))
    th, tw = min(height, NOISE_TILE), min(width, NOISE_TILE)
    gh, gw = max(2, round(th / cell)), max(2, round(tw / cell))
    gen = torch.Generator().manual_seed(seed)
    cells = torch.randn(gh, gw, 4, generator=gen)  # one mono channel, three colour channels
    m = min(max(mono, 0.0), 1.0)
    cells = math.sqrt(m) * cells[..., :1] + math.sqrt(1 - m) * cells[..., 1:]  # mixed first: smoothing is linear
    index, weights = _cubic_taps(tw, gw)  # across first, on the few cell rows; then whole rows at once
    across = sum(weights[None, :, k, None] * cells[:, index[:, k]] for k in range(4))  # (gh, tw, 3)
    index, weights = _cubic_taps(th, gh)
    mixed = sum(weights[:, k, None, None] * across[index[:, k]] for k in range(4))  # (th, tw, 3)
    sample = mixed.reshape(-1, 3)[::7]  # a seventh of the pixels gives the deviation to 0.1 %
    mixed *= NOISE_STEPS / sample.std(dim=0).clamp_min(1e-6)
    steps = mixed.round_().clamp_(-127, 127).to(torch.int8).numpy()
    steps.flags.writeable = False  # shared by every grader that asks for it
    return steps


def overlay_table(net: PresetNet, strength: float, steps: int = OVERLAY_STEPS) -> np.ndarray:
    """The overlay of every 8-bit value at ``steps + 1`` ramp positions ``(steps + 1, 256, 3)`` float32: each
    channel's overlay depends only on its own value and the ramp position (the blend modes work per channel), so
    one table read stands for the whole blend-mode mix. Pixels take the nearest ramp position: at 1024 steps
    that moves a result by at most 1/2048 of the overlay's whole change (0.25 of a level for a full black-to-white
    ramp), and values between levels are interpolated linearly."""
    coarse = min(steps, 256)  # the overlay is quadratic in t: linear between 257 positions is within 1e-5
    t = torch.linspace(0.0, 1.0, coarse + 1).view(1, 1, coarse + 1, 1)
    values = torch.linspace(0.0, 1.0, 256).view(1, 1, 1, 256).expand(1, 3, coarse + 1, 256)
    with torch.no_grad():
        table = net.overlay_at(values, t, strength=strength)[0]  # (3, coarse + 1, 256)
        if coarse != steps:
            table = F.interpolate(table.permute(0, 2, 1).reshape(1, 3 * 256, coarse + 1), size=steps + 1,
                                  mode="linear", align_corners=True).reshape(3, 256, steps + 1).permute(0, 2, 1)
    return np.ascontiguousarray(table.permute(1, 2, 0).float().numpy())


def ring_table(rings: int, steps: int = RING_STEPS) -> np.ndarray:
    """The radial colour's continuous ring index (:func:`~lookgan.kinds.preset.network.ring_weights`: ``k + w`` blends
    ring ``k`` with ring ``k + 1`` by ``w``) at ``steps + 1`` squared ring distances from 0 to 1 (the corners)."""
    if rings < 2:
        return np.zeros(1, np.float32)
    d = np.sqrt(np.linspace(0.0, 1.0, steps + 1))
    knots = ring_knots(rings).double().numpy()
    pos = sum(np.clip((d - knots[q]) / (knots[q + 1] - knots[q]), 0.0, 1.0) for q in range(rings - 1))
    return np.asarray(pos, np.float32)


def lattice_cells(n: int) -> np.ndarray:
    """``(2, 256)`` float32: the lattice cell below each 8-bit level in a LUT of ``n`` points a side, and the
    level's position in it (:func:`~lookgan.ops.lut3d.axis_weights`, as in the LUT looks' fast path)."""
    cell, frac = axis_weights(n)
    return np.stack([cell.numpy(), frac.numpy()]).astype(np.float32)


def _profiles(n: int, centre: float, scale: float) -> np.ndarray:
    """``((coordinate - centre) * scale)²`` at the ``n`` pixel centres of one axis (normalised to [-1, 1])."""
    x = (np.arange(n, dtype=np.float64) + 0.5) / n * 2 - 1
    return (((x - centre) * scale) ** 2).astype(np.float32)


@dataclass(frozen=True)
class _Frame:
    """What depends on the frame size: distance profiles and the grain texture."""

    ovx: np.ndarray
    ovy: np.ndarray
    rx: np.ndarray
    ry: np.ndarray
    noise: np.ndarray


class FastPreset:
    """A preset look with its tables folded for one set of options, ready to grade any number of photos or
    frames; per-size data is kept for the last few sizes seen."""

    def __init__(self, net: PresetNet, lut: torch.Tensor, ring_luts: torch.Tensor, strength: float) -> None:
        v = net.values()
        tables = ring_luts if len(ring_luts) else lut[None]
        self.luts = np.ascontiguousarray(tables.float().permute(2, 3, 4, 0, 1).numpy())
        self.cells = lattice_cells(self.luts.shape[0])
        self.rtab = ring_table(len(ring_luts))
        o_in, o_out = strength * v["overlay.opacity_in"], strength * v["overlay.opacity_out"]
        on = float(max(abs(o_in), abs(o_out)) > 1e-6)
        self.ov = np.array([on, float(net.order == "overlay_first"), v["overlay.radius"],
                            1.0 / v["overlay.width"]], np.float32)
        self.otab = overlay_table(net, strength) if on else np.zeros((2, 256, 3), np.float32)
        u = np.clip(self.otab, 0.0, 1.0) * (self.luts.shape[0] - 1)  # the overlaid values' places in the LUT
        self.ocell = np.minimum(np.floor(u), self.luts.shape[0] - 2).astype(np.int8)
        self.ofrac = (u - self.ocell).astype(np.float32)
        amounts = [strength * v[f"grain.{k}"] for k in ("shadows", "midtones", "highlights")]
        # the texture holds NOISE_STEPS steps per standard deviation: the amounts are per step
        self.grain = np.array([*(a / NOISE_STEPS for a in amounts), float(max(amounts) > 0)], np.float32)
        self._v = v
        self._frames: dict[tuple[int, int], _Frame] = {}

    def frame(self, height: int, width: int) -> _Frame:
        """The per-size profiles and texture (made on first use of a size; the last 4 sizes are kept)."""
        key = (height, width)
        if key not in self._frames:
            v = self._v
            ax, ay = radial_axes(width / height, v["overlay.roundness"])
            half = 1 / math.sqrt(2)  # the radial colour's ring distance: an ellipse following the frame
            noise = (noise_texture(height, width, size=v["grain.size"], mono=v["grain.mono"])
                     if self.grain[3] else np.zeros((1, 1, 3), np.int8))
            if len(self._frames) >= 4:
                self._frames.pop(next(iter(self._frames)))
            self._frames[key] = _Frame(ovx=_profiles(width, v["overlay.centre_x"], ax),
                                       ovy=_profiles(height, v["overlay.centre_y"], ay),
                                       rx=_profiles(width, 0.0, half), ry=_profiles(height, 0.0, half), noise=noise)
        return self._frames[key]

    def __call__(self, image: np.ndarray, *, seed: int) -> np.ndarray:
        """Grade one photo or frame ``(H, W, 3)`` uint8 (or float in [0, 1]); the grain read from a place
        chosen by ``seed``. Returns a new array of the same dtype."""
        src = np.ascontiguousarray(image if image.dtype == np.uint8 else image.astype(np.float32, copy=False))
        h, w = src.shape[:2]
        f = self.frame(h, w)
        mixed = zlib.crc32((int(seed) % 2**64).to_bytes(8, "little"))
        out = np.empty_like(src)
        args = (src, out, src.dtype == np.uint8, self.ov, self.otab, self.ocell, self.ofrac, f.ovx, f.ovy, self.luts,
                self.cells, self.rtab, f.rx, f.ry, f.noise, mixed % f.noise.shape[0],
                (mixed // f.noise.shape[0]) % f.noise.shape[1], self.grain)
        # the kernel releases the GIL: bands run on all cores, as the LUT looks' chunks do
        in_parallel(lambda top: _grade(top, min(h, top + _BAND), *args), range(0, h, _BAND))
        return out


#: Rows per piece of work handed to a thread.
_BAND = 64
