"""Apply a look to photos, folders of photos and videos at any size, writing the results beside each other.

What a look does to one photo is its kind's business (:meth:`lookgan.kinds.capabilities.Restyler.grader`: a LUT with
strength and keep-colour folded in, a translator in seamless tiles, ...); this module plans the files, reads and
writes them (format, EXIF, colour profile kept), shares them out under torchrun, and adds what works for every
look: portrait regions (:mod:`lookgan.use.portrait`) and the ONNX backend.
"""
from __future__ import annotations

import contextlib
import json
import tempfile
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

import numpy as np
from tqdm.auto import tqdm

from ..core.errors import InputError, StorageError
from ..core.io import atomic_write_json, remove_stale_temps
from ..data.images import DEFAULT_MAX_PIXELS, image_metadata, is_image_path, list_images, read_image, save_image
from ..kinds.capabilities import ApplyOptions, Grader, finish_result
from ..kinds.look import Look, adjusted_look, as_restyler
from ..ops.people import PortraitMasker
from ..training import distributed
from .exporting.onnx import OnnxLook, export_onnx
from .portrait import PortraitOptions, portrait_blend
from .video import apply_video, check_preset

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"})
_OUTPUT_SUFFIX = {".jpg": ".jpg", ".jpeg": ".jpg", ".jpe": ".jpg", ".png": ".png", ".webp": ".webp",
                  ".tif": ".tif", ".tiff": ".tif"}


@dataclass(frozen=True)
class BatchOptions:
    """How a batch of files is run (rather than what the look does to each)."""

    backend: Literal["torch", "onnx"] = "torch"
    """``onnx``: run the look's ONNX graph in onnxruntime (``look`` may then be an exported ``.onnx`` file;
    whole photos in one pass, no tiling)."""
    max_pixels: int = DEFAULT_MAX_PIXELS
    """Refuse photos larger than this (decompression bombs)."""
    skip_existing: bool | None = None
    """Leave outputs that already exist alone (a restarted batch continues; outputs are written atomically, so
    an existing file is a finished one). None: on under torchrun, off otherwise."""
    manifest: bool | None = None
    """Write ``out/manifest.json`` (every input, its output, written / skipped / failed, seconds). None: on under
    torchrun, off otherwise."""
    on_file: Callable[[Path, Path], None] | None = None
    """Called with (input, output) after each written file (the web app's progress)."""
    video_preset: str = "medium"
    """libx264 speed preset for videos (:data:`lookgan.core.options.X264_PRESETS`): ``veryfast`` makes a whole grading
    run about 1.6-1.7x faster than ``medium`` on 2 cores, at the same CRF 18."""

    def __post_init__(self) -> None:
        if self.backend not in ("torch", "onnx"):
            raise InputError(f"--backend must be torch or onnx, got {self.backend!r}")
        check_preset(self.video_preset)


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


def apply(
    look: Look | str | Path,
    inputs: Iterable[str | Path] | str | Path,
    *,
    out: str | Path,
    strength: float = 1.0,
    keep_colour: bool = False,
    tile: int = 512,
    progress: bool = True,
    portrait: PortraitOptions | None = None,
    batch: BatchOptions = BatchOptions(),
    settings: dict[str, float] | None = None,
) -> list[Path]:
    """Apply ``look`` to photos, folders of photos and videos, writing the results into ``out``; returns the
    written paths.

    Photos keep their format, size, EXIF (orientation normalised) and colour profile (as sRGB); 16-bit sources
    are graded in float and written as 8-bit. Videos are graded frame by frame with the audio kept (needs the
    ``video`` extra). ``strength`` (0 = the photo, 1 = the look, up to 2) and ``keep_colour`` (only the tone
    change) work for every look; ``tile`` bounds the memory of looks that run a network over the photo.
    ``portrait`` (needs the ``faces`` extra) sets the look's strength per person/background and protects skin
    and faces; ``batch`` chooses the backend, restarts and the manifest; ``settings`` overrides the look's named
    parameters for this run (kinds with settings: ``lookgan info`` lists them). Under torchrun the inputs are
    shared out by rank (rank r takes every N-th file from the r-th).
    """
    options = ApplyOptions(strength=strength, keep_colour=keep_colour, tile=tile)
    if settings:
        look = adjusted_look(look, settings)
    world = distributed.world_from_env()
    skip_existing = world.distributed if batch.skip_existing is None else batch.skip_existing
    write_manifest = world.distributed if batch.manifest is None else batch.manifest
    out = Path(out)
    jobs = _plan(_expand_inputs([inputs] if isinstance(inputs, (str, Path)) else inputs), out)
    out.mkdir(parents=True, exist_ok=True)
    if skip_existing and not world.distributed:  # a killed run's half-written temporaries (never a final name)
        remove_stale_temps(out)
    if world.distributed:
        world, _ = distributed.init("cpu")
    records: list[dict[str, Any]] = []
    # one process: the manifest also every few seconds, so a killed batch leaves one that matches its files
    flush = (lambda: _write_manifest(out, records, world)) if write_manifest and not world.distributed else None
    try:
        with tempfile.TemporaryDirectory(prefix="lookgan-onnx-") as tmp, contextlib.ExitStack() as stack:
            grade, video_grade = _graders(look, options, backend=batch.backend, workdir=Path(tmp),
                                          portrait=portrait, stack=stack)
            _apply_files(jobs[world.rank::world.size], grade, video_grade, records, max_pixels=batch.max_pixels,
                         progress=progress and world.main, on_file=batch.on_file, skip_existing=skip_existing,
                         single=len(jobs) == 1, video_preset=batch.video_preset, flush=flush)
        if write_manifest:
            _write_manifest(out, records, world)
    except StorageError as e:
        if flush is not None:
            with contextlib.suppress(StorageError):  # the disk may be too full for the manifest too
                flush()
        done = sum(r["status"] in ("written", "skipped") for r in records)
        raise e.with_context(f"{done} of {len(jobs)} files are done in {out}; run the same command with "
                             "--skip-existing to go on from there") from e
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
    if world.distributed:
        import torch.distributed as dist  # noqa: PLC0415 (only under torchrun)

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


