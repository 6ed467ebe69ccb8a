"""Scores against a known answer: a look applied to photos whose truly graded versions exist (``--truth DIR``).

Mean CIEDE2000 (ΔE2000, perceptual colour difference: ~1 is just noticeable, under 2 hard to see side by side)
PSNR and SSIM, per image and averaged over images. Files are matched by name stem, so ``held/IMG_1.jpg`` is compared
with ``truth/IMG_1.png``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from ...core.errors import InputError
from ...data.images import DEFAULT_MAX_PIXELS, as_float, downscale_for_metrics, list_images, read_image
from ...data.transforms import unit_range
from ...ops.color import delta_e2000_rgb, psnr, rgb_to_lab
from .content import ssim


def matched_pairs(photos: str | Path, truth: str | Path) -> list[tuple[Path, Path]]:
    """(photo, truth) paths with the same stem; an error naming both folders when none match."""
    truth_by_stem = {p.stem: p for p in list_images(truth)}
    pairs = [(p, truth_by_stem[p.stem]) for p in list_images(photos) if p.stem in truth_by_stem]
    if not pairs:
        raise InputError(f"no photo in {photos} has a counterpart of the same name in {truth}; name each true "
                         "graded version like its photo (IMG_1.jpg -> IMG_1.png)")
    return pairs


def _as_float(image: np.ndarray) -> torch.Tensor:
    return unit_range(torch.from_numpy(np.ascontiguousarray(image)), torch.float64)


def image_scores(result: np.ndarray, truth: np.ndarray, *, ssim_side: int = 512) -> dict[str, float]:
    """ΔE2000 (mean and 95th percentile) and PSNR between two ``(H, W, 3)`` images of the same size, at full
    resolution, and SSIM on luma with the longer side reduced to ``ssim_side`` (structure at 24 MP costs
    seconds and says no more)."""
    if result.shape != truth.shape:
        raise InputError(f"result {result.shape[1]}x{result.shape[0]} and truth {truth.shape[1]}x{truth.shape[0]} "
                         "differ in size; the truth must be the same photo, graded, not resized")
    a, b = _as_float(result), _as_float(truth)
    de = delta_e2000_rgb(a, b).flatten()
    return {"delta_e2000": float(de.mean()), "delta_e2000_p95": float(torch.quantile(de.float(), 0.95)),
            "psnr": psnr(a, b), "ssim": ssim(downscale_for_metrics(result, ssim_side),
                                             downscale_for_metrics(truth, ssim_side))}


def truth_metrics(transform: Callable[[np.ndarray], np.ndarray], photos: str | Path, truth: str | Path, *,
                  max_pixels: int = DEFAULT_MAX_PIXELS, progress: bool = True) -> dict[str, Any]:
    """Apply ``transform`` (uint8 image -> uint8 image) to each photo and score it against its truth.

    Returns the means over images (``delta_e2000``, ``delta_e2000_p95``, ``psnr``, ``ssim``), ``n_images`` and
    ``per_image`` (name -> scores)."""
    per_image: dict[str, dict[str, float]] = {}
    for photo, true in tqdm(matched_pairs(photos, truth), desc="scoring", unit="img", disable=not progress):
        result = transform(read_image(photo, max_pixels=max_pixels, keep_8bit=True))
        per_image[photo.name] = image_scores(result, read_image(true, max_pixels=max_pixels, keep_8bit=True))
    keys = ("delta_e2000", "delta_e2000_p95", "psnr", "ssim")
    means = {k: float(np.mean([s[k] for s in per_image.values()])) for k in keys}
    return {**means, "n_images": len(per_image), "per_image": per_image}


def hue_shift_degrees(before: np.ndarray, after: np.ndarray, mask: np.ndarray, *, min_chroma: float = 5.0) -> float:
    """Mean absolute hue change (degrees, Lab) over ``mask`` (weights in [0, 1]), on pixels with some chroma."""
    a, b = (rgb_to_lab(torch.from_numpy(as_float(x))) for x in (before, after))
    ha, hb = torch.atan2(a[..., 2], a[..., 1]), torch.atan2(b[..., 2], b[..., 1])
    diff = torch.rad2deg(torch.atan2(torch.sin(hb - ha), torch.cos(hb - ha))).abs()
    w = torch.from_numpy(mask.astype(np.float32)) * (torch.hypot(a[..., 1], a[..., 2]) > min_chroma).float()
    return float((diff * w).sum() / w.sum().clamp_min(1e-6))
