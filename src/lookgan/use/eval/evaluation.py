"""Evaluate a look, or compare two image folders: every metric of :mod:`lookgan.use.eval`, one dict of flat names.

``evaluate_look`` works for both families of looks:

* looks that **restyle photos** (``lut``, ``reinhard``, ``ot``): the look is applied to ``photos``; the results
  are compared with the ``style`` images as a set (``swd``, ``color_swd``, ``fid``/``kid``; the same numbers
  for the untouched photos are reported as ``*_before``, so you see how much closer the look brings them), with
  their inputs one by one (``content_ssim``, ``face_shift``), and with their true versions when known
  (``truth``: ``delta_e2000``, ``psnr``, ``ssim``);
* looks that **generate** (``dcgan``): new images are compared as a set with real ones (``held`` when given,
  else the training ``style`` images) and checked for copying (``nn_gen``, ``nn_held``, ``copy_rate``).

Metric names (``--json``) follow DESIGN.md; what each means is in :data:`METRIC_MEANINGS`. A metric that cannot
be computed here (no Inception weights, no face model) is absent and its reason is under ``skipped``.
"""
from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from ...core.errors import InputError
from ...core.io import atomic_write_json
from ...data.dataset import load_image_set, square_crops
from ...data.images import DEFAULT_MAX_PIXELS, downscale_for_metrics, list_images, read_image
from ...kinds.capabilities import ApplyOptions, Generator
from ...kinds.look import Look, as_look, as_restyler
from ...ops.people import FACES_EXTRA_HINT, mediapipe_available
from ...ops.swd import color_swd, swd
from ..generating import generate_images
from .content import structure_similarity
from .faces import MediaPipeLandmarker, face_shift
from .fid_kid import features, fid_from_features, kid_from_features
from .frame import Grain, grain_spectrum, lab_profile, profile_error
from .inception import download_weights, find_weights, load_inception
from .look_report import METRIC_MEANINGS, Restyled, generator_report, restyle_report
from .memorisation import memorisation
from .truth import image_scores, matched_pairs

__all__ = ["METRIC_MEANINGS", "EvalOptions", "compare_sets", "evaluate_look", "load_image_set", "set_metrics",
           "square_crops"]

@dataclass
class EvalOptions:
    """Shared settings of every evaluation."""

    size: int = 128
    """Side of the square centre crops the set metrics (SWD, colour distance, FID/KID) compare."""
    seed: int = 0
    """Seeds every random choice (SWD directions and patches, KID subsets, generated latents)."""
    inception: str | Path | None = None
    """FID Inception weights file (else ``LOOKGAN_INCEPTION`` or the cache; see :mod:`lookgan.use.eval.inception`)."""
    download_inception: bool = False
    """Allow downloading the Inception weights (verified) when they are not found."""
    faces: bool | None = None
    """Face metrics: True requires MediaPipe, False skips them, None uses them where installed."""
    content_side: int = 512
    """Longer side at which content and face metrics compare a photo with its result."""
    max_pixels: int = DEFAULT_MAX_PIXELS
    progress: bool = True
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.size < 16:
            raise InputError(f"--size must be at least 16 px for the SWD pyramid, got {self.size}")


@dataclass
class _FIDScorer:
    """Loads the Inception network once, on first use; ``reason`` says why FID/KID are skipped."""

    options: EvalOptions
    network: Any = None
    reason: str | None = None
    _resolved: bool = False

    def available(self) -> bool:
        if not self._resolved:
            self._resolved = True
            path, why = find_weights(self.options.inception)
            if path is None and self.options.download_inception:
                path = download_weights()
            if path is None:
                self.reason = why
            else:
                self.network = load_inception(path, device=self.options.device)
        return self.network is not None

    def scores(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, float]:
        fa = features(a, self.network, device=self.options.device)
        fb = features(b, self.network, device=self.options.device)
        kid, kid_std = kid_from_features(fa, fb, seed=self.options.seed)
        return {"fid": fid_from_features(fa, fb), "kid": kid, "kid_std": kid_std}


