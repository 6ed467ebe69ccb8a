"""What a colour metric cannot see: where in the frame a look changes things, and the grain it adds.

* :func:`lab_profile` — mean L*, a*, b* in rings from the centre to the corners (equal-area rings of the
  normalised distance, an ellipse that follows the frame, corners at 1): vignettes, warm centres and coloured
  corners show as a slope, whatever the size or aspect of the photo;
* :func:`grain_spectrum` — the fine band of the luma (luma minus its 5x5 box blur) at the photo's own
  resolution: its energy in the flattest quarter of 8x8 blocks (sky, walls: where grain shows and edges do not)
  and its autocorrelation at 1..6 px (a fast fall = fine grain, a slow one = coarse grain or soft detail).

Both are plain functions of one image; the evaluation averages them over a set and compares sets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ...data.images import as_float
from ...ops.color import rgb_to_lab

RINGS = 8
LAGS = 6
_GRAIN_SIDE = 512  # centre crop (px, at full resolution) the grain is measured on


def lab_profile(image: np.ndarray, rings: int = RINGS) -> np.ndarray:
    """Mean CIE L*, a*, b* ``(rings, 3)`` of ``image`` ``(H, W, 3)`` per ring, centre first."""
    lab = rgb_to_lab(torch.from_numpy(as_float(image)).double()).numpy()
    h, w = lab.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    d2 = (((x + 0.5) / w * 2 - 1) ** 2 + ((y + 0.5) / h * 2 - 1) ** 2) / 2  # squared distance, corners at 1
    idx = np.minimum((d2 * rings).astype(int), rings - 1)  # equal-area rings
    counts = np.bincount(idx.ravel(), minlength=rings).clip(min=1)
    return np.stack([np.bincount(idx.ravel(), weights=lab[..., c].ravel(), minlength=rings) / counts
                     for c in range(3)], axis=1)


def profile_error(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |difference| of two lightness profiles (``(rings, 3)``), each taken relative to its centre ring: how
    far apart the centre-to-corner fall-off is, whatever the overall brightness."""
    la, lb = a[:, 0] - a[0, 0], b[:, 0] - b[0, 0]
    return float(np.abs(la - lb)[1:].mean())


@dataclass
class Grain:
    """Fine-band statistics of one image (or the mean over a set)."""

    energy: float
    """Mean square of the fine band in the flattest quarter of 8x8 blocks ([0, 1] luma units squared)."""
    autocorr: np.ndarray
    """Autocorrelation of the fine band at lags 1..LAGS px (1 at lag 0, not stored)."""

    @staticmethod
    def mean(items: list["Grain"]) -> "Grain":
        return Grain(float(np.mean([g.energy for g in items])), np.mean([g.autocorr for g in items], axis=0))


def grain_spectrum(image: np.ndarray, *, side: int = _GRAIN_SIDE, lags: int = LAGS) -> Grain:
    """The fine band's energy and autocorrelation in a centre crop of ``image`` at its own resolution."""
    rgb = torch.from_numpy(as_float(image)).double()
    h, w = rgb.shape[:2]
    top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
    rgb = rgb[top:top + side, left:left + side]
    luma = (rgb @ torch.tensor([0.2126, 0.7152, 0.0722], dtype=rgb.dtype))[None, None]
    fine = (luma - F.avg_pool2d(F.pad(luma, (2, 2, 2, 2), mode="replicate"), 5, stride=1))[0, 0]
    bh, bw = fine.shape[0] // 8, fine.shape[1] // 8
    if bh == 0 or bw == 0:
        return Grain(0.0, np.zeros(lags))
    blocks = fine[:bh * 8, :bw * 8].reshape(bh, 8, bw, 8).permute(0, 2, 1, 3).reshape(bh * bw, 64)
    energy = blocks.pow(2).mean(1)
    flat = energy <= torch.quantile(energy, 0.25)
    flat_energy = float(energy[flat].mean())
    # autocorrelation over the flattest blocks (lags within a block, both directions)
    b = blocks[flat].reshape(-1, 8, 8)
    var = float(b.pow(2).mean()) or 1.0
    corr = [float(((b[:, :, k:] * b[:, :, :-k]).mean() + (b[:, k:, :] * b[:, :-k, :]).mean()) / (2 * var))
            if k < 8 else 0.0 for k in range(1, lags + 1)]
    return Grain(flat_energy, np.array(corr))
