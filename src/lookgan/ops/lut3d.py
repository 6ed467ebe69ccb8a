"""3D colour lookup tables: identity, differentiable trilinear apply, a fast exact apply for 8-bit photos, and
the LUT-to-LUT edits (strength, keep-colour, resampling) that let every option stay a LUT.

Layout, used everywhere in lookgan: a LUT is a float tensor ``(3, n, n, n)`` indexed ``[channel, b, g, r]`` with
output colours in [0, 1]; a batch of LUTs is ``(B, 3, n, n, n)``. This is what ``F.grid_sample`` wants (depth =
blue, height = green, width = red, with grid coordinates ordered (r, g, b)), and flattening
``lut.permute(1, 2, 3, 0).reshape(-1, 3)`` gives the .cube / HaldCLUT order (red fastest, then green, then blue).

>>> lut = identity_lut(33)
>>> img = torch.rand(1, 3, 8, 8)
>>> torch.allclose(apply_lut(img, lut), img, atol=1e-6)
True
"""
from __future__ import annotations

import math

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

from .color import lab_to_rgb, rgb_to_lab


#: Table values a LUT may hold: a little outside 0..1 (as .cube files from compositing tools do); results are
#: clipped to 0..1 after interpolation.
LUT_VALUE_RANGE = (-0.5, 1.5)


