"""What a look can do, as protocols every caller dispatches on: :class:`Restyler` and :class:`Generator`.

A kind's own module says what its saved looks can do by returning one of these from ``Method.open(look)``
(:meth:`lookgan.kinds.look.Look.open`). Apply, video, export (.cube, HaldCLUT, ONNX), evaluation, generation,
``torch.hub`` and the web app use only these methods, never a kind's classes or its name, so a new kind
(built in or from a plugin package) works everywhere once it implements them. A look asked for something its
kind cannot do (a generator asked to grade a photo, a texture look asked for an exact .cube) gets a
:class:`CapabilityError` that says so and what to do instead: :func:`lookgan.kinds.look.as_restyler` and
:func:`lookgan.kinds.look.as_generator` open a look for one use and check it can.

:class:`PointwiseRestyler` is the short way to write a colour kind: give it ``restyle`` and it supplies the
rest (the exact LUT, photo grading at any size, the [0, 1] module for ONNX).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from ..core.errors import InputError
from ..data.images import as_float, like
from ..ops.color import blend
from ..ops.lut3d import FastLUT, apply_lut_image, blend_lut, identity_lut, keep_colour_lut

#: A photo or video-frame function: ``(H, W, 3)`` uint8 or float in [0, 1] in, the same size and dtype out.
Grader = Callable[[np.ndarray], np.ndarray]


class CapabilityError(InputError):
    """A look was asked for something its kind cannot do (exit code 2, like every input error)."""


@dataclass(frozen=True)
class ApplyOptions:
    """How strongly and in what way a look is applied."""

    strength: float = 1.0
    """0 = the photo as it is, 1 = the full look; values in between blend inside the LUT (up to 2 exaggerates)."""
    keep_colour: bool = False
    """Apply only the look's tone (lightness) change and keep each pixel's own chroma and hue."""
    tile: int = 512
    """Looks that run a network over the photo: side of the tiles a large photo is processed in (memory grows
    with its square)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 2.0:
            raise InputError(f"--strength must be between 0 and 2 (1 = the full look), got {self.strength}")
        if self.tile < 64:
            raise InputError(f"--tile must be at least 64 px, got {self.tile}")


def finish_lut(lut: torch.Tensor, options: ApplyOptions) -> torch.Tensor:
    """Fold strength and keep-colour into ``lut`` ``(3, n, n, n)``: they then cost nothing per pixel, and an
    exported .cube with the same options gives the same result in another program."""
    if options.keep_colour:
        lut = keep_colour_lut(lut)
    if options.strength != 1.0:
        lut = blend_lut(lut, options.strength)
    return lut


def finish_result(photo: np.ndarray, result: np.ndarray, options: ApplyOptions) -> np.ndarray:
    """Strength and keep-colour on a finished result (``(H, W, 3)``, same dtype as ``photo``), for looks whose
    change is not a LUT the options could be folded into."""
    if options.strength == 1.0 and not options.keep_colour:
        return result
    p, r = (torch.from_numpy(as_float(a)) for a in (photo, result))
    return like(blend(p, r, strength=options.strength, keep_colour=options.keep_colour).numpy(), photo)


