"""The preset demo (``lookgan demo --kind preset``): an Instagram-style filter with a warm-to-plum radial gradient,
a vignette and film grain is applied to 40 bundled photos (the "feed"); lookgan learns it unpaired as a ``preset``
from those and 40 other plain photos, and is scored on 14 held-out photos against their true filtered versions,
beside a global optimal-transport LUT (the best a colour-only look does).

The filter is written here with its own formulas (a smoothstep gradient blended in Pegtop soft light, a smoothstep
vignette, blurred Gaussian grain heavier in the midtones), not with lookgan's preset layers, so the demo shows how
well the layers approximate a look they were not made from.
"""
from __future__ import annotations

import math
import shutil
import time
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ...kinds.base import Progress
from ...kinds.look import look_settings
from ...training.run import train
from ..applying import apply
from ..eval.evaluation import EvalOptions, evaluate_look
from ..eval.report import Section, write_report
from ..exporting import export
from .common import Log, compare_strips, evaluate_identity, write_case

CREAM, PLUM = np.array([1.0, 0.86, 0.62]), np.array([0.36, 0.16, 0.42])
GRAIN_SIZE = 0.004  # blur sigma as a fraction of the short side
GRAIN_AMOUNT = 0.035


def _smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _grain(h: int, w: int, seed: int) -> np.ndarray:
    """Unit-variance Gaussian noise blurred with sigma = GRAIN_SIZE x the short side (at least 0.5 px)."""
    sigma = max(0.5, GRAIN_SIZE * min(h, w))
    radius = int(math.ceil(3 * sigma))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=torch.float64) / sigma) ** 2)
    taps = taps / taps.sum()
    noise = torch.randn(1, 1, h + 2 * radius, w + 2 * radius, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64)
    noise = F.conv2d(F.conv2d(noise, taps.view(1, 1, 1, -1)), taps.view(1, 1, -1, 1))[0, 0]
    return (noise / noise.std()).numpy()


