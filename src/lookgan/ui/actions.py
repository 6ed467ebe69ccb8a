"""What each button of the web app does, as plain methods over the library (no gradio here).

:class:`Actions` takes what the browser sends (uploaded file paths, names, numbers), checks it, calls
:mod:`lookgan`'s public functions and returns paths and text for the page. The app (:mod:`lookgan.ui.app`) only
wires these to widgets and turns errors into messages, so everything here is tested without a browser.
"""
from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..core.catalogue import describe, kind_names
from ..core.errors import InputError
from ..core.lazy import api
from .jobs import JobBoard
from .learn import LearnActions, paths_of
from .sessions import LOCAL, Limits, finish_record, list_results, mark_interrupted, start_record
from .workspace import VIDEO_SUFFIXES, Workspace, check_upload, zip_files, zip_folder, zip_look

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


def _preview(src: Path, dest: Path, side: int = PREVIEW_SIDE) -> Path:
    """A JPEG at most ``side`` px for the page (full-size results stay in the download)."""
    from PIL import Image, ImageOps

    with Image.open(src) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        im.thumbnail((side, side))
        im.save(dest, quality=90)
    return dest


#: Photos kept small for the sliders' preview, one per browser (the latest browsers').
PREVIEW_CACHE = 16


class Actions(LearnActions):
    """The app's behaviour over one :class:`Workspace`; ``allow_folders`` lets users name folders on the
    server's disk (only when the app listens on this computer alone); ``limits`` bound each request and each
    browser. Methods that make files take ``owner`` (:func:`lookgan.ui.sessions.owner_key`): the browser
    whose folder they go in. Creating it marks what a killed server left unfinished (its records say so).
    Training started here checkpoints at least every ``checkpoint_minutes``: what a killed server may lose."""

    def __init__(self, workspace: Workspace, *, allow_folders: bool = True, limits: Limits | None = None,
                 checkpoint_minutes: float = 5.0) -> None:
        self.ws = workspace
        self.checkpoint_minutes = checkpoint_minutes
        self.board = JobBoard()
        self.allow_folders = allow_folders
        self.limits = limits or Limits()
        self.interrupted = {"requests": mark_interrupted(self.ws.runs), "trainings": self.mark_interrupted_jobs()}
        # the photo whose preview the sliders redraw, made small once: (owner, photo, mtime, side) -> (JPEG, pixels)
        self._previews: OrderedDict[tuple[str, str, int, int], tuple[Path, Any]] = OrderedDict()
        self._previews_lock = threading.Lock()

    @property
    def max_pixels(self) -> int:
        return self.limits.max_pixels

    # --- a browser's results ---------------------------------------------------------------------------------
    def results(self, owner: str = LOCAL) -> tuple[str, list[Path]]:
        """Markdown listing this browser's earlier results (interrupted ones with what finished), and each
        request's download (its file, or the zip of its files)."""
        found = self.results_list(owner)
        if not found:
            return "No results yet in this browser.", []
        rows = ["| when | what | look | files | |", "|---|---|---|---|---|"]
        for r in found:
            note = "⚠️ " + r.message if r.status == "interrupted" else r.status
            rows.append(f"| {r.started} | {r.what} | {r.look} | {len(r.outputs)} | {note} |")
        return "\n".join(rows), [r.download for r in found if r.download is not None]

    def results_list(self, owner: str = LOCAL) -> list[Any]:
        return list_results(self.ws.session_folder(owner))

    def delete_results(self, owner: str = LOCAL) -> str:
        removed = self.ws.delete_results(owner)
        with self._previews_lock:  # this browser's small photos went with its folder; others' stay
            for key in [k for k in self._previews if k[0] == owner]:
                del self._previews[key]
        return f"deleted {removed} earlier request(s) of this browser"

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

        return api.look_settings(self.ws.look_path(look_name))

    def expert_layers(self, look_name: str | None) -> tuple[str, ...]:
        """The layers of the look's sliders that go in the "advanced" fold."""
        if not look_name or look_name not in self.ws.list_looks():
            return ()

        return api.expert_layers(self.ws.look_path(look_name))

    def save_adjusted(self, look_name: str, settings: dict[str, float] | None, new_name: str) -> str:
        """Save ``look_name`` with the slider ``settings`` as a new look; returns its name."""
        if not settings:
            raise InputError("move a slider first: the look as it is needs no copy")
        out = self.ws.new_look_path(new_name or f"{look_name}-adjusted")
        if out.exists():
            raise InputError(f"a look called {out.stem} exists already; choose another name")
        api.adjust(self.ws.look_path(look_name), dict(settings), out=out)
        return out.stem

    def preview(self, look_name: str, files: Sequence[Any] | None, *, settings: dict[str, float] | None = None,
                strength: float = 1.0, keep_colour: bool = False, side: int = 512,
                owner: str = LOCAL) -> tuple[Path, Path] | None:
        """(before, after) of the first uploaded photo at most ``side`` px, with the slider ``settings``: quick
        enough to follow the sliders. None when no photo is uploaded."""
        photos = [p for p in paths_of(files) if p.suffix.lower() not in VIDEO_SUFFIXES]
        if not photos:
            return None
        key = (owner, str(photos[0]), photos[0].stat().st_mtime_ns, side)
        with self._previews_lock:
            cached = self._previews.get(key)
        if cached is None or not cached[0].exists():  # else a slider moved: the same photo, made small once
            check_upload(photos[0], what="", max_pixels=self.max_pixels)
            run = self.ws.new_run(f"preview-{look_name}", owner)
            before = _preview(photos[0], run / "preview-before.jpg", side)
            cached = (before, api.read_image(before, keep_8bit=True))
            with self._previews_lock:
                self._previews[key] = cached
                while len(self._previews) > PREVIEW_CACHE:
                    self._previews.popitem(last=False)
        before, pixels = cached
        grade = api.as_restyler(api.adjusted_look(self.ws.look_path(look_name), settings)).grader(
            api.ApplyOptions(strength=float(strength), keep_colour=bool(keep_colour)))
        after = before.with_name(f"preview-after-{uuid.uuid4().hex[:8]}.jpg")  # a new name: the page shows it
        api.save_image(grade(pixels), after, quality=92)
        return before, after

    def import_look(self, zip_file: Any) -> str:
        (path,) = paths_of([zip_file])
        return self.ws.import_look_zip(path)

    # --- apply -----------------------------------------------------------------------------------------------
    def apply(self, look_name: str, files: Sequence[Any] | None, *, strength: float = 1.0,
              keep_colour: bool = False, on_file: Callable[[Path, Path], None] | None = None,
              portrait: dict[str, float] | None = None, settings: dict[str, float] | None = None,
              owner: str = LOCAL) -> ApplyResult:
        """``portrait``: ``person_strength``, ``background_strength``, ``protect_skin`` (needs the faces extra);
        ``settings``: the look's sliders as moved (name -> value)."""
        look = self.ws.look_path(look_name)
        inputs = paths_of(files)
        if not inputs:
            raise InputError("upload the photos (or a video) to apply the look to")
        self.limits.check_request(inputs, "photos")
        for path in inputs:
            check_upload(path, what="", max_pixels=self.max_pixels, videos=True)
        if not 0.0 <= float(strength) <= 1.0:
            raise InputError(f"strength must be between 0 and 1, got {strength}")
        self.limits.check_session(self.ws.session_folder(owner))
        run = self.ws.new_run(f"apply-{look_name}", owner)
        start_record(run, "apply", look=look_name, files=len(inputs))
        outputs = api.apply(look, inputs, out=run / "results", strength=float(strength),
                             keep_colour=bool(keep_colour), progress=False,
                             portrait=api.PortraitOptions.from_flags(**(portrait or {})),
                             batch=api.BatchOptions(max_pixels=self.max_pixels, on_file=on_file),
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
        finish_record(run, outputs=outputs, download=download, message=message)
        return ApplyResult(outputs=outputs, compare=compare, video=video, download=download, message=message,
                           mask=mask)

    @staticmethod
    def _mask_preview(before: Path, dest: Path) -> Path:
        from PIL import Image

        image = np.asarray(Image.open(before).convert("RGB"))
        with api.PortraitMasker() as masker:
            Image.fromarray(api.mask_overlay(image, masker(image))).save(dest, quality=90)
        return dest

    # --- generate --------------------------------------------------------------------------------------------
    def generate(self, look_name: str, *, n: int = 16, seed: int = 0, truncation: float = 0.0,
                 frames: int = 0, owner: str = LOCAL) -> GenerateResult:

        look = self.ws.look_path(look_name)
        kind = self.look_kinds().get(look_name)
        if kind not in kind_names() or not describe(kind).generates:
            raise InputError(f"{look_name} is a {kind} look: it restyles photos (Apply tab); new images come "
                             "from dcgan or fastgan looks")
        if not 1 <= int(n) <= 256:
            raise InputError(f"number of images must be 1..256, got {n}")
        self.limits.check_session(self.ws.session_folder(owner))
        run = self.ws.new_run(f"generate-{look_name}", owner)
        start_record(run, "generate", look=look_name, files=int(n))
        written = api.generate(look, int(n), out=run, seed=int(seed), truncation=float(truncation) or None,
                                  grid=True, interpolate=int(frames) or None, animation="gif", progress=False)
        images = [p for p in written if p.suffix == ".png" and p.name != "grid.png"]
        animation = next((p for p in written if p.suffix == ".gif"), None)
        download = zip_files(written, run / f"{look_name}-s{int(seed)}.zip")
        finish_record(run, outputs=written, download=download, message=f"{len(images)} new images")
        return GenerateResult(images=images, animation=animation, download=download)

    # --- export ----------------------------------------------------------------------------------------------
    def export(self, look_name: str, *, format: str = "cube", size: int = 0, owner: str = LOCAL) -> tuple[Path, str]:
        """The look in ``format`` (one file, or a zip of the files that go together) and what to do with it."""
        look = self.ws.look_path(look_name)
        self.limits.check_session(self.ws.session_folder(owner))
        run = self.ws.new_run(f"export-{look_name}", owner)
        start_record(run, f"export {format}", look=look_name, files=1)
        path, text = self._export(look, look_name, format, size, run)
        finish_record(run, outputs=[path], download=path, message=text.replace("**", ""))
        return path, text

    @staticmethod
    def _export(look: Path, look_name: str, format: str, size: int, run: Path) -> tuple[Path, str]:

        suffix = {"cube": ".cube", "hald": ".png", "ffmpeg": ".ffmpeg", "xmp": ".zip", "pp3": ".pp3",
                  "dtstyle": ".dtstyle", "onnx": ".onnx", "all": ""}.get(format)
        if format == "look":
            path = zip_look(look, run / f"{look_name}.look.zip")
            return path, (f"wrote **{path.name}** ({path.stat().st_size / 1024:.0f} KiB): the look without its "
                          "training checkpoints; upload it in Apply on another lookgan, or unzip it for the CLI")
        if suffix is None:
            raise InputError(f"format {format!r} is not offered here; choose cube, hald, ffmpeg, xmp, pp3, dtstyle, "
                             "onnx, all or look")
        report: dict[str, Any] = {}
        stem = f"{look_name}-lightroom" if format == "xmp" else look_name
        path = api.export(look, format=format, out=run / f"{stem}{suffix}",  # type: ignore[arg-type]
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
                 owner: str = LOCAL) -> EvalResult:

        look = self.ws.look_path(look_name)
        kind = self.look_kinds().get(look_name)
        generates = kind in kind_names() and describe(kind).generates
        self.limits.check_session(self.ws.session_folder(owner))
        run = self.ws.new_run(f"eval-{look_name}", owner)
        start_record(run, "evaluate", look=look_name, files=1)
        photos = self._images_from(photo_files, None, run / "photos", "held-out images" if generates else "photos")
        style = self._images_from(style_files, None, run / "style", "style images")
        if photos is None and not generates:
            raise InputError("upload a few of your photos the look has not seen, to apply it and measure")
        report_dir = run / "report"
        report_dir.mkdir()
        kwargs: dict[str, Any] = {"held": photos} if generates else {"photos": photos}
        metrics = api.evaluate(look, style=style, out=report_dir / "report.html", progress=False, **kwargs)
        rows = ["| metric | before the look | with the look | what it means |", "|---|---|---|---|"]
        for key, (label, meaning) in api.METRIC_MEANINGS.items():
            if isinstance(metrics.get(key), (int, float)):
                before = metrics.get(f"{key}_before")
                rows.append(f"| {label} | {api.format_value(before)} | {api.format_value(metrics[key])} | {meaning} |")
        skipped = metrics.get("skipped") or {}
        if skipped:
            rows.append("")
            rows.extend(f"- not measured: **{k}** — {v}" for k, v in skipped.items())
        pictures = sorted(p for p in report_dir.rglob("*") if p.suffix.lower() in (".png", ".jpg"))
        download = zip_folder(report_dir, run / f"{look_name}-report.zip")
        finish_record(run, outputs=[download], download=download, message="report")
        return EvalResult(metrics=metrics, table="\n".join(rows), report=report_dir / "report.html",
                          download=download, pictures=pictures)
