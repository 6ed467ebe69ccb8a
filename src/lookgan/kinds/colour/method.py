"""``lut``: a colour and tone look learnt as an image-adaptive 3D LUT; ``reinhard`` and ``ot``: the classical
colour-transfer baselines fitted into the same LUT form.

Unpaired (style images + your photos), by default in closed form (about a minute): the optimal-transport fit
(:func:`~lookgan.ops.transfer.ot_lut`) gated by the grade prior (:func:`~lookgan.prior.posterior.colour_start`);
where the feed's grade depends on the scene (:mod:`lookgan.prior.scenes`: bright vs dark frames, weighed against
the user's own photos), one such fit per group of frames, mixed per photo by its brightness. The GAN stage
(``--gan on``, or ``auto`` where the scene test fires) then trains the LUTs and the mixing against a critic,
anchored to that start; measured, it made every case worse (docs/results/lut_default.md), so it is off by
default. Paired (``--pairs BEFORE_DIR``, the style folder holding the edited versions): a pixel loss in RGB and
Lab. Both keep the LUT smooth and monotone (:mod:`lookgan.losses.regularizers`).

All three kinds save the same tensors (an :class:`~lookgan.kinds.colour.network.AdaptiveLUT` state dict), so apply,
export and evaluation treat them alike.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Iterator

import torch
import torch.nn.functional as F

from ...core.config import from_dict
from ...core.options import KindOption
from ...data.transforms import unit_range
from ...losses.adversarial import d_loss, g_loss
from ...losses.regularizers import lut_monotonicity, lut_smoothness
from ...ops.color import rgb_to_lab
from ...ops.content_match import content_matched_pixels
from ...ops.encoder import ConvEncoder, thumbnail
from ...ops.lut3d import apply_lut, identity_lut
from ...ops.nearest import nearest_style
from ...ops.transfer import ot_lut, reinhard_lut
from ...prior.posterior import ColourStart, PriorSettings, colour_start, gate, wants_prior
from ...prior.scenes import SceneSettings, group_fits, weigh_scenes
from ..base import DataSpec, Method
from ..look import Look
from .config import LUTConfig
from .look import LUTRestyler, fit_reference_lut, reference_result, write_global_lut_look
from .network import AdaptiveLUT

def _square(images: list[torch.Tensor], size: int) -> torch.Tensor:
    """uint8 ``(3, h, w)`` images -> float ``(N, 3, size, size)`` in [0, 1], centre square, resized."""
    out = []
    for img in images:
        h, w = img.shape[-2:]
        s = min(h, w)
        sq = unit_range(img[:, (h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s])[None]
        out.append(thumbnail(sq, size))
    return torch.cat(out)


class _LUTMethod(Method):
    """What every LUT look kind shares: the inference model, sample grids and look tensors."""

    sample_nrow = 3

    def __init__(self, config: Any, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.model = AdaptiveLUT(**config.model_kwargs()).to(self.device)
        self.nets = {"lut": self.model}
        self._thumbs = torch.zeros(0, 3, 8, 8)
        n = config.n_samples
        self.buffers = {"init_lut": identity_lut(config.lut_size).to(self.device),
                        "sample_content": torch.zeros(n, 3, 128, 128, device=self.device),
                        "sample_style": torch.zeros(n, 3, 128, 128, device=self.device)}

    def data_spec(self) -> DataSpec:
        size = self.config.load_size
        return DataSpec(load_size=size, crop_size=getattr(self.config, "crop_size", size), min_images=2)

    @staticmethod
    def _sources(data: dict[str, Any]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(content-like images, style-like images) as uint8 tensors, for unpaired or paired data."""
        if "pairs" in data:
            pairs = data["pairs"].images
            return [p[:3] for p in pairs], [p[3:] for p in pairs]
        return data["content"].images, data["style"].images

    def fit_lut(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """The closed-form LUT this kind starts from (or is)."""
        raise NotImplementedError

    def prepare(self, data: dict[str, Any], *, fresh: bool) -> None:
        content, style = self._sources(data)
        if self.model.adaptive:  # the export's mean weights are taken over these
            self._thumbs = _square(content, self.model.thumb_size)
        n = min(len(self.buffers["sample_content"]), len(content))
        picks = _square(content[:n], 128)
        if "pairs" in data:  # the grid's third column: each photo's own edit
            beside = _square(style[:n], 128)
        else:  # the most similar style image, to compare colours on like content
            pool = _square(style, 128)
            beside = pool[nearest_style(picks, pool)]
        self.buffers["sample_content"] = picks.to(self.device)
        self.buffers["sample_style"] = beside.to(self.device)
        if fresh:
            seed = int(torch.initial_seed()) % 2**31
            unpaired = "pairs" not in data
            start = colour_start(content, style, self.fit_lut, pixels=self.config.pixels, seed=seed,
                                 prior=unpaired and wants_prior(self.config),
                                 prior_pairs=getattr(self.config, "prior_pairs", PriorSettings.pairs),
                                 draw=content_matched_pixels if unpaired and self.config.match_content else None)
            if start.note is not None:
                self.notes["colour_prior"] = start.note
            self.buffers["init_lut"] = start.lut.to(self.device)
            self.start_from(start, content, style, unpaired=unpaired, seed=seed)

    @torch.no_grad()
    def start_from(self, start: ColourStart, content: list[torch.Tensor], style: list[torch.Tensor], *,
                   unpaired: bool, seed: int) -> None:
        """Set the LUTs from the gated start (each basis LUT with a little noise, so they can specialise)."""
        noise = getattr(self.config, "init_noise", 0.0)
        gen = torch.Generator().manual_seed(seed)
        luts = start.lut.to(self.device).expand_as(self.model.luts).clone()
        if noise > 0:
            luts += noise * torch.randn(luts.shape, generator=gen).to(self.device)
        self.model.luts.copy_(luts)

    @contextmanager
    def _eval_mode(self) -> Iterator[None]:
        """Predictor without dropout for the duration (samples must not draw from the global RNG), then back."""
        was_training = self.model.training
        self.model.eval()
        try:
            yield
        finally:
            self.model.train(was_training)

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        content = self.buffers["sample_content"]
        with self._eval_mode():
            graded = self.model(content)
        rows = torch.stack([content, graded, self.buffers["sample_style"]], dim=1)  # (N, 3 images, 3, S, S)
        return rows.flatten(0, 1) * 2.0 - 1.0

    @torch.no_grad()
    def mean_weights(self) -> torch.Tensor:
        """Mean mixing weights over the training photos: the single LUT an editor export uses."""
        if len(self._thumbs) == 0 or not self.model.adaptive:
            return self.model.mean_weights.clone()
        with self._eval_mode():
            return torch.cat([self.model.weights(t.to(self.device)) for t in self._thumbs.split(16)]).mean(0)

    def look_tensors(self) -> dict[str, torch.Tensor]:
        # The training model's own buffer stays as it is: it is part of the resumable state.
        tensors = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        tensors["mean_weights"] = self.mean_weights()
        return tensors

    @classmethod
    def build_inference(cls, config: Any, tensors: dict[str, torch.Tensor], *, device: str = "cpu") -> AdaptiveLUT:
        model = AdaptiveLUT(**config.model_kwargs())
        model.load_state_dict(tensors, strict=True)
        return model.to(device).eval()

    @classmethod
    def open(cls, look: Look, *, device: str = "cpu") -> LUTRestyler:
        return LUTRestyler(look, look.build(device=device))


class LUTGAN(_LUTMethod):
    """Learns a colour look as an image-adaptive 3D LUT, unpaired (GAN) or from before/after pairs."""

    Config = LUTConfig
    learns = ("colour and tone grade as an image-adaptive 3D LUT (the prior-gated OT fit, one per scene group "
              "where the grade depends on the scene; a GAN stage with --gan; or from --pairs); exact, fast, "
              "exports to .cube")
    time_here = "about a minute (the gated, scene-split start); with --gan on 5-10 minutes more"
    needs_photos = True
    accepts_pairs = True
    options = (
        KindOption("--global", "Learn one fixed LUT instead of an image-adaptive one.",
                   sets={"adaptive": False, "n_luts": 1}),
        KindOption("--luts", "How many basis LUTs the adaptive LUT mixes per photo [default: 3].", field="n_luts",
                   type="int"),
        KindOption("--gan", "The GAN stage after the start: off (the start is the look, about a minute; measured "
                   "better), auto (only where the feed's grade depends on the scene), on [default: off].",
                   field="gan", type="choice", choices=("auto", "on", "off")),
        KindOption("--per-region", "From ONE reference photo (STYLE_DIR a file): match person and background "
                   "separately (faces extra; measured worse than whole pictures on our portraits).",
                   sets={"per_region": True}, reference_only=True),
    )

    @classmethod
    def config_for(cls, options: dict[str, Any], *, paired: bool = False) -> LUTConfig:
        return from_dict(LUTConfig, {**options, "mode": "paired"} if paired else options)
    train_defaults: ClassVar[dict[str, Any]] = {"batch": 8, "steps": 2000, "minutes": 10.0, "sample_every": 250,
                                                 "checkpoint_every": 500}

    def __init__(self, config: LUTConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        c = config
        self._identity = identity_lut(c.lut_size).to(self.device)  # the smoothness term's reference, built once
        betas = (c.beta1, c.beta2)
        self.optimizers = {"lut": torch.optim.Adam(self.model.parameters(), lr=c.lr, betas=betas)}
        if c.mode == "unpaired":
            d = ConvEncoder(out_features=1, width=c.disc_width, dropout=0.0, pool=c.discriminator == "global",
                           norm=False)
            self.nets["discriminator"] = d.to(self.device)
            self.optimizers["discriminator"] = torch.optim.Adam(d.parameters(), lr=c.lr_d, betas=betas)
        self.buffers["no_grade"] = torch.zeros((), device=self.device)  # the prior's p(no grade), for resume
        self.buffers["start_luts"] = identity_lut(c.lut_size).to(self.device).expand_as(self.model.luts).clone()
        self.gan_stage = c.mode == "paired" or c.gan == "on"

    @torch.no_grad()
    def start_from(self, start: ColourStart, content: list[torch.Tensor], style: list[torch.Tensor], *,
                   unpaired: bool, seed: int) -> None:
        """The gated start; for an adaptive look whose feed's grade depends on the scene, one fit per group of
        frames (darker, brighter) mixed by the photo's brightness; then whether the GAN stage runs, and why."""
        super().start_from(start, content, style, unpaired=unpaired, seed=seed)
        c = self.config
        self.buffers["no_grade"].fill_(start.p_no_grade)
        if not unpaired:
            return
        split = None
        if c.scenes and self.model.adaptive and self.model.n_luts >= 2:
            split = weigh_scenes(content, style, SceneSettings(seed=seed))
            self.notes["scenes"] = split.summary()
            if split.dependent:
                groups = group_fits(content, style, split, self.fit_lut, c.pixels, seed)
                self.model.luts[:2] = gate(groups, start.p_no_grade).to(self.device)
                bright = self.model.brightness(self._thumbs.to(self.device))
                q1, q3 = torch.quantile(bright, torch.tensor([0.25, 0.75], device=bright.device)).tolist()
                self.model.scene.copy_(torch.tensor([1.0, float(bright.median()), max(0.1 * (q3 - q1), 1e-3)]))
        dependent = split is not None and split.dependent
        self.buffers["start_luts"] = self.model.luts.detach().clone()
        if not dependent:  # the anchor is the gated start itself, without the basis LUTs' noise
            self.buffers["start_luts"] = start.lut.to(self.device).expand_as(self.model.luts).clone()
        self.gan_stage = c.gan == "on" or (c.gan == "auto" and dependent)
        self.notes["colour_stage"] = {"gan": self.gan_stage, "why": _stage_reason(c, split)}

    def planned_steps(self, steps: int) -> int:
        return steps if self.gan_stage else 0

    def fit_lut(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        c = self.config
        if c.init in ("ot", "prior"):
            return ot_lut(content, style, n=c.lut_size, iterations=c.ot_iterations)
        if c.init == "reinhard":
            return reinhard_lut(content, style, n=c.lut_size)
        return identity_lut(c.lut_size)

    def _regularisers(self, weights: torch.Tensor) -> torch.Tensor:
        c = self.config
        luts = self.model.luts  # (K, 3, n, n, n)
        change = luts - self._identity
        uniform = 1.0 / self.model.n_luts
        return (c.smoothness * lut_smoothness(change) + c.monotonicity * lut_monotonicity(luts)
                + c.weight_decay * (weights - uniform).pow(2).mean())

    def _anchor(self, graded: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
        """The squared distance of the graded photos from the start, in the config's ``anchor_space``."""
        if self.config.anchor_space == "rgb":
            return F.mse_loss(graded, anchor)
        lab = rgb_to_lab(graded.clamp(0, 1).movedim(1, -1)) - rgb_to_lab(anchor.clamp(0, 1).movedim(1, -1))
        return (lab / 100.0).pow(2).mean()

    def _mixing_only(self) -> bool:
        """Whether this step trains only the mixing (a scene-split start with ``gan_learns: mixing``)."""
        return self.config.gan_learns == "mixing" and bool(self.model.scene[0] > 0)

    def _critic_view(self, images: torch.Tensor) -> torch.Tensor:
        """What the discriminator sees: downscaled, geometrically augmented images in [-1, 1]."""
        return self.augment(thumbnail(images, self.config.disc_size))

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        if self.config.mode == "paired":
            return self._paired_step(batch["pairs"])
        c = self.config
        d = self.nets["discriminator"]
        self.model.luts.requires_grad_(not self._mixing_only())
        photos = (batch["content"] + 1.0) * 0.5  # (B, 3, S, S) in [0, 1]
        weights = self.model.weights(photos)  # (B, K)
        graded = apply_lut(photos, self.model.mix(weights))
        fake = graded * 2.0 - 1.0
        loss_d = d_loss(c.gan_loss, d(self._critic_view(batch["style"])), d(self._critic_view(fake.detach())))
        self.optimize("discriminator", loss_d)
        adv = g_loss(c.gan_loss, d(self._critic_view(fake)))
        if c.adversarial_evidence:  # the critic pushes only as far as the prior believes the grade is real
            adv = adv * (1.0 - self.buffers["no_grade"])
        with torch.no_grad():  # the start, photo by photo (a scene-split start mixes its group fits)
            start = self.model.scene_weights(thumbnail(photos, self.model.thumb_size),
                                             torch.full_like(weights, 1.0 / self.model.n_luts))
            anchor = apply_lut(photos, torch.einsum("bk,kcxyz->bcxyz", start, self.buffers["start_luts"]))
        content = self._anchor(graded, anchor)
        reg = self._regularisers(weights)
        self.optimize("lut", adv + c.content * content + reg)
        return {"d": loss_d.detach(), "g": adv.detach(), "content": content.detach(), "reg": reg.detach()}

    def _paired_step(self, pairs: torch.Tensor) -> dict[str, torch.Tensor]:
        pairs = (pairs + 1.0) * 0.5
        before, after = pairs[:, :3], pairs[:, 3:]
        weights = self.model.weights(before)
        graded = apply_lut(before, self.model.mix(weights))
        l1 = (graded - after).abs().mean()
        lab = (rgb_to_lab(graded.movedim(1, -1)) - rgb_to_lab(after.movedim(1, -1))).abs().mean() / 100.0
        reg = self._regularisers(weights)
        self.optimize("lut", l1 + self.config.lab_weight * lab + reg)
        return {"l1": l1.detach(), "lab": lab.detach(), "reg": reg.detach()}

    @classmethod
    def fit_reference(cls, reference: Path, *, photos: Path | None, out: Path, options: dict[str, Any],
                      max_pixels: int) -> Any:
        """``train lut REF.jpg --photos DIR``: a global LUT look from one reference photo (``per_region``:
        person and background matched separately)."""
        started = time.monotonic()
        lut, summary, n = fit_reference_lut(reference, photos=photos, max_pixels=max_pixels,
                                            per_region=bool(options.get("per_region")))
        cls.from_lut(lut, out, source=reference.name,
                     data={"folder": None, "reference": str(reference), "photos": {"folder": str(photos)},
                           "n_images": n, "fit": summary})
        return reference_result(out, started)

    @classmethod
    def from_lut(cls, lut: torch.Tensor, out: str | Path, *, source: str, data: dict[str, Any]) -> Path:
        """A global look holding ``lut`` ``(3, n, n, n)`` as it is (``train lut --from-cube FILE``)."""
        config = LUTConfig(lut_size=lut.shape[-1], n_luts=1, adaptive=False, init="identity", source=source)
        return write_global_lut_look(lut, out, kind=cls.kind, config=config, data=data)



def _stage_reason(config: LUTConfig, split: Any) -> str:
    """Why the GAN stage runs or not, in words (``train`` prints it; look.json keeps it)."""
    start = "the start is the look"
    if split is not None:
        found = (f"the scene split changes each group's photos by {split.difference:.2f} ΔE2000 against one global "
                 f"fit (your photos' own: up to {split.null:.2f})")
        start = (f"the grade depends on the scene ({found}): one fit per group, mixed per photo" if split.dependent
                 else f"the grade looks global ({found}): the gated start is the look")
    elif config.adaptive:
        start = "the gated start is the look"
    else:
        start = "the gated start is the look (one global LUT)"
    if config.gan == "on":
        return f"{start}; then the GAN stage (--gan on)"
    if config.gan == "auto":
        dependent = split is not None and split.dependent
        return f"{start}; then the GAN stage (--gan auto)" if dependent else f"{start}; no GAN stage (--gan auto)"
    return f"{start}; no GAN stage (measured no better on any case; --gan on trains it)"
