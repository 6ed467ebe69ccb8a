"""Apply a look to photos of any size (and, in :mod:`lookgan.video`, to video frames).

For LUT looks the predictor sees a 256-px thumbnail of the whole photo, picks its LUT, and the LUT is applied to
the full-resolution pixels (:class:`~lookgan.ops.lut3d.FastLUT` for 8-bit photos, float interpolation for 16-bit
ones). ``strength`` and ``keep_colour`` are folded into the LUT itself, so they cost nothing per pixel and an
export with the same options gives the same result in another program.

Translator looks (``cyclegan``, ``cut``, ``fastcut``) run their generator on the full-resolution photo, in tiles
with the whole image's normalisation statistics (:mod:`lookgan.translate`); strength and keep-colour are
applied to the result.
"""
from __future__ import annotations

import contextlib
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from .data.images import (DEFAULT_MAX_PIXELS, as_float, as_uint8, image_metadata, is_image_path, like, list_images,
                          read_image, save_image)
from .errors import InputError
from .look import Look, as_look
from .models.lut import AdaptiveLUT
from .models.translator import ResnetGenerator
from .ops.lut3d import FastLUT, apply_lut_image, blend_lut, keep_colour_lut
from .translate import blend, translate_image

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"})
_OUTPUT_SUFFIX = {".jpg": ".jpg", ".jpeg": ".jpg", ".jpe": ".jpg", ".png": ".png", ".webp": ".webp",
                  ".tif": ".tif", ".tiff": ".tif"}


