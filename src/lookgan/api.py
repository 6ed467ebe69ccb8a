"""The public functions behind every CLI command and the web app: ``train``, ``apply``, ``export``,
``import_lut``, ``evaluate``, ``generate``, ``info``, ``demo``.

Each is a plain function with keyword arguments; the CLI only parses flags and prints. Errors a user can fix are
:class:`~lookgan.errors.InputError` (exit code 2) and name the file and the fix.
"""
from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path
from typing import Any, Callable

import torch

from . import distributed
from .config import TrainConfig, from_dict, load_yaml, merge, resolve_device, to_dict
from .data.dataset import BatchStream, ImageFolder, MultiStream, PairedImages
from .data.images import DEFAULT_MAX_PIXELS
from .errors import CheckpointError, InputError
from .look import LOOK_JSON, Look, as_look
from .applying import apply, lut_model, apply_array  # noqa: F401  (public API)
from .exporting import export, import_lut  # noqa: F401  (public API)
from .generating import generate, generate_images  # noqa: F401  (public API)
from .registry import get_method
from .training.checkpoint import list_checkpoints, load_latest_checkpoint
from .training.loop import (Progress, TrainResult, fit_closed_form, run_training, seed_everything,
                            split_stream_state)


def _prepare_out(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse to write into a folder that is not a look, or over a look's checkpoints without --resume."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name such as {out.with_suffix('.look').name}")
    if not out.exists():
        return
    has_ckpts = bool(list_checkpoints(out / "checkpoints"))
    is_look = has_ckpts or (out / LOOK_JSON).exists()
    if not is_look and any(out.iterdir()):
        raise InputError(f"--out {out} exists and is not a look folder; choose a new name (e.g. {out.name}.look)")
    if is_look and not resume:
        if not overwrite:
            raise InputError(f"{out} already holds a look; pass --resume to continue training it, --overwrite to "
                             "start again from scratch, or choose another --out")
        for sub in ("checkpoints", "samples", "tensorboard"):
            shutil.rmtree(out / sub, ignore_errors=True)
        for name in (LOOK_JSON, "weights.safetensors", "preview.jpg", "loss.png"):
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
    config: str | Path | dict[str, Any] | None = None,
    method_options: dict[str, Any] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress_fn: Callable[[Progress], None] | None = None,
    abort_fn: Callable[[], bool] | None = None,
) -> TrainResult:
    """Learn a look of ``kind`` from the images in ``style_dir`` and write it to ``out`` (``NAME.look``).

    ``config`` (a YAML path or a dict with ``method:`` and ``train:`` sections) sets defaults; the explicit
    arguments override it. With ``resume=True`` the newest valid checkpoint in ``out/checkpoints`` is continued
    with its saved configuration (``steps``, ``minutes`` and ``device`` may change; starts fresh if there is none).
    ``method_options`` override the method config (the CLI's kind-specific flags, e.g. ``--global``).

    Unpaired colour kinds need ``photos`` (your own photos); with ``pairs`` (a folder of *before* images),
    ``style_dir`` holds their edited versions, matched by file name.
    """
    method_cls = get_method(kind)
    out = Path(out)
    if kind == "lut" and Path(style_dir).is_file():
        return _train_from_reference(Path(style_dir), photos=photos, out=out, overwrite=overwrite,
                                     max_pixels=max_pixels, per_region=bool((method_options or {}).get("per_region")))
    if (method_options or {}).get("per_region"):
        raise InputError("--per-region applies to a lut look from one reference photo (STYLE_DIR a file); drop it")
    if photos is not None and not method_cls.needs_photos:
        raise InputError(f"{kind} learns from the style images alone; drop --photos {photos}")
    if pairs is not None and not method_cls.accepts_pairs:
        raise InputError(f"{kind} does not train from before/after pairs; drop --pairs {pairs}")
    if pairs is not None and photos is not None:
        raise InputError("give either --photos (unpaired) or --pairs (before/after), not both")
    if method_cls.needs_photos and photos is None and pairs is None:
        hint = " (or --pairs BEFORE_DIR when STYLE_DIR holds edits of them)" if method_cls.accepts_pairs else ""
        raise InputError(f"{kind} needs your own photos as well: add --photos CONTENT_DIR{hint}")
    world = distributed.world_from_env()
    if world.main:
        _prepare_out(out, resume=resume, overwrite=overwrite)

    cli_train = {k: v for k, v in {"steps": steps, "minutes": minutes, "batch": batch, "seed": seed,
                                   "device": device}.items() if v is not None}
    start = None
    if resume:
        start = load_latest_checkpoint(out / "checkpoints")
        if start is None and list_checkpoints(out / "checkpoints"):
            raise CheckpointError(f"no checkpoint in {out / 'checkpoints'} could be loaded (see the warnings); "
                                  "start again with --overwrite")
        if start is None:
            warnings.warn(f"--resume: {out} has no checkpoint yet; starting from scratch", stacklevel=2)
    if start is not None:
        if start.meta.get("kind") != kind:
            raise InputError(f"{out} holds a {start.meta.get('kind')} look; resume it with `lookgan train "
                             f"{start.meta.get('kind')} ...` or choose another --out")
        method_config = from_dict(method_cls.Config, start.meta["config"])
        if size is not None and size != getattr(method_config, "size", size):
            warnings.warn(f"--size {size} ignored: resuming keeps the checkpoint's size {method_config.size}",
                          stacklevel=2)
        fixed = {k: cli_train.pop(k) for k in ("batch", "seed") if k in cli_train}
        saved_train = dict(start.meta["train"])
        for k, v in fixed.items():
            if v != saved_train.get(k):
                warnings.warn(f"--{k} {v} ignored: resuming keeps the checkpoint's {k} {saved_train.get(k)}",
                              stacklevel=2)
        saved_train["minutes"] = None  # a budget is per invocation
        train_config = from_dict(TrainConfig, {**saved_train, **cli_train})
    else:
        file_cfg = load_yaml(config) if isinstance(config, (str, Path)) else dict(config or {})
        unknown = sorted(set(file_cfg) - {"method", "train"})
        if unknown:
            raise InputError(f"config: unknown section(s) {', '.join(unknown)}; use 'method:' and 'train:'")
        options = {**(file_cfg.get("method") or {}), **(method_options or {})}
        if pairs is not None:
            options["mode"] = "paired"
        method_config = from_dict(method_cls.Config, options)
        if size is not None:
            method_config = merge(method_config, {"size": size})
        train_config = from_dict(TrainConfig, {**method_cls.train_defaults, **(file_cfg.get("train") or {}),
                                               **cli_train})
    resolve_device(train_config.device)
    world, device = distributed.init(train_config.device)
    if world.distributed:
        train_config = merge(train_config, {"device": device})
    try:
        return _train(method_cls, method_config, train_config, world, style_dir=Path(style_dir), photos=photos,
                      pairs=pairs, max_pixels=max_pixels, out=out, start=start, progress_fn=progress_fn,
                      abort_fn=abort_fn)
    finally:
        distributed.shutdown(None, world)


