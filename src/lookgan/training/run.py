"""Training orchestration behind :func:`lookgan.train`: check the inputs, merge the configuration (defaults,
config file, flags, or a checkpoint's own when resuming), set up torchrun, read the data and run the loop.

Kept out of :mod:`lookgan.api` so that the public face stays thin; the loop itself is :mod:`.loop`.
"""
from __future__ import annotations

import hashlib
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, Callable

from ..core.config import TrainConfig, from_dict, load_yaml, merge, resolve_amp, resolve_device
from ..core.errors import CheckpointError, InputError
from ..core.io import is_temp_name
from ..core.options import check_reference_only
from ..core.registry import get_method
from ..data.dataset import BatchStream, ImageFolder, MultiStream, PairedImages
from ..data.images import DEFAULT_MAX_PIXELS
from ..kinds.base import Progress, TrainResult
from ..kinds.look import LOOK_JSON, PREVIEW, WEIGHTS
from . import distributed
from .checkpoint import Checkpoint, list_checkpoints, load_latest_checkpoint, split_stream_state
from .loop import fit_closed_form, run_training, seed_everything, write_fitted

# What a training run writes into --out (folders, then files): a folder holding only these is a run of ours
# (perhaps killed before its first complete checkpoint: a checkpoints/ with a tensor file but no JSON yet), not
# somebody else's folder; --overwrite removes exactly these.
_RUN_FOLDERS = ("checkpoints", "samples", "tensorboard")
_RUN_FILES = (LOOK_JSON, WEIGHTS, PREVIEW, "loss.png")


def _only_run_files(out: Path) -> bool:
    ours = {*_RUN_FOLDERS, *_RUN_FILES}
    return all(p.name in ours or is_temp_name(p.name) for p in out.iterdir())


