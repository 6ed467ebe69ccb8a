"""What the trainer does around the steps, one hook each: the loss history, periodic evaluation, sample grids,
checkpoints with the look, progress reports.

The split follows stylegan3's training loop and Lightning's callbacks: the loop (:func:`.loop.run_training`)
only steps, stops and calls the hooks; each hook reads and updates the shared :class:`Run` after every step
(:meth:`Hook.after_step`) and once at the end (:meth:`Hook.at_end`), in the order given. Under torchrun every
rank keeps the history; only rank 0 runs the hooks that write files or report.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from ..core.config import TrainConfig, to_dict
from ..core.errors import TrainingDivergedError
from ..core.extras import require
from ..data.images import save_image
from ..kinds.base import Method, Progress, StopReason
from ..kinds.look import versions, write_look
from ..ops.swd import swd
from ..ops.viz import make_grid, plot_curves
from . import distributed
from .checkpoint import collect_state, make_room, save_checkpoint, tensors_nbytes
from .distributed import World
from .storage import SMALL_FILES

#: Name of the periodic SWD curve in the history, the loss plot and TensorBoard.
EVAL_CURVE = "eval: SWD x1e3 (lower is better)"


@dataclass
class Run:
    """One training run as the hooks see it: what is trained, where it writes, and how far it got."""

    method: Method
    stream: Any
    train: TrainConfig
    out: Path
    data_summary: dict[str, Any]
    world: World
    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    elapsed_before: float = 0.0
    """Seconds trained before this invocation (a resumed run's earlier sessions)."""
    first_step: int = 0
    last_checkpoint: Path | None = None
    saved_step: int = -1
    sample_path: Path | None = None
    new_sample: Path | None = None
    """The sample grid written after this step, if any (for the progress report)."""
    stopped: StopReason = "done"
    writer: Any = None
    """TensorBoard's SummaryWriter when asked for (rank 0), else None."""
    started: float = field(default_factory=time.monotonic)
    _grids: dict[int, Any] = field(default_factory=dict)

    def elapsed(self) -> float:
        """Seconds since this invocation started."""
        return time.monotonic() - self.started

    def grid(self) -> Any:
        """The sample grid at the current step, computed once even when both a sample and a look want it."""
        if self.step not in self._grids:
            self._grids.clear()
            with distributed.unwrapped(self.method):
                self._grids[self.step] = make_grid(self.method.sample().float(), nrow=self.method.sample_nrow)
        return self._grids[self.step]


class Hook:
    """Something the trainer does after every step and at the end; both do nothing unless overridden."""

    def after_step(self, run: Run, losses: dict[str, float]) -> None:
        """Called after every step that was taken (a refused, non-finite step is not one)."""

    def at_end(self, run: Run) -> None:
        """Called once when the loop stops, whatever the reason (not when it raises)."""


def tensorboard_writer(out: Path) -> Any:
    return require("tensorboard", "torch.utils.tensorboard").SummaryWriter(str(out / "tensorboard"))


class LossHistory(Hook):
    """Mean losses over each ``every`` steps (and the last step) into the history and TensorBoard."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.window: dict[str, list[float]] = {}

    def after_step(self, run: Run, losses: dict[str, float]) -> None:
        for k, v in losses.items():
            self.window.setdefault(k, []).append(v)
        if run.step % self.every == 0 or run.step == run.train.steps:
            record = {"step": run.step, "losses": {k: sum(v) / len(v) for k, v in self.window.items()}}
            run.history.append(record)
            self.window.clear()
            if run.writer is not None:
                for k, v in record["losses"].items():
                    run.writer.add_scalar(f"loss/{k}", v, run.step)


class Evaluation(Hook):
    """SWD of the method's fixed outputs vs fixed reals every ``every`` steps, as one more curve."""

    def __init__(self, every: int) -> None:
        self.every = every

    def after_step(self, run: Run, losses: dict[str, float]) -> None:
        if not self.every or run.step % self.every:
            return
        with distributed.unwrapped(run.method):
            sets = run.method.eval_sets()
        if sets is None:
            return
        value = swd(*sets, seed=0).mean
        run.history.append({"step": run.step, "losses": {EVAL_CURVE: value}})
        if run.writer is not None:
            run.writer.add_scalar(EVAL_CURVE, value, run.step)


class Samples(Hook):
    """A sample grid every ``every`` steps (``samples/step-NNNNNNN.png``), and one with the final checkpoint."""

    def __init__(self, every: int) -> None:
        self.every = every

    def write(self, run: Run) -> Path:
        grid = run.grid()
        path = run.out / "samples" / f"step-{run.step:07d}.png"
        save_image(grid, path)
        if run.writer is not None:
            run.writer.add_image("samples", torch.from_numpy(grid).permute(2, 0, 1), run.step)
        run.sample_path = path
        return path

    def after_step(self, run: Run, losses: dict[str, float]) -> None:
        if self.every and run.step % self.every == 0:
            run.new_sample = self.write(run)

    def at_end(self, run: Run) -> None:
        if run.saved_step != run.step:  # the final checkpoint comes next: its sample goes with it
            self.write(run)


class Checkpoints(Hook):
    """The complete state every ``checkpoint_every`` steps or ``checkpoint_minutes`` (and at the end), with the
    look written beside it and the loss plot redrawn; never from a model whose weights went NaN/inf."""

    def __init__(self, train: TrainConfig) -> None:
        self.every, self.minutes = train.checkpoint_every, train.checkpoint_minutes
        self.saved_at = time.monotonic()

    def due(self, run: Run) -> bool:
        late = self.minutes is not None and time.monotonic() - self.saved_at >= 60 * self.minutes
        return run.step % self.every == 0 or late

    def save(self, run: Run) -> Path:
        method, out, step = run.method, run.out, run.step
        if not method.parameters_finite():
            raise TrainingDivergedError(
                f"weights became NaN/inf at step {step}; not saving them. The last good checkpoint "
                f"({run.last_checkpoint or 'none'}) is kept: lower the learning rate and resume, or retrain")
        with distributed.unwrapped(method):
            tensors, meta = collect_state(method, run.stream)
            look_tensors = method.look_tensors()
        # the new checkpoint and look are written in full beside the old ones before those go
        make_room(out / "checkpoints", tensors_nbytes(tensors) + tensors_nbytes(look_tensors) + SMALL_FILES,
                  what=f"checkpoint {step} and the look")
        meta.update(kind=method.kind, config=to_dict(method.config), train=to_dict(run.train),
                    data=run.data_summary, versions=versions(), history=run.history,
                    elapsed_s=run.elapsed_before + run.elapsed(), world_size=run.world.size)
        path = save_checkpoint(out / "checkpoints", step, tensors, meta, keep_last=run.train.keep_last)
        write_look(out, kind=method.kind, config=method.config, tensors=look_tensors, preview=run.grid(),
                   meta={"steps": step, "train": to_dict(run.train), "data": run.data_summary})
        if run.history:
            plot_curves(run.history, out / "loss.png", title=f"{method.kind} · {out.name}")
        run.saved_step, run.last_checkpoint = step, path
        self.saved_at = time.monotonic()
        return path

    def after_step(self, run: Run, losses: dict[str, float]) -> None:
        if self.due(run):
            self.save(run)

    def at_end(self, run: Run) -> None:
        if run.saved_step != run.step:
            self.save(run)


class ProgressReport(Hook):
    """``progress_fn(Progress)`` after every step: losses, speed and the time left (the budget's, if sooner)."""

    def __init__(self, progress_fn: Callable[[Progress], None]) -> None:
        self.progress_fn = progress_fn

    def after_step(self, run: Run, losses: dict[str, float]) -> None:
        elapsed, total = run.elapsed(), run.train.steps
        rate = (run.step - run.first_step) / max(elapsed, 1e-9)
        eta = (total - run.step) / rate if rate > 0 else None
        if run.train.minutes is not None:
            left = max(0.0, run.train.minutes * 60.0 - elapsed)
            eta = left if eta is None else min(eta, left)
        self.progress_fn(Progress(step=run.step, total=total, losses=losses, steps_per_s=rate, eta_s=eta,
                                  elapsed_s=elapsed, sample_path=run.new_sample))


def default_hooks(run: Run, progress_fn: Callable[[Progress], None] | None) -> list[Hook]:
    """The hooks every run gets, in the order they run after a step: history on every rank; evaluation,
    samples, checkpoints and progress on rank 0 only."""
    t = run.train
    hooks: list[Hook] = [LossHistory(t.log_every)]
    if run.world.main:
        hooks += [Evaluation(t.eval_every), Samples(t.sample_every), Checkpoints(t)]
        if progress_fn is not None:
            hooks.append(ProgressReport(progress_fn))
    return hooks