def _train(method_cls: Any, method_config: Any, train_config: TrainConfig, world: distributed.World, *,
           style_dir: Path, photos: Any, pairs: Any, max_pixels: int, out: Path, start: Any,
           progress_fn: Callable[[Progress], None] | None, abort_fn: Callable[[], bool] | None) -> TrainResult:
    """Build the method and its data streams and run the loop (on every rank under torchrun)."""
    seed_everything(train_config.seed)
    method = method_cls(method_config, device=train_config.device)
    spec = method.data_spec()
    data = _read_training_data(style_dir, photos=photos, pairs=pairs, spec=spec, max_pixels=max_pixels)
    # Under torchrun every rank draws the same global batch (--batch per process x processes) and trains on its
    # slice: the stream's order and state are the same everywhere (see lookgan.distributed).
    global_batch = train_config.batch * world.size
    streams = {name: BatchStream(ds, batch_size=global_batch, crop_size=spec.crop_size, crop=spec.crop,
                                 flip=spec.flip, seed=train_config.seed + i) for i, (name, ds) in enumerate(data.items())}
    stream = streams["style"] if list(streams) == ["style"] else MultiStream(streams)
    summary = _data_summary(data)
    if method_cls.closed_form:
        result = (fit_closed_form(method, data, out=out, train=train_config, data_summary=summary)
                  if world.main else None)
        return distributed.broadcast(result, world)  # a closed-form fit is rank 0's job; the others wait for it
    method.prepare(data, fresh=start is None)
    if start is not None:
        saved = start.meta.get("data", {})
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