def _prepare_out(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse to write into a folder that is not a look, or over a look's checkpoints without --resume."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name such as {out.with_suffix('.look').name}")
    if not out.exists():
        return
    has_ckpts = bool(list_checkpoints(out / "checkpoints"))
    is_look = has_ckpts or (out / LOOK_JSON).exists()
    if not is_look and not _only_run_files(out):
        raise InputError(f"--out {out} exists and is not a look folder; choose a new name (e.g. {out.name}.look)")
    if is_look and not resume:
        if not overwrite:
            raise InputError(f"{out} already holds a look; pass --resume to continue training it, --overwrite to "
                             "start again from scratch, or choose another --out")
        for sub in _RUN_FOLDERS:
            shutil.rmtree(out / sub, ignore_errors=True)
        for name in _RUN_FILES:
            (out / name).unlink(missing_ok=True)


def train(
    kind: str,
    style_dir: str | Path,
    *,
    out: str | Path,
    photos: str | Path | None = None,
    pairs: str | Path | None = None,
    steps: int | None = None,
    minutes: float | None = None,
    size: int | None = None,
    batch: int | None = None,
    seed: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    device: str | None = None,
    amp: str | None = None,
    checkpoint_minutes: float | None = None,
    config: str | Path | dict[str, Any] | None = None,
    method_options: dict[str, Any] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress_fn: Callable[[Progress], None] | None = None,
    abort_fn: Callable[[], bool] | None = None,
) -> TrainResult:
    """Learn a look of ``kind`` from the images in ``style_dir`` and write it to ``out`` (``NAME.look``).

    ``config`` (a YAML path or a dict with ``method:`` and ``train:`` sections) sets defaults; the explicit
    arguments override it (``amp``: ``none`` for float32, ``bf16`` autocast, or ``auto``: bf16 where the device
    has it natively; each kind has its measured default; ``checkpoint_minutes``: a checkpoint at least this
    often, so that a run killed without warning loses at most that much).
    With ``resume=True`` the newest valid checkpoint in ``out/checkpoints`` is continued
    with its saved configuration (``steps``, ``minutes`` and ``device`` may change; starts fresh if there is none).
    ``method_options`` override the method config (the CLI's kind-specific flags, e.g. ``--global``).

    Unpaired colour kinds need ``photos`` (your own photos); with ``pairs`` (a folder of *before* images),
    ``style_dir`` holds their edited versions, matched by file name.
    """
    method_cls = get_method(kind)
    out = Path(out)
    if Path(style_dir).is_file():  # one reference photo: the kind fits it without training steps, if it can
        _prepare_out(out, resume=False, overwrite=overwrite)
        return method_cls.fit_reference(Path(style_dir), photos=Path(photos) if photos is not None else None,
                                        out=out, options=dict(method_options or {}), max_pixels=max_pixels)
    _check_inputs(method_cls, photos=photos, pairs=pairs, method_options=method_options or {})
    world = distributed.world_from_env()
    if world.main:
        _prepare_out(out, resume=resume, overwrite=overwrite)
    flags = {k: v for k, v in {"steps": steps, "minutes": minutes, "batch": batch, "seed": seed, "device": device,
                               "amp": amp, "checkpoint_minutes": checkpoint_minutes}.items() if v is not None}
    start = _latest_checkpoint(out, kind) if resume else None
    if start is not None:
        method_config, train_config = _resumed_configs(method_cls, start, flags, size=size)
    else:
        method_config, train_config = _fresh_configs(method_cls, config, flags, size=size, paired=pairs is not None,
                                                     method_options=method_options or {})
    resolve_device(train_config.device)
    train_config = merge(train_config, {"amp": resolve_amp(train_config.amp, train_config.device)})
    world, device = distributed.init(train_config.device)
    if world.distributed:
        train_config = merge(train_config, {"device": device})
    try:
        return _train(method_cls, method_config, train_config, world, style_dir=Path(style_dir), photos=photos,
                      pairs=pairs, max_pixels=max_pixels, out=out, start=start, progress_fn=progress_fn,
                      abort_fn=abort_fn)
    finally:
        distributed.shutdown(None, world)


def _check_inputs(method_cls: Any, *, photos: Any, pairs: Any, method_options: dict[str, Any]) -> None:
    """Refuse, with the fix, a folder of photos or pairs the kind does not learn from (or lacks)."""
    kind = method_cls.kind
    check_reference_only(method_cls.options, method_options, reference=False)
    if photos is not None and not method_cls.needs_photos:
        raise InputError(f"{kind} learns from the style images alone; drop --photos {photos}")
    if pairs is not None and not method_cls.accepts_pairs:
        raise InputError(f"{kind} does not train from before/after pairs; drop --pairs {pairs}")
    if pairs is not None and photos is not None:
        raise InputError("give either --photos (unpaired) or --pairs (before/after), not both")
    if method_cls.needs_photos and photos is None and pairs is None:
        hint = " (or --pairs BEFORE_DIR when STYLE_DIR holds edits of them)" if method_cls.accepts_pairs else ""
        raise InputError(f"{kind} needs your own photos as well: add --photos CONTENT_DIR{hint}")


def _latest_checkpoint(out: Path, kind: str) -> Checkpoint | None:
    """The newest valid checkpoint to resume (None: none yet, start from scratch)."""
    start = load_latest_checkpoint(out / "checkpoints")
    if start is None and list_checkpoints(out / "checkpoints"):
        raise CheckpointError(f"no checkpoint in {out / 'checkpoints'} could be loaded (see the warnings); "
                              "start again with --overwrite")
    if start is None:
        warnings.warn(f"--resume: {out} has no checkpoint yet; starting from scratch", stacklevel=3)
    elif start.meta.get("kind") != kind:
        raise InputError(f"{out} holds a {start.meta.get('kind')} look; resume it with `lookgan train "
                         f"{start.meta.get('kind')} ...` or choose another --out")
    return start


def _resumed_configs(method_cls: Any, start: Checkpoint, flags: dict[str, Any], *,
                     size: int | None) -> tuple[Any, TrainConfig]:
    """A resumed run's configs: the checkpoint's own, with only steps, minutes and device changeable."""
    method_config = from_dict(method_cls.Config, start.meta["config"])
    if size is not None and size != getattr(method_config, "size", size):
        warnings.warn(f"--size {size} ignored: resuming keeps the checkpoint's size {method_config.size}",
                      stacklevel=3)
    # what makes a resumed run the same run (bit-exact): batch, seed and precision stay the checkpoint's
    fixed = {k: flags.pop(k) for k in ("batch", "seed", "amp") if k in flags}
    saved_train = dict(start.meta["train"])
    for k, v in fixed.items():
        if v != saved_train.get(k):
            warnings.warn(f"--{k} {v} ignored: resuming keeps the checkpoint's {k} {saved_train.get(k)}",
                          stacklevel=3)
    saved_train["minutes"] = None  # a budget is per invocation
    return method_config, from_dict(TrainConfig, {**saved_train, **flags})


def _fresh_configs(method_cls: Any, config: str | Path | dict[str, Any] | None, flags: dict[str, Any], *,
                   size: int | None, paired: bool, method_options: dict[str, Any]) -> tuple[Any, TrainConfig]:
    """A new run's configs: the kind's defaults, then the config file, then the flags."""
    file_cfg = load_yaml(config) if isinstance(config, (str, Path)) else dict(config or {})
    unknown = sorted(set(file_cfg) - {"method", "train"})
    if unknown:
        raise InputError(f"config: unknown section(s) {', '.join(unknown)}; use 'method:' and 'train:'")
    method_config = method_cls.config_for({**(file_cfg.get("method") or {}), **method_options}, paired=paired)
    if size is not None:
        method_config = merge(method_config, {"size": size})
    train_config = from_dict(TrainConfig, {**method_cls.train_defaults, **(file_cfg.get("train") or {}), **flags})
    return method_config, train_config


def _train(method_cls: Any, method_config: Any, train_config: TrainConfig, world: distributed.World, *,
           style_dir: Path, photos: Any, pairs: Any, max_pixels: int, out: Path, start: Any,
           progress_fn: Callable[[Progress], None] | None, abort_fn: Callable[[], bool] | None) -> TrainResult:
    """Build the method and its data streams and run the loop (on every rank under torchrun)."""
    seed_everything(train_config.seed)
    method = method_cls(method_config, device=train_config.device)
    spec = method.data_spec()
    data = _read_training_data(style_dir, photos=photos, pairs=pairs, spec=spec, max_pixels=max_pixels)
    # Under torchrun every rank draws the same global batch (--batch per process x processes) and trains on its
    # slice: the stream's order and state are the same everywhere (see lookgan.training.distributed).
    global_batch = train_config.batch * world.size
    streams = {name: BatchStream(ds, batch_size=global_batch, crop_size=spec.crop_size, crop=spec.crop,
                                 flip=spec.flip, seed=train_config.seed + i) for i, (name, ds) in enumerate(data.items())}
    stream = streams["style"] if list(streams) == ["style"] else MultiStream(streams)
    summary = _data_summary(data)
    if method_cls.closed_form:
        result = (fit_closed_form(method, data, out=out, train=train_config, data_summary=summary)
                  if world.main else None)
        return distributed.broadcast(result, world)  # a closed-form fit is rank 0's job; the others wait for it
    started = time.monotonic()
    method.prepare(data, fresh=start is None)
    summary.update(method.notes)
    if start is None and method.planned_steps(train_config.steps) == 0:  # what prepare fitted is the look
        result = (write_fitted(method, out=out, train=train_config, data_summary=summary, started=started)
                  if world.main else None)
        return distributed.broadcast(result, world)
    if start is not None:
        saved = start.meta.get("data", {})
        summary.update({k: v for k, v in saved.items() if k not in summary})  # what prepare found on the fresh start
        if saved.get("fingerprint") != summary["fingerprint"]:
            warnings.warn(f"the images in {style_dir} changed since the checkpoint ({saved.get('n_images')} -> "
                          f"{summary['n_images']} images); resuming, but the data order restarts", stacklevel=2)
            fresh_tensors, start.meta["stream"] = split_stream_state(stream)
            start.tensors.update(fresh_tensors)
    try:
        return run_training(method, stream, train=train_config, out=out, data_summary=summary, start=start,
                            progress_fn=progress_fn if world.main else None, abort_fn=abort_fn, world=world)
    finally:
        distributed.shutdown(method, world)


def _read_training_data(style_dir: Path, *, photos: str | Path | None, pairs: str | Path | None, spec: Any,
                        max_pixels: int) -> dict[str, Any]:
    """The datasets a method trains on: ``style`` (+ ``content``), or ``pairs``; unreadable files reported once."""
    if pairs is not None:
        data: dict[str, Any] = {"pairs": PairedImages(Path(pairs), style_dir, load_size=spec.load_size,
                                                      min_images=spec.min_images, max_pixels=max_pixels)}
    else:
        data = {"style": ImageFolder(style_dir, load_size=spec.load_size, min_images=spec.min_images,
                                     max_pixels=max_pixels, what="style images")}
        if photos is not None:
            data["content"] = ImageFolder(Path(photos), load_size=spec.load_size, min_images=spec.min_images,
                                          max_pixels=max_pixels, what="photos")
    for ds in data.values():
        skipped = getattr(ds, "skipped", [])
        if skipped:
            warnings.warn(f"{len(skipped)} unreadable file(s) in {ds.folder} were skipped", stacklevel=3)
    return data


def _data_summary(data: dict[str, Any]) -> dict[str, Any]:
    """What a look records about its training data; one fingerprint over every folder."""
    main = data["style"] if "style" in data else data["pairs"]
    summary = main.summary()
    if "content" in data:
        photos = data["content"].summary()
        summary["photos"] = photos
        summary["fingerprint"] = hashlib.sha256((summary["fingerprint"] + photos["fingerprint"]).encode()).hexdigest()
    return summary
