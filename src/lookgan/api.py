"""The public functions behind every CLI command and the web app (``train``, ``apply``, ``export``,
``import_lut``, ``evaluate``, ``generate``, ``info``, ``demo``), and the one place where the front reaches the
heavy side.

Each is a plain function with keyword arguments; the CLI only parses flags and prints. Errors a user can fix are
:class:`~lookgan.core.errors.InputError` (exit code 2) and name the file and the fix.

**The lazy boundary.** The front (the CLI, the web page, the kinds' catalogue) imports only torch-free modules
(:mod:`lookgan.core` and a few constants); whatever computes is reached through this module, which the front
loads on first use (:func:`lookgan.core.lazy.lazy_module`). So ``lookgan --help``, ``train KIND --help`` and the
web page's first paint never import torch, and this list of imports is the whole heavy surface they use.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import torch

from .core.config import to_dict
from .core.errors import InputError
from .data.dataset import ImageFolder
from .data.images import read_image, save_image
from .kinds.base import Progress
from .kinds.capabilities import ApplyOptions
from .kinds.look import (
    LOOK_JSON,
    Look,
    adjusted_look,
    as_generator,
    as_look,
    as_restyler,
    expert_layers,
    load_look,
    look_settings,
    write_look,
)
from .ops.people import PortraitMasker
from .ops.viz import plot_curves
from .prior import verdict
from .training.checkpoint import list_checkpoints
from .training.distributed import world_from_env
from .training.run import train
from .use import demos
from .use.applying import BatchOptions, apply
from .use.demos import DEMOS
from .use.eval.evaluation import EvalOptions, evaluate_look
from .use.eval.evaluation import compare_sets as _compare_sets
from .use.eval.look_report import METRIC_MEANINGS, format_value
from .use.exporting import export, import_lut
from .use.generating import generate, generate_images
from .use.portrait import PortraitOptions, mask_overlay

__all__ = ["ApplyOptions", "BatchOptions", "DEMOS", "Look", "METRIC_MEANINGS", "PortraitMasker", "PortraitOptions", "adjust",
           "adjusted_look", "apply", "as_generator", "as_restyler", "compare_sets", "count_images", "demo", "evaluate",
           "expert_layers", "export", "format_value", "generate", "generate_images", "import_lut", "info",
           "load_look", "look_settings", "mask_overlay", "plot_curves", "read_image", "save_image", "train",
           "verdict", "world_from_env"]


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
    writes) flat metric names: see :data:`lookgan.use.eval.look_report.METRIC_MEANINGS`."""
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
    options = EvalOptions(size=size, seed=seed, inception=inception, download_inception=download_inception,
                          progress=progress)
    return _compare_sets(a, b, json_path=json_path, options=options)


def info(look: Look | str | Path) -> dict[str, Any]:
    """A summary of a look: kind, training, data, size, versions (what ``lookgan info`` prints)."""
    look = as_look(look)
    n_params = sum(t.numel() for t in look.tensors.values())
    m = look.meta
    return {"name": look.path.stem, "path": str(look.path), "kind": look.kind, "created": m.get("created"),
            "steps": m.get("steps"), "data": m.get("data", {}), "config": to_dict(look.config),
            "train": m.get("train", {}), "parameters": n_params, "metrics": m.get("metrics", {}),
            "versions": m.get("versions", {}), "settings": look_settings(look),
            "expert_layers": list(expert_layers(look)),
            "checkpoints": [p.name for _, p in list_checkpoints(look.path / "checkpoints")]}


def adjust(look: Look | str | Path, settings: dict[str, float], *, out: str | Path,
           overwrite: bool = False) -> Path:
    """Save ``look`` with ``settings`` changed (``lookgan adjust LOOK --set NAME=VALUE --out NEW.look``) as a new
    look; the original stays as it is."""
    out = Path(out)
    if (out / LOOK_JSON).exists() and not overwrite:
        raise InputError(f"{out} already holds a look; pass --overwrite to replace it or choose another --out")
    source = as_look(look)
    new = adjusted_look(source, settings)
    meta = {k: v for k, v in source.meta.items() if k in ("steps", "data", "train", "metrics")}
    meta["adjusted_from"] = {"look": str(source.path), "settings": dict(settings)}
    return write_look(out, kind=new.kind, config=new.config, tensors=new.tensors, meta=meta)


def demo(
    out: str | Path = "demo-out",
    *,
    kind: str = "lut",
    minutes: float | None = None,
    steps: int | None = None,
    progress_fn: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """The embedded default run on images shipped inside the package (see :mod:`lookgan.use.demos`).

    ``kind="lut"`` (the default): learn a film grade unpaired from bundled photos, compare it with the
    baselines on held-out photos, export a .cube and write ``report.html``. ``kind="dcgan"``: train the DCGAN on
    the bundled portraits and generate new faces. ``minutes``/``steps`` bound the training (defaults: 4 min for
    lut, 3 min for dcgan). The result's ``summary`` lines say what was made and where."""
    return demos.run_demo(out, kind=kind, minutes=minutes, steps=steps, progress_fn=progress_fn)


def count_images(folder: str | Path, *, what: str = "images") -> int:
    """How many readable images ``folder`` holds (``train --dry-run``); the usual error when it holds none."""
    return len(ImageFolder(Path(folder), load_size=32, what=what, progress=False))


def torch_device_name() -> str:
    """A short description of where training runs, for messages."""
    return f"CPU ({torch.get_num_threads()} threads of {os.cpu_count()} cores)"
