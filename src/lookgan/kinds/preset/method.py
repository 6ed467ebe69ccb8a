"""``preset``: the whole look as an editor preset — colour LUT, radial overlay (vignettes, gradients, coloured
corners) and film grain — learnt unpaired from the style images and your photos (:mod:`lookgan.kinds.preset.network`).

How it learns, in order:

1. the LUT starts from optimal transport between all pixels of the two sets (as the ``lut`` kind), and the radial
   colour layer (``rings``) from optimal transport ring by ring (:func:`~.preset_fit.ring_ot_luts`);
2. the overlay comes before the colour grade (``order``; measured better than after it, see the config); it
   starts from how the ring LUTs change the *same* pixels from the centre outwards (a vignette under a strong
   grade shows there, where a ratio of the two sets' profiles mixes it with the grade), and the LUTs are then
   refitted through it, so the overlay carries what a slider can and the rings the rest;
3. every step fits colour and overlay to the style set's colours *ring by ring* around the frame centre
   (:func:`lookgan.kinds.preset.fit.ring_loss`), with the LUT's smoothness and monotonicity regularisers,
   on whole frames squashed to a square (normalised coordinates stay exact; no crops, no flips);
4. optionally (``critic``; off by default since the ring LUTs, measured worse with them) an adversarial term
   from a critic that sees whole downscaled frames *with their pixel coordinates*, so it can see the corners;
5. the grain is fitted by moment matching on crops at the images' own resolution (fine/coarse high-pass
   energy per luminance band, colour share from R - G), every ``grain_every`` steps.

What the saved look can do (:class:`PresetRestyler`): grade photos of any size (layers in normalised
coordinates, grain as a fraction of the short side, seeded from the photo so a rerun is identical, a new seed per
video frame), give its colour part as a LUT (.cube/HaldCLUT say that overlay and grain are not in it), and
expose its named parameters as settings (``lookgan apply --set grain.midtones=0.02``, ``lookgan adjust``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch

from ...data.images import as_float, read_image
from ...data.transforms import unit_range
from ...losses.adversarial import GanLoss, d_loss, g_loss
from ...losses.regularizers import lut_monotonicity, lut_smoothness
from ...ops.encoder import ConvEncoder, thumbnail
from ...ops.lut3d import identity_lut
from ...ops.nearest import nearest_style
from ...ops.transfer import ot_lut, sample_pixels
from ...prior.posterior import PriorSettings, colour_start, gate
from ..base import DataSpec, Method
from ..look import Look
from .fit import (
    GrainStats,
    calibrate_grain,
    cell_ids,
    fit_grain,
    grain_stats,
    init_overlay,
    radial_effect,
    radial_profile,
    ring_ids,
    ring_loss,
    ring_ot_luts,
    ring_pixels,
)
from .look import PresetRestyler
from .network import ORDERS, PresetNet, frame_grid


@dataclass
class PresetConfig:
    """The preset's layers and how they are fitted."""

    lut_size: int = 33
    """Points per axis of the colour LUT."""
    rings: int = 4
    """Rings of the radial colour layer: one LUT per equal-area ring from the centre to the corners, blended
    between the rings' middles; 0: one LUT for the whole frame (the layer before it). Editors and .cube files get
    the global LUT, and the export report says what that costs."""
    ring_pixels: int = 60_000
    """Pixels of each set drawn per ring for its optimal-transport fit."""
    prior: bool = True
    """Gate the colour by the grade prior (:mod:`lookgan.prior`, as the ``lut`` kind's ``init: prior``): every
    LUT the fit makes is blended towards the identity by the probability that the style set holds no colour
    grade at all, given how two sets of your own photos differ. It stands aside below 60 photos / 20 style
    images and costs about 20 s; on the filters and grades of the benchmarks that probability is about 0, so it
    changes nothing there — it keeps a preset learnt from an ungraded feed from inventing a grade."""
    prior_pairs: int = PriorSettings.pairs
    order: Literal["auto", "overlay_first", "colour_first"] = "overlay_first"
    """Overlay before the colour grade (Instagram-style filters: gradient, then contrast) or after it (a grade,
    then a vignette); ``auto`` fits both for ``auto_steps`` and keeps the lower colour loss. Measured on our six
    development cases (benchmarks/preset_quality.py, docs/results/preset.md): overlay first gave the lower
    ΔE2000 on 5 of 6 (also on the graded-then-vignetted ones), the centre-to-corner profile split 3/3, and
    ``auto`` picked the worse order on toaster."""
    frame_size: int = 96
    """Side of the squashed whole frames the colour/overlay fit and the critic see."""
    load_size: int = 256
    """Shorter side the training images are read at."""
    regions: Literal["grid", "rings"] = "grid"
    """Where colours are matched: ``grid`` cells (``n_regions`` x ``n_regions``; sees position: centre and
    asymmetry) or ``n_regions`` rings of equal area from the centre to the corners."""
    n_regions: int = 4
    batch_frames: int = 16
    """Frames of each set per step."""
    lr: float = 0.01
    """Adam learning rate of the overlay's (unbounded) parameters."""
    lut_fit: Literal["ot", "joint"] = "ot"
    """``ot``: the LUT is optimal transport between all pixels of the two sets, refitted every ``grain_every``
    steps through the current overlay when it comes first; ``joint``: trained with the overlay by the regions'
    colour matching (measured worse: per-region statistics of 60 photos carry their content)."""
    lr_lut: float = 2e-3
    """Adam learning rate of the LUT (``lut_fit: joint``)."""
    smoothness: float = 0.1
    monotonicity: float = 10.0
    anchor: float = 0.0
    """Weight of the squared difference between the LUT and its optimal-transport start."""
    critic: float = 0.0
    """Weight of the adversarial term (a critic on whole downscaled frames with their pixel coordinates); 0: the
    non-adversarial fit alone. Before the radial colour layer it helped (ΔE2000 0.90-0.92x on toaster and
    mayfair, weight 0.05); with the ring LUTs it hurt on all three cases measured (earlybird 7.16 vs 6.92,
    hudson 7.72 vs 7.41, TealOrange + vignette + grain 8.14 vs 7.73 on 4x-smaller images; 200 steps;
    docs/results/preset.md), so it is off by default."""
    lr_d: float = 1e-4
    disc_width: int = 32
    gan_loss: GanLoss = "lsgan"
    ot_iterations: int = 20
    """Rotations of the optimal-transport start. 20, not ``ot``'s 40: with 40 one run of the preset demo ended at
    ΔE2000 6.96 (5.89 with 20) and a 4.40 centre-to-corner error (2.09); one run each cannot tell the start from
    noise, so the preset keeps the start it was tuned with."""
    pixels: int = 200_000
    """Pixels sampled from each set for the optimal-transport start."""
    auto_steps: int = 60
    """Steps per order tried by ``order: auto``."""
    grain: bool = True
    """Fit film grain (off: the grain stays at zero)."""
    grain_calibrate: bool = True
    """Correct the closed-form grain fit by simulating it on the graded photos (:func:`~.preset_fit.calibrate_grain`;
    about 4 s a refit). Measured on five synthetic grain cases with the true colour: grain energy 0.77-0.97x the
    truth's without, 1.06-1.22x with (the rest is the style photos' own texture)."""
    grain_crop: int = 192
    """Side of the crops (at each image's own resolution) the grain is measured on."""
    grain_images: int = 24
    grain_every: int = 100
    n_samples: int = 4

    def __post_init__(self) -> None:
        if not 2 <= self.lut_size <= 65 or self.frame_size < 32 or self.n_regions < 1 or self.batch_frames < 1:
            raise ValueError("lut_size must be in 2..65, frame_size >= 32, n_regions >= 1, batch_frames >= 1")
        if self.rings < 0 or self.rings == 1:
            raise ValueError(f"rings must be 0 (one LUT) or at least 2, got {self.rings}")
        if min(self.lr, self.lr_lut, self.lr_d) <= 0 or min(self.smoothness, self.monotonicity, self.critic) < 0:
            raise ValueError("learning rates must be > 0 and loss weights >= 0")
        if self.order not in ("auto", *ORDERS):
            raise ValueError(f"order must be auto, overlay_first or colour_first, got {self.order!r}")


