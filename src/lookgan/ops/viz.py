"""Pictures people look at instead of numbers: image grids, strips, loss curves and LUT previews."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from ..core.io import atomic_write
from ..data.images import as_uint8, save_image, to_uint8
from .lut3d import apply_lut, identity_lut


def make_grid(images: torch.Tensor, *, nrow: int | None = None, padding: int = 2,
              value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Tile ``(N, 3, H, W)`` images into one uint8 ``(H', W', 3)`` picture, ``nrow`` per row (default ~square).

    >>> make_grid(torch.zeros(4, 3, 8, 8), nrow=2).shape
    (22, 22, 3)
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"make_grid expects (N, 3, H, W), got {tuple(images.shape)}")
    n, _, h, w = images.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    lo, hi = value_range
    x = ((images.detach().float().cpu() - lo) / (hi - lo)).clamp(0, 1)
    grid = torch.ones(3, rows * (h + padding) + padding, nrow * (w + padding) + padding)
    for i in range(n):
        r, c = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[:, top:top + h, left:left + w] = x[i]
    return to_uint8(grid.permute(1, 2, 0).numpy())


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < window or window < 2:
        return values
    kernel = np.ones(window) / window
    head = np.array([values[: i + 1].mean() for i in range(window - 1)])
    return np.concatenate([head, np.convolve(values, kernel, mode="valid")])


def plot_curves(history: Sequence[dict[str, Any]], path: str | Path, *, title: str = "") -> None:
    """Plot ``[{"step": s, "losses": {name: value}}, ...]`` as one panel per loss (raw faint, smoothed bold)
    and write it to ``path`` (PNG) atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({k for rec in history for k in rec["losses"]})
    if not names:
        return
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        pts = [(rec["step"], rec["losses"][name]) for rec in history if name in rec["losses"]]
        steps = np.array([p[0] for p in pts])
        vals = np.array([p[1] for p in pts], dtype=np.float64)
        ax.plot(steps, vals, color="tab:blue", alpha=0.3, linewidth=0.8)
        ax.plot(steps, _smooth(vals, max(1, len(vals) // 20)), color="tab:blue", linewidth=1.6)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format=path.suffix.lstrip(".") or "png"))
    plt.close(fig)


def lut_preview(lut: torch.Tensor, *, levels: int = 4, cell: int = 96) -> np.ndarray:
    """A LUT as a picture: for ``levels`` blue values, the red x green plane of input colours (top row) and what
    the LUT makes of them (bottom row). uint8 ``(H, W, 3)``."""
    n = lut.shape[-1]
    idx = [round(i * (n - 1) / max(1, levels - 1)) for i in range(levels)]
    ident = identity_lut(n)
    planes_in = torch.stack([ident[:, b] for b in idx])  # (levels, 3, g, r)
    planes_out = apply_lut(planes_in, lut.float().cpu())
    both = torch.cat([planes_in, planes_out]).flip(-2)  # green increasing upwards, as in a chart
    both = torch.nn.functional.interpolate(both, size=(cell, cell), mode="nearest")
    return make_grid(both * 2 - 1, nrow=levels, padding=4)


def save_strip(images: list[np.ndarray], path: Path, height: int = 160) -> Path:
    """Images side by side at one height, white gaps; written as PNG."""
    tiles = []
    for img in images:
        img = as_uint8(img)
        h, w = img.shape[:2]
        tiles.append(np.asarray(Image.fromarray(img).resize((max(1, round(w * height / h)), height),
                                                            Image.Resampling.LANCZOS)))
    gap = np.full((height, 6, 3), 255, np.uint8)
    row = np.concatenate([x for t in tiles for x in (t, gap)][:-1], axis=1)
    save_image(row, path)
    return path


def plot_frame_stats(profiles: dict[str, np.ndarray], grain: dict[str, Any], path: str | Path) -> Path:
    """Radial L*, a*, b* profiles (``name -> (rings, 3)``) and grain (``name -> Grain``: energy and
    autocorrelation) of a few image sets, four panels side by side, written to ``path`` atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"photos": "tab:gray", "style set": "tab:orange", "results": "tab:blue", "true versions": "tab:green"}
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    for name, prof in profiles.items():
        rings = np.arange(len(prof)) + 0.5
        for c, (ax, label) in enumerate(zip(axes[:3], ("L*", "a*", "b*"))):
            ax.plot(rings / len(prof), prof[:, c], marker="o", markersize=3, label=name, color=colours.get(name))
            ax.set_title(f"{label} from centre to corner", fontsize=10)
            ax.set_xlabel("ring (equal areas; 1 = corners)", fontsize=8)
    ax = axes[3]
    for name, g in grain.items():
        lags = np.arange(len(g.autocorr) + 1)
        ax.plot(lags, np.concatenate([[1.0], g.autocorr]), marker="o", markersize=3, color=colours.get(name),
                label=f"{name}: energy {g.energy * 1e4:.2f}e-4")
    ax.set_title("grain: fine-band autocorrelation", fontsize=10)
    ax.set_xlabel("lag (px, full resolution)", fontsize=8)
    ax.axhline(0, color="k", linewidth=0.5)
    for a in axes:
        a.tick_params(labelsize=8)
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
    plt.close(fig)
    return path
