"""A look applied to people in photos with different strengths on person and background, with skin tones kept
natural (the masks come from :mod:`lookgan.ops.people`, MediaPipe's models in the ``faces`` extra).

:func:`portrait_blend` is pure array maths (tested without MediaPipe): per-pixel strength
``person_strength * person + background_strength * (1 - person)``, then on skin the original hue and chroma
(Lab a*, b*) blended back by ``protect_skin`` while the look's lightness stays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..core.errors import InputError
from ..data.images import as_float, as_uint8, like
from ..ops.color import lab_to_rgb, rgb_to_lab
from ..ops.people import PortraitMasks


@dataclass(frozen=True)
class PortraitOptions:
    """A look applied to portraits by region (``lookgan apply --person-strength ...``; needs the faces extra)."""

    person_strength: float | None = None
    """Strength of the look on people, 0..1 (None: the apply strength)."""
    background_strength: float | None = None
    """Strength of the look on the background, 0..1 (None: the apply strength)."""
    protect_skin: float = 0.0
    """Blend the original skin hue and chroma back by this much (lightness follows the look)."""
    protect_faces: float = 0.0
    """Keep face shapes under texture looks by this much (each face keeps its own detail)."""

    def regions(self, strength: float) -> dict[str, float]:
        """The keyword arguments of :func:`portrait_blend`, defaults resolved against ``strength``."""
        return {"person_strength": strength if self.person_strength is None else self.person_strength,
                "background_strength": strength if self.background_strength is None else self.background_strength,
                "protect_skin": self.protect_skin, "protect_faces": self.protect_faces}

    @classmethod
    def from_flags(cls, person_strength: float | None = None, background_strength: float | None = None,
                   protect_skin: float = 0.0, protect_faces: float = 0.0) -> "PortraitOptions | None":
        """None when no portrait option is set (the look applies to the whole picture as usual)."""
        if person_strength is None and background_strength is None and not protect_skin and not protect_faces:
            return None
        return cls(person_strength, background_strength, protect_skin, protect_faces)



def mask_overlay(image: np.ndarray, masks: PortraitMasks) -> np.ndarray:
    """The photo with the person tinted blue and skin tinted red (uint8), to show what the masks cover."""
    out = as_uint8(image).astype(np.float32)
    person_only = np.clip(masks.person - masks.skin, 0, 1)[..., None] * 0.45
    skin = masks.skin[..., None] * 0.5
    out = out * (1 - person_only) + np.array([40, 90, 255], np.float32) * person_only
    out = out * (1 - skin) + np.array([255, 60, 60], np.float32) * skin
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def portrait_blend(photo: np.ndarray, result: np.ndarray, masks: PortraitMasks, *, person_strength: float = 1.0,
                   background_strength: float = 1.0, protect_skin: float = 0.0,
                   protect_faces: float = 0.0) -> np.ndarray:
    """The look (``result``, at full strength) on ``photo`` with per-region strength and skin protection; same
    dtype and shape as ``photo`` (uint8, or float in [0, 1]).

    Every output pixel is a blend of the photo and the look (strengths in [0, 1]) — nothing overshoots at the
    mask edges — and on skin its a*, b* move back toward the photo's by ``protect_skin`` (lightness stays).
    ``protect_faces`` keeps face shapes under texture looks: inside the face ovals the result keeps only the
    look's low frequencies (its colour and tone, blurred over about 1 % of the image diagonal) on top of the
    photo's own detail, so eyes, mouth and outline stay where they were."""
    for name, v in (("person strength", person_strength), ("background strength", background_strength),
                    ("skin protection", protect_skin), ("face protection", protect_faces)):
        if not 0.0 <= v <= 1.0:
            raise InputError(f"{name} must be between 0 and 1, got {v}")
    p, r = torch.from_numpy(as_float(photo)), torch.from_numpy(as_float(result))
    person = torch.from_numpy(masks.person)[..., None]
    strength = person_strength * person + background_strength * (1.0 - person)
    out = p + strength * (r - p)
    if protect_faces > 0 and masks.face is not None and masks.face.any():
        radius = 0.01 * float(np.hypot(*p.shape[:2]))
        low_out, low_photo = _blur(out, radius), _blur(p, radius)
        k = protect_faces * torch.from_numpy(masks.face)[..., None]
        out = out + k * ((low_out + p - low_photo) - out)
    if protect_skin > 0:
        lab_p, lab_o = rgb_to_lab(p), rgb_to_lab(out)
        k = protect_skin * torch.from_numpy(masks.skin)[..., None]
        ab = lab_o[..., 1:] + k * (lab_p[..., 1:] - lab_o[..., 1:])
        out = lab_to_rgb(torch.cat([lab_o[..., :1], ab], dim=-1))
    return like(out.clamp(0, 1).numpy(), photo)


def _blur(image: torch.Tensor, radius: float) -> torch.Tensor:
    """Gaussian blur of an ``(H, W, 3)`` float image (separable, reflect padding)."""
    sigma = max(radius, 0.5)
    half = int(3 * sigma)
    x = torch.arange(-half, half + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = kernel / kernel.sum()
    img = image.permute(2, 0, 1)[:, None]  # (3, 1, H, W)
    pad_h, pad_w = min(half, img.shape[2] - 1), min(half, img.shape[3] - 1)
    k_h = kernel[half - pad_h: half + pad_h + 1]
    k_w = kernel[half - pad_w: half + pad_w + 1]
    img = torch.nn.functional.pad(img, (0, 0, pad_h, pad_h), mode="reflect")
    img = torch.nn.functional.conv2d(img, (k_h / k_h.sum()).view(1, 1, -1, 1))
    img = torch.nn.functional.pad(img, (pad_w, pad_w, 0, 0), mode="reflect")
    img = torch.nn.functional.conv2d(img, (k_w / k_w.sum()).view(1, 1, 1, -1))
    return img[:, 0].permute(1, 2, 0)
