"""The evaluation report of a look: one HTML page with its pictures in a folder beside it.

What a person wants to see first: the look on real photos (before | after | true version), for colour looks
the LUT itself, for generators a sample sheet with each image's nearest training image (is it copying?), then
every number with one line on what it means, then how training went.
"""
from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...core.errors import InputError
from ...data.images import save_image
from ...kinds.look import Look, look_settings
from ...ops.viz import lut_preview, make_grid, plot_frame_stats, save_strip
from ...prior import verdict
from ..exporting import look_lut
from .frame import Grain
from .report import Section, write_report

_BEFORE_AFTER_ROWS = 8


#: metric name -> (short label, one line on what it means), for the report table and ``lookgan eval``'s output.
METRIC_MEANINGS: dict[str, tuple[str, str]] = {
    "swd": ("SWD x1e3", "multi-scale sliced Wasserstein distance of local texture/structure to the reference "
            "set (Karras et al. 2018); lower is closer"),
    "color_swd": ("colour distance", "sliced Wasserstein distance between Lab colour distributions, in Lab units; "
                  "lower is closer"),
    "fid": ("FID", "Fréchet Inception distance to the reference set (standard FID network); lower is closer; "
            "biased upwards for small sets"),
    "kid": ("KID", "kernel Inception distance (unbiased MMD²); lower is closer; fair for small sets"),
    "content_ssim": ("content kept", "SSIM structure term between each photo and its result (1 = every edge and "
                     "texture kept, whatever the tone change)"),
    "face_shift": ("face shift %", "mean face-landmark displacement in % of face size (MediaPipe face mesh); "
                   "~0 = faces kept"),
    "face_detected_before": ("faces found before", "fraction of photos with a face found before the look"),
    "face_detected_after": ("faces found after", "fraction of photos with a face found after the look"),
    "delta_e2000": ("mean ΔE2000", "mean CIEDE2000 to the true version (1 ≈ just noticeable, < 2 hard to see)"),
    "delta_e2000_p95": ("ΔE2000 95th pct", "95th percentile of per-pixel ΔE2000 to the true version"),
    "psnr": ("PSNR dB", "PSNR to the true version; higher is closer"),
    "ssim": ("SSIM", "SSIM to the true version (luma); 1 = identical"),
    "radial_l": ("vignette error", "mean |difference| of the centre-to-corner lightness profile (L* in 8 rings, "
                 "relative to the centre) to the style set's; 0 = the same fall-off"),
    "radial_l_truth": ("vignette error vs truth", "the same against each photo's true version"),
    "grain_energy_ratio": ("grain energy ratio", "fine-band luma energy in the flattest blocks, results over the "
                           "style set's; 1 = as grainy as the look"),
    "nn_gen": ("NN distance, generated", "median RMS distance (32 px, [0, 1]) from each generated image to its "
               "nearest training image"),
    "nn_held": ("NN distance, reals", "the same for real images the generator never saw (the reference)"),
    "nn_ratio": ("NN ratio", "nn_gen / nn_held: ≈ 1 generalises, well below 1 copies training images"),
    "copy_rate": ("copy rate", "fraction of generated images closer to a training image than 95 % of unseen "
                  "reals are"),
    "n_images": ("images", "images evaluated"),
}


@dataclass
class Restyled:
    """What evaluating a restyling look keeps per photo: small copies for set metrics and pictures."""

    names: list[str] = field(default_factory=list)
    before: list[np.ndarray] = field(default_factory=list)  # at content_side
    after: list[np.ndarray] = field(default_factory=list)
    truth: dict[str, np.ndarray] = field(default_factory=dict)
    style_examples: torch.Tensor | None = None  # a few style crops (N, 3, S, S) in [0, 1], for the report
    per_image: dict[str, dict[str, Any]] = field(default_factory=dict)
    grain: dict[str, list[Grain]] = field(default_factory=dict)
    """Fine-band statistics at full resolution: "photos", "results", "true versions", "style set"."""
    profiles: dict[str, np.ndarray] = field(default_factory=dict)
    """Mean radial L*, a*, b* profile ``(rings, 3)`` of each set (same names)."""


