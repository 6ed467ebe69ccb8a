"""Face geometry kept? Landmarks on a photo and on its styled version, and how far they moved.

The landmark model is MediaPipe's 468-point face mesh, which ships inside the ``mediapipe`` wheel (extra
``faces``: ``pip install 'lookgan[faces]'``); nothing is downloaded. Any callable with the
:class:`Landmarker` signature can stand in (tests use a synthetic one).

``face_shift`` is the mean landmark displacement in % of face size (the square root of the area of the
landmarks' bounding box on the original), averaged over the photos where a face was found both before and
after. A colour grade should leave it near the detector's own jitter (well under 1 %); a texture style that
warps faces raises it. Detection rates before/after are reported too: a look that makes faces unrecognisable
shows up as a lower rate after.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ...core.errors import InputError
from ...data.images import as_uint8
from ...ops.people import FACES_EXTRA_HINT, native_stderr_silenced

Landmarker = Callable[[np.ndarray], "np.ndarray | None"]
"""uint8 ``(H, W, 3)`` RGB image -> ``(K, 2)`` landmark pixel coordinates of the most prominent face, or None."""



class MediaPipeLandmarker:
    """MediaPipe face mesh (468 points), static-image mode, one face. Use as a context manager or call
    :meth:`close`; a closed landmarker cannot be used again."""

    def __init__(self, min_confidence: float = 0.5) -> None:
        try:
            import mediapipe as mp
        except Exception as e:  # noqa: BLE001
            raise InputError(f"face metrics need MediaPipe ({e}); {FACES_EXTRA_HINT}") from None
        with native_stderr_silenced():
            self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                                         refine_landmarks=False,
                                                         min_detection_confidence=min_confidence)

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        image = as_uint8(image)
        with native_stderr_silenced():  # set-up notes on the first calls, from C++ (errors still raise)
            result = self._mesh.process(np.ascontiguousarray(image))
        if not result.multi_face_landmarks:
            return None
        h, w = image.shape[:2]
        pts = result.multi_face_landmarks[0].landmark
        return np.array([(p.x * w, p.y * h) for p in pts], dtype=np.float64)

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "MediaPipeLandmarker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def face_size(landmarks: np.ndarray) -> float:
    """Square root of the landmarks' bounding-box area, in pixels."""
    span = landmarks.max(axis=0) - landmarks.min(axis=0)
    return float(np.sqrt(max(span[0], 1e-9) * max(span[1], 1e-9)))


def landmark_shift(before: np.ndarray, after: np.ndarray) -> float:
    """Mean displacement of corresponding landmarks in % of the face size on ``before``."""
    if before.shape != after.shape:
        raise ValueError(f"landmark sets differ in shape: {before.shape} vs {after.shape}")
    return float(np.linalg.norm(after - before, axis=1).mean() / face_size(before) * 100.0)


def face_shift(pairs: Iterable[tuple[np.ndarray, np.ndarray]], landmarker: Landmarker) -> dict[str, Any]:
    """Face metrics over (original, styled) image pairs of equal size.

    Returns ``face_detected_before`` / ``face_detected_after`` (fractions of images with a face), ``face_shift``
    (mean landmark shift in % of face size over images with a face in both; None when there are none),
    ``n_faces`` (that count) and ``per_image`` shifts (None where no pair of faces)."""
    per_image: list[float | None] = []
    found_before = found_after = 0
    for before, after in pairs:
        lm_b, lm_a = landmarker(before), landmarker(after)
        found_before += lm_b is not None
        found_after += lm_a is not None
        scale = np.array([before.shape[1] / after.shape[1], before.shape[0] / after.shape[0]])
        per_image.append(None if lm_b is None or lm_a is None else landmark_shift(lm_b, lm_a * scale))
    n = len(per_image)
    shifts = [s for s in per_image if s is not None]
    return {"face_detected_before": found_before / n if n else 0.0, "face_detected_after": found_after / n if n else 0.0,
            "face_shift": float(np.mean(shifts)) if shifts else None, "n_faces": len(shifts), "per_image": per_image}
