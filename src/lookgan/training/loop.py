"""The one training loop every kind runs in.

A kind supplies ``train_step``; the loop steps it and stops it, identically for all kinds: batches from a
resumable stream (unless the kind feeds itself, :attr:`~lookgan.kinds.base.DataSpec.feed`), bf16 autocast and
channels-last when asked, EMA updates, a NaN/inf guard, exact resume, and a clean stop on SIGINT/SIGTERM, a
wall-clock budget or ``abort_fn``. Everything else a run does (loss history, evaluation, sample grids,
checkpoints with the look, progress for the CLI's bar and the web app) is a hook in :mod:`.hooks`.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence, Union

import torch

from ..core.config import TrainConfig, resolve_amp, to_dict
from ..core.errors import TrainingDivergedError
from ..core.io import remove_stale_temps
from ..data.dataset import BatchStream, MultiStream
from ..data.images import save_image
from ..kinds.base import Method, NonFiniteStepError, Progress, StopReason, TrainResult
from ..kinds.look import write_look
from ..ops.viz import make_grid
from . import distributed
from .checkpoint import Checkpoint, restore_state
from .distributed import SINGLE, World
from .hooks import Hook, Run, default_hooks, tensorboard_writer
from .storage import storage_context, warn_if_short_of_space

Stream = Union[BatchStream, MultiStream]
Batch = Union[torch.Tensor, dict]


def _batch_map(batch: Batch, fn: Callable[[torch.Tensor], Any]) -> Any:
    """Apply ``fn`` to a batch tensor, or to every tensor of a named batch (unpaired methods)."""
    return {k: fn(v) for k, v in batch.items()} if isinstance(batch, dict) else fn(batch)


def _batch_finite(batch: Batch) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in (batch.values() if isinstance(batch, dict) else [batch]))


# --- stopping --------------------------------------------------------------------------------------------------
class _SignalStop:
    """Turns the first SIGINT/SIGTERM into a request to stop after the current step (and save); a second one
    interrupts at once. Only installs handlers in the main thread (the web app trains in a worker thread and
    uses ``abort_fn`` instead)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum

    def __enter__(self) -> "_SignalStop":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


# --- the loop --------------------------------------------------------------------------------------------------
def run_training(
    method: Method,
    stream: Stream,
    *,
    train: TrainConfig,  # steps, budget, cadences, EMA, AMP, device
    out: str | Path,  # the look folder; checkpoints/, samples/ and loss.png go inside it
    data_summary: dict[str, Any],  # recorded in checkpoints and look.json (folder, count, fingerprint)
    start: Checkpoint | None = None,  # resume from this checkpoint (already verified)
    progress_fn: Callable[[Progress], None] | None = None,  # called after every step
    abort_fn: Callable[[], bool] | None = None,  # polled before every step; True stops (and saves)
    world: World = SINGLE,  # several processes under torchrun (see lookgan.training.distributed)
    hooks: Sequence[Hook] | None = None,  # what runs after each step and at the end (default_hooks)
) -> TrainResult:
    """Train ``method`` on ``stream`` up to ``train.steps`` steps; returns where and why it stopped.

    Under torchrun (``world``), ``stream`` yields the global batch and each rank trains on its slice; only rank
    0 writes files and calls ``progress_fn``. A kind whose :class:`~lookgan.kinds.base.DataSpec` feeds
    ``frames`` draws its own batches from what :meth:`~lookgan.kinds.base.Method.prepare` kept: the stream is
    then not read."""
    run = _begin(method, stream, train=train, out=Path(out), data_summary=data_summary, start=start, world=world)
    hooks = default_hooks(run, progress_fn) if hooks is None else list(hooks)
    step_once = _Stepper(run, reads_batches=method.data_spec().feed == "crops")
    if world.main and start is None:
        warn_if_short_of_space(method, run.out, train.keep_last)
    with _SignalStop() as sig, storage_context(lambda: run.last_checkpoint, run.out):
        run.started = time.monotonic()
        while run.step < train.steps:
            reason = _stop_reason(run, sig.signum, abort_fn)
            if distributed.any_rank(reason is not None, world, step_once.device):  # all ranks stop at one step
                run.stopped = reason or "abort"
                break
            losses = step_once()
            if losses is None:  # a refused, non-finite step
                continue
            run.new_sample = None
            for hook in hooks:
                hook.after_step(run, losses)
        for hook in hooks:
            hook.at_end(run)
    if run.writer is not None:
        run.writer.close()
    return TrainResult(look=run.out, step=run.step, stopped=run.stopped, elapsed_s=run.elapsed(),
                       sample_path=run.sample_path, checkpoint=run.last_checkpoint, signal=sig.signum,
                       loss_plot=(run.out / "loss.png") if (run.out / "loss.png").exists() else None,
                       history=run.history)


