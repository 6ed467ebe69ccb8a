"""The Learn tab's actions: stage the images, train in the background, stop, resume (after a server stop too).

A look trained here has a record, ``jobs/NAME.json``: where its staged images are, its settings, which browser
started it and how it ended (``running`` until then). A server killed mid-training leaves ``running`` there;
the next server marks it ``interrupted`` and the page offers Resume, which continues from the last checkpoint
with the same images and settings, no upload needed. No gradio here.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from ..core.catalogue import describe
from ..core.errors import InputError
from ..core.io import atomic_write_json
from ..core.lazy import api
from ..core.options import options_values
from .jobs import JobBoard, JobState, TrainingJob, format_eta
from .sessions import LOCAL, Limits
from .workspace import Workspace, stage_images

_CHECKPOINT = re.compile(r"^ckpt-(\d{8,})\.json$")


def paths_of(files: Sequence[Any] | None) -> list[Path]:
    """Gradio gives file paths as str (or temp-file objects with ``.name`` in older releases)."""
    return [Path(f) if isinstance(f, (str, os.PathLike)) else Path(f.name) for f in (files or [])]


def last_checkpoint_step(look: Path) -> int | None:
    """The newest checkpoint's step in ``look``, from file names alone (no torch for the status line)."""
    steps = [int(m.group(1)) for p in (look / "checkpoints").glob("ckpt-*.json") if (m := _CHECKPOINT.match(p.name))]
    return max(steps) if steps else None


