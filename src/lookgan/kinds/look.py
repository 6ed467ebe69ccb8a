"""The Look folder: the one artefact users keep and share.

``NAME.look/`` holds ``look.json`` (format, kind, config, training-data summary, metrics, versions),
``weights.safetensors`` (inference weights only: EMA weights for generators, never optimiser state or code) and
``preview.jpg``; while training it also holds ``checkpoints/``, ``samples/`` and ``loss.png``.

Loading validates everything before use and never unpickles: a wrong or damaged folder gives a
:class:`~lookgan.core.errors.LookFormatError` (exit code 2) that names the file and says what to do.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from .. import __version__
from ..core.config import from_dict, to_dict
from ..core.errors import InputError, LookFormatError
from ..core.io import (
    atomic_write,
    atomic_write_all,
    atomic_write_json,
    bytes_writer,
    json_bytes,
    sha256_bytes,
    tensors_bytes,
    write_tensors,
)
from ..core.registry import get_method
from ..data.images import encode_image
from .capabilities import Adjustable, CapabilityError, Generator, Restyler

LOOK_FORMAT = "lookgan-look"
LOOK_FORMAT_VERSION = 1
LOOK_JSON, WEIGHTS, PREVIEW = "look.json", "weights.safetensors", "preview.jpg"
#: The same two files under the names of huggingface_hub's ModelHubMixin (``save_pretrained``/``from_pretrained``).
HUB_CONFIG, HUB_WEIGHTS = "config.json", "model.safetensors"


def _file_names(folder: Path) -> tuple[str, str]:
    """(metadata, weights) file names of a look folder: lookgan's own, or the Hub layout."""
    if not (folder / LOOK_JSON).exists() and (folder / HUB_CONFIG).exists():
        return HUB_CONFIG, HUB_WEIGHTS
    return LOOK_JSON, WEIGHTS


