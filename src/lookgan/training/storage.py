"""Disk space for a training run: how much it needs, a warning at the start, and what a full disk says.

The checkpoint writer itself (:func:`lookgan.training.checkpoint.save_checkpoint`) never leaves half a file; this
is what the loop adds around it: the room a run will need, said before the first checkpoint, and the message of a
:class:`~lookgan.core.errors.StorageError` completed with the last good checkpoint and how to go on from it.
"""
from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

from ..core.errors import StorageError
from ..core.io import free_bytes, megabytes
from .checkpoint import tensors_nbytes

#: Room for a checkpoint's JSON, the preview, the sample grid and the loss plot beside its tensors.
SMALL_FILES = 4 * 10**6


def space_needed(method: Any, keep_last: int) -> int:
    """About how many bytes a run of ``method`` needs at its peak: ``keep_last`` checkpoints plus the one being
    written (weights, EMA, Adam's two moments per trained weight) and the look twice (old and new)."""
    nets = sum(tensors_nbytes(net.state_dict()) for net in method.nets.values())
    ema = tensors_nbytes(method.ema.module.state_dict()) if method.ema is not None else 0
    checkpoint = 3 * nets + ema + tensors_nbytes(method.buffers) + SMALL_FILES
    return (keep_last + 1) * checkpoint + 2 * tensors_nbytes(method.look_tensors()) + SMALL_FILES


def warn_if_short_of_space(method: Any, out: Path, keep_last: int) -> None:
    """Say at the start, not at the first checkpoint, when the look's disk is too small for the run."""
    need, free = space_needed(method, keep_last), free_bytes(out)
    if free is not None and free < need:
        warnings.warn(f"{megabytes(free)} free at {out}; this run needs about {megabytes(need)} ({keep_last} "
                      "checkpoints kept, and a new one beside them): it will delete older checkpoints when "
                      "space runs short and stop cleanly, keeping the last good one, when it runs out",
                      stacklevel=3)


@contextlib.contextmanager
def storage_context(last_checkpoint: Callable[[], Path | None], out: Path) -> Iterator[None]:
    """A full disk (or a read-only or vanished folder) mid-run: the error says what is kept and how to go on."""
    try:
        yield
    except StorageError as e:
        last = last_checkpoint()
        kept = (f"the last good checkpoint is {last} (the look {out} is as of it and loads); once there is "
                "room, run the same command with --resume to go on from it") if last else (
                "no checkpoint was written yet; once there is room, run the command again")
        raise e.with_context(kept) from e