def copy_training_curves(look: Look, files: Path) -> Path | None:
    """The look's loss plot copied beside the report, when training left one."""
    src = look.path / "loss.png"
    if not src.is_file():
        return None
    dst = files / "training-curves.png"
    shutil.copyfile(src, dst)
    return dst


def format_value(value: Any) -> str:
    """A metric value for people: 4 significant digits, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isinf(value):
            return "∞"
        return f"{value:.4g}"
    return str(value)


def _files_dir(out: Path) -> Path:
    files = out.parent / f"{out.stem}_files"
    files.mkdir(parents=True, exist_ok=True)
    return files


def metrics_table(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of every known metric present in ``metrics``; with a 'before the look' column where the
    metric was also measured on the untouched photos."""
    has_before = any(f"{k}_before" in metrics for k in METRIC_MEANINGS)
    header = ["metric", "name", "value"] + (["before the look"] if has_before else []) + ["what it means"]
    rows = []
    for key, (label, meaning) in METRIC_MEANINGS.items():
        if key not in metrics or metrics[key] is None:
            continue
        value = format_value(metrics[key])
        if key == "kid" and metrics.get("kid_std"):
            value += f" ± {format_value(metrics['kid_std'])}"
        rows.append([label, key, value] + ([format_value(metrics.get(f"{key}_before"))] if has_before else []) + [meaning])
    return header, rows


def _skipped_paragraphs(metrics: dict[str, Any]) -> list[str]:
    reasons: dict[str, list[str]] = {}
    for name, why in (metrics.get("skipped") or {}).items():
        reasons.setdefault(why, []).append(name)
    return [f"Not measured: {', '.join(names)} — {why}" for why, names in reasons.items()]


def _training_section(look: Look, files: Path) -> Section:
    curves = copy_training_curves(look, files)
    steps = look.meta.get("steps")
    text = [f"Trained {steps} steps." if steps else "This look was not trained step by step (imported or fitted "
            "in closed form), so there are no training curves."]
    note = look.meta.get("data", {}).get("colour_prior")
    if note:
        text.append(f"The colour prior on the style set: it {verdict(note)}.")
    stage = look.meta.get("data", {}).get("colour_stage")
    if stage:
        text.append(f"Colour: {stage['why']}.")
    return Section("Training", text, figure_rows=[[(curves, "losses over training")]] if curves else [])


