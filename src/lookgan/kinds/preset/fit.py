"""The non-adversarial fits of the ``preset`` kind: colour given distance from the centre, and grain from
high-pass statistics.

**Rings.** Every frame (squashed to a square, so normalised coordinates stay exact) is cut into rings of equal
area around the centre; the loss is the sliced Wasserstein distance between the colours of the graded photos and
of the style images *in each ring*, summed. A global colour fit sees one distribution; this one sees how it
changes towards the corners, which is all a radial overlay does.

**Grain.** Added noise raises the high-pass energy of the luma (and, for colour grain, of the chroma) above what
the same pipeline gives the photos without grain. On crops at the images' own resolution we measure that excess
per luminance band in two frequency bands; the amounts follow from our grain's known high-pass gain and its size
from the ratio of the two bands (a 1-D search over sizes); the colour share from the chroma excess.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ...ops.grain import grain_field
from ...ops.lut3d import apply_lut
from ...ops.transfer import ot_lut
from .network import frame_grid, luma, radial_distance, ring_distance, ring_edges, ring_weights, with_grain


def cell_ids(size: int, grid: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Cell index ``(size * size,)`` of every pixel of a square frame cut into ``grid`` x ``grid`` equal cells
    (position-aware: a shifted or asymmetric overlay changes the cells differently)."""
    idx = torch.arange(size, device=device) * grid // size
    return (idx.view(-1, 1) * grid + idx.view(1, -1)).flatten()


