"""The ``lut`` kind's configuration: the image-adaptive LUT, its start, its GAN stage and the levers measured on
it (docs/results/grade_prior.md)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ...losses.adversarial import GanLoss
from ...ops.diffaugment import parse_policy
from ...prior.posterior import PriorSettings

_COLOUR_OPS = {"color", "colour", "brightness", "saturation", "contrast"}


@dataclass
class LUTConfig:
    """An image-adaptive 3D LUT and how it is trained."""

    lut_size: int = 33
    """Points per axis of each LUT (33 is the editors' standard; 17 trains faster, 65 is finer)."""
    n_luts: int = 3
    """Basis LUTs the predictor mixes (1 with ``adaptive: false``)."""
    adaptive: bool = True
    """Predict mixing weights per photo from its thumbnail; false (``--global``) learns one fixed LUT."""
    thumb_size: int = 256
    """Side of the thumbnail the weight predictor sees."""
    width: int = 16
    """Channels of the predictor's first layer (doubling to 8x)."""
    mode: Literal["unpaired", "paired"] = "unpaired"
    """``unpaired``: style images vs your photos (GAN); ``paired``: before/after pairs (pixel loss)."""
    init: Literal["ot", "prior", "reinhard", "identity"] = "prior"
    """Where the LUTs start: ``prior`` (OT gated by the grade prior, :mod:`lookgan.prior`: plain OT below 60 photos
    or 20 style images), ``ot``, ``reinhard`` or ``identity``. Prior vs OT: 0.92x on 40 grades, 0.53 vs 4.0 if none."""
    init_noise: float = 0.002
    """Noise added to each basis LUT at the start, so they can specialise."""
    load_size: int = 256
    """Shorter side training images are resized to."""
    crop_size: int = 256
    """Square crops per batch (the predictor sees these whole; a LUT needs no detail)."""
    discriminator: Literal["global", "patch"] = "global"
    """``global``: one score per image (pooled features); ``patch``: a score per region."""
    disc_width: int = 32
    disc_size: int = 64
    """The discriminator sees images downscaled to this side: colour needs little detail, and a critic that sees
    less content has fewer reasons to push colours towards what the *style photos show* rather than how they
    are graded (measured: 32-64 px drifted less from the truth than 128-256 px)."""
    gan_loss: GanLoss = "lsgan"
    augment: str = "translation,cutout"
    """DiffAugment for the discriminator, geometric ops only: colour jitter would erase the look being learnt."""
    lr: float = 5e-5
    """Adam learning rate of the LUTs and predictor."""
    lr_d: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.999
    smoothness: float = 0.1
    """Weight of the total variation of the LUTs' change from the identity (smooth grades generalise)."""
    monotonicity: float = 10.0
    """Weight of the penalty on tones that reverse order."""
    content: float = 100.0
    """Weight of the content term: squared difference to the initial (optimal-transport) grade. The critic also
    reacts to *what* the style photos show, which a LUT cannot change, and left alone it drags the LUT away from
    the true grade (benchmarks/lut_quality.py, Portra 400: ΔE2000 3.39 at the OT start, 3.90 after 3 minutes
    with weight 10, 3.38 with weight 100). The anchor keeps those pushes small."""
    weight_decay: float = 1e-3
    """Penalty on the predictor's deviation from equal mixing weights."""
    lab_weight: float = 0.5
    """Paired mode: weight of the L1 loss in Lab (/100) beside the RGB L1 loss."""
    ot_iterations: int = 40
    """Rotations of the optimal-transport initialisation (:func:`~lookgan.ops.transfer.ot_lut`)."""
    prior_pairs: int = PriorSettings.pairs  # init: prior: bootstrap pairs of your photos (150: about 20 s)
    pixels: int = 200_000
    """Pixels sampled from each image set for the colour-transfer fits."""
    match_content: bool = False
    """Unpaired: fit the start on your photos' pixels reweighted to the style set's mix of grade-invariant
    cells (:mod:`~lookgan.ops.content_match`). Off: over 40 grades it was a wash (docs/results/colour_ot.md)."""
    gan: Literal["auto", "on", "off"] = "off"
    """The adversarial stage after the start (``--gan``). ``off``: the (gated, scene-split where the test fires)
    start is the look, finished in about a minute; measured, the GAN stage made the look worse on every case we
    have, global grades and scene-dependent feeds alike (docs/results/lut_default.md), so it is not the default.
    ``auto``: only where the feed's grade depends on the scene (:mod:`lookgan.prior.scenes`); ``on``: always."""
    scenes: bool = True
    """Adaptive looks: test whether the feed's grade depends on the scene (bright vs dark frames) and, if so,
    start from one fit per group of frames mixed by the photo's brightness (about 15 s)."""
    adversarial_evidence: bool = True
    """Scale the adversarial term by the prior's evidence that the feed holds a grade (1 - p(no grade)): the
    critic pushes only as far as the grade is real."""
    anchor_space: Literal["rgb", "lab"] = "lab"
    """Where the ``content`` anchor measures the distance to the start: ``lab`` (CIELAB / 100, close to what
    ΔE sees) or ``rgb`` (the squared RGB difference, as before)."""
    gan_learns: Literal["all", "mixing"] = "mixing"
    """From a scene-split start, what the GAN may change: ``mixing``, only how each photo mixes the basis LUTs
    (the start's LUTs stay as fitted); ``all``, the LUTs too. A global start has one LUT: the GAN trains all."""
    n_samples: int = 4
    """Rows in each sample grid (content | graded | nearest style image)."""
    source: str = ""
    """For looks imported from a .cube/HaldCLUT file: that file's name (recorded, not read again)."""

    def __post_init__(self) -> None:
        if not 2 <= self.lut_size <= 129:
            raise ValueError(f"lut_size must be in 2..129, got {self.lut_size}")
        if self.n_luts < 1 or (not self.adaptive and self.n_luts != 1):
            raise ValueError("n_luts must be >= 1, and exactly 1 for a global (non-adaptive) LUT")
        if self.crop_size > self.load_size or self.thumb_size < 64 or self.disc_size < 32:
            # five stride-2 layers must leave the predictor's InstanceNorm more than one cell
            raise ValueError("crop_size must be <= load_size, thumb_size >= 64 and disc_size >= 32")
        bad = _COLOUR_OPS & set(parse_policy(self.augment))
        if bad:
            raise ValueError(f"augment {self.augment!r} has colour op(s) {', '.join(sorted(bad))}: colour "
                             "augmentation would erase the look being learnt; use translation,cutout")
        for name, allowed in (("gan", ("auto", "on", "off")), ("anchor_space", ("rgb", "lab")),
                              ("gan_learns", ("all", "mixing"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if min(self.lr, self.lr_d) <= 0 or min(self.smoothness, self.monotonicity, self.content) < 0:
            raise ValueError("learning rates must be > 0 and loss weights >= 0")

    def model_kwargs(self) -> dict[str, Any]:
        return dict(lut_size=self.lut_size, n_luts=self.n_luts, adaptive=self.adaptive, thumb_size=self.thumb_size,
                    width=self.width)