@runtime_checkable
class Restyler(Protocol):
    """A look that changes photos (colour grades, texture styles, editor-like presets)."""

    look: Any
    """The :class:`~lookgan.kinds.look.Look` it was opened from."""
    size_multiple: int
    """:meth:`restyle` needs heights and widths that are multiples of this (1: any size)."""
    lut_is_whole_look: bool
    """Whether :meth:`as_lut` carries the whole look (a pure colour map) or only its colour part."""

    def restyle(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` RGB in [0, 1] -> the same in the look; one whole-image pass."""
        ...

    def grader(self, options: ApplyOptions, *, video: bool = False) -> Grader:
        """A function that grades full-resolution photos of any size and aspect (tiles, LUT fast paths and the
        options inside); ``video=True``: frames of one video in order (it may smooth across frames)."""
        ...

    def as_lut(self, options: ApplyOptions = ApplyOptions(), *, for_image: np.ndarray | None = None,
               exact: bool = False, report: dict[str, Any] | None = None) -> torch.Tensor:
        """The single ``(3, n, n, n)`` LUT that stands for the look outside lookgan (the one it uses for
        ``for_image`` when given). ``exact=True`` refuses (:class:`CapabilityError`) when a LUT can only
        approximate the look; ``report`` receives fidelity figures where the LUT is fitted."""
        ...

    def module(self) -> nn.Module:
        """The look as one network in [0, 1] (``image -> styled``), for ONNX and ``torch.hub``."""
        ...


@runtime_checkable
class Generator(Protocol):
    """A look that makes new images from latent vectors."""

    look: Any
    """The :class:`~lookgan.kinds.look.Look` it was opened from."""
    z_dim: int
    """Length of the latent vectors."""

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """``(N, z_dim)`` standard normal -> images ``(N, 3, S, S)`` in [0, 1]."""
        ...

    def module(self) -> nn.Module:
        """The generator as one network (``z -> image`` in [0, 1]), for ONNX and ``torch.hub``."""
        ...


@runtime_checkable
class Adjustable(Protocol):
    """A look whose named parameters a person may change (sliders, ``lookgan apply --set NAME=VALUE``)."""

    expert_layers: tuple[str, ...]
    """Layers (the part of a setting's name before the dot) of expert parameters: shown folded away as
    "advanced", after the controls a creator uses every day."""

    def settings(self) -> dict[str, tuple[float, float, float]]:
        """Every setting: name -> (value, low, high), the everyday controls first."""
        ...

    def adjusted(self, values: dict[str, float]) -> Any:
        """A new, in-memory :class:`~lookgan.kinds.look.Look` with ``values`` set (clipped to their ranges)."""
        ...


@runtime_checkable
class FfmpegFilters(Protocol):
    """A look that ffmpeg can apply whole (beyond its LUT): ``lookgan export --format ffmpeg``."""

    def ffmpeg_filters(self, options: ApplyOptions, *, lut3d: str, report: dict[str, Any] | None = None) -> str:
        """An ffmpeg filter graph with one input and one output that applies the look with ``options``;
        ``lut3d`` is the ``lut3d`` filter (with its file) applying :meth:`Restyler.as_lut` of the same options.
        ``report["not_in_lut"]`` receives what the graph leaves out, if anything."""
        ...


@runtime_checkable
class NoiseInput(Protocol):
    """A look whose :meth:`Restyler.module` also takes a noise field (film grain) as a second input ``noise``
    ``(N, 3, H, W)``: a graph cannot draw seeded noise, so the app running it does
    (:func:`lookgan.kinds.preset.network.grain_field` with the spec given here and
    :func:`~lookgan.kinds.preset.network.photo_seed`: the grain of the look's reference path; ``lookgan apply`` reads
    grain of the same statistics from a texture made once per frame size, which is faster)."""

    def noise_input(self) -> dict[str, float] | None:
        """``{"size": fraction of the short side, "mono": share}``, or None when the look adds no noise."""
        ...


@dataclass(frozen=True)
class VignetteLayer:
    """A look's vignette in terms every editor has (Lightroom's post-crop vignette, RawTherapee's, darktable's)."""

    amount: float
    """Change of mid-grey's value at the corners relative to the centre: -0.4 = 40 % darker, +0.2 = lighter."""
    midpoint: float
    """Distance from the centre (corners at 1) where the change is half done."""
    feather: float
    """Width of the ramp, as a fraction of the centre-to-corner distance (0 = a hard edge)."""
    roundness: float
    """0: a circle in pixels, 1: an ellipse following the frame."""
    highlights: float = 0.0
    """How much bright values are spared (0..1; Camera Raw's vignette Highlights)."""


@dataclass(frozen=True)
class GrainLayer:
    """A look's film grain in editor terms."""

    amount: float
    """Standard deviation added to mid-grey, in 0..1 units."""
    size: float
    """Grain size as a fraction of the short side."""
    mono: float
    """Share of the grain that is the same in R, G and B (1 = monochrome grain)."""
    tonal_spread: float = 1.0
    """Grain in dark and light greys (luma 0.15 and 0.85, mean) over mid-grey's: 1 = even, below 1 = midtones."""


@dataclass(frozen=True)
class EditorLayers:
    """What of a look maps onto editors' own sliders (beside its colour LUT), and what does not."""

    vignette: VignetteLayer | None = None
    grain: GrainLayer | None = None
    not_mapped: tuple[str, ...] = ()
    """Parts of the look no editor slider carries (e.g. an overlay's colours), said in the export's notes."""


@runtime_checkable
class HasEditorLayers(Protocol):
    """A look with parametric layers (vignette, grain) that editor presets can carry as their own settings."""

    def editor_layers(self, options: ApplyOptions = ApplyOptions()) -> EditorLayers:
        ...


class RestyleModule(nn.Module):
    """``restyle`` as an ``nn.Module`` (``image -> styled``, [0, 1]); ``net`` (when given) is registered so its
    weights travel with the module."""

    def __init__(self, restyle: Callable[[torch.Tensor], torch.Tensor], net: nn.Module | None = None) -> None:
        super().__init__()
        self._restyle = restyle
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self._restyle(image)


class GenerateModule(nn.Module):
    """A generator ``net`` working in [-1, 1] as ``z -> image`` in [0, 1]; ``z_dim`` is the latent length."""

    def __init__(self, net: nn.Module, z_dim: int) -> None:
        super().__init__()
        self.model = net
        self.z_dim = z_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.model(z).clamp(-1.0, 1.0) + 1.0) * 0.5


class PointwiseRestyler:
    """Base for looks that map each pixel's colour alone (a grade with no position or texture): subclasses set
    ``look`` and implement :meth:`restyle`; the LUT is then exact up to interpolation and everything else
    follows from it. Override :meth:`grader` for a faster path or :attr:`lut_size` for a finer LUT."""

    size_multiple = 1
    lut_is_whole_look = True
    lut_size = 33

    def __init__(self, look: Any) -> None:
        self.look = look

    def restyle(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def as_lut(self, options: ApplyOptions = ApplyOptions(), *, for_image: np.ndarray | None = None,
               exact: bool = False, report: dict[str, Any] | None = None) -> torch.Tensor:
        lattice = identity_lut(self.lut_size)  # (3, n, n, n): every lattice colour as one "image"
        with torch.no_grad():
            lut = self.restyle(lattice.flatten(2)[None])[0].reshape(lattice.shape)
        return finish_lut(lut.clamp(0.0, 1.0), options)

    def grader(self, options: ApplyOptions, *, video: bool = False) -> Grader:
        lut = self.as_lut(options)
        fast = FastLUT(lut)
        return lambda image: apply_lut_image(image, lut, fast=fast)

    def module(self) -> nn.Module:
        return RestyleModule(self.restyle).eval()