def ring_ids(size: int, n_rings: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Ring index ``(size * size,)`` of every pixel of a square frame: distance from the centre in normalised
    coordinates (corners at 1), cut so that the rings hold equal areas."""
    x, y = frame_grid(size, size, device=device)
    return torch.bucketize(ring_distance(x, y).flatten(), ring_edges(n_rings).to(device)[1:-1])


def sliced_w2(a: torch.Tensor, b: torch.Tensor, directions: torch.Tensor, *, n: int,
              generator: torch.Generator) -> torch.Tensor:
    """Sliced Wasserstein-2 (squared) between point sets ``a`` ``(N, 3)`` and ``b`` ``(M, 3)``: ``n`` points of
    each drawn at random, projected on ``directions`` ``(3, K)``, sorted and matched."""
    ia = torch.randint(0, a.shape[0], (n,), generator=generator).to(a.device)
    ib = torch.randint(0, b.shape[0], (n,), generator=generator).to(b.device)
    pa = torch.sort(a[ia] @ directions, dim=0).values
    pb = torch.sort(b[ib] @ directions, dim=0).values
    return (pa - pb).pow(2).mean()


def ring_loss(output: torch.Tensor, style: torch.Tensor, rings: torch.Tensor, n_rings: int, *,
              generator: torch.Generator, n_directions: int = 32, n_points: int = 2048) -> torch.Tensor:
    """Sum over rings of the sliced W2 between the colours of ``output`` and ``style`` (``(B, 3, S, S)`` in [0, 1])
    in that ring."""
    directions = F.normalize(torch.randn(3, n_directions, generator=generator), dim=0).to(output.device)
    out_px = output.permute(0, 2, 3, 1).reshape(output.shape[0], -1, 3)  # (B, S*S, 3)
    sty_px = style.permute(0, 2, 3, 1).reshape(style.shape[0], -1, 3)
    total = output.new_zeros(())
    for r in range(n_rings):
        sel = rings == r
        total = total + sliced_w2(out_px[:, sel].reshape(-1, 3), sty_px[:, sel].reshape(-1, 3), directions,
                                  n=n_points, generator=generator)
    return total


def ring_pixels(frames: torch.Tensor, sel: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """Up to ``n`` pixels ``(N, 3)`` (float64) of squashed frames ``(B, 3, S, S)`` where the flat mask ``sel`` is."""
    px = frames.permute(0, 2, 3, 1).reshape(frames.shape[0], -1, 3)[:, sel].reshape(-1, 3)
    if px.shape[0] > n:
        px = px[torch.randperm(px.shape[0], generator=generator)[:n]]
    return px.double().cpu()


def ring_ot_luts(photos: torch.Tensor, style: torch.Tensor, rings: int, *, n: int, pixels: int, iterations: int,
                 seed: int = 0) -> torch.Tensor:
    """One optimal-transport LUT per ring ``(rings, 3, n, n, n)``: the colours of ``photos`` in each of ``rings``
    equal-area rings of squashed frames ``(B, 3, S, S)`` carried onto those of ``style`` in the same ring.

    With the LUTs at the rings' middles and blended between them (:func:`~lookgan.kinds.preset.network.radial_colour`)
    this is the radial colour layer; applied ring by ring with no blend it is the *ring baseline* of
    benchmarks/preset_quality.py (the same fit)."""
    size = photos.shape[-1]
    ids = ring_ids(size, rings, photos.device)
    gen = torch.Generator().manual_seed(seed)
    return torch.stack([ot_lut(ring_pixels(photos, ids == k, pixels, gen), ring_pixels(style, ids == k, pixels, gen),
                               n=n, iterations=iterations, seed=seed + k).to(photos.device) for k in range(rings)])


def radial_effect(ring_luts: torch.Tensor, pixels: torch.Tensor, n: int = 8) -> torch.Tensor:
    """Mean colour ``(n, 3)`` of the same ``pixels`` ``(N, 3)`` through the radial colour layer at ``n`` equal
    distance bins from the centre (corners at 1): how the layer changes colour with position, free of content
    (every bin sees the same pixels), which a grade on top of a vignette cannot hide."""
    image = pixels.float().T.reshape(1, 3, -1, 1)
    d = ((torch.arange(n, dtype=torch.float32) + 0.5) / n).to(ring_luts.device)
    w = ring_weights(d.view(n, 1, 1, 1), ring_luts.shape[0])[:, :, 0, 0]  # (n, K)
    per_ring = torch.stack([apply_lut(image.to(ring_luts), lut)[0, :, :, 0].mean(1) for lut in ring_luts])  # (K, 3)
    return w @ per_ring


def radial_profile(frames: torch.Tensor, aspects: torch.Tensor, n: int = 8) -> torch.Tensor:
    """Mean colour ``(n, 3)`` of squashed frames ``(B, 3, S, S)`` in ``n`` equal bins of the distance from the
    centre (a circle in pixels, given each frame's ``aspects``; corners at 1)."""
    x, y = frame_grid(frames.shape[-2], frames.shape[-1], device=frames.device)
    d = radial_distance(x, y, aspect=aspects.view(-1, 1, 1, 1), centre=torch.zeros(2), roundness=torch.tensor(0.0))
    idx = (d.clamp(0, 1 - 1e-6) * n).long().expand(-1, 3, -1, -1)  # (B, 3, S, S)
    sums = torch.zeros(3, n).scatter_add_(1, idx.transpose(0, 1).reshape(3, -1), frames.transpose(0, 1).reshape(3, -1))
    counts = torch.zeros(n).scatter_add_(0, idx[:, 0].reshape(-1), torch.ones(idx[:, 0].numel()))
    return (sums / counts.clamp_min(1)).T


def init_overlay(style: torch.Tensor, graded: torch.Tensor) -> dict[str, float]:
    """Overlay settings (names of :data:`PresetNet.RANGES`) from the radial profiles ``(n, 3)`` of the style
    set and of the graded photos: their ratio, relative to the centre, is matched by a multiply (darker towards
    the edge) or screen (lighter) ramp from ``radius`` over ``width`` (grid search; colour by least squares)."""
    n = style.shape[0]
    ratio = (style / graded.clamp_min(1e-3)) / (style[0] / graded[0].clamp_min(1e-3))  # (n, 3), 1 at the centre
    d = (torch.arange(n) + 0.5) / n
    best = None
    for r0 in torch.linspace(0.0, 0.9, 10):
        for w in torch.linspace(0.1, 1.5, 15):
            t = ((d - r0) / w).clamp(0, 1)[:, None]  # (n, 1)
            k = (t * (ratio - 1)).sum(0) / (t * t).sum().clamp_min(1e-9)  # per channel: ratio ~ 1 + k t
            err = float(((1 + k * t - ratio) ** 2).sum())
            if best is None or err < best[0]:
                best = (err, float(r0), float(w), k)
    _, r0, w, k = best  # type: ignore[misc]
    end = 1 + k  # the ratio at the end of the ramp
    darker = float(end.mean()) <= 1.0
    mean_graded = float(graded.mean())
    colour = end.clamp(0, 1) if darker else ((end - 1) * mean_graded / max(1 - mean_graded, 1e-3)).clamp(0, 1)
    values = {"overlay.radius": r0, "overlay.width": w, "overlay.roundness": 0.0, "overlay.opacity_in": 0.95,
              "overlay.opacity_out": 0.95, "overlay.centre_x": 0.0, "overlay.centre_y": 0.0}
    inner = 1.0 if darker else 0.0  # white multiplies and black screens to nothing
    for i, c in enumerate("rgb"):
        values[f"overlay.colour_in_{c}"] = inner
        values[f"overlay.colour_out_{c}"] = float(colour[i])
    values["overlay.mode_multiply" if darker else "overlay.mode_screen"] = 0.96
    return values


# --- grain ----------------------------------------------------------------------------------------------------
def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1).contiguous(), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1).contiguous(), groups=c)


