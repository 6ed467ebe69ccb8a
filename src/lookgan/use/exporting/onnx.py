"""Looks as ONNX graphs, for apps that run them with onnxruntime (or any ONNX runtime) instead of Python.

One graph per look, with one convention for every kind, written into the model's metadata as well:

* ``lut`` / ``reinhard`` / ``ot``: ``image`` float32 ``(N, 3, H, W)`` RGB in [0, 1] -> ``styled`` the same. The
  whole look is in the graph: thumbnail (antialiased), weight predictor, LUT mixing, trilinear LUT apply.
* ``cyclegan`` / ``cut`` / ``fastcut``: the same, with H and W multiples of 4 (``multiple_of`` in the metadata;
  pad by reflection and crop back, as :func:`run_image` does). Instance-norm statistics come from the input
  itself, so a whole photo is one pass (no tiling: memory grows with the photo).
* ``preset``: the same at any H and W, plus ``noise`` ``(N, 3, H, W)`` when the look has grain: unit-variance
  grain of ``noise_size`` x the short side with ``noise_mono`` of it shared by R, G, B (zeros: no grain);
  :meth:`OnnxLook.noise_for` draws lookgan's own.
* ``dcgan`` / ``fastgan``: ``z`` float32 ``(N, z_dim)`` standard normal -> ``image`` ``(N, 3, S, S)`` in [0, 1].

Height, width and batch are dynamic where the model allows. We use PyTorch's ``torch.export``-based exporter
(``dynamo=True``, needs onnxscript): the legacy TorchScript exporter cannot export the antialiased resize of
the LUT predictor's thumbnail.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ... import __version__
from ...core.errors import InputError
from ...core.extras import require
from ...core.io import atomic_write_bytes
from ...data.images import as_float, like
from ...kinds.capabilities import Generator, NoiseInput
from ...kinds.look import Look, as_look
from ...ops.grain import grain_field, photo_seed

OPSET = 20  # GridSample on 5-D inputs (the LUT) and Resize with antialias need opset >= 20 / 18


def graph_for(look: Look) -> tuple[nn.Module, tuple[torch.Tensor, ...], Any, dict[str, str], tuple[str, ...]]:
    """The module to export for ``look`` (:meth:`Look.module`), example inputs, their dynamic shapes, the
    metadata to record and the input names then the output name: from what the look can do, whatever its kind."""
    runtime = look.open()
    module = runtime.module()
    meta = {"lookgan_version": __version__, "lookgan_kind": look.kind, "layout": "NCHW", "range": "0..1",
            "look_name": look.path.stem}
    batch = torch.export.Dim("batch", min=1, max=1024)
    if isinstance(runtime, Generator):
        meta.update(input="z: (N, z_dim) standard normal", z_dim=str(runtime.z_dim))
        return module, (torch.randn(2, runtime.z_dim),), ({0: batch},), meta, ("z", "image")
    m = runtime.size_multiple
    meta["multiple_of"] = str(m)
    if m == 1:
        h, w = torch.export.Dim("height", min=8, max=16384), torch.export.Dim("width", min=8, max=16384)
        meta["input"] = "image: (N, 3, H, W) RGB in 0..1"
        noise = runtime.noise_input() if isinstance(runtime, NoiseInput) else None
        if noise is not None:  # grain: the app draws the noise field (same rule as lookgan: see OnnxLook)
            meta.update(noise_size=repr(noise["size"]), noise_mono=repr(noise["mono"]))
            meta["input"] += ("; noise: (N, 3, H, W) unit-variance film grain of noise_size x the short side, "
                              "noise_mono of its variance shared by R, G, B (zeros: no grain)")
            shapes = {0: batch, 2: h, 3: w}
            return (module, (torch.rand(2, 3, 64, 48), torch.randn(2, 3, 64, 48)), (shapes, shapes), meta,
                    ("image", "noise", "styled"))
        return module, (torch.rand(2, 3, 64, 48),), ({0: batch, 2: h, 3: w},), meta, ("image", "styled")
    hm = torch.export.Dim(f"height_{m}", min=2, max=16384 // m)
    wm = torch.export.Dim(f"width_{m}", min=2, max=16384 // m)
    meta["input"] = f"image: (N, 3, H, W) RGB in 0..1, H and W multiples of {m}"
    example = torch.rand(1, 3, 16 * m, 12 * m)
    return module, (example,), ({0: batch, 2: m * hm, 3: m * wm},), meta, ("image", "styled")


def export_onnx(look: Look | str | Path, out: str | Path) -> Path:
    """Write ``look`` as an ONNX model at ``out`` (atomically), checked by onnx's checker; see the module
    docstring for inputs and outputs."""
    onnx = require("onnx")
    require("onnx", "onnxscript")  # the exporter needs it
    look = as_look(look)
    module, example, dynamic, meta, names = graph_for(look)
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the exporter logs that torchvision's ops are not registered (we have none)
    with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # the exporter's own deprecation and tracing chatter
        program = torch.onnx.export(module, example, dynamo=True, opset_version=OPSET, dynamic_shapes=dynamic,
                                    input_names=list(names[:-1]), output_names=[names[-1]], verbose=False,
                                    optimize=True)
    quiet.setLevel(level)
    model = program.model_proto
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, model.SerializeToString())
    return out


# --- running ---------------------------------------------------------------------------------------------------
class OnnxLook:
    """An exported look opened with onnxruntime: ``metadata`` (kind, range, multiple_of, ...) and runners."""

    def __init__(self, path: str | Path, *, threads: int | None = None) -> None:
        ort = require("onnx", "onnxruntime")
        self.path = Path(path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own types for unreadable or invalid files
            raise InputError(f"{self.path}: not an ONNX model onnxruntime can open ({str(e).splitlines()[0]})") from None
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        if "lookgan_kind" not in self.metadata:
            raise InputError(f"{self.path}: not an ONNX model exported by lookgan (no lookgan metadata)")
        self.input = self.session.get_inputs()[0].name
        self.inputs = [i.name for i in self.session.get_inputs()]

    @property
    def generates(self) -> bool:
        return self.input == "z"

    def run(self, x: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
        """Run the graph on a float32 NCHW batch (or latents ``(N, z_dim)``); ``noise`` for graphs that take
        a grain field (zeros when not given)."""
        feed = {self.input: np.ascontiguousarray(x, dtype=np.float32)}
        if "noise" in self.inputs:
            feed["noise"] = np.zeros_like(feed[self.input]) if noise is None else noise.astype(np.float32)
        return self.session.run(None, feed)[0]

    def noise_for(self, image: np.ndarray, seed: int | None = None) -> np.ndarray | None:
        """The grain field ``(1, 3, H, W)`` a graph with a ``noise`` input gets for ``image``: lookgan's own
        (:func:`~lookgan.kinds.preset.network.grain_field`, seeded from the photo unless ``seed`` is given), so the
        ONNX result matches ``lookgan apply``."""
        if "noise" not in self.inputs:
            return None
        h, w = image.shape[:2]
        seed = photo_seed(image) if seed is None else seed
        return grain_field(h, w, size=float(self.metadata["noise_size"]), mono=float(self.metadata["noise_mono"]),
                           seed=seed).numpy()

    def run_image(self, image: np.ndarray, *, seed: int | None = None) -> np.ndarray:
        """One photo ``(H, W, 3)`` uint8 or float in [0, 1] through the look; same size and dtype out; ``seed``:
        of the grain, for looks that have grain (default: from the photo, as lookgan does)."""
        if self.generates:
            raise InputError(f"{self.path} makes new images (a {self.metadata['lookgan_kind']} look); it does not "
                             "restyle photos")
        x = as_float(image)
        h, w = x.shape[:2]
        m = int(self.metadata.get("multiple_of", "1"))
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            x = np.pad(x, ((0, ph), (0, pw), (0, 0)), mode="reflect")
        noise = self.noise_for(image, seed)
        y = self.run(x.transpose(2, 0, 1)[None], noise)[0].transpose(1, 2, 0)[:h, :w]
        return like(np.clip(y, 0.0, 1.0), image)

    def describe(self) -> str:
        return json.dumps(self.metadata, sort_keys=True)
