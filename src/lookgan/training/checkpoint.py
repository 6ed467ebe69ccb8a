"""Checkpoints: the full training state as safetensors (tensors) + JSON (everything else), written atomically.

Layout inside ``NAME.look/checkpoints/``: ``ckpt-00001000.safetensors`` then ``ckpt-00001000.json``. The JSON is
written last and records the SHA-256 of the tensor file, so a checkpoint counts only once both are complete and
agree: a crash, ``kill -9`` or full disk at any moment leaves the previous checkpoint as the newest valid one.
Loading never unpickles anything.

The state is complete (stylegan2-ada #108, CycleGAN #592 are what happens otherwise): every network, the EMA
copy, every optimiser, fixed buffers, the data stream's order and generator, and the Python, NumPy and torch
random states. On CPU, N steps straight equal N/2 + resume + N/2 bit for bit.
"""
from __future__ import annotations

import json
import random
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from ..core.io import (
    atomic_write_all,
    bytes_writer,
    check_free_space,
    free_bytes,
    json_bytes,
    megabytes,
    sha256_bytes,
    sha256_file,
    tensors_bytes,
)
from ..kinds.base import Method

FORMAT = "lookgan-checkpoint"
FORMAT_VERSION = 1
_NAME = re.compile(r"^ckpt-(\d{8,})\.json$")


@dataclass
class Checkpoint:
    """A loaded checkpoint: flat tensors and the JSON metadata."""

    step: int
    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]
    path: Path


# --- random state ----------------------------------------------------------------------------------------------
def capture_rng() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Python, NumPy and torch (CPU and CUDA) random states, split into tensors and JSON values."""
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    version, internal, gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    meta = {"python": [version, list(internal), gauss],
            "numpy": [np_name, np_keys.tolist(), int(np_pos), int(np_has_gauss), float(np_gauss)]}
    return tensors, meta


def restore_rng(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    version, internal, gauss = meta["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = meta["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(tensors["rng.torch"].to(torch.uint8))
    cuda = sorted(k for k in tensors if k.startswith("rng.cuda."))
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([tensors[k].to(torch.uint8) for k in cuda])


# --- optimisers ------------------------------------------------------------------------------------------------
def flatten_optimizer(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An optimiser's state_dict as ``{prefix.<param>.<key>: tensor}`` plus JSON (param groups, scalars)."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for key, value in st.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.{idx}.{key}"] = value.detach().contiguous()
            else:
                scalars.setdefault(str(idx), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def unflatten_optimizer(prefix: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            idx, key = name[len(prefix) + 1:].split(".", 1)
            state.setdefault(int(idx), {})[key] = value
    for idx, values in meta["scalars"].items():
        state.setdefault(int(idx), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


# --- files -----------------------------------------------------------------------------------------------------
def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """``(step, json_path)`` of every checkpoint JSON in ``folder``, newest first (validity not checked)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found, reverse=True)


def save_checkpoint(folder: str | Path, step: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any], *,
                    keep_last: int = 3) -> Path:
    """Write checkpoint ``step`` atomically (tensors, then the JSON that vouches for them, both in full before
    either is moved into place); prune to ``keep_last``. On any error (disk full: a
    :class:`~lookgan.core.errors.DiskFullError`) the previous checkpoints are untouched and nothing of the new one
    is left."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"ckpt-{step:08d}"
    st_path, json_path = folder / f"{stem}.safetensors", folder / f"{stem}.json"
    data = tensors_bytes(tensors)
    record = {"format": FORMAT, "format_version": FORMAT_VERSION, "step": step,
              "tensors_file": st_path.name, "tensors_sha256": sha256_bytes(data), **meta}
    atomic_write_all({st_path: bytes_writer(data), json_path: bytes_writer(json_bytes(record))})
    for _, old_json in list_checkpoints(folder)[keep_last:]:
        old_json.unlink(missing_ok=True)  # the JSON first: a half-pruned checkpoint is never taken as valid
        old_json.with_suffix(".safetensors").unlink(missing_ok=True)
    return json_path


def tensors_nbytes(tensors: dict[str, torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors.values())


def make_room(folder: str | Path, need: int, *, what: str) -> None:
    """Before writing ``need`` bytes into ``folder``: when its disk has less free, delete the older checkpoints
    (never the newest: it is the one to resume from), and if that is not enough refuse with a
    :class:`~lookgan.core.errors.DiskFullError` before anything is written."""
    folder = Path(folder)
    free = free_bytes(folder)
    if free is None or free >= need:
        return
    for _, old_json in list_checkpoints(folder)[1:]:
        old_json.unlink(missing_ok=True)
        old_json.with_suffix(".safetensors").unlink(missing_ok=True)
        warnings.warn(f"low disk space at {folder} ({megabytes(free)} free): deleted the older checkpoint "
                      f"{old_json.name} to make room for {what}", stacklevel=2)
        free = free_bytes(folder) or 0
        if free >= need:
            return
    check_free_space(folder, need, what)


def load_checkpoint(json_path: str | Path, *, map_location: str = "cpu") -> Checkpoint:
    """Load and verify one checkpoint; ``ValueError`` says what is wrong with it."""
    json_path = Path(json_path)
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{json_path}: unreadable metadata ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{json_path}: not a lookgan checkpoint")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"{json_path}: written by a newer lookgan (format {meta['format_version']}); upgrade")
    name = meta.get("tensors_file", "")
    if Path(name).name != name or not name.endswith(".safetensors"):
        raise ValueError(f"{json_path}: tensors_file {name!r} must be a file name beside the JSON")
    st_path = json_path.parent / name
    if not st_path.exists():
        raise ValueError(f"{json_path}: its tensor file {name} is missing")
    if sha256_file(st_path) != meta.get("tensors_sha256"):
        raise ValueError(f"{st_path}: checksum mismatch (truncated or modified)")
    try:
        tensors = load_file(str(st_path), device=map_location)
    except (SafetensorError, OSError) as e:
        raise ValueError(f"{st_path}: unreadable tensors ({e})") from None
    return Checkpoint(step=int(meta["step"]), tensors=tensors, meta=meta, path=json_path)


def load_latest_checkpoint(folder: str | Path, *, map_location: str = "cpu") -> Checkpoint | None:
    """The newest checkpoint in ``folder`` that loads and verifies; damaged ones are reported and skipped."""
    for _, json_path in list_checkpoints(folder):
        try:
            return load_checkpoint(json_path, map_location=map_location)
        except ValueError as e:
            warnings.warn(f"skipping damaged checkpoint: {e}; trying the previous one", stacklevel=2)
    return None


# --- a run's complete state -----------------------------------------------------------------------------------
def collect_state(method: Method, stream: Any) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
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


def split_stream_state(stream: Any) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
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


def restore_state(method: Method, stream: Any, ckpt: Checkpoint) -> None:
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
