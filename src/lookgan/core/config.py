"""Typed configuration: nested dataclasses with checks, to and from plain dicts and YAML.

Every method has a config dataclass whose fields are themselves dataclasses or plain values. The resolved config
is saved beside every run (in the checkpoint JSON and in ``look.json``), so a look always says how it was made.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
import warnings
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import InputError

C = TypeVar("C")


def to_dict(config: Any) -> dict[str, Any]:
    """A dataclass config as a JSON/YAML-ready nested dict."""
    return dataclasses.asdict(config)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if dataclasses.is_dataclass(annotation):
        if not isinstance(value, dict):
            raise InputError(f"config {where}: expected a mapping, got {value!r}")
        return from_dict(annotation, value, _where=where)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], where) if len(args) == 1 else value
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        if isinstance(value, bool):  # YAML 1.1 reads a bare on/off, yes/no as a boolean: take the word back
            value = next((w for w in (("on", "yes", "true") if value else ("off", "no", "false")) if w in choices),
                         value)
        if value not in choices:
            raise InputError(f"config {where}: {value!r} is not one of {', '.join(map(repr, choices))}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"config {where}: expected a list, got {value!r}")
        return origin(value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (int, float, str, bool) and not isinstance(value, annotation):
        raise InputError(f"config {where}: expected {annotation.__name__}, got {value!r}")
    return value


def from_dict(cls: type[C], data: dict[str, Any], *, _where: str = "") -> C:
    """Build the dataclass ``cls`` from a nested dict; unknown keys and wrong types are an :class:`InputError`."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(
            f"config {_where or cls.__name__}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
        )
    kwargs = {k: _coerce(v, hints[k], f"{_where}.{k}" if _where else k) for k, v in data.items()}
    for k, v in kwargs.items():
        if k == "lr" or k.startswith("lr_"):
            _check_learning_rate(f"{_where}.{k}" if _where else k, v)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise InputError(f"config {_where or cls.__name__}: {e}") from None


#: Above this an Adam-trained GAN here diverges or collapses within a few hundred steps (defaults: 5e-5..2e-4).
EXTREME_LR = 1e-2


def _check_learning_rate(name: str, value: Any) -> None:
    """Every learning rate in any config: not positive is an error; very large gets a warning that says what
    will happen, so that a typo (2e-1 for 2e-4) does not end as a silent garbage look."""
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"config {name}: the learning rate must be a positive number, got {value!r}")
    if value > EXTREME_LR:
        warnings.warn(f"config {name} = {value:g} is an extreme learning rate (the defaults are 5e-5..2e-4): "
                      "expect NaN steps or a collapsed look; training stops by itself after repeated non-finite "
                      "steps, keeping the last good checkpoint", stacklevel=3)


