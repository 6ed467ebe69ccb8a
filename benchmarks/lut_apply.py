"""LUT apply speed on a 4K photo: lookgan's FastLUT vs Pillow's ImageFilter.Color3DLUT, in the same run.

    python benchmarks/lut_apply.py [--size 33] [--repeat 5] [--json out.json]

Both apply the same 33³ LUT (a real film grade from ../shared/data/luts when present, else a smooth synthetic
grade) to the same 3840x2160 image. Rounds alternate lookgan / Pillow, so that a noisy machine hurts both alike;
``ratio`` is the median of the per-round ratios (``lookgan_s`` and ``pillow_s`` are medians too). lookgan's
time includes building its table (nothing is cached between runs); ``reused_s`` / ``reused_ratio`` are the same
with the table built once beforehand, as for video frames. ``max_diff_levels`` is the largest difference, in
8-bit levels, between lookgan's output and exact float64 trilinear interpolation. The last line printed is the
JSON: ``{"lookgan_s": ..., "pillow_s": ..., "ratio": ..., "reused_ratio": ..., "max_diff_levels": ...}``.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter

from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from lookgan.ops.lut3d import FastLUT, identity_lut, reference_apply, resample_lut
from lookgan.use.exporting.cube import read_hald

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_image(width: int, height: int) -> np.ndarray:
    photos = sorted((SHARED / "photos").glob("kodak_*")) if (SHARED / "photos").is_dir() else []
    if photos:
        return np.asarray(Image.open(photos[0]).convert("RGB").resize((width, height), Image.Resampling.BICUBIC))
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1).astype(np.uint8)


def test_lut(size: int) -> torch.Tensor:
    hald = SHARED / "luts" / "Kodak_Portra_400_2.png"
    if hald.exists():
        return resample_lut(read_hald(hald).double(), size).float()
    ident = identity_lut(size)
    return (ident ** torch.tensor([0.8, 1.0, 1.2]).view(3, 1, 1, 1)).clamp(0, 1)


def alternate(fns: dict[str, object], repeat: int) -> dict[str, list[float]]:
    """Seconds per run of each function, the functions taking turns within every round."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=33, help="LUT points per axis")
    ap.add_argument("--width", type=int, default=3840)
    ap.add_argument("--height", type=int, default=2160)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    image, lut = test_image(a.width, a.height), test_lut(a.size)
    pil_table = lut.permute(1, 2, 3, 0).reshape(-1, 3).tolist()  # red fastest, as Pillow expects
    pil_image = Image.fromarray(image)

    def run_pillow() -> Image.Image:
        return pil_image.filter(ImageFilter.Color3DLUT(a.size, pil_table))

    def run_lookgan() -> np.ndarray:
        return FastLUT(lut)(image)

    built = FastLUT(lut)
    fns = {"lookgan": run_lookgan, "pillow": run_pillow, "reused": lambda: built(image)}
    for fn in fns.values():  # warm-up
        fn()
    times = alternate(fns, a.repeat)
    lookgan_s, pillow_s, reused_s = (statistics.median(times[k]) for k in ("lookgan", "pillow", "reused"))
    ratio = statistics.median(t / p for t, p in zip(times["lookgan"], times["pillow"]))
    reused_ratio = statistics.median(t / p for t, p in zip(times["reused"], times["pillow"]))
    ours, theirs = run_lookgan(), run_pillow()
    rows = slice(0, 256)
    ref = reference_apply(image[rows], lut)
    max_diff = float(np.abs(ours[rows].astype(np.float64) - ref).max())
    pillow_diff = float(np.abs(np.asarray(theirs)[rows].astype(np.float64) - ref).max())
    print(f"lookgan {lookgan_s * 1000:7.1f} ms   pillow {pillow_s * 1000:7.1f} ms   ratio {ratio:.3f}   "
          f"(table built once: {reused_s * 1000:.1f} ms, {reused_ratio:.3f})")
    print(f"max difference from exact trilinear: lookgan {max_diff:.3f} levels, pillow {pillow_diff:.3f} levels")
    result = {"lookgan_s": round(lookgan_s, 4), "pillow_s": round(pillow_s, 4), "ratio": round(ratio, 3),
              "reused_s": round(reused_s, 4), "reused_ratio": round(reused_ratio, 3),
              "max_diff_levels": round(max_diff, 3), "pillow_max_diff_levels": round(pillow_diff, 3),
              "image": f"{a.width}x{a.height}", "lut_size": a.size, "threads": torch.get_num_threads(),
              "cpus": os.cpu_count(), "torch": torch.__version__, "machine": platform.machine()}
    emit(result, a.json)


if __name__ == "__main__":
    main()