def _begin(method: Method, stream: Stream, *, train: TrainConfig, out: Path, data_summary: dict[str, Any],
           start: Checkpoint | None, world: World) -> Run:
    """The run at its first step: temporaries of a killed run removed, a checkpoint restored, the method wrapped
    for torchrun and put in training mode."""
    for folder in (out, out / "checkpoints", out / "samples"):  # leftovers of a run killed mid-write
        remove_stale_temps(folder)
    run = Run(method=method, stream=stream, train=train, out=out, data_summary=data_summary, world=world)
    if start is not None:
        restore_state(method, stream, start)
        run.step = run.first_step = run.saved_step = start.step
        run.history, run.elapsed_before = list(start.meta.get("history", [])), start.meta["elapsed_s"]
        run.last_checkpoint = start.path
    distributed.wrap(method, world)
    distributed.rank_seed(train.seed, run.step, world)
    if method.ema is not None:
        method.ema.decay = train.ema_decay
    method.train_mode(True)
    if train.channels_last:
        method.to_channels_last()
    run.writer = tensorboard_writer(out) if train.tensorboard and world.main else None
    return run


def _stop_reason(run: Run, signum: int | None, abort_fn: Callable[[], bool] | None) -> StopReason | None:
    """Why this rank wants to stop before the next step (a signal, ``abort_fn`` or the time budget), or None."""
    if signum is not None:
        return "signal"
    if abort_fn is not None and abort_fn():
        return "abort"
    if run.train.minutes is not None and run.elapsed() >= run.train.minutes * 60.0:
        return "minutes"
    return None


class _Stepper:
    """One optimisation step: the next batch (unless the kind feeds itself), autocast, the NaN/inf guard and the
    EMA update. Returns the step's losses, or None for a refused step; too many refused in a row raise."""

    def __init__(self, run: Run, *, reads_batches: bool) -> None:
        self.run, self.reads_batches = run, reads_batches
        self.device = torch.device(run.train.device)
        bf16 = resolve_amp(run.train.amp, str(self.device)) == "bf16"  # lookgan.train resolved "auto" already
        self.autocast = (torch.autocast(device_type=self.device.type, dtype=torch.bfloat16) if bf16
                         else contextlib.nullcontext())
        self.bad_in_row = 0

    def batch(self) -> Batch | None:
        if not self.reads_batches:
            return None
        run = self.run
        batch = _batch_map(distributed.shard(run.stream.next_batch(), run.world), lambda t: t.to(self.device))
        if run.train.channels_last:
            batch = _batch_map(batch, lambda t: t.contiguous(memory_format=torch.channels_last))
        return batch

    def __call__(self) -> dict[str, float] | None:
        run, method = self.run, self.run.method
        batch = self.batch()
        # Forward passes in train mode update BatchNorm statistics even when the step is then refused, so
        # they are kept aside and put back on a skipped step: one bad batch must not poison the model.
        buffers = method.buffers_snapshot()
        try:
            if batch is not None and not _batch_finite(batch):
                raise NonFiniteStepError("the batch holds NaN/inf pixels")
            with self.autocast:
                losses = method.train_step(batch, run.step)
        except NonFiniteStepError as e:
            method.restore_buffers(buffers)
            self.bad_in_row += 1
            limit = run.train.max_bad_steps
            warnings.warn(f"step {run.step + 1}: {e}; step skipped ({self.bad_in_row}/{limit} in a row)",
                          stacklevel=3)
            if self.bad_in_row >= limit:
                raise TrainingDivergedError(
                    f"training diverged: {self.bad_in_row} non-finite steps in a row at step {run.step + 1}. The "
                    f"last good checkpoint is kept ({run.last_checkpoint or 'none written yet'}); lower the "
                    "learning rate or check the data, then run again with --resume") from None
            return None
        self.bad_in_row = 0
        run.step += 1
        method.update_ema(run.step)
        return {k: float(v) for k, v in losses.items()}


def fit_closed_form(method: Method, data: dict[str, Any], *, out: str | Path, train: TrainConfig,
                    data_summary: dict[str, Any]) -> TrainResult:
    """Fit a closed-form method (colour-transfer baselines) by ``method.prepare`` and write its look."""
    t0 = time.monotonic()
    method.prepare(data, fresh=True)
    data_summary.update(method.notes)
    return write_fitted(method, out=out, train=train, data_summary=data_summary, started=t0)


def write_fitted(method: Method, *, out: str | Path, train: TrainConfig, data_summary: dict[str, Any],
                 started: float) -> TrainResult:
    """Write what ``method.prepare`` fitted as the look (a sample grid beside it; no steps, no checkpoint)."""
    out = Path(out)
    method.train_mode(False)
    grid = make_grid(method.sample().float(), nrow=method.sample_nrow)
    sample_path = out / "samples" / "fit.png"
    sample_path.parent.mkdir(parents=True, exist_ok=True)
    save_image(grid, sample_path)
    write_look(out, kind=method.kind, config=method.config, tensors=method.look_tensors(), preview=grid,
               meta={"steps": 0, "train": to_dict(train), "data": data_summary})
    return TrainResult(look=out, step=0, stopped="done", elapsed_s=time.monotonic() - started,
                       sample_path=sample_path, loss_plot=None, checkpoint=None)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch: a run's model init and draws follow from its seed."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)

