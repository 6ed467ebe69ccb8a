"""Does the feed's grade depend on the scene? The test that decides whether an image-adaptive look can beat one
global LUT, and the closed-form fit it gives when it can.

One global LUT maps a colour the same way in every photo. A feed graded warm on bright days and cool at night, or
one grade for people and another for everything else, needs a look that changes with the photo: the ``lut``
kind's adaptive LUT. Whether a feed is such a feed is a question the data can answer without training anything:

1. split the user's photos and the feed by a grade-robust scene descriptor (a :class:`Descriptor`: here the
   frame's mean luminance *rank*; a monotone grade keeps the order of brightness, so the split of the graded feed
   matches the split of the plain photos);
2. fit optimal transport per group and globally; the statistic is how much each group's fit changes that group's
   own photos against the global fit (mean ΔE2000 over the group's pixels: a LUT fitted on dark frames is only
   defined where dark frames have colours, so it is compared there only);
3. the same statistic on bootstrap pairs of the user's *own* photos, the second set under one random *global*
   grade (as :mod:`.posterior`'s noise model): what half-sets differ by when the grade does not depend on the
   scene. The feed is scene-dependent when its statistic exceeds every one of those (:attr:`SceneSplit.dependent`).

Measured in ``docs/results/lut_default.md`` (the scene cases) and ``docs/results/grade_prior.md`` (no false
alarm on 40 global grades x 4 splits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..ops.color import delta_e2000_rgb, luminance
from ..ops.lut3d import apply_lut
from ..ops.transfer import ot_lut
from .grades import sample_grades


@dataclass(frozen=True)
class SceneSettings:
    """How the scene test is measured (cheap settings: the look's own fit is made afterwards at full size)."""

    pairs: int = 30
    """Bootstrap pairs of the user's photos under one global grade: the null the feed is weighed against."""
    pixels: int = 12_000
    """Pixels per set in each fit."""
    per_image: int = 1500
    """Pixels kept per image (a group's pixels are drawn from its images' own)."""
    iterations: int = 20
    lattice: int = 17
    margin: float = 1.0
    """The feed's statistic must exceed the null's largest value by this factor. A false alarm halves the data
    behind each LUT; over 40 global grades x 4 splits x 2 feed sizes the statistic stayed below 0.75x the null's
    largest value (docs/results/grade_prior.md), while 1.25 missed a day/night feed at 1.04x
    (docs/results/lut_default.md)."""
    seed: int = 0


Descriptor = Callable[[torch.Tensor], float]
"""A scene descriptor: one number per image (pixels ``(N, 3)`` in [0, 1]), whose *rank* a grade keeps."""


def brightness(pixels: torch.Tensor) -> float:
    """Mean relative luminance of an image's pixels: bright vs dark frames (day vs night)."""
    return float(luminance(pixels.float()).mean())


DESCRIPTORS: dict[str, Descriptor] = {"brightness": brightness}


@dataclass
class SceneSplit:
    """What the scene test found: the split, how much per-group looks would change the photos, and the null."""

    descriptor: str
    threshold: float
    """The median descriptor of the user's photos: where the split lies on plain photos."""
    spread: float
    """Softness of the split (descriptor units): photos near the threshold mix both looks."""
    difference: float
    """Mean ΔE2000 between each group's own fit and the global fit, on that group's photos (the feed)."""
    null: float
    """The largest such difference over the bootstrap pairs of the user's photos under one global grade."""
    margin: float

    @property
    def dependent(self) -> bool:
        return self.difference > self.margin * self.null

    def weights(self, values: torch.Tensor) -> torch.Tensor:
        """Soft group weights ``(N, 2)`` (low, high) for descriptor values ``(N,)``."""
        high = torch.sigmoid((values - self.threshold) / max(self.spread, 1e-6))
        return torch.stack([1.0 - high, high], dim=1)

    def summary(self) -> dict[str, Any]:
        return {"descriptor": self.descriptor, "difference_de2000": round(self.difference, 3),
                "null_de2000": round(self.null, 3), "scene_dependent": self.dependent}


def image_pixels(images: list[torch.Tensor], per_image: int, seed: int) -> list[torch.Tensor]:
    """``per_image`` pixels of each uint8/float ``(3, H, W)`` image, float64 ``(n, 3)`` in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for img in images:
        flat = img.reshape(3, -1).T
        idx = torch.randint(0, flat.shape[0], (min(per_image, flat.shape[0]),), generator=gen)
        px = flat[idx].double()
        out.append(px / 255.0 if img.dtype == torch.uint8 else px)
    return out


def _through(lut: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    return apply_lut(px.T.reshape(3, 1, -1).float(), lut.float()).reshape(3, -1).T.double().clamp(0, 1)


def _pool(groups: list[torch.Tensor], n: int, gen: torch.Generator) -> torch.Tensor:
    px = torch.cat(groups)
    return px[torch.randperm(len(px), generator=gen)[:n]]


def _halves(values: torch.Tensor) -> tuple[list[int], list[int]]:
    order = torch.argsort(values).tolist()
    mid = len(order) // 2
    return order[:mid], order[mid:]


def group_statistic(photo_px: list[torch.Tensor], feed_px: list[torch.Tensor], photo_d: torch.Tensor,
                    feed_d: torch.Tensor, s: SceneSettings, gen: torch.Generator) -> float:
    """Mean ΔE2000 between the per-half fits and the global fit on each half's photos (see the module)."""
    fit = dict(n=s.lattice, iterations=s.iterations)
    glob = ot_lut(_pool(photo_px, s.pixels, gen), _pool(feed_px, s.pixels, gen), **fit)
    total = 0.0
    for ip, jf in zip(_halves(photo_d), _halves(feed_d)):
        content = _pool([photo_px[i] for i in ip], s.pixels, gen)
        own = ot_lut(content, _pool([feed_px[j] for j in jf], s.pixels, gen), **fit)
        total += float(delta_e2000_rgb(_through(own, content), _through(glob, content)).mean()) / 2
    return total


def scene_null(photo_px: list[torch.Tensor], n_feed: int, descriptor: Descriptor, s: SceneSettings,
               progress: Callable[[int, int], None] | None = None) -> list[float]:
    """The statistic on ``s.pairs`` bootstrap pairs of the user's photos (``n_feed`` on the graded side), the
    second set under one random global grade."""
    gen = torch.Generator().manual_seed(s.seed + 77)
    values = []
    for k in range(s.pairs):
        a = torch.randint(0, len(photo_px), (len(photo_px),), generator=gen).tolist()
        b = torch.randint(0, len(photo_px), (n_feed,), generator=gen).tolist()
        grade = sample_grades(1, s.lattice, gen, None, identity=0.2, film_share=0.0)[0]
        pa = [photo_px[i] for i in a]
        pb = [_through(grade, photo_px[i]) for i in b]
        da = torch.tensor([descriptor(p) for p in pa])
        db = torch.tensor([descriptor(p) for p in pb])
        values.append(group_statistic(pa, pb, da, db, s, gen))
        if progress is not None:
            progress(k + 1, s.pairs)
    return values


def weigh_scenes(photos: list[torch.Tensor], feed: list[torch.Tensor], s: SceneSettings = SceneSettings(), *,
                descriptor: str = "brightness", null: list[float] | None = None,
                progress: Callable[[int, int], None] | None = None) -> SceneSplit:
    """Whether ``feed``'s grade depends on the scene, against the user's ``photos`` (uint8 ``(3, H, W)``).
    ``null``: a precomputed :func:`scene_null` for these photos and this feed size (benchmarks reuse it)."""
    fn = DESCRIPTORS[descriptor]
    photo_px = image_pixels(photos, s.per_image, s.seed)
    feed_px = image_pixels(feed, s.per_image, s.seed + 1)
    photo_d = torch.tensor([fn(p) for p in photo_px])
    feed_d = torch.tensor([fn(p) for p in feed_px])
    stat = group_statistic(photo_px, feed_px, photo_d, feed_d, s, torch.Generator().manual_seed(s.seed + 5))
    if null is None:
        null = scene_null(photo_px, len(feed), fn, s, progress)
    q1, q3 = torch.quantile(photo_d.double(), torch.tensor([0.25, 0.75], dtype=torch.float64)).tolist()
    return SceneSplit(descriptor, float(photo_d.median()), max(0.1 * (q3 - q1), 1e-3), stat, max(null), s.margin)


def describe(images: list[torch.Tensor], descriptor: str, s: SceneSettings = SceneSettings()) -> torch.Tensor:
    """The descriptor of each image ``(N,)`` (the same pixel draw as :func:`weigh_scenes` uses for photos)."""
    fn = DESCRIPTORS[descriptor]
    return torch.tensor([fn(p) for p in image_pixels(images, s.per_image, s.seed)])


def group_fits(photos: list[torch.Tensor], feed: list[torch.Tensor], split: SceneSplit, fit: Callable[
        [torch.Tensor, torch.Tensor], torch.Tensor], pixels: int, seed: int) -> torch.Tensor:
    """The look of each group ``(2, 3, n, n, n)`` (low, high): ``fit`` between that half of the user's photos and
    that half of the feed (each split at its own median descriptor)."""
    gen = torch.Generator().manual_seed(seed)
    photo_px = image_pixels(photos, max(1, 2 * pixels // max(1, len(photos))), seed)
    feed_px = image_pixels(feed, max(1, 2 * pixels // max(1, len(feed))), seed + 1)
    fn = DESCRIPTORS[split.descriptor]
    halves_p = _halves(torch.tensor([fn(p) for p in photo_px]))
    halves_f = _halves(torch.tensor([fn(p) for p in feed_px]))
    return torch.stack([fit(_pool([photo_px[i] for i in ip], pixels, gen), _pool([feed_px[j] for j in jf], pixels, gen))
                        for ip, jf in zip(halves_p, halves_f)])
