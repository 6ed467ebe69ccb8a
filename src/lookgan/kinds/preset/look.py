"""What a saved ``preset`` look can do: the :class:`~lookgan.kinds.capabilities.Restyler` (any size, in one compiled
pass over the pixels, :mod:`.preset_fast`; grain seeded from the photo, or per video frame), its colour part as a
LUT, and its named settings (:class:`~lookgan.kinds.capabilities.Adjustable`: the editor's controls of
:mod:`.preset_controls` and the learnt parameters; sliders, ``--set``, ``lookgan adjust``)."""
from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import torch

from ...data.images import as_float, like
from ...ops.grain import grain_field, photo_seed
from ..capabilities import ApplyOptions, CapabilityError, EditorLayers, Grader, GrainLayer, VignetteLayer, finish_lut
from ..look import Look
from . import controls
from .fast import FastPreset
from .ffmpeg import filter_graph, ring_curves
from .network import TRIMS_NONE, PresetNet, frame_grid, with_grain


class _PresetGraph(torch.nn.Module):
    """The whole preset as one traceable network (ONNX, torch.hub): the layer order fixed when it is built and
    the frame geometry computed with tensor operations, so the height and width stay dynamic. Grain is added
    from ``noise`` (unit-variance film grain of the look's size and colour share, ``(N, 3, H, W)``; see
    :meth:`PresetRestyler.noise_input`) when given: a graph cannot draw seeded noise itself."""

    def __init__(self, net: PresetNet) -> None:
        super().__init__()
        self.net = net
        self.overlay_first = net.order == "overlay_first"

    def forward(self, image: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        h, w = image.shape[-2:]
        ones = torch.ones((), dtype=image.dtype, device=image.device)
        ys = (torch.arange(h, dtype=image.dtype, device=image.device) + 0.5) / h * 2 - 1
        xs = (torch.arange(w, dtype=image.dtype, device=image.device) + 0.5) / w * 2 - 1
        x, y = xs.view(1, 1, 1, -1).expand(1, 1, h, w), ys.view(1, 1, -1, 1).expand(1, 1, h, w)
        aspect = ones * w / h
        if self.overlay_first:
            out = self.net.colour(self.net.overlay(image, x, y, aspect=aspect), x=x, y=y)
        else:
            out = self.net.overlay(self.net.colour(image, x=x, y=y), x, y, aspect=aspect)
        if noise is None:
            return out
        return with_grain(out, noise, self.net.grain[:3])


#: Rows per band when grading a large photo (bounds the memory of the overlay's temporaries).
_BAND_ROWS = 256


class PresetRestyler:
    """A preset look as a :class:`~lookgan.kinds.capabilities.Restyler` with adjustable settings."""

    size_multiple = 1
    lut_is_whole_look = False

    def __init__(self, look: Look, net: PresetNet) -> None:
        self.look, self.net = look, net

    def restyle(self, images: torch.Tensor) -> torch.Tensor:
        """Colour and overlay (grain needs a seed: see :meth:`grader`)."""
        lut, ring_luts = self._tables(ApplyOptions())
        return self.net(images, lut=lut, ring_luts=ring_luts)

    def _tables(self, options: ApplyOptions) -> tuple[torch.Tensor, torch.Tensor]:
        """The colour LUT and the ring LUTs (maybe none) with the colour trims, strength and keep-colour folded
        in: everything that happens to a pixel's colour alone."""
        with torch.no_grad():
            trims = self.net.trims
            rings = [finish_lut(controls.trimmed(r.clamp(0.0, 1.0), trims), options) for r in self.net.ring_luts]
            return (finish_lut(controls.trimmed(self.net.lut.clamp(0.0, 1.0), trims), options),
                    torch.stack(rings) if rings else self.net.ring_luts)

    def fast(self, options: ApplyOptions) -> FastPreset:
        """The look folded for ``options`` into the one-pass grader (:mod:`.preset_fast`); build it once and
        use it for every photo or frame."""
        lut, ring_luts = self._tables(options)
        return FastPreset(self.net, lut, ring_luts, options.strength)

    def grade_array(self, image: np.ndarray, options: ApplyOptions, *, seed: int) -> np.ndarray:
        """One photo ``(H, W, 3)`` (uint8 or float) at full resolution; grain from ``seed``."""
        return self.fast(options)(image, seed=seed)

    def network_grade(self, image: np.ndarray, options: ApplyOptions, *, seed: int) -> np.ndarray:
        """The same through the network itself, in row bands, with a full-frame grain field drawn from ``seed``
        (:func:`~lookgan.kinds.preset.network.grain_field`): the definition the fast path is checked against, and
        what an ONNX app following :class:`~lookgan.kinds.capabilities.NoiseInput` computes."""
        lut, ring_luts = self._tables(options)
        x = torch.from_numpy(as_float(image)).permute(2, 0, 1)[None]  # (1, 3, H, W)
        h, w = x.shape[-2:]
        out = torch.empty_like(x)
        with torch.no_grad():
            for top in range(0, h, _BAND_ROWS):
                rows = x[..., top:top + _BAND_ROWS, :]
                gx, gy = frame_grid(rows.shape[-2], w, box=(top, 0, h, w))
                out[..., top:top + _BAND_ROWS, :] = self.net(rows, gx, gy, aspect=w / h, lut=lut,
                                                             ring_luts=ring_luts, strength=options.strength)
            g = self.net.grain
            if options.strength and float(g[:3].max()) > 0:
                noise = grain_field(h, w, size=float(g[3]), mono=float(g[4]), seed=seed)
                out = with_grain(out, noise, g[:3], options.strength)
        return like(out[0].permute(1, 2, 0).numpy(), image)

    def grader(self, options: ApplyOptions, *, video: bool = False) -> Grader:
        frame = [0]
        fast = self.fast(options)  # once for every photo or frame (and its per-size parts once per size)

        def grade(image: np.ndarray) -> np.ndarray:
            if video:  # grain changes every frame, as film does; the same video gives the same frames
                frame[0] += 1
                seed = frame[0]
            else:  # seeded by the photo itself: a rerun writes the same file
                seed = photo_seed(image)
            return fast(image, seed=seed)

        return grade

    def as_lut(self, options: ApplyOptions = ApplyOptions(), *, for_image: np.ndarray | None = None,
               exact: bool = False, report: dict[str, Any] | None = None) -> torch.Tensor:
        """The colour part (with a radial colour layer: the same look fitted to the whole frame); the overlay, the
        change of colour towards the corners and the grain are not in a LUT."""
        if exact:
            raise CapabilityError(f"{self.look.path} is a preset look: its vignette/gradient overlay and grain "
                                  "depend on the position in the frame, which a LUT cannot carry")
        if report is not None:
            report["not_in_lut"] = self._not_in_lut()
        return self._tables(options)[0]

    def _not_in_lut(self) -> str:
        radial = ", the change of colour from the centre to the corners" if self.net.rings else ""
        return f"the radial overlay (vignette, gradient){radial} and the film grain"

    def module(self) -> torch.nn.Module:
        """The look as one traceable network, the colour trims folded into its tables."""
        lut, ring_luts = self._tables(ApplyOptions())
        tensors = {**self.net.state_dict(), "lut": lut, "ring_luts": ring_luts, "trims": torch.tensor(TRIMS_NONE)}
        return _PresetGraph(PresetNet.from_tensors(tensors)).eval()

    def noise_input(self) -> dict[str, float] | None:
        """The noise field :meth:`module` adds as grain (``size`` as a fraction of the short side, ``mono``
        share; :func:`~lookgan.kinds.preset.network.grain_field`), or None when the look has no grain."""
        g = self.net.grain
        return {"size": float(g[3]), "mono": float(g[4])} if float(g[:3].max()) > 0 else None

    @torch.no_grad()
    def editor_layers(self, options: ApplyOptions = ApplyOptions()) -> EditorLayers:
        """The overlay as a vignette and the grain, in the numbers of the editor's controls
        (:mod:`.preset_controls`: the whole look's change of mid-grey from centre to corners, the ramp's
        midpoint and feather, its roundness; the grain on mid-grey, its size and colour), for editor presets; the
        overlay's colours and blend modes and the rings' colour have no editor slider."""
        v, s = self.net.values(), options.strength
        lut, ring_luts = self._tables(options)
        amount = controls.corner_change(self.net, lut=lut, ring_luts=ring_luts, strength=s)  # vignette.amount
        vignette = None
        if abs(amount) > 0.01:
            vignette = VignetteLayer(amount=amount, midpoint=min(1.0, v["overlay.radius"] + v["overlay.width"] / 2),
                                     feather=min(1.0, v["overlay.width"]), roundness=v["overlay.roundness"],
                                     highlights=v["overlay.protect_highlights"])
        amounts = [v[f"grain.{k}"] for k in ("shadows", "midtones", "highlights")]
        def at(lum: float) -> float:  # the grain's strength at a grey of this luma (Bernstein weights)
            return s * (amounts[0] * (1 - lum) ** 2 + amounts[1] * 2 * lum * (1 - lum) + amounts[2] * lum ** 2)

        mid = at(0.5)
        grain = (GrainLayer(amount=mid, size=v["grain.size"], mono=v["grain.mono"],
                            tonal_spread=(at(0.15) + at(0.85)) / 2 / mid) if mid > 1e-4 else None)
        notes = ("the overlay's colours and blend modes (a vignette carries only its lightness)",) if vignette else ()
        if self.net.rings:
            notes = (*notes, "the change of colour from the centre to the corners (one LUT for the whole frame)")
        return EditorLayers(vignette=vignette, grain=grain, not_mapped=notes)

    def ffmpeg_filters(self, options: ApplyOptions, *, lut3d: str, report: dict[str, Any] | None = None) -> str:
        """Colour (the global LUT; a radial colour layer as per-channel curves blended by ring position after
        it), overlay and grain as one real-time ffmpeg graph (:mod:`.preset_ffmpeg`); the grain seeded by the
        look's name, so re-running the script gives the same file (and a video new grain every frame)."""
        lut, ring_luts = self._tables(options)
        curves = ring_curves(lut, ring_luts) if len(ring_luts) > 1 else None
        if report is not None and curves is not None:
            report["approximated"] = ("the change of colour from the centre to the corners, as one curve per "
                                      "channel and ring after the LUT")
        return filter_graph(self.net.values(), overlay_first=self.net.order == "overlay_first",
                            strength=options.strength, lut3d=lut3d, ring_curves=curves,
                            seed=zlib.crc32(self.look.path.stem.encode()))

    # --- settings (sliders, --set) ------------------------------------------------------------------------
    #: Layers of the learnt parameters, shown folded away as "advanced" (:mod:`.preset_controls`).
    expert_layers = controls.EXPERT_LAYERS

    def settings(self) -> dict[str, tuple[float, float, float]]:
        """Every named setting: (value, low, high); the editor's controls first (:mod:`.preset_controls`), then
        the learnt parameters (``overlay.*``, ``grain.*``)."""
        editor = {k: (round(v, 1), *controls.CONTROLS[k]) for k, v in controls.read(self.net).items()}
        return {**editor, **{k: (v, *PresetNet.RANGES[k]) for k, v in self.net.values().items()}}

    def adjusted(self, values: dict[str, float]) -> Look:
        """A copy of the look with ``values`` set (names from :meth:`settings`), in memory: the learnt
        parameters first, then the editor's controls on top."""
        unknown = sorted(set(values) - set(PresetNet.RANGES) - set(controls.CONTROLS))
        if unknown:
            raise CapabilityError(f"unknown setting(s) {', '.join(unknown)}; a preset look has "
                                  f"{', '.join(controls.CONTROLS)} and, in the advanced settings, "
                                  f"{', '.join(PresetNet.RANGES)}")
        net = PresetNet.from_tensors(self.net.state_dict())
        net.set_values({k: v for k, v in values.items() if k in PresetNet.RANGES})
        controls.write(net, {k: v for k, v in values.items() if k in controls.CONTROLS})
        tensors = {k: v.detach().clone() for k, v in net.state_dict().items()}
        return Look(path=self.look.path, kind=self.look.kind, config=self.look.config, meta=dict(self.look.meta),
                    tensors=tensors)
