"""The web app's own work folder: the only place it reads looks from, writes results to and serves files from.

Layout under ``root``::

    looks/     NAME.look folders (trained here, or uploaded as a zip): shared by everyone using the app
    uploads/   what browsers upload (Gradio's temporary folder; emptied when the server stops)
    runs/      runs/OWNER/ per browser (:mod:`lookgan.ui.sessions`), one folder per request inside it (staged
               training images, applied photos, exports, reports) with its record, run.json
    jobs/      one record per look trained here (its images, settings, owner and how it ended), for Resume

Nothing here imports gradio or torch, so it is tested directly. Every function that takes a name or a file
from the browser checks it: names become safe folder names, zips are extracted only inside ``looks/`` (no
absolute paths, no ``..``, bounded size), uploaded images are checked before any work starts, and errors name
the uploaded file (not the server's temporary path) and the fix.
"""
from __future__ import annotations

import re
import shutil
import time
import uuid
import zipfile
from pathlib import Path
from typing import Iterable

from ..core.errors import InputError, LookFormatError
from ..core.lazy import api
from ..data.images import DEFAULT_MAX_PIXELS, check_image

#: Same as :data:`lookgan.kinds.look.LOOK_JSON` (a test checks); not imported from there because look.py loads torch.
LOOK_JSON = "look.json"

#: Largest total a look zip may unpack to (a 1024-px fastgan look with its checkpoints is ~1 GB).
MAX_LOOK_UNZIPPED = 4 * 1024**3
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"})


def safe_name(text: str, *, default: str = "look") -> str:
    """A folder name made of letters, digits, ``-`` and ``_`` (at most 64), never empty, never ``.``/``..``."""
    stem = re.sub(r"\.look$", "", (text or "").strip(), flags=re.IGNORECASE)
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:64]
    return name or default


