"""The one training loop every method runs in.

A method supplies ``train_step``; this loop does the rest, identically for all methods: batches from a resumable
stream, bf16 autocast and channels-last when asked, EMA updates, a NaN/inf guard, progress callbacks (the CLI's
tqdm bar and the web app hook in here), sample grids, a loss plot, optional TensorBoard, atomic checkpoints
with the complete state, the look written at every checkpoint, and a clean stop on SIGINT/SIGTERM, a wall-clock
budget or ``abort_fn``.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Union

import torch

from ..core.config import TrainConfig, resolve_amp, to_dict
from ..core.errors import TrainingDivergedError
from ..core.extras import require
from ..core.io import remove_stale_temps
from ..data.dataset import BatchStream, MultiStream
from ..data.images import save_image
from ..kinds.base import Method, NonFiniteStepError, Progress, StopReason, TrainResult
from ..kinds.look import versions, write_look
from ..ops.swd import swd
from ..ops.viz import make_grid, plot_curves
from . import distributed
from .checkpoint import (
    Checkpoint,
    capture_rng,
    flatten_optimizer,
    make_room,
    restore_rng,
    save_checkpoint,
    tensors_nbytes,
    unflatten_optimizer,
)
from .distributed import SINGLE, World
from .storage import SMALL_FILES, storage_context, warn_if_short_of_space

Stream = Union[BatchStream, MultiStream]
Batch = Union[torch.Tensor, dict]


def _batch_map(batch: Batch, fn: Callable[[torch.Tensor], Any]) -> Any:
    """Apply ``fn`` to a batch tensor, or to every tensor of a named batch (unpaired methods)."""
    return {k: fn(v) for k, v in batch.items()} if isinstance(batch, dict) else fn(batch)


def _batch_finite(batch: Batch) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in (batch.values() if isinstance(batch, dict) else [batch]))


# --- full state ------------------------------------------------------------------------------------------------
def collect_state(method: Method, stream: Stream) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Every tensor and value needed to continue training exactly: nets, EMA, optimisers, buffers, data, RNG."""
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {"optimizers": {}}
    for name, net in method.nets.items():
        tensors.update({f"net.{name}.{k}": v for k, v in net.state_dict().items()})
    if method.ema is not None:
        tensors.update({f"ema.{k}": v for k, v in method.ema.module.state_dict().items()})
    for name, opt in method.optimizers.items():
        t, m = flatten_optimizer(f"opt.{name}", opt)
        tensors.update(t)
        meta["optimizers"][name] = m
    tensors.update({f"buf.{k}": v for k, v in method.buffers.items()})
    stream_tensors, meta["stream"] = split_stream_state(stream)
    tensors.update(stream_tensors)
    rng_tensors, meta["rng"] = capture_rng()
    tensors.update(rng_tensors)
    return tensors, meta


def split_stream_state(stream: Stream) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """A stream's state as checkpoint tensors (``stream.<key>``) and JSON-ready plain values."""
    tensors, plain = {}, {}
    for k, v in stream.state_dict().items():
        if isinstance(v, torch.Tensor):
            tensors[f"stream.{k}"] = v
        else:
            plain[k] = v
    return tensors, plain