def restyle_report(look: Look, metrics: dict[str, Any], done: Restyled, out: Path) -> Path:
    """Report of a look that restyles photos."""

    files = _files_dir(out)
    rows = []
    for i, name in enumerate(done.names[:_BEFORE_AFTER_ROWS]):
        tiles = [done.before[i], done.after[i]]
        caption = "photo | with the look"
        if name in done.truth:
            tiles.append(done.truth[name])
            caption += " | true version"
        scores = done.per_image[name]
        extra = ", ".join(f"{k} {format_value(scores[k])}" for k in ("delta_e2000", "content_ssim", "face_shift")
                          if scores.get(k) is not None)
        rows.append([(save_strip(tiles, files / f"before-after-{i}.png"), f"{name}: {caption} ({extra})")])
    sections = [Section("Metrics", _skipped_paragraphs(metrics), table=metrics_table(metrics)),
                Section("Before and after", [f"{min(len(done.names), _BEFORE_AFTER_ROWS)} of {len(done.names)} "
                                             "photos; all metrics use every photo."], figure_rows=rows)]
    if done.style_examples is not None:
        style_png = files / "style-examples.png"
        save_image(make_grid(done.style_examples * 2 - 1, nrow=len(done.style_examples)), style_png)
        sections.insert(1, Section("The look to match", [f"Some of the style images the results are compared "
                                                         f"with ({metrics['style']})."],
                                   figure_rows=[[(style_png, "style images (centre crops)")]]))

    if done.profiles:
        figure = plot_frame_stats(done.profiles, {k: Grain.mean(v) for k, v in done.grain.items() if v},
                                  files / "frame-and-grain.png")
        sections.append(Section("Across the frame, and the grain", [
            "What a colour metric cannot see. Left: mean L*, a*, b* in rings from the centre to the corners "
            "(a vignette is a falling L*, a warm centre a rising b* towards the middle). Right: the fine band of "
            "the luma at full resolution in the flattest blocks; its energy (legend) says how much grain, how "
            "fast the autocorrelation falls says how fine."], figure_rows=[[(figure, "radial profiles | grain")]]))
    settings = look_settings(look)
    if settings:
        rows_s = [[name, f"{value:.4g}", f"{low:g} .. {high:g}"] for name, (value, low, high) in settings.items()]
        sections.append(Section("Learnt settings", ["The look's named parameters (sliders in the web app; change "
                                                    "them with `lookgan apply --set NAME=VALUE`)."],
                                table=(["setting", "value", "range"], rows_s)))

    distilled: dict[str, Any] = {}
    try:
        lut = look_lut(look, report=distilled)
    except InputError:  # a translator whose training photos are gone: no LUT to show
        lut = None
    if lut is not None:
        lut_png = files / "lut.png"
        save_image(lut_preview(lut), lut_png)
        text = ("Four slices of the colour cube (blue rising left to right): top row the input colours, bottom row "
                "what the look makes of them" + (" (the mean over its training photos; it adapts per photo)."
                                                 if getattr(look.config, "adaptive", False) else "."))
        if "not_in_lut" in distilled:
            text += f" The LUT is only the colour part: {distilled['not_in_lut']} are not in it."
        if "lut_psnr" in distilled:
            text += (f" This look is a generator: the LUT is fitted to its colour change over "
                     f"{distilled['n_photos']} training photos and reproduces its output to "
                     f"{distilled['lut_psnr']:.1f} dB PSNR (30+ dB: the look is mostly colour).")
        sections.append(Section("The look as a LUT", [text],
                                figure_rows=[[(lut_png, "input colours (top) -> the look (bottom)")]]))
    sections.append(_training_section(look, files))
    intro = (f"{look.kind} look {look.path.name}, applied to {metrics['n_images']} photos"
             + (f" and compared with the {metrics['n_style']} style images in {metrics['style']}"
                if metrics.get("n_style") else "") + ".")
    return write_report(out, f"lookgan evaluation: {look.path.name}", sections, intro=intro)


def generator_report(look: Look, metrics: dict[str, Any], generated: torch.Tensor, nearest: torch.Tensor,
                     out: Path) -> Path:
    """Report of a look that generates images: sample sheet, nearest-neighbour strips, metrics, curves."""
    files = _files_dir(out)
    sheet = files / "samples.png"
    save_image(make_grid(generated[:64] * 2 - 1), sheet)
    n_pairs = min(8, len(generated))
    pairs = torch.stack([t for i in range(n_pairs) for t in (generated[i], nearest[i])])
    strips = files / "nearest.png"
    save_image(make_grid(pairs * 2 - 1, nrow=4), strips)
    reference = "held-out real images" if metrics.get("reference") == "held" else "the training images"
    sections = [
        Section("Metrics", [f"Generated images are compared with {reference}."] + _skipped_paragraphs(metrics),
                table=metrics_table(metrics)),
        Section("New images", [f"{min(64, len(generated))} of the {len(generated)} generated images."],
                figure_rows=[[(sheet, "generated")]]),
        Section("Is it copying?", ["Pairs: each generated image, then the training image closest to it. Copies "
                                   "would look identical; nn_ratio near 1 says they are as far apart as unseen "
                                   "real photos are."], figure_rows=[[(strips, "generated | nearest training image")]]),
        _training_section(look, files),
    ]
    intro = f"{look.kind} look {look.path.name}: {metrics['n_images']} generated images."
    return write_report(out, f"lookgan evaluation: {look.path.name}", sections, intro=intro)