def _train_from_reference(reference: Path, *, photos: str | Path | None, out: Path, overwrite: bool,
                          max_pixels: int, per_region: bool = False) -> TrainResult:
    """``train lut REF.jpg --photos DIR``: a colour look from one reference photo, fitted by colour-distribution
    matching (:func:`lookgan.portrait.reference_lut`), written as a global LUT look. ``per_region`` matches person
    and background separately (needs the faces extra; measured worse on our portraits, so off by default)."""
    import time

    from .data.images import fit_within, list_images, read_image
    from .eval.faces import mediapipe_available
    from .exporting import write_lut_look
    from .portrait import PortraitMasker, reference_lut

    if photos is None:
        raise InputError(f"a look from one reference photo ({reference.name}) needs your own photos too, to learn "
                         "how to change them: add --photos CONTENT_DIR")
    _prepare_out(out, resume=False, overwrite=overwrite)
    t0 = time.monotonic()
    ref = read_image(reference, max_pixels=max_pixels, min_side=512, keep_8bit=True)
    paths = list_images(photos)[:60]
    if not paths:
        raise InputError(f"--photos {photos} holds no images; give a folder of your own photos")
    images = [read_image(p, max_pixels=max_pixels, min_side=256, keep_8bit=True) for p in paths]
    images = [fit_within(im, 384) for im in images]
    if per_region and not mediapipe_available():
        raise InputError("--per-region needs person masks from the faces extra: pip install 'lookgan[faces]'")
    if per_region:
        with PortraitMasker() as masker:
            lut, summary = reference_lut(fit_within(ref, 768), images, masker=masker)
    else:
        lut, summary = reference_lut(fit_within(ref, 768), images)
    write_lut_look(lut, out, source=reference.name,
                   data={"folder": None, "reference": str(reference), "photos": {"folder": str(photos)},
                         "n_images": len(images), "fit": summary})
    return TrainResult(look=out, step=0, stopped="done", elapsed_s=time.monotonic() - t0, sample_path=None,
                       loss_plot=None, checkpoint=None)


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