def _onnx_graders(look: Look | str | Path, options: ApplyOptions, workdir: Path) -> tuple[Grader, Grader]:
    """Frame functions running the look in onnxruntime: an exported ``.onnx`` file as it is, a look folder
    exported into ``workdir`` first."""
    path = Path(look.path if isinstance(look, Look) else look)
    if path.suffix.lower() != ".onnx":
        path = export_onnx(look, workdir / "look.onnx")
    runner = OnnxLook(path)
    frame = [0]

    def grade(image: np.ndarray) -> np.ndarray:
        return finish_result(image, runner.run_image(image), options)

    def grade_frame(image: np.ndarray) -> np.ndarray:  # grain (where the look has it) new every frame
        frame[0] += 1
        return finish_result(image, runner.run_image(image, seed=frame[0]), options)

    return grade, grade_frame


def _graders(look: Look | str | Path, options: ApplyOptions, *, backend: str, workdir: Path,
             portrait: PortraitOptions | None, stack: contextlib.ExitStack) -> tuple[Grader, Grader]:
    """Photo and video frame functions for ``backend``; with ``portrait``, the look at full strength blended
    per person/background/skin mask (:func:`lookgan.use.portrait.portrait_blend`)."""
    look_options = replace(options, strength=1.0) if portrait else options  # strength then goes per region
    if backend == "onnx":
        grade, video_grade = _onnx_graders(look, look_options, workdir)
    else:
        restyler = as_restyler(look)
        grade, video_grade = restyler.grader(look_options), restyler.grader(look_options, video=True)
    if not portrait:
        return grade, video_grade
    masker = stack.enter_context(PortraitMasker())
    regions = portrait.regions(options.strength)

    def portrait_grade(image: np.ndarray) -> np.ndarray:
        return portrait_blend(image, grade(image), masker(image), **regions)

    return portrait_grade, portrait_grade


#: Seconds between two writes of the manifest during a batch.
MANIFEST_EVERY_S = 5.0


def _apply_files(jobs: list[tuple[Path, Path]], grade: Grader, video_grade: Grader, records: list[dict[str, Any]],
                 *, max_pixels: int, progress: bool, on_file: Callable[[Path, Path], None] | None,
                 skip_existing: bool, single: bool, video_preset: str = "medium",
                 flush: Callable[[], None] | None = None) -> None:
    """Grade each (input, output) pair, appending one record per file (``written``, ``skipped`` or ``failed``)
    to ``records``; ``flush`` (the manifest) is called every :data:`MANIFEST_EVERY_S` seconds.

    Each output is written to a temporary file and renamed when complete, so killing the batch at any moment
    leaves only finished files under final names: a rerun with ``skip_existing`` redoes at most the file that
    was in progress."""
    flushed = time.monotonic()
    bar = tqdm(jobs, desc="applying", unit="photo", disable=not progress or len(jobs) < 2, dynamic_ncols=True)
    for src, dst in bar:
        record = {"input": str(src), "output": str(dst), "status": "written", "seconds": 0.0}
        t0 = time.perf_counter()
        if skip_existing and dst.exists():
            record["status"] = "skipped"
        elif src.suffix.lower() in VIDEO_EXTENSIONS:
            apply_video(video_grade, src, dst, progress=progress, preset=video_preset)
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
        if flush is not None and time.monotonic() - flushed > MANIFEST_EVERY_S:
            flush()
            flushed = time.monotonic()