@dataclass(frozen=True)
class ApplyOptions:
    """How strongly and in what way a look is applied."""

    strength: float = 1.0
    """0 = the photo as it is, 1 = the full look; values in between blend inside the LUT (up to 2 exaggerates)."""
    keep_colour: bool = False
    """Apply only the look's tone (lightness) change and keep each pixel's own chroma and hue."""
    tile: int = 512
    """Translator looks: side of the tiles a large photo is processed in (memory grows with its square)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 2.0:
            raise InputError(f"--strength must be between 0 and 2 (1 = the full look), got {self.strength}")
        if self.tile < 64:
            raise InputError(f"--tile must be at least 64 px, got {self.tile}")


def restyle_model(look: Look) -> AdaptiveLUT | ResnetGenerator:
    """The network of a look that restyles photos (a LUT model or a translator); a clear error for looks that
    generate new images instead."""
    model = look.build()
    if not isinstance(model, (AdaptiveLUT, ResnetGenerator)):
        raise InputError(f"{look.path} is a {look.kind} look, which does not restyle photos; use `lookgan "
                         "generate` to make new images with it")
    return model


def lut_model(look: Look) -> AdaptiveLUT:
    """The LUT model of a colour look; a clear error for other kinds."""
    model = restyle_model(look)
    if not isinstance(model, AdaptiveLUT):
        raise InputError(f"{look.path} is a {look.kind} look, whose change is not a LUT")
    return model


def thumbnail_tensor(image: np.ndarray, size: int) -> torch.Tensor:
    """The predictor's view of a full image: ``(1, 3, size, size)`` in [0, 1], resized by Pillow (fast, with
    antialiasing) from uint8 or float ``(H, W, 3)``."""
    u8 = as_uint8(image)
    small = Image.fromarray(u8).resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return torch.from_numpy(np.asarray(small, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]


def finish_lut(lut: torch.Tensor, options: ApplyOptions) -> torch.Tensor:
    """Fold strength and keep-colour into ``lut`` ``(3, n, n, n)``."""
    if options.keep_colour:
        lut = keep_colour_lut(lut)
    if options.strength != 1.0:
        lut = blend_lut(lut, options.strength)
    return lut


@torch.no_grad()
def image_lut(model: AdaptiveLUT, image: np.ndarray, options: ApplyOptions = ApplyOptions()) -> torch.Tensor:
    """The LUT ``(3, n, n, n)`` the look uses for this image (``(H, W, 3)`` uint8 or float)."""
    weights = model.weights(thumbnail_tensor(image, model.thumb_size)) if model.adaptive else model.mean_weights[None]
    return finish_lut(model.mix(weights)[0].clamp(0.0, 1.0), options)


def apply_array(model: AdaptiveLUT | ResnetGenerator, image: np.ndarray,
                options: ApplyOptions = ApplyOptions()) -> np.ndarray:
    """The look applied to one in-memory image, at its full resolution; same dtype out as in."""
    if isinstance(model, ResnetGenerator):
        return translate_image(model, image, strength=options.strength, keep_colour=options.keep_colour,
                               tile=options.tile)
    return apply_lut_image(image, image_lut(model, image, options))


def _expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files.extend(list_images(path))
        elif path.is_file():
            if not (is_image_path(path) or path.suffix.lower() in VIDEO_EXTENSIONS):
                raise InputError(f"{path} is neither an image nor a video lookgan reads; give photos "
                                 f"(jpg, png, webp, tif, ...), videos ({', '.join(sorted(VIDEO_EXTENSIONS))}) "
                                 "or folders")
            files.append(path)
        else:
            raise InputError(f"{path} does not exist; check the path")
    if not files:
        raise InputError("no images to apply the look to: the inputs hold no photos")
    return files


def output_path(src: Path, out: Path) -> Path:
    """Where the styled version of ``src`` goes: same name in ``out``; formats without a writer become PNG."""
    return out / (src.stem + _OUTPUT_SUFFIX.get(src.suffix.lower(), ".png"))


def blend_array(photo: np.ndarray, result: np.ndarray, options: ApplyOptions) -> np.ndarray:
    """Strength and keep-colour on a finished result (``(H, W, 3)``, same dtype as ``photo``)."""
    if options.strength == 1.0 and not options.keep_colour:
        return result
    p, r = (torch.from_numpy(as_float(a)) for a in (photo, result))
    return like(blend(p, r, strength=options.strength, keep_colour=options.keep_colour).numpy(), photo)


def onnx_grader(look: Look | str | Path, options: ApplyOptions, workdir: Path) -> Callable[[np.ndarray], np.ndarray]:
    """A frame function running the look in onnxruntime: an exported ``.onnx`` file as it is, a look folder
    exported into ``workdir`` first."""
    from .exporting.onnx import OnnxLook, export_onnx

    path = Path(look.path if isinstance(look, Look) else look)
    if path.suffix.lower() != ".onnx":
        path = export_onnx(look, workdir / "look.onnx")
    runner = OnnxLook(path)
    return lambda image: blend_array(image, runner.run_image(image), options)


def apply(
    look: Look | str | Path,
    inputs: Iterable[str | Path] | str | Path,
    *,
    out: str | Path,
    strength: float = 1.0,
    keep_colour: bool = False,
    tile: int = 512,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: bool = True,
    on_file: Callable[[Path, Path], None] | None = None,
    backend: str = "torch",
    skip_existing: bool | None = None,
    manifest: bool | None = None,
    person_strength: float | None = None,
    background_strength: float | None = None,
    protect_skin: float = 0.0,
    protect_faces: float = 0.0,
) -> list[Path]:
    """Apply ``look`` to photos, folders of photos and videos, writing the results into ``out``.

    Photos keep their format, size, EXIF (orientation normalised) and colour profile (as sRGB); 16-bit sources
    are graded in float and written as 8-bit. Videos are graded frame by frame with the audio kept
    (:func:`lookgan.video.apply_video`, needs the ``video`` extra). Translator looks process large photos in
    ``tile``-px tiles. ``backend="onnx"`` runs the look's ONNX graph in onnxruntime instead (``look`` may then be
    an exported ``.onnx`` file; whole photos in one pass, no tiling). Returns the written paths.

    ``skip_existing`` leaves outputs that already exist alone (a restarted batch continues; outputs are written
    atomically, so an existing file is a finished one); ``manifest`` writes ``out/manifest.json`` (every input,
    its output, written / skipped / failed, seconds). Under torchrun the inputs are shared out by rank (rank r
    takes every N-th file from the r-th), and both default to on; otherwise to off.

    Portraits (needs the ``faces`` extra, :mod:`lookgan.portrait`): ``person_strength`` / ``background_strength``
    apply the look with different strengths to people and background (each defaults to ``strength``), with
    feathered masks; ``protect_skin`` (0..1) blends the original hue and chroma back on skin; ``protect_faces``
    (0..1) keeps face shapes under texture looks (the photo's detail under the look's colours in each face).
    """
    options = ApplyOptions(strength=strength, keep_colour=keep_colour, tile=tile)
    if backend not in ("torch", "onnx"):
        raise InputError(f"--backend must be torch or onnx, got {backend!r}")
    from . import distributed

    world = distributed.world_from_env()
    skip_existing = world.distributed if skip_existing is None else skip_existing
    manifest = world.distributed if manifest is None else manifest
    out = Path(out)
    jobs = _plan(_expand_inputs([inputs] if isinstance(inputs, (str, Path)) else inputs), out)
    out.mkdir(parents=True, exist_ok=True)
    if world.distributed:
        world, _ = distributed.init("cpu")
    try:
        with tempfile.TemporaryDirectory(prefix="lookgan-onnx-") as tmp, contextlib.ExitStack() as stack:
            regions = None
            if person_strength is not None or background_strength is not None or protect_skin or protect_faces:
                regions = {"person_strength": strength if person_strength is None else person_strength,
                           "background_strength": strength if background_strength is None else background_strength,
                           "protect_skin": protect_skin, "protect_faces": protect_faces}
            grade, video_grade = _graders(look, options, backend=backend, workdir=Path(tmp), regions=regions,
                                          stack=stack)
            records = _apply_files(jobs[world.rank::world.size], grade, video_grade, max_pixels=max_pixels,
                                   progress=progress and world.main, on_file=on_file, skip_existing=skip_existing,
                                   single=len(jobs) == 1)
        if manifest:
            _write_manifest(out, records, world)
    finally:
        distributed.shutdown(None, world)
    return [Path(r["output"]) for r in records if r["status"] in ("written", "skipped")]


def _plan(files: list[Path], out: Path) -> list[tuple[Path, Path]]:
    """(input, output) for every file, decided once for the whole list so that every rank agrees: same name
    in ``out``, videos as .mp4, two inputs with one name get ``-N`` suffixes."""
    jobs: list[tuple[Path, Path]] = []
    taken: set[Path] = set()
    for src in files:
        dst = out / (src.stem + ".mp4") if src.suffix.lower() in VIDEO_EXTENSIONS else output_path(src, out)
        if dst in taken:  # two inputs with one name (a.jpg, a.png, or the same name in two folders)
            dst = dst.with_name(f"{dst.stem}-{len(jobs)}{dst.suffix}")
        taken.add(dst)
        jobs.append((src, dst))
    return jobs


def _write_manifest(out: Path, records: list[dict[str, Any]], world: Any) -> None:
    """``out/manifest.json``: every rank's records gathered on rank 0 (one atomic file)."""
    import json

    from .io_utils import atomic_write_json

    if world.distributed:
        import torch.distributed as dist

        gathered: list[Any] = [None] * world.size
        dist.all_gather_object(gathered, records)
        records = [r for part in gathered for r in part]
    if not world.main:
        return
    previous = {}
    if (out / "manifest.json").exists():  # a restarted batch keeps what the earlier run recorded
        try:
            previous = {r["input"]: r for r in json.loads((out / "manifest.json").read_text())["files"]}
        except (OSError, ValueError, KeyError, TypeError):
            previous = {}
    for r in records:
        if r["status"] == "skipped" and r["input"] in previous:
            continue
        previous[r["input"]] = r
    files = sorted(previous.values(), key=lambda r: r["input"])
    counts = {k: sum(r["status"] == k for r in records) for k in ("written", "skipped", "failed")}
    atomic_write_json(out / "manifest.json", {"processes": world.size, "this_run": counts, "files": files})