def _sub(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def restore_state(method: Method, stream: Stream | None, ckpt: Checkpoint) -> None:
    """Load a checkpoint into a freshly built method (and stream); random states are restored last."""
    t, meta = ckpt.tensors, ckpt.meta
    for name, net in method.nets.items():
        net.load_state_dict(_sub(t, f"net.{name}."), strict=True)
    if method.ema is not None:
        method.ema.module.load_state_dict(_sub(t, "ema."), strict=True)
    for name, opt in method.optimizers.items():
        opt.load_state_dict(unflatten_optimizer(f"opt.{name}", t, meta["optimizers"][name]))
    for name in method.buffers:
        method.buffers[name] = t[f"buf.{name}"].to(method.device)
    if stream is not None:
        stream.load_state_dict({**meta["stream"], **_sub(t, "stream.")})
    restore_rng(t, meta["rng"])


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


def _tensorboard(out: Path) -> Any:
    return require("tensorboard", "torch.utils.tensorboard").SummaryWriter(str(out / "tensorboard"))


#: Name of the periodic SWD curve in the history, the loss plot and TensorBoard.
EVAL_CURVE = "eval: SWD x1e3 (lower is better)"


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
) -> TrainResult:
    """Train ``method`` on ``stream`` up to ``train.steps`` steps; returns where and why it stopped.

    Under torchrun (``world``), ``stream`` yields the global batch and each rank trains on its slice; only rank
    0 writes files and calls ``progress_fn``."""
    out = Path(out)
    ckpt_dir, sample_dir = out / "checkpoints", out / "samples"
    device = torch.device(train.device)
    for folder in (out, ckpt_dir, sample_dir):  # leftovers of a run killed mid-write
        remove_stale_temps(folder)
    step, history, elapsed_before = 0, [], 0.0
    if start is not None:
        restore_state(method, stream, start)
        step, history, elapsed_before = start.step, list(start.meta.get("history", [])), start.meta["elapsed_s"]
    distributed.wrap(method, world)
    distributed.rank_seed(train.seed, step, world)
    if method.ema is not None:
        method.ema.decay = train.ema_decay
    method.train_mode(True)
    if train.channels_last:
        method.to_channels_last()
    bf16 = resolve_amp(train.amp, str(device)) == "bf16"  # lookgan.train has resolved "auto" already
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    writer = _tensorboard(out) if train.tensorboard and world.main else None
    stopped: StopReason = "done"
    window: dict[str, list[float]] = {}
    bad_in_row = 0
    last_ckpt: Path | None = start.path if start is not None else None
    saved_step = step if start is not None else -1
    sample_path: Path | None = None
    t0 = time.monotonic()
    first_step = step

    def elapsed() -> float:
        return time.monotonic() - t0

    grids: dict[int, Any] = {}

    def grid_now() -> Any:
        """The sample grid at the current step, computed once even when both a sample and a look want it."""
        if step not in grids:
            grids.clear()
            with distributed.unwrapped(method):
                grids[step] = make_grid(method.sample().float(), nrow=method.sample_nrow)
        return grids[step]

    def write_sample() -> Path:

        grid = grid_now()
        path = sample_dir / f"step-{step:07d}.png"
        save_image(grid, path)
        if writer is not None:
            writer.add_image("samples", torch.from_numpy(grid).permute(2, 0, 1), step)
        return path

    def evaluate_now() -> None:
        """SWD of the method's fixed outputs vs fixed reals, as one more curve in the history and plot."""

        with distributed.unwrapped(method):
            sets = method.eval_sets()
        if sets is None:
            return
        value = swd(*sets, seed=0).mean
        history.append({"step": step, "losses": {EVAL_CURVE: value}})
        if writer is not None:
            writer.add_scalar(EVAL_CURVE, value, step)

    saved_at = time.monotonic()

    def checkpoint_due() -> bool:
        minutes = train.checkpoint_minutes
        late = minutes is not None and time.monotonic() - saved_at >= 60 * minutes
        return step % train.checkpoint_every == 0 or late

    def checkpoint() -> Path:
        nonlocal saved_step, saved_at
        if not method.parameters_finite():
            raise TrainingDivergedError(
                f"weights became NaN/inf at step {step}; not saving them. The last good checkpoint "
                f"({last_ckpt or 'none'}) is kept: lower the learning rate and resume, or retrain")
        with distributed.unwrapped(method):
            tensors, meta = collect_state(method, stream)
            look_tensors = method.look_tensors()
        # the new checkpoint and look are written in full beside the old ones before those go
        make_room(ckpt_dir, tensors_nbytes(tensors) + tensors_nbytes(look_tensors) + SMALL_FILES,
                  what=f"checkpoint {step} and the look")
        meta.update(kind=method.kind, config=to_dict(method.config), train=to_dict(train), data=data_summary,
                    versions=versions(), history=history, elapsed_s=elapsed_before + elapsed(),
                    world_size=world.size)
        path = save_checkpoint(ckpt_dir, step, tensors, meta, keep_last=train.keep_last)
        write_look(out, kind=method.kind, config=method.config, tensors=look_tensors, preview=grid_now(),
                   meta={"steps": step, "train": to_dict(train), "data": data_summary})
        if history:
            plot_curves(history, out / "loss.png", title=f"{method.kind} · {out.name}")
        saved_step, saved_at = step, time.monotonic()
        return path

    if world.main and start is None:
        warn_if_short_of_space(method, out, train.keep_last)
    with _SignalStop() as sig, storage_context(lambda: last_ckpt, out):
        while step < train.steps:
            reason: StopReason | None = None
            if sig.signum is not None:
                reason = "signal"
            elif abort_fn is not None and abort_fn():
                reason = "abort"
            elif train.minutes is not None and elapsed() >= train.minutes * 60.0:
                reason = "minutes"
            if distributed.any_rank(reason is not None, world, device):  # every rank stops at the same step
                stopped = reason or "abort"
                break
            batch = _batch_map(distributed.shard(stream.next_batch(), world), lambda t: t.to(device))
            if train.channels_last:
                batch = _batch_map(batch, lambda t: t.contiguous(memory_format=torch.channels_last))
            # Forward passes in train mode update BatchNorm statistics even when the step is then refused, so
            # they are kept aside and put back on a skipped step: one bad batch must not poison the model.
            buffers = method.buffers_snapshot()
            try:
                if not _batch_finite(batch):
                    raise NonFiniteStepError("the batch holds NaN/inf pixels")
                with autocast:
                    losses = method.train_step(batch, step)
            except NonFiniteStepError as e:
                method.restore_buffers(buffers)
                bad_in_row += 1
                warnings.warn(f"step {step + 1}: {e}; step skipped ({bad_in_row}/{train.max_bad_steps} in a row)",
                              stacklevel=2)
                if bad_in_row >= train.max_bad_steps:
                    raise TrainingDivergedError(
                        f"training diverged: {bad_in_row} non-finite steps in a row at step {step + 1}. The last good "
                        f"checkpoint is kept ({last_ckpt or 'none written yet'}); lower the learning rate or check "
                        "the data, then run again with --resume") from None
                continue
            bad_in_row = 0
            step += 1
            method.update_ema(step)
            values = {k: float(v) for k, v in losses.items()}
            for k, v in values.items():
                window.setdefault(k, []).append(v)
            if step % train.log_every == 0 or step == train.steps:
                record = {"step": step, "losses": {k: sum(v) / len(v) for k, v in window.items()}}
                history.append(record)
                window.clear()
                if writer is not None:
                    for k, v in record["losses"].items():
                        writer.add_scalar(f"loss/{k}", v, step)
            if not world.main:
                continue
            if train.eval_every and step % train.eval_every == 0:
                evaluate_now()
            new_sample = None
            if train.sample_every and step % train.sample_every == 0:
                new_sample = sample_path = write_sample()
            if checkpoint_due():
                last_ckpt = checkpoint()
            if progress_fn is not None:
                rate = (step - first_step) / max(elapsed(), 1e-9)
                eta = (train.steps - step) / rate if rate > 0 else None
                if train.minutes is not None:
                    left = max(0.0, train.minutes * 60.0 - elapsed())
                    eta = left if eta is None else min(eta, left)
                progress_fn(Progress(step=step, total=train.steps, losses=values, steps_per_s=rate, eta_s=eta,
                                     elapsed_s=elapsed(), sample_path=new_sample))
        if saved_step != step and world.main:
            sample_path = write_sample()
            last_ckpt = checkpoint()
    if writer is not None:
        writer.close()
    return TrainResult(look=out, step=step, stopped=stopped, elapsed_s=elapsed(), sample_path=sample_path,
                       loss_plot=(out / "loss.png") if (out / "loss.png").exists() else None, checkpoint=last_ckpt,
                       signal=sig.signum, history=history)


def fit_closed_form(method: Method, data: dict[str, Any], *, out: str | Path, train: TrainConfig,
                    data_summary: dict[str, Any]) -> TrainResult:
    """Fit a closed-form method (colour-transfer baselines) by ``method.prepare`` and write its look."""

    out = Path(out)
    t0 = time.monotonic()
    method.prepare(data, fresh=True)
    data_summary.update(method.notes)
    method.train_mode(False)
    grid = make_grid(method.sample().float(), nrow=method.sample_nrow)
    sample_path = out / "samples" / "fit.png"
    sample_path.parent.mkdir(parents=True, exist_ok=True)
    save_image(grid, sample_path)
    write_look(out, kind=method.kind, config=method.config, tensors=method.look_tensors(), preview=grid,
               meta={"steps": 0, "train": to_dict(train), "data": data_summary})
    return TrainResult(look=out, step=0, stopped="done", elapsed_s=time.monotonic() - t0, sample_path=sample_path,
                       loss_plot=None, checkpoint=None)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch: a run's model init and draws follow from its seed."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)