#: The two frequency bands (Gaussian sigmas in pixels): fine = x - blur(1), coarse = blur(1) - blur(3).
BANDS = (1.0, 3.0)
MARGIN = 8


@dataclass(frozen=True)
class GrainStats:
    """High-pass energy of a set of crops, for shadows, midtones and highlights: fine and coarse band of the
    luma, and the fine band of R - G (colour grain); each a low quantile over 8x8 blocks (see :func:`grain_stats`)."""

    fine: torch.Tensor  # (3,)
    coarse: torch.Tensor  # (3,)
    chroma: torch.Tensor  # (3,)


def _bands(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fine and coarse high-pass energy maps of ``y`` ``(B, 1, H, W)`` and its smooth version, margins cut."""
    smooth1, smooth3 = _blur(y, BANDS[0]), _blur(y, BANDS[1])
    inner = (slice(None), slice(None), slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    return (y - smooth1)[inner] ** 2, (smooth1 - smooth3)[inner] ** 2, smooth3[inner]


#: Block side and the quantile of block energies that grain statistics use: grain lifts the energy of the
#: flattest blocks (sky, walls), where a photo's own texture is nearly zero, while the mean energy of two sets of
#: different photos differs by tens of percent from content alone (measured on our development cases).
BLOCK, QUANTILE = 8, 0.2


def grain_stats(crops: torch.Tensor | list[torch.Tensor]) -> GrainStats:
    """:class:`GrainStats` of crops (``(B, 3, H, W)`` in [0, 1], or a list of such of any sizes)."""
    blocks: list[list[torch.Tensor]] = [[], [], [], []]  # fine, coarse, chroma, luminance of every block
    for batch in crops if isinstance(crops, list) else [crops]:
        fine, coarse, lum = _bands(luma(batch))
        rg = batch[:, :1] - batch[:, 1:2]
        chroma = _bands(rg)[0]
        for i, m in enumerate((fine, coarse, chroma, lum)):
            blocks[i].append(F.avg_pool2d(m, BLOCK).flatten())
    fine, coarse, chroma, lum = (torch.cat(b) for b in blocks)
    band = torch.bucketize(lum, torch.tensor([1 / 3, 2 / 3]))  # shadows, midtones, highlights

    def low(x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x[band == k].quantile(QUANTILE) if bool((band == k).any()) else x.quantile(QUANTILE)
                            for k in range(3)])

    return GrainStats(fine=low(fine), coarse=low(coarse), chroma=low(chroma))


def grain_response(size_px: float, *, side: int = 160, seed: int = 0) -> tuple[float, float]:
    """Fine and coarse band energy of our unit-variance grain at ``size_px`` pixels per grain cell."""
    field = grain_field(side, side, size=size_px / side, mono=1.0, seed=seed)[:, :1]
    fine, coarse, _ = _bands(field)
    return float(fine.mean()), float(coarse.mean())


#: How many times the style set's flattest blocks must out-energise the graded photos' to count as grain.
GRAIN_RATIO = 8.0

#: Variance of the luma of unit colour grain (three independent channels, Rec. 709 weights).
_COLOUR_LUMA_VAR = 0.2126**2 + 0.7152**2 + 0.0722**2


@dataclass(frozen=True)
class GrainFit:
    amounts: tuple[float, float, float]
    size_px: float
    mono: float


def fit_grain(style: GrainStats, graded: GrainStats, *, sizes: tuple[float, ...] | None = None) -> GrainFit:
    """Grain amounts (shadows, midtones, highlights), size in pixels and mono share that raise ``graded``'s
    high-pass energy to ``style``'s (zero amounts when the style has no excess)."""
    sizes = sizes or tuple(float(s) for s in torch.logspace(math.log10(0.6), math.log10(6.0), 12))
    # Grain lifts the flattest blocks' energy many times over (x25-x270 on our grain cases); two sets of different
    # photos differ by a few times at most (x1-x6 on the filters without grain): below GRAIN_RATIO, no grain.
    real = style.fine >= GRAIN_RATIO * graded.fine.clamp_min(1e-7)
    excess_fine = torch.where(real, style.fine - graded.fine, torch.zeros(())).clamp_min(0)
    excess_coarse = torch.where(real, style.coarse - graded.coarse, torch.zeros(())).clamp_min(0)
    if float(excess_fine.max()) <= 1e-6:
        return GrainFit((0.0, 0.0, 0.0), 1.0, 1.0)
    ratio = float(excess_coarse.sum() / excess_fine.sum().clamp_min(1e-12))
    responses = {s: grain_response(s) for s in sizes}
    size = min(sizes, key=lambda s: abs(math.log((responses[s][1] + 1e-9) / responses[s][0]) - math.log(ratio + 1e-9)))
    gain = responses[size][0]
    # R - G of grain with mono share m: 2 (1 - m) a^2 gain; its luma: (m + 0.56 (1 - m)) a^2 gain. Their ratio
    # q gives m; then the amounts.
    q = float((style.chroma - graded.chroma).clamp_min(0).mean()) / max(float(excess_fine.mean()), 1e-12)
    mono = min(1.0, max(0.0, (2 - _COLOUR_LUMA_VAR * q) / (2 + (1 - _COLOUR_LUMA_VAR) * q)))
    luma_var = mono + _COLOUR_LUMA_VAR * (1 - mono)
    amounts = tuple(float(math.sqrt(float(e) / (gain * luma_var))) for e in excess_fine)
    return GrainFit(amounts, size, mono)  # type: ignore[arg-type]


#: Grain sizes tried around the closed-form estimate by :func:`calibrate_grain` (factors), and its rounds of
#: amount correction.
SIZE_STEPS, CALIBRATION_ROUNDS = (0.5, 0.6, 0.7, 0.85, 1.0, 1.2, 1.45), 2


def simulate_grain(crops: list[tuple[torch.Tensor, tuple[int, int, int, int]]], fit: GrainFit,
                   short_side: float) -> GrainStats:
    """:func:`grain_stats` of ``crops`` (each with its place (top, left, H, W) in its frame) after adding our
    grain as a look would: its size a fraction (``fit.size_px / short_side``) of each frame's own short side."""
    amounts = torch.tensor(fit.amounts)
    out = []
    for i, (crop, (_, _, h, w)) in enumerate(crops):
        ch, cw = crop.shape[-2:]
        size = fit.size_px / short_side * min(h, w) / min(ch, cw)  # the frame's grain cell, in the crop's terms
        noise = grain_field(ch, cw, size=size, mono=fit.mono, seed=1000 + i, device=crop.device)
        out.append(with_grain(crop, noise, amounts.to(crop)))
    return grain_stats(out)


def _band_ratio(stats: GrainStats, base: GrainStats) -> float:
    """Coarse over fine excess energy of ``stats`` over ``base``: the grain's size, whatever its amount."""
    fine = (stats.fine - base.fine).clamp_min(0).sum()
    return float((stats.coarse - base.coarse).clamp_min(0).sum() / fine.clamp_min(1e-12))


def calibrate_grain(fit: GrainFit, style: GrainStats, crops: list[tuple[torch.Tensor, tuple[int, int, int, int]]],
                    short_side: float) -> GrainFit:
    """Correct the closed-form :func:`fit_grain` by simulation: add the fitted grain to the graded ``crops`` the
    way the look will and measure it with the same statistics. The size is the candidate whose coarse/fine
    excess ratio matches the style's; then the amounts are rescaled until the simulated excess over the crops
    matches the style's, band by band.

    Why: the closed form assumes the mean energy of an unbounded field, but the statistics are a low quantile of
    8x8 block energies (below the mean, the more so the larger the grain), the grain is clipped at black and
    white, and a look's grain size is a fraction of each frame's short side, so crops of frames of other sizes
    see other cells (measured: docs/results/preset.md)."""
    if max(fit.amounts) <= 0:
        return fit
    base = grain_stats([c for c, _ in crops])
    target = _band_ratio(style, base)
    sizes = [GrainFit(fit.amounts, fit.size_px * step, fit.mono) for step in SIZE_STEPS]
    trial = min(sizes, key=lambda f: abs(math.log((_band_ratio(simulate_grain(crops, f, short_side), base) + 1e-9)
                                                  / (target + 1e-9))))
    want = (style.fine - base.fine).clamp_min(0)
    for _ in range(CALIBRATION_ROUNDS):
        excess = (simulate_grain(crops, trial, short_side).fine - base.fine).clamp_min(1e-9)
        scale = (want / excess).clamp(0.25, 4.0).sqrt()
        trial = GrainFit(tuple(float(a * k) for a, k in zip(trial.amounts, scale)), trial.size_px, trial.mono)
    return trial