def identity_lut(n: int = 33, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The LUT that changes nothing: ``(3, n, n, n)`` with ``lut[:, b, g, r] = (r, g, b) / (n - 1)``."""
    if n < 2:
        raise ValueError(f"a LUT needs at least 2 points per axis, got {n}")
    axis = torch.linspace(0.0, 1.0, n, dtype=dtype)
    b, g, r = torch.meshgrid(axis, axis, axis, indexing="ij")
    return torch.stack([r, g, b])


def lattice_colours(n: int, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The input colour of every LUT entry as ``(n, n, n, 3)`` RGB, indexed ``[b, g, r]``."""
    return identity_lut(n, dtype=dtype).permute(1, 2, 3, 0)


def lut_from_function(fn, n: int = 33) -> torch.Tensor:
    """Bake a colour mapping ``fn((N, 3) rgb) -> (N, 3) rgb`` into a ``(3, n, n, n)`` LUT (outputs clipped)."""
    rgb = lattice_colours(n, dtype=torch.float64).reshape(-1, 3)
    out = fn(rgb).to(torch.float64).clamp(0.0, 1.0)  # (n³, 3)
    return out.reshape(n, n, n, 3).permute(3, 0, 1, 2).float().contiguous()


def apply_lut(image: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
    """Trilinear interpolation of ``lut`` at every pixel; differentiable in both image and LUT.

    ``image``: ``(B, 3, H, W)`` or ``(3, H, W)`` in [0, 1]; ``lut``: ``(3, n, n, n)`` shared by the batch or
    ``(B, 3, n, n, n)`` one per image. Returns the same shape as ``image``.
    """
    batched = image.dim() == 4
    x = image if batched else image[None]
    luts = lut if lut.dim() == 5 else lut[None].expand(x.shape[0], *lut.shape)
    grid = (x.clamp(0.0, 1.0) * 2.0 - 1.0).permute(0, 2, 3, 1)[:, None]  # (B, 1, H, W, 3) ordered (r, g, b)
    out = F.grid_sample(luts.to(x.dtype), grid, mode="bilinear", padding_mode="border", align_corners=True)
    out = out[:, :, 0]  # (B, 3, H, W)
    return out if batched else out[0]


def resample_lut(lut: torch.Tensor, n: int) -> torch.Tensor:
    """The same colour mapping on an ``n``-point lattice (trilinear; exact when ``n - 1`` divides evenly)."""
    if lut.shape[-1] == n:
        return lut.clone()
    grid = identity_lut(n, dtype=lut.dtype)  # (3, n, n, n) as an "image" of n*n rows
    return apply_lut(grid.reshape(3, n * n, n), lut).reshape(3, n, n, n)


def blend_lut(lut: torch.Tensor, strength: float) -> torch.Tensor:
    """``strength`` 0 = identity, 1 = the LUT, between: a linear blend of the two tables (values above 1
    exaggerate the look, clipped to the gamut)."""
    ident = identity_lut(lut.shape[-1], dtype=lut.dtype).to(lut.device)
    return (ident + strength * (lut - ident)).clamp(*LUT_VALUE_RANGE)


def keep_colour_lut(lut: torch.Tensor) -> torch.Tensor:
    """A LUT that applies only ``lut``'s tone change: output lightness (Lab L*) from ``lut``, chroma and hue (a*,
    b*) from the input colour. It depends on the input colour alone, so it is again an exact LUT."""
    n = lut.shape[-1]
    lab_in = rgb_to_lab(lattice_colours(n, dtype=torch.float64))  # (n, n, n, 3)
    lab_out = rgb_to_lab(lut.double().permute(1, 2, 3, 0))
    mixed = torch.cat([lab_out[..., :1], lab_in[..., 1:]], dim=-1)
    return lab_to_rgb(mixed).clamp(0.0, 1.0).permute(3, 0, 1, 2).to(lut.dtype).contiguous()


def reference_apply(image: np.ndarray, lut: torch.Tensor) -> np.ndarray:
    """Trilinear interpolation straight from its definition, in float64 NumPy: the yardstick that the fast paths
    are tested and benchmarked against. ``image``: uint8 ``(H, W, 3)``; returns float64 in 8-bit levels."""
    table = lut.double().permute(1, 2, 3, 0).numpy()  # [b, g, r, c]
    n = table.shape[0]
    x = image.astype(np.float64) / 255.0 * (n - 1)
    lo = np.clip(np.floor(x).astype(np.int64), 0, n - 2)
    f = x - lo
    out = np.zeros(image.shape)
    for dr in (0, 1):
        for dg in (0, 1):
            for db in (0, 1):  # the 8 lattice corners around each colour, weighted by closeness
                w = ((f[..., 0] if dr else 1 - f[..., 0]) * (f[..., 1] if dg else 1 - f[..., 1])
                     * (f[..., 2] if db else 1 - f[..., 2]))
                out += w[..., None] * table[lo[..., 2] + db, lo[..., 1] + dg, lo[..., 0] + dr]
    return out * 255.0


# --- fast exact application to 8-bit images -------------------------------------------------------------------
_WEIGHT_BITS = 10  # interpolation weight precision along the coarse axis (1/1024)
_VALUE_SCALE = 8  # table values in 1/8 of an 8-bit level (11 bits per channel)
_FIELD_BITS = 21  # 11-bit value x 10-bit weight fits a 21-bit field: three fields share one int64 without carry
_CHUNK = 1 << 17  # pixels per work item: small enough that intermediates stay in cache


def _axis_weights(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For each 8-bit value v: the lower lattice index along an axis of n points and the fraction above it."""
    pos = torch.arange(256, dtype=torch.float64) * (n - 1) / 255.0
    lo = pos.floor().clamp(max=n - 2).long()
    return lo, pos - lo


def _expand_axis(t: torch.Tensor, dim: int, n: int) -> torch.Tensor:
    """Interpolate ``t`` along ``dim`` (n lattice points) at all 256 8-bit positions."""
    lo, frac = _axis_weights(n)
    shape = [1] * t.dim()
    shape[dim] = 256
    return torch.lerp(t.index_select(dim, lo), t.index_select(dim, lo + 1), frac.to(t.dtype).view(shape))


class FastLUT:
    """Applies one LUT to uint8 RGB images exactly (within 1 level of float trilinear) and fast.

    Why it is fast: trilinear interpolation is separable. For 8-bit input, the red and green axes are expanded to
    all 256 values once (a ``(n, 256, 256)`` table, built in milliseconds), so each pixel needs only two table
    reads and one interpolation along blue. The three output channels are packed as fixed-point fields of one
    int64, so that interpolation is a single multiply-add for all channels; work runs in cache-sized chunks on
    all cores. Build it once per LUT and reuse it for every image or video frame.
    """

    def __init__(self, lut: torch.Tensor) -> None:
        if lut.dim() != 4 or lut.shape[0] != 3 or len(set(lut.shape[1:])) != 1:
            raise ValueError(f"expected a (3, n, n, n) LUT, got {tuple(lut.shape)}")
        n = lut.shape[-1]
        table = lut.detach().float().cpu().permute(1, 2, 3, 0)  # (b, g, r, 3)
        table = _expand_axis(_expand_axis(table, 2, n), 1, n)  # (n, 256, 256, 3): coarse b, exact g and r
        # Tables with values outside 0..1 (imported .cube files) are interpolated first and clipped after, as
        # ffmpeg and Resolve do: their values are stored 128 levels up at 1/4-level precision (still 11 bits).
        wide = float(table.min()) < 0.0 or float(table.max()) > 1.0
        self._offset, scale = (128, _VALUE_SCALE // 2) if wide else (0, _VALUE_SCALE)
        q = ((table.clamp(*LUT_VALUE_RANGE) * 255 + self._offset) * scale).round().long()
        self.n = n
        self.table = (q[..., 0] | (q[..., 1] << _FIELD_BITS) | (q[..., 2] << 2 * _FIELD_BITS)).reshape(-1)
        lo, frac = _axis_weights(n)
        self._b_base = (lo * 65536).to(torch.int32)
        self._b_weight = (frac * (1 << _WEIGHT_BITS)).round().long()
        self._down = _WEIGHT_BITS + int(math.log2(scale))  # back to 8-bit levels: / 2^10 (weights) / scale
        # Half a level in each field; no carry between fields: 2040 * 2^10 + 2^12 < 2^21.
        self._half = sum((1 << (self._down - 1)) << (_FIELD_BITS * c) for c in range(3))

    def _chunk(self, x: torch.Tensor, out: torch.Tensor) -> None:
        codes = torch.zeros(x.shape[0], 4, dtype=torch.uint8)
        codes[:, :3] = x
        code = codes.view(torch.int32).view(-1)  # r | g << 8 | b << 16 (little-endian bytes)
        b = code >> 16
        idx = self._b_base.index_select(0, b).add_(code & 0xFFFF)  # b0 * 65536 + g * 256 + r
        lower = self.table.index_select(0, idx)
        upper = self.table.index_select(0, idx + 65536)
        w = self._b_weight.index_select(0, b)
        # every field: value * 2^10, plus half a level so the shifts below round
        mixed = lower.mul_((1 << _WEIGHT_BITS) - w).add_(upper.mul_(w)).add_(self._half)
        for c in range(3):
            if self._offset:
                out[:, c] = (((mixed >> (_FIELD_BITS * c + self._down)) & 511) - self._offset).clamp_(0, 255)
            else:
                out[:, c] = (mixed >> (_FIELD_BITS * c + self._down)) & 255

    def __call__(self, image: np.ndarray | torch.Tensor) -> np.ndarray:
        """``image``: uint8 ``(H, W, 3)``; returns a new uint8 ``(H, W, 3)`` numpy array."""
        if isinstance(image, np.ndarray):
            image = np.ascontiguousarray(image)
            x = torch.from_numpy(image if image.flags.writeable else image.copy())
        else:
            x = image.contiguous()
        if x.dtype != torch.uint8 or x.dim() != 3 or x.shape[-1] != 3:
            raise ValueError(f"FastLUT expects a uint8 (H, W, 3) image, got {x.dtype} {tuple(x.shape)}")
        flat = x.reshape(-1, 3)
        out = torch.empty_like(flat)
        starts = range(0, flat.shape[0], _CHUNK)
        workers = min(len(starts), torch.get_num_threads(), os.cpu_count() or 1)
        if workers <= 1:
            for s in starts:
                self._chunk(flat[s:s + _CHUNK], out[s:s + _CHUNK])
        else:
            # Chunks run in parallel Python threads (torch releases the GIL inside ops); each op is single-threaded
            # there, which avoids oversubscribing the cores.
            with _single_threaded_ops(), ThreadPoolExecutor(workers) as pool:
                list(pool.map(lambda s: self._chunk(flat[s:s + _CHUNK], out[s:s + _CHUNK]), starts))
        return out.reshape(x.shape).numpy()


_THREADS_LOCK = threading.Lock()


class _single_threaded_ops:
    """Set torch's intra-op threads to 1 for the duration (restored after), serialised across callers."""

    def __enter__(self) -> None:
        _THREADS_LOCK.acquire()
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        torch.set_num_threads(self._threads)
        _THREADS_LOCK.release()


def apply_lut_image(image: np.ndarray, lut: torch.Tensor, *, fast: FastLUT | None = None) -> np.ndarray:
    """Apply ``lut`` to a full-resolution image held as numpy ``(H, W, 3)``.

    uint8 images take the :class:`FastLUT` path; float images (16-bit sources read as float) are interpolated
    in float32 in row bands, so memory stays bounded at any size. Returns the same dtype it was given.
    """
    if image.dtype == np.uint8:
        return (fast or FastLUT(lut))(image)
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    out = torch.empty_like(x)
    band = max(1, (1 << 20) // max(1, x.shape[1]))
    with torch.no_grad():
        for top in range(0, x.shape[0], band):
            rows = x[top:top + band].permute(2, 0, 1)  # (3, h, W)
            out[top:top + band] = apply_lut(rows, lut.float()).clamp(0.0, 1.0).permute(1, 2, 0)
    return out.numpy()
