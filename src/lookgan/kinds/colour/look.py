"""What a saved LUT look (``lut``, ``reinhard``, ``ot``) can do: the :class:`~lookgan.kinds.capabilities.Restyler` of
the LUT kinds, and the ways to make such a look without training (from a LUT file, from one reference photo).

The predictor sees a 256-px thumbnail of the whole photo and picks its LUT; the LUT is applied to the
full-resolution pixels (:class:`~lookgan.ops.lut3d.FastLUT` for 8-bit photos, float interpolation for 16-bit
ones). Strength and keep-colour are folded into the LUT itself, so they cost nothing per pixel and an export with
the same options gives the same result in another program. In video the predicted mixing weights are smoothed
over time (:class:`FrameGrader`), so the grade does not flicker when the predictor wavers.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ...core.errors import InputError
from ...data.images import as_float, as_uint8, fit_within, list_images, read_image
from ...ops.lut3d import LUT_VALUE_RANGE, FastLUT, apply_lut_image
from ...ops.people import PortraitMasker, mediapipe_available
from ...ops.transfer import reference_lut
from ...ops.viz import lut_preview
from ..base import TrainResult
from ..capabilities import ApplyOptions, Grader, finish_lut
from ..look import Look, write_look
from .network import AdaptiveLUT

#: Weight of the previous frame's mixing weights in the running average (0 = no smoothing).
TEMPORAL_SMOOTHING = 0.9
_REBUILD_TOLERANCE = 1e-3


def thumbnail_tensor(image: np.ndarray, size: int) -> torch.Tensor:
    """The predictor's view of a full image: ``(1, 3, size, size)`` in [0, 1], resized by Pillow (fast, with
    antialiasing) from uint8 or float ``(H, W, 3)``."""
    small = Image.fromarray(as_uint8(image)).resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return torch.from_numpy(as_float(np.asarray(small))).permute(2, 0, 1)[None]


class FrameGrader:
    """Grades a sequence of frames with one LUT look, smoothing the adaptive weights over time; the LUT table
    is only rebuilt when the smoothed weights actually move."""

    def __init__(self, model: AdaptiveLUT, options: ApplyOptions, smoothing: float = TEMPORAL_SMOOTHING) -> None:
        self.model, self.options, self.smoothing = model, options, smoothing
        self.weights: torch.Tensor | None = None
        self._built_for: torch.Tensor | None = None
        self._fast: FastLUT | None = None

    @torch.no_grad()
    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """uint8 ``(H, W, 3)`` RGB frame -> graded frame."""
        if self.model.adaptive:
            w = self.model.weights(thumbnail_tensor(frame, self.model.thumb_size))[0]
            self.weights = w if self.weights is None else self.smoothing * self.weights + (1 - self.smoothing) * w
        else:
            self.weights = self.model.mean_weights
        if self._built_for is None or float((self.weights - self._built_for).abs().max()) > _REBUILD_TOLERANCE:
            lut = finish_lut(self.model.mix(self.weights[None])[0].clamp(*LUT_VALUE_RANGE), self.options)
            self._fast, self._built_for = FastLUT(lut), self.weights.clone()
        assert self._fast is not None
        return self._fast(frame)


class LUTRestyler:
    """A LUT look as a :class:`~lookgan.kinds.capabilities.Restyler`: exact .cube export, any photo size."""

    size_multiple = 1
    lut_is_whole_look = True

    def __init__(self, look: Look, model: AdaptiveLUT) -> None:
        self.look, self.model = look, model

    def restyle(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)

    @torch.no_grad()
    def image_lut(self, image: np.ndarray, options: ApplyOptions = ApplyOptions()) -> torch.Tensor:
        """The LUT ``(3, n, n, n)`` the look uses for this image (``(H, W, 3)`` uint8 or float)."""
        m = self.model
        weights = m.weights(thumbnail_tensor(image, m.thumb_size)) if m.adaptive else m.mean_weights[None]
        return finish_lut(m.mix(weights)[0].clamp(*LUT_VALUE_RANGE), options)

    def grader(self, options: ApplyOptions, *, video: bool = False) -> Grader:
        if video:
            return FrameGrader(self.model, options)
        if self.model.adaptive:
            return lambda image: apply_lut_image(image, self.image_lut(image, options))
        lut = self.as_lut(options)  # one LUT for every photo: its fast tables are built once
        fast = FastLUT(lut)
        return lambda image: apply_lut_image(image, lut, fast=fast)

    @torch.no_grad()
    def as_lut(self, options: ApplyOptions = ApplyOptions(), *, for_image: np.ndarray | None = None,
               exact: bool = False, report: dict[str, Any] | None = None) -> torch.Tensor:
        """The LUT of the mean mixing weights over the training photos (the one an editor gets), or the one
        picked for ``for_image``."""
        if for_image is not None:
            return self.image_lut(for_image, options)
        return finish_lut(self.model.mean_lut().clamp(*LUT_VALUE_RANGE), options)

    def module(self) -> torch.nn.Module:
        return self.model.eval()  # its forward already is [0, 1] image -> graded image


def write_global_lut_look(lut: torch.Tensor, out: str | Path, *, kind: str, config: Any,
                          data: dict[str, Any]) -> Path:
    """A global (non-adaptive) look of ``kind`` holding ``lut`` ``(3, n, n, n)``: imported files, one-reference
    fits. ``config`` is the kind's config for one global LUT of that size."""
    model = AdaptiveLUT(**config.model_kwargs(), init=lut)
    write_look(out, kind=kind, config=config, tensors=model.state_dict(), preview=lut_preview(lut),
               meta={"steps": 0, "data": data})
    return Path(out)


def fit_reference_lut(reference: Path, *, photos: Path | None, max_pixels: int,
                      per_region: bool) -> tuple[torch.Tensor, dict[str, Any], int]:
    """``train lut REF.jpg --photos DIR``: one LUT from one reference photo by colour-distribution matching
    (:func:`lookgan.ops.transfer.reference_lut`); ``per_region`` matches person and background separately (needs
    the faces extra; measured worse on our portraits, so off by default). Returns (LUT, fit summary, photos)."""
    if photos is None:
        raise InputError(f"a look from one reference photo ({reference.name}) needs your own photos too, to learn "
                         "how to change them: add --photos CONTENT_DIR")
    ref = read_image(reference, max_pixels=max_pixels, min_side=512, keep_8bit=True)
    paths = list_images(photos)[:60]
    if not paths:
        raise InputError(f"--photos {photos} holds no images; give a folder of your own photos")
    images = [fit_within(read_image(p, max_pixels=max_pixels, min_side=256, keep_8bit=True), 384) for p in paths]
    if per_region and not mediapipe_available():
        raise InputError("--per-region needs person masks from the faces extra: pip install 'lookgan[faces]'")
    if per_region:
        with PortraitMasker() as masker:
            lut, summary = reference_lut(fit_within(ref, 768), images, masker=masker)
    else:
        lut, summary = reference_lut(fit_within(ref, 768), images)
    return lut, summary, len(images)


def reference_result(out: Path, started: float) -> TrainResult:
    """What a fit without training steps reports."""
    return TrainResult(look=out, step=0, stopped="done", elapsed_s=time.monotonic() - started, sample_path=None,
                       loss_plot=None, checkpoint=None)