def set_metrics(a: torch.Tensor, b: torch.Tensor, *, options: EvalOptions,
                fid: _FIDScorer | None = None) -> dict[str, Any]:
    """``swd`` (+ per level), ``color_swd`` and, where the Inception weights are available, ``fid``/``kid``
    between two image sets ``(N, 3, S, S)`` in [0, 1]."""
    result = swd(a, b, seed=options.seed)
    metrics: dict[str, Any] = {"swd": result.mean, "swd_levels": dict(zip(map(str, result.resolutions), result.levels)),
                               "color_swd": color_swd(a, b, seed=options.seed)}
    if fid is not None and fid.available():
        metrics.update(fid.scores(a, b))
    return metrics


def _skipped(fid: _FIDScorer) -> dict[str, str]:
    return {"fid": fid.reason, "kid": fid.reason} if fid.reason else {}


def compare_sets(a: str | Path, b: str | Path, *, json_path: str | Path | None = None,
                 options: EvalOptions | None = None) -> dict[str, Any]:
    """Set metrics between the images of folders ``a`` and ``b`` (e.g. generated vs held-out reals, a graded
    set vs a plain one): ``swd``, ``color_swd``, and ``fid``/``kid`` where the Inception weights are there."""
    options = options or EvalOptions()
    images_a, _ = load_image_set(a, options.size, what="images", max_pixels=options.max_pixels,
                                 progress=options.progress)
    images_b, _ = load_image_set(b, options.size, what="images", max_pixels=options.max_pixels,
                                 progress=options.progress)
    fid = _FIDScorer(options)
    metrics = {"a": str(a), "b": str(b), **set_metrics(images_a, images_b, options=options, fid=fid),
               "n_images": len(images_a), "n_images_b": len(images_b), "size": options.size,
               "skipped": _skipped(fid)}
    if json_path is not None:
        atomic_write_json(Path(json_path), metrics)
    return metrics


# --- looks that restyle photos --------------------------------------------------------------------------------

def _face_landmarker(options: EvalOptions) -> tuple[Any, str | None]:
    if options.faces is False:
        return None, "face metrics turned off"
    if options.faces is None and not mediapipe_available():
        return None, f"face metrics need MediaPipe: {FACES_EXTRA_HINT}"
    return MediaPipeLandmarker(), None


def _restyle(transform: Callable[[np.ndarray], np.ndarray], photos: Path, truth: Path | None,
             options: EvalOptions) -> Restyled:
    """Apply the look to every photo at full resolution; score against truth there; keep small copies."""
    paths = list_images(photos)
    if not paths:
        raise InputError(f"{photos} holds no images to apply the look to")
    truth_by_stem = {p.stem: t for p, t in matched_pairs(photos, truth)} if truth is not None else {}
    done = Restyled()
    for path in tqdm(paths, desc="applying + scoring", unit="img", disable=not options.progress,
                     mininterval=0.2 if sys.stderr.isatty() else 10.0):  # short logs when not a terminal
        try:
            image = read_image(path, max_pixels=options.max_pixels, keep_8bit=True)
        except InputError as e:
            warnings.warn(f"skipping {e}", stacklevel=2)  # one damaged photo must not stop the evaluation
            continue
        result = transform(image)
        scores: dict[str, Any] = {}
        if path.stem in truth_by_stem:
            true = read_image(truth_by_stem[path.stem], max_pixels=options.max_pixels, keep_8bit=True)
            scores.update(image_scores(result, true, ssim_side=options.content_side))
            done.truth[path.name] = downscale_for_metrics(true, options.content_side)
        before = downscale_for_metrics(image, options.content_side)
        after = downscale_for_metrics(result, options.content_side)
        scores["content_ssim"] = structure_similarity(before, after)
        done.grain.setdefault("photos", []).append(grain_spectrum(image))
        done.grain.setdefault("results", []).append(grain_spectrum(result))
        if path.stem in truth_by_stem:
            done.grain.setdefault("true versions", []).append(grain_spectrum(true))
        done.names.append(path.name)
        done.before.append(before)
        done.after.append(after)
        done.per_image[path.name] = scores
    if not done.names:
        raise InputError(f"none of the images in {photos} could be read (see the warnings)")
    return done