def versions() -> dict[str, str]:
    """Versions recorded in every look and checkpoint."""
    return {"lookgan": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


@dataclass
class Look:
    """A loaded, validated look: kind, method config (a dataclass), metadata and inference tensors."""

    path: Path
    kind: str
    config: Any
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor] = field(repr=False)

    def save_pretrained(self, save_directory: str | Path) -> Path:
        """Write the look as ``config.json`` + ``model.safetensors`` (huggingface_hub's ModelHubMixin layout, so
        the folder can be pushed to or pulled from the Hub as it is) plus a short README model card."""
        folder = Path(save_directory)
        folder.mkdir(parents=True, exist_ok=True)
        record = {**self.meta, "config": to_dict(self.config), "kind": self.kind,
                  "weights_sha256": write_tensors(folder / HUB_WEIGHTS, self.tensors)}
        card = (f"---\nlibrary_name: lookgan\ntags: [lookgan, {self.kind}]\n---\n# {self.path.stem}\n\n"
                f"A lookgan `{self.kind}` look.\n\n```python\nfrom lookgan import Look\nlook = "
                f"Look.from_pretrained(\"{folder.name}\")\n```\n")
        atomic_write(folder / "README.md", lambda tmp: Path(tmp).write_text(card, encoding="utf-8"))
        atomic_write_json(folder / HUB_CONFIG, record)
        return folder

    @classmethod
    def from_pretrained(cls, pretrained: str | Path, *, map_location: str = "cpu", **hub_kwargs: Any) -> "Look":
        """Load a look saved with :meth:`save_pretrained` (or any look folder). A name that is not a local folder
        is fetched with huggingface_hub's ``snapshot_download`` when that package is installed (``hub_kwargs``
        go to it); lookgan itself never needs the Hub."""
        path = Path(pretrained).expanduser()
        repo_id = str(pretrained)
        if path.exists() or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id) or repo_id.startswith("."):
            return load_look(path, map_location=map_location)  # a local folder (or a clear "does not exist")
        try:
            from huggingface_hub import snapshot_download  # type: ignore[import-not-found]
        except ImportError:
            raise InputError(f"{pretrained} is not a folder here; to load it from the Hugging Face Hub, "
                             "pip install huggingface_hub") from None
        try:
            path = Path(snapshot_download(repo_id, **hub_kwargs))
        except Exception as e:  # offline, no such repo, no access: the hub's own error types
            raise InputError(f"{pretrained} is not a folder here and could not be fetched from the Hub "
                             f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
        return load_look(path, map_location=map_location)

    def open(self, device: str = "cpu") -> Restyler | Generator:
        """What this look can do: a :class:`~lookgan.kinds.capabilities.Restyler` (grade photos, give its LUT) or a
        :class:`~lookgan.kinds.capabilities.Generator` (make new images), as its kind provides."""
        return get_method(self.kind).open(self, device=device)

    def module(self, device: str = "cpu") -> torch.nn.Module:
        """The look as one network in eval mode: images ``(N, 3, H, W)`` in [0, 1] in and out, or for looks that
        generate, latents ``(N, z_dim)`` in and images out (what ONNX export and ``torch.hub`` hand out)."""
        return self.open(device=device).module()

    def build(self, device: str = "cpu") -> torch.nn.Module:
        """The kind's own network with this look's weights, in eval mode (what the kind's :meth:`open` wraps;
        callers outside the kind use :meth:`open` or :meth:`module`)."""
        try:
            return get_method(self.kind).build_inference(self.config, self.tensors, device=device)
        except RuntimeError as e:  # load_state_dict: missing/unexpected keys, wrong shapes
            raise LookFormatError(f"{self.path / WEIGHTS}: tensors do not fit a {self.kind} look with this config "
                                  f"({str(e).splitlines()[0]}); the look is damaged, re-export or retrain it") from None


def write_look(folder: str | Path, *, kind: str, config: Any, tensors: dict[str, torch.Tensor],
               meta: dict[str, Any] | None = None, preview: np.ndarray | None = None) -> Path:
    """Write (or update) a look folder: weights, preview and ``look.json`` (which vouches for the weights) all
    written in full before any replaces the old one, so a full disk leaves the previous look as it was."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = tensors_bytes(tensors)
    writes = {folder / WEIGHTS: bytes_writer(weights)}
    if preview is not None:
        writes[folder / PREVIEW] = bytes_writer(encode_image(preview, folder / PREVIEW, quality=92))
    record = {
        "format": LOOK_FORMAT, "format_version": LOOK_FORMAT_VERSION, "kind": kind, "name": folder.stem,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config": to_dict(config), **(meta or {}), "versions": versions(),
        "weights_sha256": sha256_bytes(weights),
    }
    writes[folder / LOOK_JSON] = bytes_writer(json_bytes(record))
    atomic_write_all(writes)
    return folder


def _read_meta(folder: Path) -> dict[str, Any]:
    if not folder.exists():
        raise LookFormatError(f"look {folder} does not exist; train one with `lookgan train KIND STYLE_DIR --out "
                              f"{folder.name}` or check the path")
    if not folder.is_dir():
        raise LookFormatError(f"{folder} is not a look folder (it is a file); a look is a folder NAME.look/ "
                              "holding look.json and weights.safetensors")
    path = folder / _file_names(folder)[0]
    if not path.exists():
        hint = (" Training was interrupted before its first checkpoint; run it again with --resume."
                if (folder / "checkpoints").is_dir() else "")
        raise LookFormatError(f"{folder} is not a complete look: {LOOK_JSON} is missing.{hint}")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LookFormatError(f"{path} is damaged ({e}); restore it from a backup or retrain the look") from None
    if not isinstance(meta, dict) or meta.get("format") != LOOK_FORMAT:
        raise LookFormatError(f"{path} is not a lookgan look (no \"format\": \"{LOOK_FORMAT}\")")
    if not isinstance(meta.get("format_version"), int) or meta["format_version"] > LOOK_FORMAT_VERSION:
        raise LookFormatError(f"{path} has format version {meta.get('format_version')!r}; this lookgan reads up to "
                              f"{LOOK_FORMAT_VERSION}: upgrade lookgan")
    return meta


def as_look(look: "Look | str | Path") -> Look:
    """``look`` itself when already loaded, else :func:`load_look` of it (what every public function accepts)."""
    return look if isinstance(look, Look) else load_look(look)


def load_look(path: str | Path, *, map_location: str = "cpu") -> Look:
    """Load and validate a look folder (or its ``look.json``)."""
    folder = Path(path)
    if folder.name in (LOOK_JSON, HUB_CONFIG):
        folder = folder.parent
    meta_name, weights_name = _file_names(folder)
    meta = _read_meta(folder)
    try:
        method = get_method(str(meta.get("kind")))
    except InputError:
        raise LookFormatError(f"{folder / meta_name}: unknown look kind {meta.get('kind')!r}; it was made by "
                              f"another lookgan version ({meta.get('versions', {}).get('lookgan', '?')})") from None
    if not isinstance(meta.get("config"), dict):
        raise LookFormatError(f"{folder / meta_name}: \"config\" must be a mapping")
    try:
        config = from_dict(method.Config, meta["config"])
    except InputError as e:
        raise LookFormatError(f"{folder / meta_name}: {e}") from None
    weights = folder / weights_name
    if not weights.is_file():
        raise LookFormatError(f"{weights} is missing; the look is incomplete: copy the whole folder or retrain it")
    data = weights.read_bytes()
    if meta.get("weights_sha256") and hashlib.sha256(data).hexdigest() != meta["weights_sha256"]:
        raise LookFormatError(f"{weights} does not match the checksum in {meta_name} (truncated or modified); "
                              "copy the look again or retrain it")
    try:
        tensors = load_file(str(weights), device=map_location)
    except (SafetensorError, OSError) as e:
        raise LookFormatError(f"{weights} is not a readable safetensors file ({e}); retrain or re-copy it") from None
    for name, t in tensors.items():
        if t.dtype not in _WEIGHT_DTYPES and not (name.endswith("num_batches_tracked") and t.dtype == torch.int64):
            raise LookFormatError(f"{weights}: tensor {name} has dtype {str(t.dtype).replace('torch.', '')}; a look "
                                  "holds float weights only. The file was not written by lookgan: retrain or "
                                  "re-export the look")
    return Look(path=folder, kind=method.kind, config=config, meta=meta, tensors=tensors)


#: What a look's weights may be stored as (float32 as written; half precisions for looks shrunk by hand).
_WEIGHT_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _describe(look: Look) -> str:
    return f"{look.path} is a {look.kind} look"


def as_restyler(look: "Look | str | Path", *, device: str = "cpu") -> Restyler:
    """What ``look`` does to photos; a :class:`CapabilityError` for looks that make new images instead."""
    runtime = as_look(look).open(device=device)
    if not isinstance(runtime, Restyler):
        hint = "; use `lookgan generate` to make new images with it" if isinstance(runtime, Generator) else ""
        raise CapabilityError(f"{_describe(runtime.look)}, which does not restyle photos{hint}")
    return runtime


def as_generator(look: "Look | str | Path", *, device: str = "cpu") -> Generator:
    """How ``look`` makes new images; a :class:`CapabilityError` for looks that restyle photos instead."""
    runtime = as_look(look).open(device=device)
    if not isinstance(runtime, Generator):
        raise CapabilityError(f"{_describe(runtime.look)}, which restyles photos rather than generating new "
                              "images; use `lookgan apply`")
    return runtime


def look_settings(look: "Look | str | Path") -> dict[str, tuple[float, float, float]]:
    """The look's adjustable settings (name -> (value, low, high)); empty for kinds without any."""
    runtime = as_look(look).open()
    return runtime.settings() if isinstance(runtime, Adjustable) else {}


def expert_layers(look: "Look | str | Path") -> tuple[str, ...]:
    """The layers of the look's expert settings (shown as "advanced"); empty for kinds without settings."""
    runtime = as_look(look).open()
    return tuple(runtime.expert_layers) if isinstance(runtime, Adjustable) else ()


def adjusted_look(look: "Look | str | Path", values: dict[str, float] | None) -> Look:
    """``look`` with ``values`` set (``--set NAME=VALUE``), in memory; the look itself when there are none."""
    look = as_look(look)
    if not values:
        return look
    runtime = look.open()
    if not isinstance(runtime, Adjustable):
        raise CapabilityError(f"{_describe(look)}, which has no adjustable settings; drop --set")
    return runtime.adjusted(values)