def _frames(images: list[torch.Tensor], size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 ``(3, h, w)`` images -> whole frames squashed to ``(N, 3, size, size)`` in [0, 1], and their aspects
    (width / height) ``(N,)``."""
    frames = torch.cat([thumbnail(unit_range(img)[None], size) for img in images])
    aspects = torch.tensor([img.shape[-1] / img.shape[-2] for img in images], dtype=torch.float32)
    return frames, aspects


def _grain_crops(paths: list[Any], side: int, limit: int) -> list[tuple[torch.Tensor, tuple[int, int, int, int]]]:
    """Centre crops at each image's own resolution, with their place in the frame (top, left, H, W)."""
    crops = []
    for path in paths[:limit]:
        image = read_image(path, keep_8bit=True)
        h, w = image.shape[:2]
        c = min(side, h, w)
        top, left = (h - c) // 2, (w - c) // 2
        crops.append((torch.from_numpy(as_float(image[top:top + c, left:left + c])).permute(2, 0, 1)[None],
                      (top, left, h, w)))
    return crops


class Preset(Method):
    """Learns colour, a radial overlay and film grain as an editor-like preset with named sliders."""

    Config = PresetConfig
    needs_photos = True
    learns = "the whole look as an editor preset: colour LUT + radial overlay (vignette, gradient) + film grain"
    time_here = "up to 10 minutes (it stops there)"
    sample_nrow = 3
    train_defaults: ClassVar[dict[str, Any]] = {"batch": 2, "steps": 1500, "minutes": 10.0, "sample_every": 250,
                                                "checkpoint_every": 500}

    def __init__(self, config: PresetConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        c = config
        self.net = PresetNet(lut_size=c.lut_size, rings=c.rings).to(self.device)
        self.nets = {"preset": self.net}
        others = [p for n, p in self.net.named_parameters() if n not in ("lut", "ring_luts")]
        groups = [{"params": others, "lr": c.lr}]
        if c.lut_fit == "joint":
            groups.append({"params": [self.net.lut], "lr": c.lr_lut})
        else:
            self.net.lut.requires_grad_(False)  # fitted by optimal transport, not by gradient
        self.optimizers = {"preset": torch.optim.Adam(groups, betas=(0.9, 0.999))}
        if c.critic > 0:
            critic = ConvEncoder(out_features=1, width=c.disc_width, dropout=0.0, pool=True, norm=False,
                                 in_channels=5)
            self.nets["critic"] = critic.to(self.device)
            self.optimizers["critic"] = torch.optim.Adam(critic.parameters(), lr=c.lr_d, betas=(0.5, 0.999))
        self._identity = identity_lut(c.lut_size).to(self.device)
        self._regions = (cell_ids(c.frame_size, c.n_regions, self.device) if c.regions == "grid"
                         else ring_ids(c.frame_size, c.n_regions, self.device))
        self._n_regions = int(self._regions.max()) + 1
        self._grid = frame_grid(c.frame_size, c.frame_size, device=self.device)
        self._coords = torch.cat(self._grid, dim=1)  # (1, 2, S, S), what the critic sees besides the colours
        n = c.n_samples
        self.buffers = {"init_lut": identity_lut(c.lut_size).to(self.device),
                        "sample_content": torch.zeros(n, 3, 128, 128, device=self.device),
                        "sample_aspect": torch.ones(n, device=self.device),
                        "sample_style": torch.zeros(n, 3, 128, 128, device=self.device),
                        "no_grade": torch.zeros((), device=self.device)}  # the prior's p(no grade)
        self._style = self._photos = torch.zeros(0)
        self._style_aspect = self._photo_aspect = torch.zeros(0)
        self._style_grain: GrainStats | None = None
        self._photo_crops: list[tuple[torch.Tensor, tuple[int, int, int, int]]] = []
        self._short_side = 256.0

    def data_spec(self) -> DataSpec:
        # Every step draws whole frames (and their aspect) from what prepare() kept, so the loop reads no crops.
        return DataSpec(load_size=self.config.load_size, crop_size=32, crop="center", flip=False, min_images=2,
                        feed="frames")

    # --- preparation --------------------------------------------------------------------------------------
    def prepare(self, data: dict[str, Any], *, fresh: bool) -> None:
        c = self.config
        style, photos = data["style"], data["content"]
        self._style, self._style_aspect = (t.to(self.device) for t in _frames(style.images, c.frame_size))
        self._photos, self._photo_aspect = (t.to(self.device) for t in _frames(photos.images, c.frame_size))
        n = min(c.n_samples, len(photos.images))
        picks, aspects = _frames(photos.images[:n], 128)
        pool, _ = _frames(style.images, 128)
        self.buffers["sample_content"] = picks.to(self.device)
        self.buffers["sample_aspect"] = aspects.to(self.device)
        self.buffers["sample_style"] = pool[nearest_style(picks, pool)].to(self.device)
        if c.grain:
            style_crops = _grain_crops(style.paths, c.grain_crop, c.grain_images)
            self._photo_crops = _grain_crops(photos.paths, c.grain_crop, c.grain_images)
            self._style_grain = grain_stats([x for x, _ in style_crops])
            self._short_side = float(np.median([min(box[2:]) for _, box in style_crops]))
        if fresh:
            seed = int(torch.initial_seed()) % 2**31
            start = colour_start(photos.images, style.images, self._ot, pixels=c.pixels, seed=seed, prior=c.prior,
                                 prior_pairs=c.prior_pairs)  # the lut kind's start: the same gated fit
            self.notes.update({"colour_prior": start.note} if start.note is not None else {})
            self.buffers["no_grade"].fill_(start.p_no_grade)
            init = start.lut
            with torch.no_grad():
                self.net.lut.copy_(init.to(self.device))
                if c.rings:
                    self.net.ring_luts.copy_(self._ring_fit(self._photos))
            self.buffers["init_lut"] = init.to(self.device)
            self.net.order = "overlay_first" if c.order == "auto" else c.order
            self.init_overlay()
            if c.order == "auto":
                self.net.order = self._choose_order()
            if self._lut_follows_overlay():
                self.refit_lut()
            self.fit_grain()

    def _ot(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return ot_lut(content, style, n=self.config.lut_size, iterations=self.config.ot_iterations)

    def _lut_follows_overlay(self) -> bool:
        """Whether the LUT is refitted by optimal transport through the overlay (it comes first, LUT not trained)."""
        return self.config.lut_fit == "ot" and self.net.order == "overlay_first"

    @torch.no_grad()
    def refit_lut(self) -> None:
        """The LUT as optimal transport from the overlaid photos to the style set (overlay first)."""
        x, y = self._grid
        overlaid = self.net.overlay(self._photos, x, y, aspect=self._photo_aspect.view(-1, 1, 1, 1))
        self.net.lut.copy_(self._gated(ot_lut(sample_pixels(list(overlaid), self.config.pixels, seed=7),
                                              sample_pixels(list(self._style), self.config.pixels, seed=8),
                                              n=self.config.lut_size, iterations=self.config.ot_iterations)))
        if self.net.rings:
            self.net.ring_luts.copy_(self._ring_fit(overlaid))

    def _ring_fit(self, photos: torch.Tensor) -> torch.Tensor:
        c = self.config
        return self._gated(ring_ot_luts(photos, self._style, c.rings, n=c.lut_size, pixels=c.ring_pixels,
                                        iterations=c.ot_iterations))

    def _gated(self, luts: torch.Tensor) -> torch.Tensor:
        """LUT(s) blended towards the identity by the prior's p(no grade) (0 without the prior)."""
        return gate(luts.cpu(), float(self.buffers["no_grade"])).to(self.device)

    @torch.no_grad()
    def init_overlay(self) -> None:
        """Overlay (closed form) from how colour changes from the centre outwards: with the radial colour layer,
        its effect on the same photo pixels at every distance (free of content, so a grade does not hide the
        vignette); without it, the ratio of the radial profiles of the style set and of the LUT-graded photos."""
        if not self.net.rings:
            graded = self.net.colour(self._photos)
            self.net.set_values(init_overlay(radial_profile(self._style, self._style_aspect),
                                             radial_profile(graded, self._photo_aspect)))
            return
        if self.net.order == "colour_first":
            return  # the ring LUTs were fitted to the style as it is: an overlay after them would count it twice
        pixels = ring_pixels(self._photos, torch.ones(self._photos[0, 0].numel(), dtype=torch.bool),
                              20_000, torch.Generator().manual_seed(3))
        effect = radial_effect(self.net.ring_luts, pixels)
        flat = radial_effect(self.net.lut[None], pixels).expand_as(effect)
        self.net.set_values(init_overlay(effect, flat))

    def _choose_order(self) -> str:
        """Fit ``auto_steps`` steps with the overlay before and after the grade; the lower ring loss wins. The
        network and optimiser start again afterwards (only the choice is kept)."""
        start = {k: v.clone() for k, v in self.net.state_dict().items()}
        opt_state = self.optimizers["preset"].state_dict()
        rng = torch.get_rng_state()
        losses = {}
        for order in ORDERS:
            self.net.load_state_dict(start)
            self.net.order = order
            torch.manual_seed(1234)
            for _ in range(self.config.auto_steps):
                loss = self._colour_loss()[0]
                self.optimize("preset", loss)
            if self._lut_follows_overlay():
                self.refit_lut()
            losses[order] = float(sum(self._colour_loss()[0].item() for _ in range(4)))
            self.optimizers["preset"].load_state_dict(opt_state)
        torch.set_rng_state(rng)
        self.net.load_state_dict(start)
        self.optimizers["preset"].state.clear()
        return min(losses, key=losses.get)  # type: ignore[arg-type]

    @torch.no_grad()
    def fit_grain(self) -> None:
        """Moment-match the grain to the style crops, given the current colour and overlay."""
        if not self.config.grain or self._style_grain is None or not self._photo_crops:
            return
        graded = []
        for crop, (top, left, h, w) in self._photo_crops:
            x, y = frame_grid(crop.shape[-2], crop.shape[-1], box=(top, left, h, w), device=self.device)
            graded.append(self.net(crop.to(self.device), x, y, aspect=w / h))
        fit = fit_grain(self._style_grain, grain_stats(graded))
        if self.config.grain_calibrate:
            boxes = [box for _, box in self._photo_crops]
            fit = calibrate_grain(fit, self._style_grain, list(zip(graded, boxes)), self._short_side)
        self.net.grain.copy_(torch.tensor([*fit.amounts, fit.size_px / self._short_side, fit.mono]))

    # --- training -----------------------------------------------------------------------------------------
    def _colour_loss(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(total, region loss, regulariser, graded frames, indices of the style frames) on a random batch of
        whole frames (the critic sees the same graded and style frames)."""
        c = self.config
        ip = torch.randint(0, len(self._photos), (c.batch_frames,))
        is_ = torch.randint(0, len(self._style), (c.batch_frames,))
        x, y = self._grid
        net = self.nets["preset"]  # through its DDP wrapper under torchrun
        out = net(self._photos[ip], x, y, aspect=self._photo_aspect[ip].view(-1, 1, 1, 1))
        rings = ring_loss(out, self._style[is_], self._regions, self._n_regions, generator=None)
        change = self.net.lut - self._identity
        reg = c.smoothness * lut_smoothness(change) + c.monotonicity * lut_monotonicity(self.net.lut[None])
        if c.anchor:
            reg = reg + c.anchor * (self.net.lut - self.buffers["init_lut"]).pow(2).mean()
        return rings * 100.0 + reg, rings, reg, out, is_

    def _critic_view(self, frames: torch.Tensor) -> torch.Tensor:
        return torch.cat([frames * 2 - 1, self._coords.expand(frames.shape[0], -1, -1, -1)], dim=1)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        c = self.config
        total, rings, reg, out, is_ = self._colour_loss()
        losses = {"rings": rings.detach(), "reg": reg.detach()}
        if c.critic > 0:
            critic = self.nets["critic"]
            loss_d = d_loss(c.gan_loss, critic(self._critic_view(self._style[is_])),
                            critic(self._critic_view(out.detach())))
            self.optimize("critic", loss_d)
            adv = g_loss(c.gan_loss, critic(self._critic_view(out)))
            total = total + c.critic * adv
            losses.update(d=loss_d.detach(), g=adv.detach())
        self.optimize("preset", total)
        if step % c.grain_every == 0:
            if self._lut_follows_overlay():
                self.refit_lut()
            self.fit_grain()
        return losses

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        content = self.buffers["sample_content"]
        x, y = frame_grid(128, 128, device=self.device)
        graded = torch.cat([self.net(content[i:i + 1], x, y, aspect=float(a), grain_seed=i)
                            for i, a in enumerate(self.buffers["sample_aspect"])])
        rows = torch.stack([content, graded, self.buffers["sample_style"]], dim=1)
        return rows.flatten(0, 1) * 2.0 - 1.0

    def look_tensors(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    @classmethod
    def build_inference(cls, config: PresetConfig, tensors: dict[str, torch.Tensor], *,
                        device: str = "cpu") -> PresetNet:
        return PresetNet.from_tensors(tensors).to(device).eval().requires_grad_(False)

    @classmethod
    def open(cls, look: Look, *, device: str = "cpu") -> PresetRestyler:
        return PresetRestyler(look, look.build(device=device))