def _mean(per_image: dict[str, dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in per_image.values() if s.get(key) is not None]
    return float(np.mean(values)) if values else None


def _evaluate_restyle(look: Look, *, photos: Path, style: Path | None, truth: Path | None, options: EvalOptions,
                      strength: float, keep_colour: bool) -> tuple[dict[str, Any], Restyled]:
    grade = as_restyler(look).grader(ApplyOptions(strength=strength, keep_colour=keep_colour))
    done = _restyle(grade, photos, truth, options)
    metrics: dict[str, Any] = {"n_images": len(done.names)}
    skipped: dict[str, str] = {}
    for key in ("content_ssim", "delta_e2000", "delta_e2000_p95", "psnr", "ssim"):
        value = _mean(done.per_image, key)
        if value is not None:
            metrics[key] = value
    if truth is not None:
        metrics["n_truth"] = len(done.truth)
    landmarker, why = _face_landmarker(options)
    if landmarker is None:
        skipped["face_shift"] = why or ""
    else:
        with landmarker:
            faces = face_shift(zip(done.before, done.after), landmarker)
        for name, shift in zip(done.names, faces.pop("per_image")):
            done.per_image[name]["face_shift"] = shift
        metrics.update({k: v for k, v in faces.items() if v is not None})
        if faces["face_shift"] is None:
            skipped["face_shift"] = "no photo had a face found both before and after the look"
    _frame_metrics(done, metrics, style, options)
    if style is None:
        skipped["swd"] = skipped["color_swd"] = "no --style folder to compare the results with"
    else:
        reference, _ = load_image_set(style, options.size, what="style images", max_pixels=options.max_pixels,
                                      progress=options.progress)
        fid = _FIDScorer(options)
        after = square_crops(done.after, options.size)
        before = square_crops(done.before, options.size)
        metrics.update(set_metrics(after, reference, options=options, fid=fid))
        for k, v in set_metrics(before, reference, options=options, fid=fid).items():
            if k != "swd_levels":
                metrics[f"{k}_before"] = v
        metrics["n_style"] = len(reference)
        done.style_examples = reference[:8]
        skipped.update(_skipped(fid))
    metrics["skipped"] = skipped
    metrics["per_image"] = done.per_image
    return metrics, done


def _frame_metrics(done: Restyled, metrics: dict[str, Any], style: Path | None, options: EvalOptions,
                   limit: int = 24) -> None:
    """Radial profiles and grain of photos, results, true versions and (up to ``limit`` of) the style images:
    ``radial_l`` / ``grain_energy_ratio`` against the style set (``_before``: the photos), ``radial_l_truth``
    against the true versions."""
    profiles = {"photos": [lab_profile(b) for b in done.before], "results": [lab_profile(a) for a in done.after]}
    truth_pairs = [(lab_profile(done.after[i]), lab_profile(done.truth[n]), lab_profile(done.before[i]))
                   for i, n in enumerate(done.names) if n in done.truth]
    if truth_pairs:
        profiles["true versions"] = [t for _, t, _ in truth_pairs]
        metrics["radial_l_truth"] = float(np.mean([profile_error(a, t) for a, t, _ in truth_pairs]))
        metrics["radial_l_truth_before"] = float(np.mean([profile_error(b, t) for _, t, b in truth_pairs]))
    if style is not None:
        frames = []
        for path in list_images(style)[:limit]:
            try:
                image = read_image(path, max_pixels=options.max_pixels, keep_8bit=True)
            except InputError:
                continue  # set metrics already warned about it
            frames.append(downscale_for_metrics(image, options.content_side))
            done.grain.setdefault("style set", []).append(grain_spectrum(image))
        if frames:
            profiles["style set"] = [lab_profile(f) for f in frames]
    done.profiles = {k: np.mean(v, axis=0) for k, v in profiles.items()}
    if "style set" in done.profiles:
        reference = done.profiles["style set"]
        metrics["radial_l"] = profile_error(done.profiles["results"], reference)
        metrics["radial_l_before"] = profile_error(done.profiles["photos"], reference)
        style_energy = Grain.mean(done.grain["style set"]).energy
        if style_energy > 0:
            for key, name in (("grain_energy_ratio", "results"), ("grain_energy_ratio_before", "photos")):
                metrics[key] = Grain.mean(done.grain[name]).energy / style_energy


# --- looks that generate -----------------------------------------------------------------------------------

def _evaluate_generator(look: Look, *, style: Path, held: Path | None, n_generate: int | None,
                        options: EvalOptions) -> tuple[dict[str, Any], torch.Tensor, torch.Tensor]:
    generated = (generate_images(look, n_generate or 64, seed=options.seed, device=options.device,
                                 progress=options.progress) + 1) / 2  # (N, 3, S, S) in [0, 1]
    generated = generated.clamp(0, 1)
    size = max(16, generated.shape[-1])
    train, _ = load_image_set(style, size, what="training images", max_pixels=options.max_pixels,
                              progress=options.progress)
    held_images = None
    if held is not None:
        held_images, _ = load_image_set(held, size, what="held-out images", max_pixels=options.max_pixels,
                                        progress=options.progress)
    generated = square_crops(generated, size)
    fid = _FIDScorer(options)
    reference = held_images if held_images is not None else train
    metrics: dict[str, Any] = {**set_metrics(generated, reference, options=options, fid=fid),
                               "reference": "held" if held_images is not None else "style",
                               "n_images": len(generated), "n_style": len(train)}
    mem = memorisation(generated, train, held_images)
    metrics.update({k: mem[k] for k in ("nn_gen", "nn_held", "nn_ratio", "copy_rate", "nn_reference")})
    metrics["skipped"] = _skipped(fid)
    return metrics, generated, train[torch.tensor(mem["nearest_index"])]


# --- the public entry point ----------------------------------------------------------------------------------

def evaluate_look(look: Look | str | Path, *, photos: str | Path | None = None, style: str | Path | None = None,
                  truth: str | Path | None = None, held: str | Path | None = None, out: str | Path | None = None,
                  json_path: str | Path | None = None, strength: float = 1.0, keep_colour: bool = False,
                  n_generate: int | None = None, options: EvalOptions | None = None) -> dict[str, Any]:
    """Every metric that applies to ``look`` (see the module docstring); with ``out`` also the HTML report,
    with ``json_path`` the metrics as JSON. ``style`` defaults to the look's own training images when that
    folder still exists."""
    options = options or EvalOptions()
    look = as_look(look)
    style_dir = Path(style) if style is not None else _training_folder(look)
    generates = isinstance(look.open(), Generator)
    header: dict[str, Any] = {"look": str(look.path), "kind": look.kind, "style": str(style_dir) if style_dir else None}
    if generates:
        if style_dir is None:
            raise InputError(f"{look.path} generates images: give its training images with --style DIR to compare "
                             "them with (and --held DIR for real images it never saw)")
        if photos is not None or truth is not None:
            raise InputError(f"{look.path} generates images and does not restyle photos; drop --photos/--truth "
                             "(use --held DIR for real images the generator never saw)")
        metrics, generated, nearest = _evaluate_generator(look, style=style_dir, held=Path(held) if held else None,
                                                          n_generate=n_generate, options=options)
        metrics = {**header, **metrics}
        if out is not None:
            metrics["report"] = str(generator_report(look, metrics, generated, nearest, Path(out)))
    else:
        if photos is None:
            raise InputError(f"{look.path} restyles photos: give some with --photos DIR (photos it was not trained "
                             "on, ideally)")
        if held is not None:
            raise InputError("--held is for generator looks; for this look give --photos (and --truth)")
        metrics, done = _evaluate_restyle(look, photos=Path(photos), style=style_dir,
                                          truth=Path(truth) if truth is not None else None, options=options,
                                          strength=strength, keep_colour=keep_colour)
        metrics = {**header, **metrics}
        if out is not None:
            metrics["report"] = str(restyle_report(look, metrics, done, Path(out)))
    if json_path is not None:
        atomic_write_json(Path(json_path), metrics)
    return metrics


def _training_folder(look: Look) -> Path | None:
    folder = (look.meta.get("data") or {}).get("folder")
    return Path(folder) if folder and Path(folder).is_dir() else None
