"""What each button of the web app does, as plain methods over the library (no gradio here).

:class:`Actions` takes what the browser sends (uploaded file paths, names, numbers), checks it, calls
:mod:`lookgan`'s public functions and returns paths and text for the page. The app (:mod:`lookgan.ui.app`) only
wires these to widgets and turns errors into messages, so everything here is tested without a browser.
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..data.images import DEFAULT_MAX_PIXELS
from ..errors import InputError
from ..kinds import describe, kind_names
from .jobs import JobBoard, TrainingJob, format_eta
from .workspace import VIDEO_SUFFIXES, Workspace, check_upload, stage_images, zip_files, zip_folder, zip_look

PREVIEW_SIDE = 1280


@dataclass
class ApplyResult:
    outputs: list[Path]
    compare: tuple[Path, Path] | None
    """(before, after) previews of the first photo for the comparison slider."""
    video: Path | None
    download: Path
    message: str
    mask: Path | None = None
    """Portrait mode: the first photo with its person (blue) and skin (red) masks drawn over it."""


@dataclass
class GenerateResult:
    images: list[Path]
    animation: Path | None
    download: Path


@dataclass
class EvalResult:
    metrics: dict[str, Any]
    table: str
    report: Path
    download: Path
    pictures: list[Path] = field(default_factory=list)


def _paths(files: Sequence[Any] | None) -> list[Path]:
    """Gradio gives file paths as str (or temp-file objects with ``.name`` in older releases)."""
    return [Path(f) if isinstance(f, (str, os.PathLike)) else Path(f.name) for f in (files or [])]


def _preview(src: Path, dest: Path, side: int = PREVIEW_SIDE) -> Path:
    """A JPEG at most ``side`` px for the page (full-size results stay in the download)."""
    from PIL import Image, ImageOps

    with Image.open(src) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        im.thumbnail((side, side))
        im.save(dest, quality=90)
    return dest


class Actions:
    """The app's behaviour over one :class:`Workspace`; ``allow_folders`` lets users name folders on the
    server's disk (only when the app listens on this computer alone)."""

    def __init__(self, workspace: Workspace, *, allow_folders: bool = True, max_pixels: int | None = None) -> None:
        self.ws = workspace
        self.board = JobBoard()
        self.allow_folders = allow_folders
        self.max_pixels = max_pixels or DEFAULT_MAX_PIXELS
        # the photo whose preview the sliders redraw, made small once: (photo, mtime, side) -> (JPEG, pixels)
        self._previews: dict[tuple[str, int, int], tuple[Path, Any]] = {}

    # --- looks -----------------------------------------------------------------------------------------------
    def look_kinds(self) -> dict[str, str]:
        """Name -> kind of every look in the work folder (read from look.json, no weights loaded)."""
        kinds = {}
        for name in self.ws.list_looks():
            try:
                kinds[name] = json.loads((self.ws.look_path(name) / "look.json").read_text()).get("kind", "?")
            except (OSError, ValueError, InputError):
                continue
        return kinds

    def look_choices(self, *, generators: bool | None = None) -> list[str]:
        """Look names for a dropdown; ``generators`` True/False keeps only generator / restyling looks."""
        out = []
        for name, kind in self.look_kinds().items():
            if generators is None or (kind in kind_names() and describe(kind).generates == generators):
                out.append(name)
        return out

    def look_settings(self, look_name: str | None) -> dict[str, tuple[float, float, float]]:
        """The look's sliders: name -> (value, low, high); empty for kinds without settings or no look."""
        if not look_name or look_name not in self.ws.list_looks():
            return {}
        from ..look import look_settings  # loads torch: the app serves its page before

        return look_settings(self.ws.look_path(look_name))

    def expert_layers(self, look_name: str | None) -> tuple[str, ...]:
        """The layers of the look's sliders that go in the "advanced" fold."""
        if not look_name or look_name not in self.ws.list_looks():
            return ()
        from ..look import expert_layers  # loads torch: the app serves its page before

        return expert_layers(self.ws.look_path(look_name))

    def save_adjusted(self, look_name: str, settings: dict[str, float] | None, new_name: str) -> str:
        """Save ``look_name`` with the slider ``settings`` as a new look; returns its name."""
        from ..api import adjust  # loads torch: the app serves its page before

        if not settings:
            raise InputError("move a slider first: the look as it is needs no copy")
        out = self.ws.new_look_path(new_name or f"{look_name}-adjusted")
        if out.exists():
            raise InputError(f"a look called {out.stem} exists already; choose another name")
        adjust(self.ws.look_path(look_name), dict(settings), out=out)
        return out.stem

    def preview(self, look_name: str, files: Sequence[Any] | None, *, settings: dict[str, float] | None = None,
                strength: float = 1.0, keep_colour: bool = False, side: int = 512) -> tuple[Path, Path] | None:
        """(before, after) of the first uploaded photo at most ``side`` px, with the slider ``settings``: quick
        enough to follow the sliders. None when no photo is uploaded."""
        from ..capabilities import ApplyOptions  # loads torch: the app serves its page before
        from ..data.images import read_image, save_image  # loads torch: the app serves its page before
        from ..look import adjusted_look, as_restyler  # loads torch: the app serves its page before

        photos = [p for p in _paths(files) if p.suffix.lower() not in VIDEO_SUFFIXES]
        if not photos:
            return None
        key = (str(photos[0]), photos[0].stat().st_mtime_ns, side)
        if key not in self._previews or not self._previews[key][0].exists():  # a slider moved: the same photo
            check_upload(photos[0], what="", max_pixels=self.max_pixels)
            run = self.ws.new_run(f"preview-{look_name}")
            before = _preview(photos[0], run / "preview-before.jpg", side)
            self._previews = {key: (before, read_image(before, keep_8bit=True))}  # the last photo previewed
        before, pixels = self._previews[key]
        grade = as_restyler(adjusted_look(self.ws.look_path(look_name), settings)).grader(
            ApplyOptions(strength=float(strength), keep_colour=bool(keep_colour)))
        after = before.with_name(f"preview-after-{uuid.uuid4().hex[:8]}.jpg")  # a new name: the page shows it
        save_image(grade(pixels), after, quality=92)
        return before, after

    def import_look(self, zip_file: Any) -> str:
        (path,) = _paths([zip_file])
        return self.ws.import_look_zip(path)

    # --- learn -----------------------------------------------------------------------------------------------
    def _images_from(self, files: Sequence[Any] | None, folder: str | None, dest: Path, what: str) -> Path | None:
        """Uploaded files are checked and staged in ``dest``; a folder name is used where it lies."""
        uploads = _paths(files)
        folder = (folder or "").strip()
        if uploads and folder:
            raise InputError(f"{what}: upload files or name a folder, not both")
        if folder:
            if not self.allow_folders:
                raise InputError("this server does not read folders from its disk (it listens on the network); "
                                 "upload the images instead")
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise InputError(f"{what}: folder {folder} does not exist on this computer; check the path")
            return path
        if not uploads:
            return None
        stage_images(uploads, dest, what=what, min_images=2, max_pixels=self.max_pixels)
        return dest

    def start_training(self, *, kind: str, name: str, style_files: Sequence[Any] | None = None,
                       style_dir: str | None = None, photo_files: Sequence[Any] | None = None,
                       photo_dir: str | None = None, steps: int | None = None, minutes: float | None = None,
                       size: int | None = None, resume: bool = False,
                       train_fn: Callable[..., Any] | None = None) -> TrainingJob:
        """Check the inputs, stage uploads and start :func:`lookgan.train` in the background."""
        info = describe(kind)  # an unknown kind: an error listing the known ones
        out = self.ws.new_look_path(name)
        record = self.ws.root / "jobs" / f"{out.stem}.json"  # where its images are, so Resume needs no upload
        saved = self._saved_job(record) if resume else {}
        if out.exists() and not resume:
            raise InputError(f"a look called {out.stem} exists already: tick Resume to continue training it, "
                             "or choose another name")
        run = self.ws.new_run(f"train-{out.stem}")
        style = self._images_from(style_files, style_dir, run / "style", "style images") or saved.get("style")
        if style is None:
            raise InputError("add the images in the look you want to learn (upload them or name a folder)")
        photos = self._images_from(photo_files, photo_dir, run / "photos", "your photos") or saved.get("photos")
        if info.needs_photos and photos is None:
            raise InputError(f"{kind} learns how to change your photos: add some of your own photos too")
        if not info.needs_photos:
            photos = None
        record.parent.mkdir(exist_ok=True)
        record.write_text(json.dumps({"style": str(style), "photos": str(photos) if photos else None}))
        if train_fn is None:
            from .. import train as train_fn  # loads torch: the app serves its page before

        def run_training(progress_fn: Callable[[Any], None], abort_fn: Callable[[], bool]) -> Any:
            return train_fn(kind, style, out=out, photos=photos, steps=steps or None, minutes=minutes or None,
                            size=size or None, resume=resume, progress_fn=progress_fn, abort_fn=abort_fn)

        return self.board.submit(TrainingJob(run_training, name=out.stem, kind=kind, look=out))

    @staticmethod
    def _saved_job(record: Path) -> dict[str, Path]:
        try:
            saved = json.loads(record.read_text())
        except (OSError, ValueError):
            return {}
        return {k: Path(v) for k, v in saved.items() if v and Path(v).is_dir()}

    def stop_training(self) -> str:
        return "stopping after the current step (a checkpoint is saved)…" if self.board.stop() else "nothing is training"

    def training_status(self) -> str:
        """Markdown for the status box: step, losses, speed, ETA, or how the run ended."""
        s = self.board.snapshot()
        if s is None:
            return "No training yet. Add images, choose a kind and press **Start**."
        head = f"**{s.name}** ({s.kind}) — {s.status}"
        if s.total:
            pct = 100 * s.step / s.total
            head += f": step {s.step} / {s.total} ({pct:.0f} %)"
        lines = [head]
        if s.losses:
            lines.append(" · ".join(f"{k} {v:.3f}" for k, v in s.losses.items()))
        if s.status in ("running", "stopping"):
            lines.append(f"{s.steps_per_s:.2f} steps/s · elapsed {format_eta(s.elapsed_s)} · "
                         f"ETA {format_eta(s.eta_s)}")
        if s.message:
            lines.append(("⚠️ " if s.status == "failed" else "") + s.message)
        return "\n\n".join(lines)

    def loss_plot(self) -> Path | None:
        """The current job's losses as a PNG (a new file name per drawing, so browsers never show a stale one)."""
        from ..viz import plot_curves  # loads torch: the app serves its page before

        snap = self.board.snapshot()
        if snap is None or not snap.history:
            return None
        folder = self.ws.root / "jobs"
        path = folder / f"{snap.name}-loss-{snap.step}-{len(snap.history)}.png"
        if not path.exists():
            for old in folder.glob(f"{snap.name}-loss-*.png"):
                old.unlink(missing_ok=True)
            folder.mkdir(exist_ok=True)
            plot_curves(snap.history, path, title=f"{snap.name} ({snap.kind})")
        return path

    # --- apply -----------------------------------------------------------------------------------------------
    def apply(self, look_name: str, files: Sequence[Any] | None, *, strength: float = 1.0,
              keep_colour: bool = False, on_file: Callable[[Path, Path], None] | None = None,
              portrait: dict[str, float] | None = None, settings: dict[str, float] | None = None) -> ApplyResult:
        """``portrait``: ``person_strength``, ``background_strength``, ``protect_skin`` (needs the faces extra);
        ``settings``: the look's sliders as moved (name -> value)."""
        from .. import apply as apply_look  # loads torch (the app starts without it)
        from ..api import BatchOptions, PortraitOptions  # loads torch: the app serves its page before

        look = self.ws.look_path(look_name)
        inputs = _paths(files)
        if not inputs:
            raise InputError("upload the photos (or a video) to apply the look to")
        for path in inputs:
            check_upload(path, what="", max_pixels=self.max_pixels, videos=True)
        if not 0.0 <= float(strength) <= 1.0:
            raise InputError(f"strength must be between 0 and 1, got {strength}")
        run = self.ws.new_run(f"apply-{look_name}")
        outputs = apply_look(look, inputs, out=run / "results", strength=float(strength),
                             keep_colour=bool(keep_colour), progress=False,
                             portrait=PortraitOptions.from_flags(**(portrait or {})),
                             batch=BatchOptions(max_pixels=self.max_pixels, on_file=on_file),
                             settings=dict(settings) if settings else None)
        if not outputs:
            raise InputError("none of the uploaded files could be read; see the warnings")
        pairs = [(src, dst) for src, dst in zip(inputs, outputs) if dst.suffix.lower() not in VIDEO_SUFFIXES]
        compare = None
        if pairs:
            (run / "preview").mkdir()
            src, dst = pairs[0]
            compare = (_preview(src, run / "preview" / "before.jpg"), _preview(dst, run / "preview" / "after.jpg"))
        mask = self._mask_preview(compare[0], run / "preview" / "mask.jpg") if portrait and compare else None
        video = next((p for p in outputs if p.suffix.lower() in VIDEO_SUFFIXES), None)
        download = outputs[0] if len(outputs) == 1 else zip_files(outputs, run / f"{look_name}-results.zip")
        skipped = len(inputs) - len(outputs)
        message = f"applied **{look_name}** to {len(outputs)} file(s)" + (f"; {skipped} skipped" if skipped else "")
        return ApplyResult(outputs=outputs, compare=compare, video=video, download=download, message=message,
                           mask=mask)

    @staticmethod
    def _mask_preview(before: Path, dest: Path) -> Path:
        from PIL import Image

        from ..portrait import PortraitMasker, mask_overlay  # loads torch: the app serves its page before

        image = np.asarray(Image.open(before).convert("RGB"))
        with PortraitMasker() as masker:
            Image.fromarray(mask_overlay(image, masker(image))).save(dest, quality=90)
        return dest

    # --- generate --------------------------------------------------------------------------------------------
    def generate(self, look_name: str, *, n: int = 16, seed: int = 0, truncation: float = 0.0,
                 frames: int = 0) -> GenerateResult:
        from .. import generate as generate_images  # loads torch: the app serves its page before

        look = self.ws.look_path(look_name)
        kind = self.look_kinds().get(look_name)
        if kind not in kind_names() or not describe(kind).generates:
            raise InputError(f"{look_name} is a {kind} look: it restyles photos (Apply tab); new images come "
                             "from dcgan or fastgan looks")
        if not 1 <= int(n) <= 256:
            raise InputError(f"number of images must be 1..256, got {n}")
        run = self.ws.new_run(f"generate-{look_name}")
        written = generate_images(look, int(n), out=run, seed=int(seed), truncation=float(truncation) or None,
                                  grid=True, interpolate=int(frames) or None, animation="gif", progress=False)
        images = [p for p in written if p.suffix == ".png" and p.name != "grid.png"]
        animation = next((p for p in written if p.suffix == ".gif"), None)
        download = zip_files(written, run / f"{look_name}-s{int(seed)}.zip")
        return GenerateResult(images=images, animation=animation, download=download)

    # --- export ----------------------------------------------------------------------------------------------
    def export(self, look_name: str, *, format: str = "cube", size: int = 0) -> tuple[Path, str]:
        from .. import export as export_look  # loads torch: the app serves its page before

        look = self.ws.look_path(look_name)
        suffix = {"cube": ".cube", "hald": ".png", "ffmpeg": ".ffmpeg", "xmp": ".zip", "pp3": ".pp3",
                  "dtstyle": ".dtstyle", "onnx": ".onnx", "all": ""}.get(format)
        run = self.ws.new_run(f"export-{look_name}")
        if format == "look":
            path = zip_look(look, run / f"{look_name}.look.zip")
            return path, (f"wrote **{path.name}** ({path.stat().st_size / 1024:.0f} KiB): the look without its "
                          "training checkpoints; upload it in Apply on another lookgan, or unzip it for the CLI")
        if suffix is None:
            raise InputError(f"format {format!r} is not offered here; choose cube, hald, ffmpeg, xmp, pp3, dtstyle, "
                             "onnx, all or look")
        report: dict[str, Any] = {}
        stem = f"{look_name}-lightroom" if format == "xmp" else look_name
        path = export_look(look, format=format, out=run / f"{stem}{suffix}",  # type: ignore[arg-type]
                           size=(int(size) or None) if format in ("cube", "hald") else None, report=report)
        if format == "all":
            path = zip_folder(path, run / f"{look_name}-all-formats.zip")
            return path, (f"wrote **{path.name}**: every format, with a README.txt naming each file's program")
        if format in ("ffmpeg", "pp3", "dtstyle"):  # the script / profile names its LUT file: both in one download
            script, lut = path, path.with_suffix(".png" if format == "pp3" else ".cube")
            path = zip_files([script, lut], run / f"{look_name}-{format}.zip")
            use = {"ffmpeg": f"`ffmpeg -i IN -filter_complex_script {script.name} OUT`",
                   "pp3": "load the .pp3 in RawTherapee as a processing profile",
                   "dtstyle": "import the style in darktable (lighttable > styles) with the .cube in its 3D lut "
                              "root folder"}[format]
            return path, (f"wrote **{path.name}**: {script.name} and {lut.name}; unzip them together, then {use} "
                          f"(the {script.suffix} names the {lut.suffix} by its path here: export again, or edit "
                          "that path, on another computer)")
        text = f"wrote **{path.name}** ({path.stat().st_size / 1024:.0f} KiB)"
        if "not_in_lut" in report:
            text += f"; only the colour part: {report['not_in_lut']} are not in a LUT (the ffmpeg format has them)"
        if "lut_psnr" in report:
            text += (f"; this texture look was distilled into a LUT that reproduces its colours at "
                     f"{report['lut_psnr']:.1f} dB PSNR (high = the look is mostly colour)")
        return path, text

    # --- evaluate --------------------------------------------------------------------------------------------
    def evaluate(self, look_name: str, photo_files: Sequence[Any] | None, style_files: Sequence[Any] | None = None,
                 ) -> EvalResult:
        from .. import evaluate as evaluate_look  # loads torch: the app serves its page before
        from ..eval.look_report import METRIC_MEANINGS, format_value  # loads torch: the app serves its page before

        look = self.ws.look_path(look_name)
        kind = self.look_kinds().get(look_name)
        generates = kind in kind_names() and describe(kind).generates
        run = self.ws.new_run(f"eval-{look_name}")
        photos = self._images_from(photo_files, None, run / "photos", "held-out images" if generates else "photos")
        style = self._images_from(style_files, None, run / "style", "style images")
        if photos is None and not generates:
            raise InputError("upload a few of your photos the look has not seen, to apply it and measure")
        report_dir = run / "report"
        report_dir.mkdir()
        kwargs: dict[str, Any] = {"held": photos} if generates else {"photos": photos}
        metrics = evaluate_look(look, style=style, out=report_dir / "report.html", progress=False, **kwargs)
        rows = ["| metric | before the look | with the look | what it means |", "|---|---|---|---|"]
        for key, (label, meaning) in METRIC_MEANINGS.items():
            if isinstance(metrics.get(key), (int, float)):
                before = metrics.get(f"{key}_before")
                rows.append(f"| {label} | {format_value(before)} | {format_value(metrics[key])} | {meaning} |")
        skipped = metrics.get("skipped") or {}
        if skipped:
            rows.append("")
            rows.extend(f"- not measured: **{k}** — {v}" for k, v in skipped.items())
        pictures = sorted(p for p in report_dir.rglob("*") if p.suffix.lower() in (".png", ".jpg"))
        download = zip_folder(report_dir, run / f"{look_name}-report.zip")
        return EvalResult(metrics=metrics, table="\n".join(rows), report=report_dir / "report.html",
                          download=download, pictures=pictures)
