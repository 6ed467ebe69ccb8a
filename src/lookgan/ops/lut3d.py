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
from collections.abc import Callable
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
_CHUNK = 1 << 18  # pixels per work item: intermediates (2 MB each) stay in a core's L2 cache; per-op overhead amortised


def axis_weights(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For each 8-bit value v: the lower lattice index along an axis of n points and the fraction above it."""
    pos = torch.arange(256, dtype=torch.float64) * (n - 1) / 255.0
    lo = pos.floor().clamp(max=n - 2).long()
    return lo, pos - lo


def _axis_matrix(n: int) -> torch.Tensor:
    """``(256, n)`` float32: row v interpolates an axis of n lattice points at the 8-bit value v (two non-zeros),
    so that expanding an axis is one matrix product."""
    lo, frac = axis_weights(n)
    m = torch.zeros(256, n, dtype=torch.float64)
    rows = torch.arange(256)
    m[rows, lo] = 1.0 - frac
    m[rows, lo + 1] = frac
    return m.float()


def _codes(raw: np.ndarray) -> torch.Tensor:
    """``r | g << 8 | b << 16`` (int32) for the pixels in ``raw``, their uint8 bytes plus one more: read as
    overlapping unaligned 4-byte words three bytes apart (one pass, no unpacking), the fourth byte masked off."""
    words = np.ndarray(((raw.shape[0] - 1) // 3,), dtype="<i4", buffer=raw, strides=(3,))  # r in the low byte
    return torch.from_numpy(np.bitwise_and(words, 0xFFFFFF, dtype=np.int32))


class FastLUT:
    """Applies one LUT to uint8 RGB images exactly (within 1 level of float trilinear) and fast.

    Why it is fast: trilinear interpolation is separable. For 8-bit input, the red and green axes are expanded to
    all 256 values once (a ``(n, 256, 256)`` table, two matrix products: about 20 ms for 33³), so each pixel
    needs only two table reads and one interpolation along blue. The three output channels are packed as
    fixed-point fields of one int64 (packing is linear, so a field may go negative in between: only the sum has
    to be in range), stored as the lower corner (with half a level added, for rounding) and the step to the
    upper one: interpolation is one multiply-add for all channels. Pixels are read as unaligned 4-byte words
    (no unpacking), and chunks that fit in cache run on all cores. Build it once per LUT and reuse it for every
    image or video frame.
    """

    def __init__(self, lut: torch.Tensor) -> None:
        if lut.dim() != 4 or lut.shape[0] != 3 or len(set(lut.shape[1:])) != 1:
            raise ValueError(f"expected a (3, n, n, n) LUT, got {tuple(lut.shape)}")
        n = lut.shape[-1]
        small = lut.detach().float().cpu().clamp(*LUT_VALUE_RANGE)
        # Tables with values outside 0..1 (imported .cube files) are interpolated first and clipped after, as
        # ffmpeg and Resolve do: their values are stored 128 levels up at 1/4-level precision (still 11 bits).
        wide = float(small.min()) < 0.0 or float(small.max()) > 1.0
        self._offset, scale = (128, _VALUE_SCALE // 2) if wide else (0, _VALUE_SCALE)
        small = (small * 255 + self._offset) * scale  # fixed-point units; interpolation commutes with this
        axis = _axis_matrix(n)
        by_r = torch.matmul(small.permute(1, 2, 0, 3), axis.T).permute(0, 1, 3, 2).reshape(n, n, 256 * 3)
        self.n = n
        self._down = _WEIGHT_BITS + int(math.log2(scale))  # back to 8-bit levels: / 2^10 (weights) / scale
        # Half a level in each field; no carry between fields: 2040 * 2^10 + 2^12 < 2^21.
        half = sum((1 << (self._down - 1)) << (_FIELD_BITS * c) for c in range(3))
        fields = torch.tensor([1.0, 2.0 ** _FIELD_BITS, 2.0 ** (2 * _FIELD_BITS)], dtype=torch.float64)
        table = torch.matmul(axis, by_r).round_()  # (b, 256 g, 256 r * 3)
        # Packed in float64, where these integers and their sums (< 2^53) are exact; one conversion after.
        packed = torch.mv(table.view(-1, 3).double(), fields).long().view(n, 65536)  # [b, g * 256 + r]
        self._lower = (packed[:-1] << _WEIGHT_BITS).add_(half).view(-1)
        self._step = (packed[1:] - packed[:-1]).view(-1)
        lo, frac = axis_weights(n)
        # code + _rebase[b] = b0 * 65536 + g * 256 + r, b0 the blue lattice cell below b
        self._rebase = ((lo - torch.arange(256)) * 65536).to(torch.int32)
        self._b_weight = (frac * (1 << _WEIGHT_BITS)).round().long()

    def _chunk(self, raw: np.ndarray, out: torch.Tensor) -> None:
        code = _codes(raw)
        b = code >> 16
        idx = code.add_(self._rebase.index_select(0, b))
        mixed = torch.addcmul(self._lower.index_select(0, idx), self._step.index_select(0, idx),
                              self._b_weight.index_select(0, b))
        for c in range(3):
            if self._offset:
                field = mixed >> (_FIELD_BITS * c + self._down)
                out[:, c] = ((field & 511) - self._offset).clamp_(0, 255)
            else:  # one pass per channel: the cast to uint8 keeps the low 8 bits, the field's value
                np.right_shift(mixed.numpy(), _FIELD_BITS * c + self._down, out=out[:, c].numpy(), casting="unsafe")

    def __call__(self, image: np.ndarray | torch.Tensor) -> np.ndarray:
        """``image``: uint8 ``(H, W, 3)``; returns a new uint8 ``(H, W, 3)`` numpy array."""
        if isinstance(image, torch.Tensor):
            image = image.detach().cpu().numpy()
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"FastLUT expects a uint8 (H, W, 3) image, got {image.dtype} {tuple(image.shape)}")
        raw = np.ascontiguousarray(image).reshape(-1)
        pixels = raw.shape[0] // 3
        out = torch.empty(pixels, 3, dtype=torch.uint8)

        def run(s: int) -> None:
            e = min(s + _CHUNK, pixels)
            # each chunk's bytes and the one after (the last chunk: a copy with a spare byte)
            chunk = raw[3 * s:3 * e + 1] if e < pixels else np.append(raw[3 * s:], np.uint8(0))
            self._chunk(chunk, out[s:e])

        in_parallel(run, range(0, pixels, _CHUNK))
        return out.reshape(image.shape).numpy()


def in_parallel(fn: Callable[[int], None], items: range) -> None:
    """``fn(i)`` for every item, on all cores: in parallel Python threads (torch and NumPy release the GIL inside
    ops), each op single-threaded there, which avoids oversubscribing the cores."""
    workers = min(len(items), torch.get_num_threads(), os.cpu_count() or 1)
    if workers <= 1:
        for i in items:
            fn(i)
        return
    with _single_threaded_ops(), ThreadPoolExecutor(workers) as pool:
        list(pool.map(fn, items))


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