class Workspace:
    """The app's folders (created on first use); see the module docstring."""

    def __init__(self, root: str | Path, *, extra_looks: Iterable[str | Path] = ()) -> None:
        self.root = Path(root).expanduser().resolve()
        self.looks = self.root / "looks"
        self.uploads = self.root / "uploads"
        self.runs = self.root / "runs"
        self.extra_looks = [Path(p).expanduser().resolve() for p in extra_looks]
        for folder in (self.looks, self.uploads, self.runs):
            folder.mkdir(parents=True, exist_ok=True)

    # --- looks ---------------------------------------------------------------------------------------------
    def look_folders(self) -> list[Path]:
        return [self.looks, *self.extra_looks]

    def list_looks(self) -> list[str]:
        """Names (``NAME``, without ``.look``) of the finished looks in the looks folders, sorted."""
        names = set()
        for folder in self.look_folders():
            if folder.is_dir():
                names.update(p.name[:-5] for p in folder.glob("*.look") if (p / LOOK_JSON).is_file())
        return sorted(names)

    def look_path(self, name: str | None) -> Path:
        """The folder of the look called ``name`` (as listed by :meth:`list_looks`); anything else is refused."""
        if not name:
            raise InputError("choose a look first (train one in Learn, or upload a .look zip)")
        if name != safe_name(name):
            raise InputError(f"{name!r} is not a look name")
        for folder in self.look_folders():
            path = folder / f"{name}.look"
            if (path / LOOK_JSON).is_file():
                return path
        raise InputError(f"there is no look called {name!r} here; train it first or upload it as a zip")

    def new_look_path(self, name: str) -> Path:
        return self.looks / f"{safe_name(name)}.look"

    def import_look_zip(self, zip_path: str | Path) -> str:
        """Unpack an uploaded ``NAME.look`` zip into ``looks/`` and check it loads; returns its name.

        Refused: not a zip, members with absolute paths or ``..``, more than :data:`MAX_LOOK_UNZIPPED` bytes,
        no ``look.json``, or a look that does not load (bad JSON, wrong tensors). Only safetensors and JSON are
        ever read from it; nothing in it is executed."""
        zip_path = Path(zip_path)
        shown = zip_path.name
        if not zipfile.is_zipfile(zip_path):
            raise InputError(f"{shown} is not a zip file; zip the NAME.look folder and upload the .zip")
        with zipfile.ZipFile(zip_path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            for m in members:
                parts = Path(m.filename).parts
                if m.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    raise InputError(f"{shown}: refused, it holds a file outside the look ({m.filename})")
            if sum(m.file_size for m in members) > MAX_LOOK_UNZIPPED:
                raise InputError(f"{shown}: unpacks to more than {MAX_LOOK_UNZIPPED >> 30} GB; not a look")
            roots = {Path(m.filename).parts[0] for m in members if len(Path(m.filename).parts) > 1}
            has_top_json = any(m.filename == LOOK_JSON for m in members)
            if not has_top_json and len(roots) != 1:
                raise InputError(f"{shown}: no {LOOK_JSON} inside; zip a whole NAME.look folder")
            prefix = "" if has_top_json else f"{roots.pop()}/"
            base = zip_path.name[:-4] if zip_path.name.lower().endswith(".zip") else zip_path.stem
            name = safe_name(prefix.rstrip("/") or base)
            dest = self._free_look_path(name)
            staging = self.runs / f"unzip-{uuid.uuid4().hex[:8]}"
            try:
                for m in members:
                    if not m.filename.startswith(prefix):
                        continue
                    target = (staging / m.filename[len(prefix):]).resolve()
                    if staging.resolve() not in target.parents:
                        raise InputError(f"{shown}: refused, it holds a file outside the look ({m.filename})")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(m) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                try:
                    api.load_look(staging)
                except LookFormatError as e:
                    raise LookFormatError(str(e).replace(str(staging), shown)) from None
                staging.rename(dest)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return dest.name[:-5]

    def _free_look_path(self, name: str) -> Path:
        path, i = self.looks / f"{name}.look", 2
        while path.exists():
            path, i = self.looks / f"{name}-{i}.look", i + 1
        return path

    # --- per-request folders -------------------------------------------------------------------------------
    def session_folder(self, owner: str) -> Path:
        """``runs/OWNER/``: the one browser's files (``owner`` from :func:`lookgan.ui.sessions.owner_key`)."""
        if owner != safe_name(owner, default=""):
            raise InputError(f"{owner!r} is not a session name")
        return self.runs / owner

    def new_run(self, what: str, owner: str = "local") -> Path:
        """A fresh folder in ``owner``'s folder for one request's files (named so that newest sorts last)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.session_folder(owner) / f"{stamp}-{safe_name(what, default='run')}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    def delete_results(self, owner: str, *, keep: Iterable[Path] = ()) -> int:
        """Delete ``owner``'s request folders except ``keep`` (those still running); returns how many."""
        keep = {Path(p).resolve() for p in keep}
        folder, removed = self.session_folder(owner), 0
        for run in sorted(folder.iterdir()) if folder.is_dir() else []:
            if run.resolve() not in keep:
                shutil.rmtree(run, ignore_errors=True)
                removed += 1
        return removed

    def clean(self, *, older_than_s: float = 24 * 3600) -> int:
        """Delete request folders and uploads older than ``older_than_s``; returns how many were removed."""
        cutoff, removed = time.time() - older_than_s, 0
        for folder in (self.runs, self.uploads):
            for p in folder.iterdir() if folder.is_dir() else []:
                if p.stat().st_mtime < cutoff:
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                    removed += 1
        return removed

    def contains(self, path: str | Path) -> bool:
        """Whether ``path`` (resolved, links followed) lies inside the work folder."""
        resolved = Path(path).resolve()
        return resolved == self.root or self.root in resolved.parents


def stage_images(files: Iterable[str | Path] | None, dest: Path, *, what: str, min_images: int = 1,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """Check uploaded images and copy them into ``dest`` (a training folder); returns how many.

    The first file that is not a readable image stops it with an error naming that file, before anything is
    trained on; two uploads with one name are both kept."""
    paths = [Path(f) for f in (files or [])]
    if len(paths) < min_images:
        raise InputError(f"add at least {min_images} {what} (got {len(paths)})")
    dest.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(paths):
        check_upload(path, what=what, max_pixels=max_pixels)
        target = dest / path.name
        if target.exists():
            target = dest / f"{path.stem}-{i}{path.suffix}"
        shutil.copyfile(path, target)
    return len(paths)


def check_upload(path: Path, *, what: str, max_pixels: int = DEFAULT_MAX_PIXELS, videos: bool = False) -> None:
    """An uploaded photo (or, with ``videos``, a video file) is what it says; errors name the file, not the
    server's temporary path."""
    if videos and path.suffix.lower() in VIDEO_SUFFIXES:
        return
    try:
        check_image(path, max_pixels=max_pixels)
    except InputError as e:
        extra = f" or a video ({', '.join(sorted(s.lstrip('.') for s in VIDEO_SUFFIXES))})" if videos else ""
        prefix = f"{what}: " if what else ""
        raise type(e)(f"{prefix}{str(e).replace(str(path), path.name)}{extra}") from None


def zip_files(files: Iterable[Path], dest: Path, *, root: Path | None = None) -> Path:
    """Write ``files`` into the zip ``dest`` (names relative to ``root``, else bare file names)."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.relative_to(root).as_posix() if root else f.name)
    return dest


def zip_folder(folder: Path, dest: Path) -> Path:
    """Zip a whole folder (a look, a report with its pictures) with the folder's name as the top entry."""
    return zip_files(sorted(p for p in folder.rglob("*") if p.is_file()), dest, root=folder.parent)


def zip_look(look: Path, dest: Path) -> Path:
    """A look to share: its top-level files (look.json, weights, preview, loss plot) under ``NAME.look/``, without
    the checkpoints and samples that only matter for training it further."""
    return zip_files(sorted(p for p in look.iterdir() if p.is_file()), dest, root=look.parent)
