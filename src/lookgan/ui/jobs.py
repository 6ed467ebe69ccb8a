"""Training in a background thread, so that the web page stays responsive while a look learns.

:class:`TrainingJob` runs :func:`lookgan.train` in a worker thread and keeps a snapshot of its progress (step,
losses, ETA, latest sample grid, a thinned loss history) that the page polls; :meth:`TrainingJob.stop` asks the
training loop to stop after the current step, which saves a checkpoint first (``abort_fn``), so Stop followed by
Resume continues exactly. :class:`JobBoard` allows one training job at a time per server: on two CPU cores a
second one would only halve the speed of both. A job belongs to the browser that started it (``owner``): the
others see its progress and who is training, and only its owner may stop it.

No gradio here: the app polls :meth:`TrainingJob.snapshot`, and the tests drive jobs directly.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from ..core.errors import InputError, LookganError
from .capture import collect_warnings

log = logging.getLogger(__name__)

Status = Literal["starting", "running", "stopping", "done", "stopped", "failed"]
#: Loss history points kept for the live plot (older points are thinned, not dropped).
MAX_HISTORY = 400


@dataclass
class JobState:
    """What the page shows about a training job."""

    name: str
    kind: str
    look: Path
    status: Status = "starting"
    step: int = 0
    total: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    steps_per_s: float = 0.0
    eta_s: float | None = None
    elapsed_s: float = 0.0
    sample_path: Path | None = None
    message: str = ""
    """Why it stopped or failed, in plain words."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """``{"step": s, "losses": {name: value}}`` points for the loss plot (the training loop's format)."""
    owner: str = ""
    """The browser that started it (:func:`lookgan.ui.sessions.owner_key`)."""
    started: str = field(default_factory=lambda: time.strftime("%H:%M"))
    warnings: list[str] = field(default_factory=list)
    """What the training said on the way (low disk space, a damaged checkpoint skipped)."""

    @property
    def active(self) -> bool:
        return self.status in ("starting", "running", "stopping")


def _thin(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every other point of the older half: a long run keeps its whole shape in at most MAX_HISTORY points."""
    half = len(history) // 2
    return history[:half:2] + history[half:]


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class TrainingJob:
    """One training run in a daemon thread. ``run(progress_fn, abort_fn)`` does the work (normally a call of
    :func:`lookgan.train` with those two callbacks) and returns its :class:`~lookgan.kinds.base.TrainResult`."""

    def __init__(self, run: Callable[[Callable[[Any], None], Callable[[], bool]], Any], *, name: str, kind: str,
                 look: Path, record_every: int = 1, owner: str = "",
                 on_end: Callable[[JobState], None] | None = None) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._on_end = on_end
        self._state = JobState(name=name, kind=kind, look=look, owner=owner)
        self._record_every = max(1, record_every)
        self._thread = threading.Thread(target=self._main, name=f"lookgan-train-{name}", daemon=True)

    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the loop to stop after the current step (it saves a checkpoint, then the thread ends)."""
        self._stop.set()
        with self._lock:
            if self._state.active:
                self._state.status = "stopping"

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> JobState:
        with self._lock:
            return copy.deepcopy(self._state)

    # --- worker thread ---------------------------------------------------------------------------------------
    def _progress(self, p: Any) -> None:
        with self._lock:
            s = self._state
            if s.status == "starting":
                s.status = "running"
            s.step, s.total, s.losses = p.step, p.total, dict(p.losses)
            s.steps_per_s, s.eta_s, s.elapsed_s = p.steps_per_s, p.eta_s, p.elapsed_s
            if p.sample_path is not None:
                s.sample_path = Path(p.sample_path)
            if p.step % self._record_every == 0 or p.step == p.total:
                s.history.append({"step": p.step, "losses": {k: float(v) for k, v in p.losses.items()}})
                if len(s.history) > MAX_HISTORY:
                    s.history = _thin(s.history)

    def _main(self) -> None:
        try:
            self._work()
        finally:
            if self._on_end is not None:
                try:
                    self._on_end(self.snapshot())
                except Exception:  # a record that cannot be written must not hide how training ended
                    log.exception("recording the end of training %s failed", self._state.name)

    def _warned(self, text: str) -> None:
        with self._lock:
            self._state.warnings = [*self._state.warnings[-4:], text]

    def _work(self) -> None:
        try:
            with collect_warnings(self._warned):
                result = self._run(self._progress, self._stop.is_set)
        except Exception as e:  # shown on the page; the server keeps running
            if not isinstance(e, LookganError):
                log.exception("training %s failed", self._state.name)
            with self._lock:
                self._state.status = "failed"
                self._state.message = str(e) if isinstance(e, LookganError) else (
                    f"unexpected error ({type(e).__name__}: {e}); the server log has the details")
            return
        with self._lock:
            s = self._state
            s.step = getattr(result, "step", s.step)
            if getattr(result, "sample_path", None):
                s.sample_path = Path(result.sample_path)
            stopped = getattr(result, "stopped", "done")
            s.status = "stopped" if stopped in ("abort", "signal") else "done"
            s.message = {"done": f"finished {s.step} steps" if s.step else "fitted in one go (no training steps "
                         "were needed; the look's info says why)", "minutes": f"time budget reached at step {s.step}",
                         "abort": f"stopped at step {s.step}; checkpoint saved (tick Resume to continue)",
                         "signal": f"interrupted at step {s.step}; checkpoint saved"}.get(stopped, stopped)
            if stopped == "minutes":
                s.status = "done"


class JobBoard:
    """At most one training job at a time; the latest one stays visible after it ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: TrainingJob | None = None

    def check_free(self, owner: str = "") -> None:
        """Refuse, saying who is training what and for how long yet, while a job runs."""
        s = self.current.snapshot() if self.current is not None else None
        if s is None or not s.active:
            return
        mine = s.owner == owner
        eta = f", about {format_eta(s.eta_s)} left" if s.eta_s is not None else ""
        raise InputError(f"one training at a time: {s.name} ({s.kind}) is still training for "
                         f"{'you' if mine else 'someone else on this server'} since {s.started} (step "
                         f"{s.step}/{s.total}{eta}); " + ("stop it or wait for it to finish before starting another"
                                                          if mine else "wait for it to finish, then start yours"))

    def submit(self, job: TrainingJob) -> TrainingJob:
        with self._lock:
            self.check_free(job.snapshot().owner)
            self.current = job.start()
        return job

    def snapshot(self) -> JobState | None:
        job = self.current
        return job.snapshot() if job is not None else None

    def stop(self, owner: str | None = None) -> bool:
        """Stop the running job; with ``owner``, only when that browser started it."""
        job = self.current
        if job is None or not job.snapshot().active:
            return False
        snap = job.snapshot()
        if owner is not None and snap.owner and owner != snap.owner:
            raise InputError(f"{snap.name} is training for someone else on this server; only the browser that "
                             "started it can stop it")
        job.stop()
        return True

    def shutdown(self, timeout: float = 120.0) -> None:
        """Stop a running job and wait for its checkpoint (the server is closing)."""
        if self.stop() and self.current is not None:
            if not self.current.wait(timeout):
                log.warning("training did not stop within %.0f s; its last checkpoint is kept", timeout)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass (for tests and the shutdown path)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