def merge(config: C, overrides: dict[str, Any]) -> C:
    """A copy of ``config`` with a nested dict of overrides applied (checked like :func:`from_dict`)."""

    def deep(base: dict[str, Any], upd: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for k, v in upd.items():
            out[k] = deep(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    return from_dict(type(config), deep(to_dict(config), overrides))


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file into a dict, with errors that name the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"config file {path} does not exist") from None
    except yaml.YAMLError as e:
        raise InputError(f"config file {path} is not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"config file {path} must hold a mapping at the top level")
    return data


def save_yaml(config: Any, path: str | Path) -> None:
    """Write a config dataclass as YAML (the format ``--config`` reads)."""
    Path(path).write_text(yaml.safe_dump(to_dict(config), sort_keys=False), encoding="utf-8")


@dataclasses.dataclass
class TrainConfig:
    """How long and how a run trains; shared by every method (the method's own config says *what* it trains)."""

    steps: int = 2000
    """Total optimisation steps; a resumed run continues up to this number."""
    minutes: float | None = None
    """Wall-clock budget for this invocation; training stops at whichever of steps/minutes comes first."""
    batch: int = 16
    """Images per step."""
    seed: int = 0
    """Seeds model init, data order, augmentation and sampling: same seed, same run."""
    device: str = "cpu"
    """``cpu`` or ``cuda`` (``cuda:N``)."""
    sample_every: int = 200
    """Write a sample grid every this many steps (0: only at the end)."""
    checkpoint_every: int = 500
    """Write a checkpoint (and the look) every this many steps, and always at the end."""
    checkpoint_minutes: float | None = None
    """Also write a checkpoint when this many minutes passed since the last one, so that a run killed without
    warning (power cut, ``kill -9``, a server killed) loses at most that much work; the web app sets it."""
    keep_last: int = 3
    """How many checkpoints to keep; older ones are deleted after a newer one is safely written."""
    log_every: int = 10
    """Average the losses over this many steps for the loss plot and TensorBoard."""
    eval_every: int = 0
    """Measure SWD (:mod:`lookgan.ops.swd`) between the method's fixed output sample and a fixed sample of real
    images every this many steps, for methods that offer one (generators), and plot it beside the losses;
    0: never. Cheap (about 0.2 s for 64 images at 64 px) and leaves the run's random state alone."""
    ema_decay: float = 0.999
    """Decay of the exponential moving average of generator weights (ramped up over the first steps)."""
    amp: typing.Literal["none", "bf16", "auto"] = "none"
    """Mixed precision: ``bf16`` autocast (CPU and CUDA); ``none`` keeps float32; ``auto``: bf16 where the device
    computes it natively (:func:`resolve_amp`), else float32. Weights, losses, EMA, optimiser state and
    checkpoints stay float32 either way. A run records what ``auto`` became, so a resume is the same run. Every
    built-in kind defaults to ``none``: at equal CPU minutes bf16 was not at least as good on any of them
    (docs/results/precision.md)."""
    channels_last: bool = False
    """Use channels-last memory format for networks and batches (faster convolutions on some CPUs)."""
    tensorboard: bool = False
    """Also log losses and samples to TensorBoard (needs the ``tensorboard`` extra)."""
    max_bad_steps: int = 5
    """Stop after this many non-finite (NaN/inf) steps in a row; the last good checkpoint is kept."""

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError(f"minutes must be > 0, got {self.minutes}")
        if self.batch < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")
        if self.checkpoint_minutes is not None and self.checkpoint_minutes <= 0:
            raise ValueError(f"checkpoint_minutes must be positive, got {self.checkpoint_minutes}")
        if self.keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {self.keep_last}")
        if self.checkpoint_every < 1 or self.log_every < 1 or self.sample_every < 0 or self.eval_every < 0:
            raise ValueError("checkpoint_every and log_every must be >= 1, sample_every and eval_every >= 0")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.max_bad_steps < 1:
            raise ValueError(f"max_bad_steps must be >= 1, got {self.max_bad_steps}")
        if not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"device must be cpu or cuda[:N], got {self.device!r}")


def resolve_device(device: str) -> str:
    """``device`` when this torch can use it; an :class:`InputError` with the fix for CUDA without a GPU."""
    import torch  # only training and generating call this: core stays torch-free to import

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"--device {device} was asked for but this torch has no CUDA device; use --device cpu")
    return device


def resolve_amp(amp: str, device: str) -> str:
    """``auto`` -> ``bf16`` where ``device`` runs bf16 natively, else ``none``; other values unchanged.

    Why not always bf16: on CPUs without bf16 instructions (most laptops before 2023: AVX2 only) PyTorch
    emulates it: limited to AVX2, a CUT step in bf16 is dozens of times slower than in float32
    (docs/results/precision.md). A kind would default to ``auto`` only where equal-time runs on a CPU with
    native bf16 kept its quality; none does today."""
    if amp != "auto":
        return amp
    return "bf16" if native_bf16(device) else "none"


def native_bf16(device: str) -> bool:
    """Whether ``device`` has bf16 arithmetic in hardware: a CUDA GPU that supports it, or a CPU with
    AVX512-BF16 or AMX-BF16 (read from /proc/cpuinfo; elsewhere unknown, so no)."""
    import torch  # only training calls this: core stays torch-free to import

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
