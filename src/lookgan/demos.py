"""The embedded demos run by ``lookgan demo`` / ``make demo``, on images shipped inside the package.

``colour_demo`` (the main one) shows the core promise with a known answer: a creator's feed is simulated by
grading 40 bundled photos with a real film grade (``assets/colour_demo/grade.png``); lookgan learns the look
unpaired from those and 40 *other* plain photos, and is scored on 14 held-out photos against their true graded
versions, beside the Reinhard and optimal-transport baselines. ``dcgan_demo`` trains the baseline generator.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Callable

from .applying import apply
from .eval.evaluation import EvalOptions, evaluate_look
from .eval.report import Section, write_report
from .eval.truth import truth_metrics
from .exporting import export, look_lut
from .exporting.cube import read_hald
from .data.images import list_images, read_image, save_image
from .errors import InputError
from .generating import generate
from .ops.lut3d import FastLUT
from .training.loop import Progress
from .training.run import train
from .viz import lut_preview, save_strip

ASSETS = Path(__file__).resolve().parent / "assets"
Log = Callable[[str], None]


def _split(images: list[Path]) -> dict[str, list[Path]]:
    """Deterministic split: every 7th image held out, the rest alternately style and content."""
    parts: dict[str, list[Path]] = {"style": [], "content": [], "held": []}
    rest = []
    for i, p in enumerate(images):
        (parts["held"] if i % 7 == 0 else rest).append(p)
    for i, p in enumerate(rest):
        parts["style" if i % 2 == 0 else "content"].append(p)
    return parts


def build_case(root: Path) -> Path:
    """Write the demo's known-answer case under ``root``: style/ (graded), content/, held/ and truth/."""
    grade = FastLUT(read_hald(ASSETS / "colour_demo" / "grade.png"))
    photos, faces = list_images(ASSETS / "colour_demo" / "photos"), list_images(ASSETS / "demo_faces")
    mixed = [p for pair in zip(photos, faces) for p in pair] + faces[len(photos):]  # landscapes and people
    for name, paths in _split(mixed).items():
        (root / name).mkdir(parents=True, exist_ok=True)
        if name == "held":
            (root / "truth").mkdir(parents=True, exist_ok=True)
        for p in paths:
            pixels = read_image(p, keep_8bit=True)
            if name == "style":
                save_image(grade(pixels), root / "style" / f"{p.stem}.png")
            else:
                shutil.copyfile(p, root / name / p.name)
            if name == "held":
                save_image(grade(pixels), root / "truth" / f"{p.stem}.png")
    return root


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
    log(f"3/5 training the GAN look (image-adaptive 3D LUT) for up to {minutes:g} min ...")
    t = time.monotonic()
    gan = train("lut", case / "style", photos=case / "content", out=looks / "lut.look", overwrite=True, steps=steps,
                minutes=minutes, config=gan_config, progress_fn=progress_fn)
    timings["lut"] = time.monotonic() - t
    metrics = {"unchanged photo": evaluate_identity(case)}
    for kind in ("reinhard", "ot", "lut"):
        metrics[kind] = evaluate_look(looks / f"{kind}.look", photos=case / "held", truth=case / "truth",
                                      options=EvalOptions(progress=False))
    log("4/5 scored every look on the held-out photos: mean ΔE2000 " + ", ".join(
        f"{k} {v['delta_e2000']:.2f}" for k, v in metrics.items()))
    applied = apply(looks / "lut.look", case / "held", out=out / "applied", progress=False)
    cube = export(looks / "lut.look", format="cube", out=out / "look.cube")
    files = out / "report_files"
    files.mkdir(parents=True, exist_ok=True)
    held = list_images(case / "held")
    # Sorted by name the held-out set is portraits (numbered) then photos: show two of each.
    middle = slice(len(held) // 2 - 2, len(held) // 2 + 2)
    ot_dir = out / "report_files" / "ot"
    apply(looks / "ot.look", held[middle], out=ot_dir, progress=False)
    rows = []
    for i, (src, graded) in enumerate(zip(held[middle], applied[middle])):
        images = [read_image(p, keep_8bit=True) for p in (src, graded, ot_dir / graded.name,
                                                          case / "truth" / f"{src.stem}.png")]
        row = save_strip(images, files / f"compare-{i}.png", height=200)
        rows.append([(row, f"{src.name}: photo | lookgan (GAN LUT) | optimal transport | true grade")])
    save_image(lut_preview(look_lut(looks / "lut.look")), files / "lut-learnt.png")
    save_image(lut_preview(read_hald(ASSETS / "colour_demo" / "grade.png")), files / "lut-true.png")
    names = {"unchanged photo": "unchanged photo", "reinhard": "Reinhard (Lab mean/std)",
             "ot": "optimal transport (Pitié)", "lut": "lookgan GAN (adaptive 3D LUT)"}
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
        Section("Training", [f"{gan.step} steps in {gan.elapsed_s:.0f} s on this machine."],
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


def evaluate_identity(case: Path) -> dict[str, Any]:
    """Scores of doing nothing: how far the held-out photos are from their graded versions to begin with."""
    return truth_metrics(lambda image: image, case / "held", case / "truth", progress=False)


def dcgan_demo(out: str | Path = "demo-out", *, minutes: float = 3.0, steps: int = 3000,
               progress_fn: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    """A DCGAN on the shipped portraits for a few minutes, then a grid of new faces.

    Returns the paths of the look, its latest sample grid, the loss plot, a generated contact sheet, the steps
    trained, the wall time and the lines to print."""
    out = Path(out)
    look_dir = out / "faces-dcgan.look"
    # Half-width networks (ngf/ndf 32) run ~3x faster than DCGAN's 64 on two CPU cores (benchmarks/
    # train_step.py), so a few minutes give ~2000 steps; DiffAugment keeps D from memorising 64 images.
    cfg = {"method": {"ngf": 32, "ndf": 32, "augment": "translation,cutout"},
           "train": {"sample_every": 250, "checkpoint_every": 500}}
    result = train("dcgan", ASSETS / "demo_faces", out=look_dir, steps=steps, minutes=minutes, size=64, batch=16,
                   seed=0, overwrite=True, config=cfg, progress_fn=progress_fn)
    files = generate(look_dir, 64, out=out / "generated", seed=0, grid=True, progress=False)
    res = {"look": look_dir, "samples": result.sample_path or look_dir / "preview.jpg",
           "loss_plot": result.loss_plot or look_dir / "loss.png", "generated_grid": files[-1],
           "steps": result.step, "elapsed_s": result.elapsed_s}
    res["summary"] = [f"sample grid (training): {res['samples']}", f"loss plot:              {res['loss_plot']}",
                      f"64 new faces:           {res['generated_grid']}",
                      f"the look:               {look_dir}  (try: lookgan info {look_dir})"]
    return res


def demo_images_dir() -> Path:
    """The small portrait set shipped inside the package (see its LICENSE.md)."""
    return ASSETS / "demo_faces"


#: ``lookgan demo --kind NAME``: (what it says it does, the function, default minutes).
DEMOS: dict[str, tuple[str, Callable[..., dict[str, Any]], float]] = {
    "lut": ("learning a colour look from bundled photos", colour_demo, 4.0),
    "dcgan": ("a DCGAN learns to draw portraits from the 64 bundled images", dcgan_demo, 3.0),
}


def run_demo(out: str | Path = "demo-out", *, kind: str = "lut", minutes: float | None = None,
             steps: int | None = None, progress_fn: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    """Run demo ``kind`` (see :data:`DEMOS`) with its default budget unless ``minutes``/``steps`` say otherwise."""
    if kind not in DEMOS:
        raise InputError(f"demo kind must be one of {', '.join(DEMOS)}, got {kind!r}")
    _, run, default_minutes = DEMOS[kind]
    return run(out, minutes=default_minutes if minutes is None else minutes, steps=steps or 3000,
               progress_fn=progress_fn)