def golden_filter(image: np.ndarray, stem: str) -> np.ndarray:
    """The demo's look on a photo ``(H, W, 3)`` uint8; grain seeded by the file ``stem`` (reruns are equal)."""
    x = image.astype(np.float64) / 255.0
    h, w = x.shape[:2]
    x = 0.05 + 0.92 * x  # faded blacks and highlights
    x = np.clip(x * np.array([1.05, 1.0, 0.88]) + np.array([0.02, 0.0, 0.0]), 0, 1)  # warm
    x = x + 0.3 * x * (1 - x) * (2 * x - 1)  # a gentle S-curve
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.sqrt((((xx + 0.5) / w * 2 - 1) ** 2 + ((yy + 0.5) / h * 2 - 1) ** 2) / 2)[..., None]  # corners at 1
    t = _smoothstep(0.2, 1.0, r)
    source = CREAM + (PLUM - CREAM) * t
    pegtop = (1 - 2 * source) * x * x + 2 * source * x  # Pegtop soft light
    x = x + (0.45 + 0.35 * t) * (pegtop - x)
    x = x * (1 - 0.3 * _smoothstep(0.45, 1.1, r))  # vignette
    luma = x @ np.array([0.2126, 0.7152, 0.0722])
    amount = GRAIN_AMOUNT * (0.5 + 2 * luma * (1 - luma))  # heavier in the midtones
    x = x + (amount * _grain(h, w, zlib.crc32(stem.encode())))[..., None]
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def preset_demo(out: str | Path = "demo-out/preset", *, minutes: float = 4.0, steps: int = 3000,
                progress_fn: Callable[[Progress], None] | None = None, log: Log = print,
                preset_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Learn :func:`golden_filter` as a ``preset``, compare with a global OT LUT, export for ffmpeg, write
    ``report.html``. Returns the report path, the look, the metrics per method, the wall time and what to print."""
    t0 = time.monotonic()
    out = Path(out)
    for sub in ("data", "looks", "applied", "report_files"):
        shutil.rmtree(out / sub, ignore_errors=True)
    case = write_case(out / "data", golden_filter)
    log(f"1/5 made the demo data in {case}: 40 photos through an Instagram-style filter (gradient, vignette, "
        "grain), 40 plain photos, 14 held out with their true filtered versions")
    looks = out / "looks"
    t = time.monotonic()
    train("ot", case / "style", photos=case / "content", out=looks / "ot.look", overwrite=True)
    timings = {"ot": time.monotonic() - t}
    log(f"2/5 fitted the baseline (global optimal-transport LUT, {timings['ot']:.0f} s)")
    log(f"3/5 training the preset (colour + radial overlay + grain) for up to {minutes:g} min ...")
    t = time.monotonic()
    result = train("preset", case / "style", photos=case / "content", out=looks / "preset.look", overwrite=True,
                   steps=steps, minutes=minutes, config=preset_config, progress_fn=progress_fn)
    timings["preset"] = time.monotonic() - t
    files = out / "report_files"
    metrics: dict[str, dict[str, Any]] = {}
    for kind in ("ot", "preset"):
        metrics[kind] = evaluate_look(looks / f"{kind}.look", photos=case / "held", truth=case / "truth",
                                      style=case / "style", out=files / kind / "report.html",
                                      options=EvalOptions(progress=False, faces=False))
    plain = evaluate_identity(case)
    metrics = {"unchanged photo": {"delta_e2000": plain["delta_e2000"],
                                   "radial_l_truth": metrics["preset"]["radial_l_truth_before"],
                                   "grain_energy_ratio": metrics["preset"]["grain_energy_ratio_before"]}, **metrics}
    log("4/5 scored both on the held-out photos: mean ΔE2000 " + ", ".join(
        f"{k} {v['delta_e2000']:.2f}" for k, v in metrics.items()))
    applied = apply(looks / "preset.look", case / "held", out=out / "applied", progress=False)
    script = export(looks / "preset.look", format="ffmpeg", out=out / "look.ffmpeg")
    rows = compare_strips(case, looks, applied, files, label="lookgan preset", height=240)
    names = {"unchanged photo": "unchanged photo", "ot": "global optimal-transport LUT",
             "preset": "*lookgan preset (colour + overlay + grain)"}  # '*': the row in bold
    table = [[names[k], m["delta_e2000"], m["radial_l_truth"], m.get("grain_energy_ratio", float("nan")),
              f"{timings[k]:.0f} s" if k in timings else "-"] for k, m in metrics.items()]
    settings = [[name, f"{v:.4g}", f"{lo:g} .. {hi:g}"] for name, (v, lo, hi) in look_settings(looks / "preset.look").items()]
    sections = [
        Section("How close each gets to the true filter",
                [f"Scored on {metrics['preset']['n_images']} held-out photos against the same photos through the "
                 "true filter. ΔE2000: about 1 is just noticeable. Vignette error: how far the centre-to-corner "
                 "lightness fall-off (L* in 8 rings) is from the truth's. Grain energy: fine-band energy over "
                 "the style set's (1 = as grainy)."],
                table=(["method", "mean ΔE2000", "vignette error (L*)", "grain energy", "time"], table)),
        Section("Before and after", figure_rows=rows),
        Section("Across the frame, and the grain",
                ["Radial profiles of photos, style set, results and true versions, and the grain's fine band."],
                figure_rows=[[(files / "preset" / "report_files" / "frame-and-grain.png", "the preset")],
                             [(files / "ot" / "report_files" / "frame-and-grain.png", "the global OT LUT")]]),
        Section("What it learnt", ["The preset's settings: sliders in the web app, `--set NAME=VALUE` on the "
                                   "command line."], table=(["setting", "value", "range"], settings)),
        Section("Training", [f"{result.step} steps in {result.elapsed_s:.0f} s on this machine."],
                figure_rows=[[(p, cap) for p, cap in ((result.loss_plot, "losses"),
                                                      (result.sample_path, "photo | result | nearest style image"))
                              if p is not None]]),
        Section("Files", [f"The look: {looks / 'preset.look'}",
                          f"For ffmpeg (colour, overlay and grain): {script} with {script.with_suffix('.cube')}",
                          f"All held-out photos with the look: {out / 'applied'}",
                          f"Full evaluation reports: {files / 'preset' / 'report.html'}, "
                          f"{files / 'ot' / 'report.html'}"]),
    ]
    report = write_report(out / "report.html", "lookgan demo: learning a filter with a vignette and grain", sections)
    log(f"5/5 applied the preset to the held-out photos, exported {script} for ffmpeg, wrote the report")
    scores = {k: {m: v.get(m) for m in ("delta_e2000", "radial_l_truth", "grain_energy_ratio")}
              for k, v in metrics.items()}
    summary = [f"  {name:16s} mean ΔE2000 {m['delta_e2000']:5.2f}   vignette error {m['radial_l_truth']:5.2f}"
               for name, m in scores.items()] + [f"ffmpeg script: {script}", f"report: {report}"]
    return {"report": report, "look": looks / "preset.look", "script": script, "metrics": scores,
            "steps": result.step, "elapsed_s": time.monotonic() - t0, "summary": summary}