def evaluate(
    look: Look | str | Path,
    *,
    photos: str | Path | None = None,
    style: str | Path | None = None,
    truth: str | Path | None = None,
    held: str | Path | None = None,
    out: str | Path | None = None,
    json_path: str | Path | None = None,
    strength: float = 1.0,
    keep_colour: bool = False,
    n_generate: int | None = None,
    size: int = 128,
    seed: int = 0,
    inception: str | Path | None = None,
    download_inception: bool = False,
    faces: bool | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Measure a look; with ``out`` also write an HTML report (pictures in ``<out stem>_files/`` beside it).

    A look that restyles photos is applied to ``photos`` and compared with the ``style`` images as a set
    (``swd``, ``color_swd``, ``fid``/``kid``; also before the look, as ``*_before``), with each photo
    (``content_ssim``, ``face_shift``) and, with ``truth`` (true versions, matched by file name), with the
    truth (``delta_e2000``, ``psnr``, ``ssim``). A generator look's images are compared with ``held`` (real
    images it never saw; else ``style``) and checked for copying its training images (``nn_gen``,
    ``nn_held``, ``copy_rate``). ``style`` defaults to the look's training folder when it still exists.

    FID/KID need the FID Inception weights (``inception``, ``LOOKGAN_INCEPTION``, the cache, or
    ``download_inception``); face metrics need the ``faces`` extra (``faces=None``: where installed). What
    could not be measured is listed under ``skipped`` with the reason. Returns (and with ``json_path``
    writes) flat metric names: see :data:`lookgan.eval.evaluation.METRIC_MEANINGS`."""
    from .eval.evaluation import EvalOptions, evaluate_look

    options = EvalOptions(size=size, seed=seed, inception=inception, download_inception=download_inception,
                          faces=faces, progress=progress)
    return evaluate_look(look, photos=photos, style=style, truth=truth, held=held, out=out, json_path=json_path,
                         strength=strength, keep_colour=keep_colour, n_generate=n_generate, options=options)


def compare_sets(
    a: str | Path,
    b: str | Path,
    *,
    json_path: str | Path | None = None,
    size: int = 128,
    seed: int = 0,
    inception: str | Path | None = None,
    download_inception: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Compare two folders of images as sets (generated vs held-out reals, a graded set vs a plain one):
    ``swd``, ``color_swd`` and, where the Inception weights are available, ``fid``/``kid``."""
    from .eval.evaluation import EvalOptions
    from .eval.evaluation import compare_sets as _compare

    options = EvalOptions(size=size, seed=seed, inception=inception, download_inception=download_inception,
                          progress=progress)
    return _compare(a, b, json_path=json_path, options=options)


def info(look: Look | str | Path) -> dict[str, Any]:
    """A summary of a look: kind, training, data, size, versions (what ``lookgan info`` prints)."""
    look = as_look(look)
    n_params = sum(t.numel() for t in look.tensors.values())
    m = look.meta
    return {"name": look.path.stem, "path": str(look.path), "kind": look.kind, "created": m.get("created"),
            "steps": m.get("steps"), "data": m.get("data", {}), "config": to_dict(look.config),
            "train": m.get("train", {}), "parameters": n_params, "metrics": m.get("metrics", {}),
            "versions": m.get("versions", {}),
            "checkpoints": [p.name for _, p in list_checkpoints(look.path / "checkpoints")]}


def demo_images_dir() -> Path:
    """The small portrait set shipped inside the package (see its LICENSE.md)."""
    return Path(__file__).resolve().parent / "assets" / "demo_faces"


def demo(
    out: str | Path = "demo-out",
    *,
    kind: str = "lut",
    minutes: float | None = None,
    steps: int | None = None,
    progress_fn: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """The embedded default run on images shipped inside the package (see :mod:`lookgan.demos`).

    ``kind="lut"`` (the default): learn a film grade unpaired from bundled photos, compare it with the
    baselines on held-out photos, export a .cube and write ``report.html``. ``kind="dcgan"``: train the DCGAN on
    the bundled portraits and generate new faces. ``minutes``/``steps`` bound the training (defaults: 4 min for
    lut, 3 min for dcgan)."""
    from . import demos

    if kind == "lut":
        return demos.colour_demo(out, minutes=4.0 if minutes is None else minutes, steps=steps or 3000,
                                 progress_fn=progress_fn)
    if kind == "dcgan":
        return demos.dcgan_demo(out, minutes=3.0 if minutes is None else minutes, steps=steps or 3000,
                                progress_fn=progress_fn)
    raise InputError(f"demo kind must be lut or dcgan, got {kind!r}")


def torch_device_name() -> str:
    """A short description of where training runs, for messages."""
    import os

    return f"CPU ({torch.get_num_threads()} threads of {os.cpu_count()} cores)"