Grader = Callable[[np.ndarray], np.ndarray]


def _graders(look: Look | str | Path, options: ApplyOptions, *, backend: str, workdir: Path,
             regions: dict[str, float] | None, stack: contextlib.ExitStack) -> tuple[Grader, Any]:
    """Photo and video frame functions for ``backend``; with ``regions`` (portrait strengths), the look at full
    strength blended per person/background/skin mask (:func:`lookgan.portrait.portrait_blend`)."""
    look_options = replace(options, strength=1.0) if regions else options  # strength then goes per region
    if backend == "onnx":
        grade = onnx_grader(look, look_options, workdir)
        video_grade: Any = grade
    else:
        grade, video_grade = _torch_graders(as_look(look), look_options)
    if not regions:
        return grade, video_grade
    from .portrait import PortraitMasker, portrait_blend

    masker = stack.enter_context(PortraitMasker())

    def portrait_grade(image: np.ndarray) -> np.ndarray:
        return portrait_blend(image, grade(image), masker(image), **regions)

    return portrait_grade, portrait_grade


def _torch_graders(look: Look, options: ApplyOptions) -> tuple[Callable[[np.ndarray], np.ndarray], Any]:
    """Photo and video frame functions in PyTorch: a global LUT once as a :class:`FastLUT` for 8-bit photos,
    adaptive LUTs per photo, translators tiled; videos smooth adaptive weights over time."""
    model = restyle_model(look)
    fixed = None
    if isinstance(model, AdaptiveLUT) and not model.adaptive:
        with torch.no_grad():
            fixed = FastLUT(finish_lut(model.mean_lut().clamp(0, 1), options))

    def grade(image: np.ndarray) -> np.ndarray:
        if fixed is not None and image.dtype == np.uint8:
            return fixed(image)
        return apply_array(model, image, options)

    if isinstance(model, AdaptiveLUT):
        from .video import FrameGrader

        return grade, FrameGrader(model, options)
    return grade, grade