class LearnActions:
    """Mixed into :class:`lookgan.ui.actions.Actions`: what the Learn tab's buttons do."""

    ws: Workspace
    board: JobBoard
    allow_folders: bool
    limits: Limits
    checkpoint_minutes: float

    # --- records -------------------------------------------------------------------------------------------
    def _job_record(self, name: str) -> Path:
        return self.ws.root / "jobs" / f"{name}.json"

    def _read_job(self, name: str) -> dict[str, Any]:
        try:
            record = json.loads(self._job_record(name).read_text())
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def mark_interrupted_jobs(self) -> list[str]:
        """At server start: trainings still ``running`` in their records were cut off by the last server."""
        names = []
        for path in sorted((self.ws.root / "jobs").glob("*.json")):
            record = self._read_job(path.stem)
            if record.get("status") == "running":
                record.update(status="interrupted", step=last_checkpoint_step(self.ws.new_look_path(path.stem)))
                atomic_write_json(path, record)
                names.append(path.stem)
        return names

    def interrupted_job(self) -> dict[str, Any] | None:
        """The latest training a server stop cut off (and nobody has resumed since), with its name."""
        found = [{**r, "name": path.stem} for path in (self.ws.root / "jobs").glob("*.json")
                 if (r := self._read_job(path.stem)).get("status") == "interrupted"]
        return max(found, key=lambda r: (r.get("started", ""), r["name"]), default=None)

    def _on_end(self, state: JobState) -> None:
        record = self._read_job(state.name)
        record.update(status=state.status, step=state.step, message=state.message)
        atomic_write_json(self._job_record(state.name), record)

    # --- inputs --------------------------------------------------------------------------------------------
    def _images_from(self, files: Sequence[Any] | None, folder: str | None, dest: Path, what: str) -> Path | None:
        """Uploaded files are checked and staged in ``dest``; a folder name is used where it lies."""
        uploads = paths_of(files)
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
        self.limits.check_request(uploads, what)
        stage_images(uploads, dest, what=what, min_images=2, max_pixels=self.limits.max_pixels)
        return dest

    # --- training ------------------------------------------------------------------------------------------
    def start_training(self, *, kind: str, name: str, style_files: Sequence[Any] | None = None,
                       style_dir: str | None = None, photo_files: Sequence[Any] | None = None,
                       photo_dir: str | None = None, steps: int | None = None, minutes: float | None = None,
                       size: int | None = None, resume: bool = False, owner: str = LOCAL,
                       options: dict[str, Any] | None = None,
                       train_fn: Callable[..., Any] | None = None) -> TrainingJob:
        """Check the inputs, stage uploads and start :func:`lookgan.train` in the background. ``options``: the
        kind's own options as set on the page (``--global`` -> ``{"global": True}``; see
        :attr:`lookgan.kinds.base.Method.options`)."""
        info = describe(kind)  # an unknown kind: an error listing the known ones
        method_options = options_values(info.options, options or {})
        out = self.ws.new_look_path(name)
        saved = {k: Path(v) for k, v in self._read_job(out.stem).items()
                 if k in ("style", "photos") and v and Path(v).is_dir()} if resume else {}
        if out.exists() and not resume:
            raise InputError(f"a look called {out.stem} exists already: tick Resume to continue training it, "
                             "or choose another name")
        self.board.check_free(owner)  # before staging anything (submit checks again)
        self.limits.check_session(self.ws.session_folder(owner))
        run = self.ws.new_run(f"train-{out.stem}", owner)
        style = self._images_from(style_files, style_dir, run / "style", "style images") or saved.get("style")
        if style is None:
            raise InputError("add the images in the look you want to learn (upload them or name a folder)")
        photos = self._images_from(photo_files, photo_dir, run / "photos", "your photos") or saved.get("photos")
        if info.needs_photos and photos is None:
            raise InputError(f"{kind} learns how to change your photos: add some of your own photos too")
        if not info.needs_photos:
            photos = None
        atomic_write_json(self._job_record(out.stem), {
            "style": str(style), "photos": str(photos) if photos else None, "kind": kind, "steps": steps or 0,
            "minutes": minutes or 0, "size": size or 0, "options": dict(options or {}), "owner": owner,
            "status": "running", "started": time.strftime("%Y-%m-%d %H:%M:%S")})
        train_fn = train_fn or api.train

        def run_training(progress_fn: Callable[[Any], None], abort_fn: Callable[[], bool]) -> Any:
            return train_fn(kind, style, out=out, photos=photos, steps=steps or None, minutes=minutes or None,
                            size=size or None, resume=resume, progress_fn=progress_fn, abort_fn=abort_fn,
                            checkpoint_minutes=self.checkpoint_minutes, method_options=method_options or None)

        return self.board.submit(TrainingJob(run_training, name=out.stem, kind=kind, look=out, owner=owner,
                                             on_end=self._on_end))

    def resume_interrupted(self, owner: str = LOCAL, train_fn: Callable[..., Any] | None = None) -> TrainingJob:
        """Resume the training a server stop cut off, with its images and settings."""
        record = self.interrupted_job()
        if record is None:
            raise InputError("no training was cut off by a server stop; to continue a look, tick Resume and "
                             "press Start")
        return self.start_training(kind=record["kind"], name=record["name"], steps=record.get("steps") or None,
                                   minutes=record.get("minutes") or None, size=record.get("size") or None,
                                   options=record.get("options"), resume=True, owner=owner, train_fn=train_fn)

    def stop_training(self, owner: str | None = None) -> str:
        return ("stopping after the current step (a checkpoint is saved)…" if self.board.stop(owner)
                else "nothing is training")

    def training_status(self, owner: str | None = None) -> str:
        """Markdown for the status box: step, losses, speed, ETA, or how the run ended; who is training."""
        s = self.board.snapshot()
        if s is None:
            cut = self.interrupted_job()
            if cut is not None:
                step = f"; its last checkpoint is at step {cut['step']}" if cut.get("step") else ""
                return (f"⚠️ The server stopped while **{cut['name']}** ({cut.get('kind', '?')}) was training"
                        f"{step}. Press **Resume interrupted training** to go on from there.")
            return "No training yet. Add images, choose a kind and press **Start**."
        head = f"**{s.name}** ({s.kind}) — {s.status}"
        if s.total and not (s.status == "done" and s.step == 0):  # a look fitted in one go has no steps to count
            head += f": step {s.step} / {s.total} ({100 * s.step / s.total:.0f} %)"
        if owner is not None and s.owner and s.owner != owner:
            head += f" · started at {s.started} by someone else on this server"
        lines = [head]
        if s.losses:
            lines.append(" · ".join(f"{k} {v:.3f}" for k, v in s.losses.items()))
        if s.status in ("running", "stopping"):
            lines.append(f"{s.steps_per_s:.2f} steps/s · elapsed {format_eta(s.elapsed_s)} · "
                         f"ETA {format_eta(s.eta_s)}")
        lines.extend(f"⚠️ {w}" for w in s.warnings)
        if s.message:
            lines.append(("⚠️ " if s.status == "failed" else "") + s.message)
        return "\n\n".join(lines)

    def loss_plot(self) -> Path | None:
        """The current job's losses as a PNG (a new file name per drawing, so browsers never show a stale one)."""
        snap = self.board.snapshot()
        if snap is None or not snap.history:
            return None
        folder = self.ws.root / "jobs"
        path = folder / f"{snap.name}-loss-{snap.step}-{len(snap.history)}.png"
        if not path.exists():
            for old in folder.glob(f"{snap.name}-loss-*.png"):
                old.unlink(missing_ok=True)
            folder.mkdir(exist_ok=True)
            api.plot_curves(snap.history, path, title=f"{snap.name} ({snap.kind})")
        return path
