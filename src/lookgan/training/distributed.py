"""Training and applying on several processes with PyTorch's own engine (torchrun, DistributedDataParallel).

``torchrun --nproc_per_node N -m lookgan train ...`` runs the same command in N processes; lookgan notices the
environment torchrun sets (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``) and then:

* joins the process group (gloo on CPU, nccl on CUDA, each rank on its own GPU);
* wraps every trained network in :class:`~torch.nn.parallel.DistributedDataParallel` (``static_graph``: our
  steps use a network several times — D on real and fake, CUT's generator for its PatchNCE taps — and the
  same way every step), so gradients are averaged across processes inside ``backward``. Methods call their
  networks only through ``forward`` (extra entry points are keyword arguments of it) so DDP sees every use.
  BatchNorm: SyncBatchNorm on CUDA; on CPU, where PyTorch's
  SyncBatchNorm does not run, each process normalises by its own batch (per-rank statistics; rank 0's running
  statistics are the ones saved);
* shards data the way a distributed sampler does, with the order in the resumable state: every process draws
  the same *global* batch of ``--batch`` x N images from the same seeded stream and trains on its own slice
  (rank r takes rows r*B .. r*B+B-1), so the stream state is identical on every rank, one checkpoint serves all
  of them, and N processes x batch B step exactly like 1 process x batch N*B;
* gives each rank its own random stream for the method's draws (latents, augmentation), derived from the seed,
  the step and the rank, so a resumed run continues deterministically;
* lets only rank 0 write checkpoints, samples, plots and the look, agrees on stopping (time budget, Ctrl-C,
  SIGTERM) with one all-reduce per step, and exits cleanly: DDP modules deleted, garbage collected, a barrier,
  then the process group destroyed (without that order, CPU workers sometimes abort at exit with "terminate
  called without an active exception").
"""
from __future__ import annotations

import contextlib
import gc
import os
from dataclasses import dataclass
from typing import Any, Iterator

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class World:
    """Where this process stands: ``rank`` of ``size`` (1 when not distributed)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


SINGLE = World()


def world_from_env() -> World:
    """The world torchrun describes in the environment (a single process when it does not)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    return World(rank=int(os.environ.get("RANK", "0")), size=size, local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def init(device: str) -> tuple[World, str]:
    """Join the process group when started by torchrun; returns the world and this rank's device (``cuda`` ->
    ``cuda:LOCAL_RANK``)."""
    world = world_from_env()
    if not world.distributed:
        return SINGLE, device
    if device.startswith("cuda"):
        device = f"cuda:{world.local_rank}"
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return world, device


def wrap(method: Any, world: World) -> None:
    """Put every trained network of ``method`` (those an optimiser steps) inside DDP; SyncBatchNorm on CUDA."""
    if not world.distributed:
        return
    stepped = {id(p) for opt in method.optimizers.values() for g in opt.param_groups for p in g["params"]}
    for name, net in list(method.nets.items()):
        if not any(id(p) in stepped for p in net.parameters()):
            continue
        if method.device.type == "cuda":
            net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        method.nets[name] = nn.parallel.DistributedDataParallel(
            net, device_ids=[method.device.index] if method.device.type == "cuda" else None,
            # BatchNorm statistics stay per rank (synced once at start); buffers are not rewritten mid-step.
            forward_sync_buffers=False,
            static_graph=True)  # the same graph every step, with networks used several times per step (CUT, GANs)


def unwrap(module: nn.Module) -> nn.Module:
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


@contextlib.contextmanager
def unwrapped(method: Any) -> Iterator[None]:
    """The method's plain networks while state is collected, samples drawn or the look written (DDP would
    prefix every name with ``module.``); the DDP wrappers come back afterwards."""
    wrapped = dict(method.nets)
    method.nets.update({k: unwrap(v) for k, v in wrapped.items()})
    try:
        yield
    finally:
        method.nets.update(wrapped)


def shard(batch: Any, world: World) -> Any:
    """This rank's slice of a global batch (a tensor, or a dict of them for multi-folder methods)."""
    if not world.distributed:
        return batch
    if isinstance(batch, dict):
        return {k: shard(v, world) for k, v in batch.items()}
    per = batch.shape[0] // world.size
    return batch[world.rank * per:(world.rank + 1) * per]


def rank_seed(seed: int, step: int, world: World) -> None:
    """Give this rank its own torch random stream from (seed, step, rank): different latents and augmentations
    on each rank, the same ones again when a run resumes at ``step``."""
    if world.distributed:
        torch.manual_seed((seed * 1_000_003 + step * 7_919 + world.rank * 104_729) % 2**63)


def any_rank(flag: bool, world: World, device: torch.device) -> bool:
    """True on every rank when ``flag`` is true on any of them (one small all-reduce)."""
    if not world.distributed:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def barrier(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.barrier()


def broadcast(value: Any, world: World) -> Any:
    """Rank 0's ``value`` on every rank (any picklable object)."""
    if not world.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def shutdown(method: Any | None, world: World) -> None:
    """Leave the process group cleanly: DDP modules deleted, garbage collected, barrier, destroy."""
    if not world.distributed or not dist.is_initialized():
        return
    if method is not None:
        method.nets.update({k: unwrap(v) for k, v in method.nets.items()})
    gc.collect()
    dist.barrier()
    dist.destroy_process_group()