def _apply_files(jobs: list[tuple[Path, Path]], grade: Callable[[np.ndarray], np.ndarray], video_grade: Any, *,
                 max_pixels: int, progress: bool, on_file: Callable[[Path, Path], None] | None,
                 skip_existing: bool, single: bool) -> list[dict[str, Any]]:
    """Grade each (input, output) pair; one record per file (``written``, ``skipped`` or ``failed``)."""
    import time

    records: list[dict[str, Any]] = []
    for src, dst in tqdm(jobs, desc="applying", unit="file", disable=not progress or len(jobs) < 2):
        record = {"input": str(src), "output": str(dst), "status": "written", "seconds": 0.0}
        t0 = time.perf_counter()
        if skip_existing and dst.exists():
            record["status"] = "skipped"
        elif src.suffix.lower() in VIDEO_EXTENSIONS:
            from .video import apply_video

            apply_video(video_grade, src, dst, progress=progress)
        else:
            try:
                image = read_image(src, max_pixels=max_pixels, keep_8bit=True)
            except InputError as e:
                if single:
                    raise
                warnings.warn(f"skipping {e}", stacklevel=3)  # one bad file must not stop a folder
                records.append({**record, "status": "failed", "error": str(e)})
                continue
            save_image(grade(image), dst, **image_metadata(src))
        record["seconds"] = round(time.perf_counter() - t0, 4)
        records.append(record)
        if on_file is not None and record["status"] == "written":
            on_file(src, dst)
    return records
