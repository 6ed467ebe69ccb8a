"""What the unpaired translators (``cyclegan``, ``cut``, ``fastcut``) share: the config fields of the networks and
the data, the discriminator step with DiffAugment, the EMA generator used for samples and the look, sample
grids and the inference network. ``cyclegan.py`` and ``cut.py`` add their own losses.

Direction: the generator maps *your photos* (``--photos``, domain X) to *the look* (STYLE_DIR, domain Y).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ...core.errors import InputError
from ...data.images import list_images, read_image
from ...data.transforms import center_crop, to_model_range, unit_range
from ...losses.adversarial import GAN_LOSSES, GanLoss, d_loss, g_loss
from ...ops.diffaugment import parse_policy
from ...ops.ema import EMA
from ..base import DataSpec, Method
from ..capabilities import ApplyOptions, CapabilityError, Grader, RestyleModule, finish_lut
from ..look import Look
from .distil import distil
from .network import PatchDiscriminator, ResnetGenerator, init_weights
from .tiled import translate_image


@dataclass
class TranslatorConfig:
    """Networks, data and optimiser settings of every translator kind."""

    size: int = 128
    """Side of the square training crops (a multiple of 4). The translator applies to photos of any size."""
    load_size: int = 0
    """Shorter side the images are resized to before cropping; 0: 1.125 x size (random crops see most of
    each image, as the references' 286 -> 256)."""
    ngf: int = 32
    """Generator width (the references use 64; 32 is 3-4x faster on a CPU)."""
    n_blocks: int = 6
    """Residual blocks of the generator (6 for 128-256 px crops, 9 in the references at 256 px)."""
    ndf: int = 64
    """Discriminator width."""
    d_layers: int = 3
    """Stride-2 layers of the PatchGAN (3: 70x70 patches)."""
    gan_loss: GanLoss = "lsgan"
    """lsgan (the papers') or hinge; ns also works."""
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    augment: str = "translation,cutout"
    """DiffAugment on every image the discriminator sees (real and translated): the data-efficiency fix for
    20-300 style images. Add 'color' to also jitter colour (then D cannot judge colour: off by default)."""
    n_samples: int = 4
    """Photos in the sample grids."""

    def __post_init__(self) -> None:
        if self.size < 32 or self.size % ResnetGenerator.multiple:
            raise InputError(f"size must be a multiple of 4 and at least 32, got {self.size}")
        if self.load_size == 0:
            self.load_size = -(-self.size * 9 // 8 // 4) * 4
        if self.load_size < self.size:
            raise InputError(f"load_size {self.load_size} must be >= size {self.size}")
        if self.ngf < 4 or self.ndf < 4 or self.n_blocks < 1 or not 1 <= self.d_layers <= 5:
            raise InputError("ngf and ndf must be >= 4, n_blocks >= 1, d_layers 1-5")
        if self.gan_loss not in GAN_LOSSES:
            raise InputError(f"gan_loss must be one of {', '.join(GAN_LOSSES)}, got {self.gan_loss!r}")
        parse_policy(self.augment)


class TranslatorMethod(Method):
    """Base of the translator kinds: builds the generator ``G`` (photos -> look), its EMA and the discriminator
    ``D`` (is this image in the look?); subclasses add networks and losses in ``__init__`` and ``train_step``."""

    needs_photos = True
    sample_nrow: ClassVar[int | None] = 3
    train_defaults: ClassVar[dict[str, Any]] = {"batch": 1, "steps": 4000, "minutes": 30.0, "sample_every": 250,
                                                "checkpoint_every": 500}

    def __init__(self, config: TranslatorConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        c = config
        g = ResnetGenerator(ngf=c.ngf, n_blocks=c.n_blocks)
        d = PatchDiscriminator(ndf=c.ndf, n_layers=c.d_layers)
        init_weights(g)
        init_weights(d)
        self.nets = {"generator": g.to(self.device), "discriminator": d.to(self.device)}
        self.optimizers = {"generator": self._adam(g), "discriminator": self._adam(d)}
        self.ema, self.ema_source = EMA(g), "generator"
        self.buffers = {"sample_photos": torch.zeros(c.n_samples, 3, c.size, c.size, device=self.device)}

    def _adam(self, *modules: torch.nn.Module) -> torch.optim.Adam:
        params = [p for m in modules for p in m.parameters()]
        return torch.optim.Adam(params, lr=self.config.lr, betas=(self.config.beta1, self.config.beta2))

    def data_spec(self) -> DataSpec:
        return DataSpec(load_size=self.config.load_size, crop_size=self.config.size, min_images=2)

    def prepare(self, data: dict[str, Any], *, fresh: bool) -> None:
        """Fixed photos for the sample grids: the first ``n_samples`` photos, centre crops."""
        photos = data["content"].images[: self.config.n_samples]
        crops = to_model_range(unit_range(torch.stack([center_crop(p, self.config.size) for p in photos])))
        self.buffers["sample_photos"] = crops.to(self.device)

    # --- shared losses ---------------------------------------------------------------------------------------
    def discriminator_step(self, name: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """One update of discriminator ``name`` on DiffAugmented real and (detached) translated images."""
        d = self.nets[name]
        # one batched pass instead of two (the PatchGAN's norms are per image, so the logits are the same)
        logits = d(torch.cat([self.augment(real), self.augment(fake.detach())]))
        loss = d_loss(self.config.gan_loss, logits[: len(real)], logits[len(real):])
        self.optimize(name, loss)
        return loss.detach()

    def adversarial(self, name: str, fake: torch.Tensor) -> torch.Tensor:
        """The generator's GAN term against discriminator ``name``, on the papers' scale: their LSGAN generator
        term is MSE(D(G(x)), 1), twice our shared ``g_loss`` (which halves it like the discriminator's)."""
        d = self.nets[name].requires_grad_(False)  # G's step needs D's gradient wrt the images only
        try:
            loss = g_loss(self.config.gan_loss, d(self.augment(fake)))
        finally:
            d.requires_grad_(True)
        return 2.0 * loss if self.config.gan_loss == "lsgan" else loss

    # --- samples and the look --------------------------------------------------------------------------------
    @torch.no_grad()
    def translate_samples(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(sample photos, their translation by the EMA generator), both in [-1, 1]."""
        assert self.ema is not None
        photos = self.buffers["sample_photos"]
        return photos, self.ema.module(photos)

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        photos, translated = self.translate_samples()
        return torch.stack([photos, translated, self.third_column(translated)], dim=1).flatten(0, 1)

    def third_column(self, translated: torch.Tensor) -> torch.Tensor:
        """What the sample grid shows beside photo | translated: by default the change itself (translated minus
        photo; mid-grey where nothing changed)."""
        return (translated - self.buffers["sample_photos"]).clamp(-1, 1)

    def look_tensors(self) -> dict[str, torch.Tensor]:
        return self.ema_look_tensors()

    @classmethod
    def build_inference(cls, config: TranslatorConfig, tensors: dict[str, torch.Tensor], *,
                        device: str = "cpu") -> ResnetGenerator:
        g = cls.load_prefixed(ResnetGenerator(ngf=config.ngf, n_blocks=config.n_blocks), tensors)
        return g.to(device).eval().requires_grad_(False)

    @classmethod
    def open(cls, look: Look, *, device: str = "cpu") -> "TranslatorRestyler":
        return TranslatorRestyler(look, look.build(device=device))


class TranslatorRestyler:
    """A translator look as a :class:`~lookgan.kinds.capabilities.Restyler`: the generator over the full-resolution
    photo in tiles that share the whole image's normalisation (:mod:`lookgan.kinds.translator.tiled`); its LUT is the
    colour part only, distilled (:mod:`lookgan.kinds.translator.distil`)."""

    size_multiple = ResnetGenerator.multiple
    lut_is_whole_look = False

    def __init__(self, look: Look, generator: ResnetGenerator) -> None:
        self.look, self.generator = look, generator

    def restyle(self, images: torch.Tensor) -> torch.Tensor:
        return (self.generator(images * 2.0 - 1.0).clamp(-1.0, 1.0) + 1.0) * 0.5

    def grader(self, options: ApplyOptions, *, video: bool = False) -> Grader:
        return lambda image: translate_image(self.generator, image, strength=options.strength,
                                             keep_colour=options.keep_colour, tile=options.tile)

    def as_lut(self, options: ApplyOptions = ApplyOptions(), *, for_image: np.ndarray | None = None,
               exact: bool = False, report: dict[str, Any] | None = None) -> torch.Tensor:
        """The generator's colour mapping distilled into a LUT over its training photos (or ``for_image``);
        ``report`` receives how faithful it is (``lut_psnr`` in dB: high means the look is "just colour")."""
        if exact:
            raise CapabilityError(f"{self.look.path} is a {self.look.kind} look: it changes texture as well as "
                                  "colour, so a LUT can only approximate its colour part (export it without "
                                  "asking for an exact LUT to get the distilled one)")
        lut, figures = distil(self.generator, [for_image] if for_image is not None else self._training_photos())
        if report is not None:
            report.update(figures)
        return finish_lut(lut, options)

    def _training_photos(self, limit: int = 64) -> list[np.ndarray]:
        """Up to ``limit`` of the photos the look was trained on, when that folder still exists."""
        folder = ((self.look.meta.get("data") or {}).get("photos") or {}).get("folder")
        paths = list_images(folder)[:limit] if folder and Path(folder).is_dir() else []
        if not paths:
            raise InputError(f"{self.look.path} is a {self.look.kind} look: its LUT is fitted to what the generator "
                             f"does to photos, and its training photos ({folder}) are not there any more; pass "
                             "--for IMAGE")
        return [read_image(p, keep_8bit=True) for p in paths]

    def module(self) -> torch.nn.Module:
        return RestyleModule(self.restyle, self.generator).eval()
