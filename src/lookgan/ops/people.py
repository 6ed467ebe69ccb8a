"""People in photos: person, skin and face masks from MediaPipe (the ``faces`` extra), computed once and shared by
portrait-aware applying (:mod:`lookgan.use.portrait`), the ``lut`` kind's per-region fit and the face metrics.

The models are MediaPipe's selfie segmentation and 468-point face mesh, which ship inside the ``mediapipe`` wheel
(nothing is downloaded). Masks are computed on a copy at most ``MASK_SIDE`` px long and scaled up, then feathered
(a Gaussian of about 1 % of the image diagonal), so edges — hair above all — blend instead of showing a halo.
Skin is the person mask where the colour is skin-like in YCrCb (the classic Cr 133-173, Cb 77-127 box,
softened), so hair, clothes and lips are mostly left out.
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..core.extras import require
from ..data.images import as_uint8, fit_within

MASK_SIDE = 512
_OVAL: list[int] = []
FACES_EXTRA_HINT = "pip install 'lookgan[faces]' (MediaPipe's face mesh, shipped inside the package)"


def mediapipe_available() -> bool:
    try:
        import mediapipe  # noqa: F401
    except Exception:  # ImportError, or a broken install (protobuf/numpy mismatches raise other errors)
        return False
    return True


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration: MediaPipe's C++ code writes set-up notes
    ("Created TensorFlow Lite XNNPACK delegate", absl warnings) straight to it, past Python's sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@dataclass
class PortraitMasks:
    """Float masks ``(H, W)`` in [0, 1] at the photo's size."""

    person: np.ndarray
    skin: np.ndarray
    face_found: bool
    face: np.ndarray | None = None
    """The face ovals (face mesh outline, filled and feathered); zeros where no face was found."""


def feather(mask: np.ndarray, radius: float) -> np.ndarray:
    """A soft-edged copy of a mask in [0, 1] (Gaussian blur of ``radius`` px)."""
    if radius <= 0:
        return mask.astype(np.float32)
    im = Image.fromarray((np.clip(mask, 0, 1) * 255 + 0.5).astype(np.uint8), mode="L")
    return np.asarray(im.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) / 255.0


def skin_likelihood(image: np.ndarray) -> np.ndarray:
    """How skin-like each pixel's colour is, in [0, 1]: inside the YCrCb box (Cr 133-173, Cb 77-127) = 1, falling
    to 0 over 10 levels outside it."""
    ycc = np.asarray(Image.fromarray(as_uint8(image)).convert("YCbCr"), dtype=np.float32)
    cb, cr = ycc[..., 1], ycc[..., 2]

    def inside(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
        return np.clip(1.0 - np.maximum(lo - v, v - hi) / 10.0, 0.0, 1.0)

    return inside(cr, 133, 173) * inside(cb, 77, 127)


class PortraitMasker:
    """MediaPipe selfie segmentation + face mesh, opened once for many photos (a context manager)."""

    def __init__(self) -> None:
        mp = require("faces")
        with native_stderr_silenced():
            self._segmenter = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
            self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=4,
                                                         min_detection_confidence=0.5)

    def __enter__(self) -> "PortraitMasker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._segmenter.close()
        self._mesh.close()

    def __call__(self, image: np.ndarray) -> PortraitMasks:
        """Masks for one photo (``(H, W, 3)`` uint8 or float in [0, 1])."""
        u8 = as_uint8(image)
        h, w = u8.shape[:2]
        small = fit_within(u8, MASK_SIDE)
        with native_stderr_silenced():
            seg = self._segmenter.process(np.ascontiguousarray(small)).segmentation_mask
            faces = self._mesh.process(np.ascontiguousarray(small)).multi_face_landmarks
        person_small = np.clip(np.asarray(seg, dtype=np.float32), 0, 1)
        ovals = Image.new("L", (w, h), 0)
        for found in faces or []:
            outline = [(p.x * w, p.y * h) for p in (found.landmark[i] for i in _face_oval())]
            ImageDraw.Draw(ovals).polygon(outline, fill=255)
        if faces:  # a face the segmenter missed still counts as person
            for face in faces:
                sh, sw = small.shape[:2]
                xs = np.array([p.x for p in face.landmark]) * sw
                ys = np.array([p.y for p in face.landmark]) * sh
                x0, x1 = int(max(0, xs.min())), int(min(sw, xs.max() + 1))
                y0, y1 = int(max(0, ys.min())), int(min(sh, ys.max() + 1))
                person_small[y0:y1, x0:x1] = np.maximum(person_small[y0:y1, x0:x1], 0.5)
        person = np.asarray(Image.fromarray(person_small).resize((w, h), Image.BILINEAR), dtype=np.float32)
        radius = 0.01 * float(np.hypot(h, w))
        person = feather(person, radius)
        skin = np.minimum(feather(person * skin_likelihood(u8), radius), person)  # skin lies on the person
        face_mask = feather(np.asarray(ovals, dtype=np.float32) / 255.0, radius)
        return PortraitMasks(person=np.clip(person, 0, 1), skin=np.clip(skin, 0, 1), face_found=bool(faces),
                             face=face_mask)


def _face_oval() -> list[int]:
    """The face mesh's outline as an ordered ring of landmark indices (MediaPipe gives it as unordered edges)."""
    if not _OVAL:
        import mediapipe as mp

        FACEMESH_FACE_OVAL = mp.solutions.face_mesh_connections.FACEMESH_FACE_OVAL  # noqa: N806

        nxt = dict(FACEMESH_FACE_OVAL)
        start = min(nxt)
        ring, node = [start], nxt[start]
        while node != start and len(ring) <= len(nxt):
            ring.append(node)
            node = nxt[node]
        _OVAL.extend(ring)
    return _OVAL
