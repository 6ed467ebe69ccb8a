"""The ``preset`` grain estimator on known grain under strong grades, with the colour given exactly.

For each grain case of benchmarks/preset_cases.py (grade, vignette, grain amount, size, mono share), 24 photos
get the whole look (the "style" crops) and 24 *other* photos the same grade and vignette without grain (the
graded photos a perfect colour fit would give). The closed-form fit (:func:`fit_grain`) and the calibrated one
(:func:`calibrate_grain`, simulation on the graded crops) are compared with the truth: amounts, size and mono
share as ratios / differences, and the grain energy each fit puts on the graded crops over what the true grain
puts there (``energy``; the style crops' own texture shows as ``style_over_truth``).

    python benchmarks/grain_calibration.py --json docs/results/grain_calibration.json
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import emit  # noqa: E402
from lookgan.data.images import as_float  # noqa: E402
from lookgan.kinds.preset.fit import GrainFit, calibrate_grain, fit_grain, grain_stats, simulate_grain  # noqa: E402
from preset_cases import GRAIN_CASES, _images, film_vignette_grain  # noqa: E402

N, CROP = 24, 192


def boxed(images: list[Image.Image]) -> list[tuple[torch.Tensor, tuple[int, int, int, int]]]:
    """Centre crops at full resolution with their place in the frame (as the preset kind reads them)."""
    out = []
    for im in images:
        a = np.asarray(im)
        h, w = a.shape[:2]
        c = min(CROP, h, w)
        top, left = (h - c) // 2, (w - c) // 2
        out.append((torch.from_numpy(as_float(a[top:top + c, left:left + c])).permute(2, 0, 1)[None], (top, left, h, w)))
    return out


def run_case(name: str, images: list[Image.Image]) -> dict:
    lut, vignette, start, amount, size, mono = GRAIN_CASES[name]
    look = dict(lut=lut, vignette=vignette, start=start, size=size, mono=mono)
    style = boxed([film_vignette_grain(im, amount=amount, seed=i, **look) for i, im in enumerate(images[:N])])
    graded = boxed([film_vignette_grain(im, amount=0.0, seed=i, **look) for i, im in enumerate(images[60:60 + N])])
    short = float(np.median([min(im.size) for im in images[:N]]))
    stats = grain_stats([c for c, _ in style])
    truth = GrainFit((amount,) * 3, size * short, mono)
    true_energy = float(simulate_grain(graded, truth, short).fine.sum())
    closed = fit_grain(stats, grain_stats([c for c, _ in graded]))
    t0 = time.monotonic()
    calibrated = calibrate_grain(closed, stats, graded, short)
    seconds = time.monotonic() - t0
    out = {"style_over_truth": round(float(stats.fine.sum()) / true_energy, 3), "calibrate_s": round(seconds, 2)}
    for label, fit in (("closed_form", closed), ("calibrated", calibrated)):
        out[label] = {"amounts": [round(a / amount, 3) for a in fit.amounts],
                      "size": round(fit.size_px / truth.size_px, 3), "mono": round(fit.mono, 3),
                      "true_mono": mono,
                      "energy": round(float(simulate_grain(graded, fit, short).fine.sum()) / true_energy, 3)}
    print(name, out, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", default=list(GRAIN_CASES))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(2)
    images = _images()
    emit({"benchmark": "grain_calibration", "cases": {name: run_case(name, images) for name in args.cases}},
         args.json)


if __name__ == "__main__":
    main()
