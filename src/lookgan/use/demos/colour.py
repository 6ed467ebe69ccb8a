"""The colour demo (``lookgan demo``, the default): a creator's feed is simulated by grading 40 bundled photos with
a real film grade (``assets/colour_demo/grade.png``); lookgan learns the look unpaired from those and 40 *other*
plain photos, and is scored on 14 held-out photos against their true graded versions, beside the Reinhard and
optimal-transport baselines."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any, Callable

from ...data.images import save_image
from ...kinds.base import Progress
from ...ops.lut3d import FastLUT
from ...ops.viz import lut_preview
from ...training.run import train
from ..applying import apply
from ..eval.evaluation import EvalOptions, evaluate_look
from ..eval.report import Section, write_report
from ..exporting import export, look_lut
from ..exporting.cube import read_hald
from .common import ASSETS, Log, compare_strips, evaluate_identity, write_case


def build_case(root: Path) -> Path:
    """Write the demo's known-answer case under ``root``: style/ (graded), content/, held/ and truth/."""
    grade = FastLUT(read_hald(ASSETS / "colour_demo" / "grade.png"))
    return write_case(root, lambda pixels, _name: grade(pixels))


def _figures(case: Path, looks: Path, applied: list[Path], files: Path) -> list[list[tuple[Path, str]]]:
    """The report's pictures in ``files``: four held-out photos as photo | GAN LUT | OT | truth strips (the rows
    returned), and the learnt and the true LUT drawn as colour-cube slices."""
    files.mkdir(parents=True, exist_ok=True)
    rows = compare_strips(case, looks, applied, files, label="lookgan (GAN LUT)", height=200)
    save_image(lut_preview(look_lut(looks / "lut.look")), files / "lut-learnt.png")
    save_image(lut_preview(read_hald(ASSETS / "colour_demo" / "grade.png")), files / "lut-true.png")
    return rows


def colour_demo(out: str | Path = "demo-out", *, minutes: float = 4.0, steps: int = 3000,
                progress_fn: Callable[[Progress], None] | None = None, log: Log = print,
                gan_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Learn a film grade from bundled photos, compare with baselines, export a .cube, write ``report.html``.

    Returns the report path, the looks, the metrics per method, the wall time and the lines to print."""
    t0 = time.monotonic()
    out = Path(out)
    if out.exists():
        for sub in ("data", "looks", "applied", "report_files"):
            shutil.rmtree(out / sub, ignore_errors=True)
    case = build_case(out / "data")
    log(f"1/5 made the demo data in {case}: 40 photos graded with a film look (style), 40 plain photos "
        "(content), 14 held out with their true graded versions")
    looks = out / "looks"
    timings: dict[str, float] = {}
    for kind in ("reinhard", "ot"):
        t = time.monotonic()
        train(kind, case / "style", photos=case / "content", out=looks / f"{kind}.look", overwrite=True)
        timings[kind] = time.monotonic() - t
    log(f"2/5 fitted the baselines (Reinhard {timings['reinhard']:.0f} s, optimal transport {timings['ot']:.0f} s)")
    log(f"3/5 learning the lut look (image-adaptive 3D LUT; its GAN stage, if turned on, for up to {minutes:g} "
        "min) ...")
    t = time.monotonic()
    gan = train("lut", case / "style", photos=case / "content", out=looks / "lut.look", overwrite=True, steps=steps,
                minutes=minutes, config=gan_config, progress_fn=progress_fn)
    timings["lut"] = time.monotonic() - t
    stage = json.loads((looks / "lut.look" / "look.json").read_text())["data"].get("colour_stage", {})
    metrics = {"unchanged photo": evaluate_identity(case)}
    for kind in ("reinhard", "ot", "lut"):
        metrics[kind] = evaluate_look(looks / f"{kind}.look", photos=case / "held", truth=case / "truth",
                                      options=EvalOptions(progress=False))
    log("4/5 scored every look on the held-out photos: mean ΔE2000 " + ", ".join(
        f"{k} {v['delta_e2000']:.2f}" for k, v in metrics.items()))
    applied = apply(looks / "lut.look", case / "held", out=out / "applied", progress=False)
    cube = export(looks / "lut.look", format="cube", out=out / "look.cube")
    files = out / "report_files"
    rows = _figures(case, looks, applied, files)
    names = {"unchanged photo": "unchanged photo", "reinhard": "Reinhard (Lab mean/std)",
             "ot": "optimal transport (Pitié)", "lut": "lookgan lut (the default)"}
    best = min(("reinhard", "ot", "lut"), key=lambda k: metrics[k]["delta_e2000"])
    table_rows = [[("*" if k == best else "") + names[k], m["delta_e2000"], m["delta_e2000_p95"], m["psnr"],
                   f"{timings[k]:.0f} s" if k in timings else "-"] for k, m in metrics.items()]
    sections = [
        Section("How close each method gets to the true look",
                [f"Scored on {metrics['lut']['n_images']} held-out photos that no method saw, against the same "
                 "photos graded with the true film look. ΔE2000: about 1 is just noticeable, under 2 is hard to "
                 "see side by side. The best learnt method is in bold."],
                table=(["method", "mean ΔE2000", "95th pct ΔE2000", "PSNR dB", "time"], table_rows)),
        Section("Before and after", figure_rows=rows),
        Section("The learnt LUT",
                ["Each picture: four slices of the colour cube (blue rising left to right); top row the input "
                 "colours, bottom row what the LUT makes of them."],
                figure_rows=[[(files / "lut-learnt.png", "learnt (mean over the photos)"),
                              (files / "lut-true.png", "the true film grade")]]),
        Section("Training", [f"{gan.step} GAN steps in {gan.elapsed_s:.0f} s on this machine. "
                             f"{stage.get('why', '').capitalize()}."],
                figure_rows=[[(p, cap) for p, cap in ((gan.loss_plot, "losses"),
                                                      (gan.sample_path, "photo | graded | nearest style image"))
                              if p is not None]]),
        Section("Files", [f"The look: {looks / 'lut.look'}", f"As a .cube for editors and ffmpeg: {cube}",
                          f"All held-out photos with the look: {out / 'applied'}",
                          "Try: lookgan apply " + str(looks / "lut.look") + " YOUR_PHOTO.jpg --out graded/"]),
    ]
    report = write_report(out / "report.html", "lookgan demo: learning a film look from 40 photos", sections)
    log(f"5/5 applied the look to the held-out photos, exported {cube}, wrote the report")
    scores = {k: {m: v[m] for m in ("delta_e2000", "psnr")} for k, v in metrics.items()}
    summary = [f"  {name:16s} mean ΔE2000 {m['delta_e2000']:5.2f}   PSNR {m['psnr']:5.2f} dB"
               for name, m in scores.items()] + [f".cube for editors and ffmpeg: {cube}", f"report: {report}"]
    return {"report": report, "looks": looks, "cube": cube, "metrics": scores, "steps": gan.step,
            "elapsed_s": time.monotonic() - t0, "summary": summary}
