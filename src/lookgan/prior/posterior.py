"""Is there a grade at all? The feed's difference from the user's photos, weighed against how much two sets of the
user's *own* photos differ.

Optimal transport between the feed and the user's photos measures ``y = grade + content difference``. The content
part is learnt for this user, at ``train`` time: pairs of bootstrap samples of their ``--photos`` (as many as the
feed and the photos hold, so the sampling noise matches), the second one under a random parametric grade, are
measured the same way; their error ``y - grade`` along the grade basis gives the noise model (mean and
covariance). The grade part is the shipped basis (:mod:`lookgan.prior.basis`) with its variances, scaled by an
unknown strength ``s`` drawn from a grid (a scale mixture: heavy-tailed, so strong grades are not shrunk).

The posterior over ``s`` says how likely it is that the feed holds no grade (``s`` at most :data:`NULL_SCALE`)
rather than content the user's photos happen not to show. The look is then the OT fit blended towards the
identity by that probability. Measured (docs/results/grade_prior.md): this leaves plain feeds almost alone and
keeps OT's figures on real grades; the full posterior-mean estimate shrank real film grades too much (kept as a
benchmark lever, ``shrink``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import torch
from tqdm.auto import tqdm

from ..ops.lut3d import apply_lut, blend_lut
from ..ops.transfer import ot_lut, sample_pixels
from .basis import GradeBasis, load_basis
from .grades import sample_grades

#: The range the prior was measured in (docs/results/grade_prior.md: 60 of the user's photos, 20 or 60 feed
#: images). Below it the gate stands aside and the look is plain OT: a bootstrap of a handful of photos says
#: little about how photo sets differ.
MIN_PHOTOS, MIN_FEED = 60, 20

#: Grade strengths the posterior weighs (1 = a typical synthetic grade); the first two count as "no grade".
SCALES = (0.03, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0)
NULL_SCALE = 0.1


@dataclass(frozen=True)
class PriorSettings:
    """How the noise model is learnt at ``train`` time."""

    pairs: int = 150
    """Bootstrap pairs of the user's photos measured. Fewer estimate the noise covariance badly and read plain
    feeds as graded (30 pairs: p(no grade) 0.19 on a plain feed, 150: 0.80)."""
    pixels: int = 10_000
    """Pixels per set in each measurement."""
    iterations: int = 20
    """OT rotations per measurement. 10k pixels and 20 rotations take 0.13 s a pair (150 pairs: 20 s) and
    measured as well as 40k and 40 (0.85 s a pair): 0.921x vs 0.914x OT over 40 grades, no grade 0.53 vs 0.59
    (docs/results/grade_prior.md)."""
    seed: int = 0


@dataclass
class NoiseModel:
    """What two sets of this user's photos' own difference looks like along the grade basis."""

    bias: torch.Tensor  # (K,)
    covariance: torch.Tensor  # (K, K)


@dataclass
class GradeEvidence:
    """The posterior over grade strength, and what it means for the look."""

    p_no_grade: float
    scale_weights: list[float]
    strength: float
    """The posterior mean strength (1 = a typical synthetic grade)."""
    sigmas: float
    """How far the feed is from the user's photos, in units of the two photo sets' own difference (about 1 when
    the feed is just other photos)."""

    def summary(self) -> dict[str, Any]:
        return {"p_no_grade": round(self.p_no_grade, 3), "grade_strength": round(self.strength, 3),
                "difference_in_noise_units": round(self.sigmas, 2)}


def measure(basis: GradeBasis, content: torch.Tensor, style: torch.Tensor, settings: PriorSettings) -> torch.Tensor:
    """OT between two pixel sets (``(N, 3)``), on the basis' lattice, as a weighted residual vector."""
    return basis.vector(ot_lut(content, style, n=basis.lattice, iterations=settings.iterations))


def noise_residuals(basis: GradeBasis, photos: list[torch.Tensor], n_style: int, settings: PriorSettings,
                    progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """``(pairs, D)`` measurement errors on bootstrap pairs of ``photos`` (uint8/float ``(3, H, W)``; ``n_style``
    images on the graded side, as many as the feed holds), in the basis' weighted residual space."""
    gen = torch.Generator().manual_seed(settings.seed)
    errors = []
    for k in range(settings.pairs):
        a = [photos[i] for i in torch.randint(0, len(photos), (len(photos),), generator=gen).tolist()]
        b = [photos[i] for i in torch.randint(0, len(photos), (n_style,), generator=gen).tolist()]
        grade = sample_grades(1, basis.lattice, gen, None, identity=0.2, film_share=0.0)[0]
        pa = sample_pixels(a, settings.pixels, seed=settings.seed + 2 * k)
        pb = sample_pixels(b, settings.pixels, seed=settings.seed + 2 * k + 1)
        pb = apply_lut(pb.T.reshape(3, 1, -1).float(), grade).reshape(3, -1).T.double().clamp(0, 1)
        errors.append(measure(basis, pa, pb, settings) - basis.vector(grade))
        if progress is not None:
            progress(k + 1, settings.pairs)
    return torch.stack(errors)


def noise_model(basis: GradeBasis, residuals: torch.Tensor) -> NoiseModel:
    """Mean and covariance of the residuals along the basis (covariance shrunk towards its diagonal: the basis
    has about as many directions as there are pairs)."""
    e = residuals @ basis.components.T
    bias = e.mean(0)
    cov = (e - bias).T @ (e - bias) / max(1, len(e) - 1)
    cov = 0.7 * cov + 0.3 * torch.diag(torch.diag(cov))
    return NoiseModel(bias, cov + 1e-9 * torch.eye(len(bias), dtype=cov.dtype))


def posterior(basis: GradeBasis, noise: NoiseModel, y: torch.Tensor) -> tuple[GradeEvidence, torch.Tensor]:
    """The evidence for a grade in the measurement ``y``, and the posterior-mean grade coefficients."""
    c = basis.components @ y - noise.bias
    logp, means = [], []
    for s in SCALES:
        prior = torch.diag(s * s * basis.variances)
        chol = torch.linalg.cholesky(prior + noise.covariance)
        sol = torch.cholesky_solve(c[:, None], chol)[:, 0]
        logp.append(-0.5 * (c @ sol) - torch.log(torch.diag(chol)).sum())
        means.append(prior @ sol)
    p = torch.softmax(torch.stack(logp), 0)
    nulls = sum(1 for s in SCALES if s <= NULL_SCALE)
    chol_n = torch.linalg.cholesky(noise.covariance)
    sigmas = float(torch.sqrt((c @ torch.cholesky_solve(c[:, None], chol_n)[:, 0]) / len(c)))
    evidence = GradeEvidence(float(p[:nulls].sum()), [round(float(v), 4) for v in p],
                             float(p @ torch.tensor(SCALES, dtype=p.dtype)), sigmas)
    return evidence, (p[:, None] * torch.stack(means)).sum(0)


def gated_lut(ot: torch.Tensor, evidence: GradeEvidence) -> torch.Tensor:
    """The OT look blended towards the identity by the probability that the feed holds no grade."""
    return gate(ot, evidence.p_no_grade)


def gate(luts: torch.Tensor, p_no_grade: float) -> torch.Tensor:
    """LUT(s) ``(..., 3, n, n, n)`` blended towards the identity by ``p_no_grade``: the one gate every fit a
    colour kind makes goes through (its start, the preset's refits and rings, the lut kind's scene groups)."""
    return luts if p_no_grade == 0 else blend_lut(luts, 1.0 - p_no_grade).clamp(0, 1)


def weigh_feed(basis: GradeBasis, photos: list[torch.Tensor], style: list[torch.Tensor], settings: PriorSettings,
               progress: Callable[[int, int], None] | None = None) -> GradeEvidence:
    """Learn the noise model on ``photos`` and weigh the feed ``style`` against it."""
    noise = noise_model(basis, noise_residuals(basis, photos, len(style), settings, progress))
    y = measure(basis, sample_pixels(photos, settings.pixels, seed=settings.seed + 10_001),
                sample_pixels(style, settings.pixels, seed=settings.seed + 10_002), settings)
    return posterior(basis, noise, y)[0]


def gate_ot_fit(ot: torch.Tensor, content: list[torch.Tensor], style: list[torch.Tensor], pairs: int,
                seed: int) -> tuple[torch.Tensor, dict[str, Any]]:
    """A kind's OT fit blended towards the identity by the shipped prior's probability that ``style`` holds no
    grade against ``content`` (the user's photos), and what the prior found, for look.json."""
    if len(content) < MIN_PHOTOS or len(style) < MIN_FEED:
        return ot, {"skipped": f"needs at least {MIN_PHOTOS} of your photos and {MIN_FEED} style images (the range "
                               f"it was measured in); got {len(content)} and {len(style)}: plain OT"}
    t0 = time.monotonic()
    with tqdm(total=pairs, desc="colour prior: how your photos differ", unit="pair", leave=False) as bar:
        evidence = weigh_feed(load_basis(), content, style, PriorSettings(pairs=pairs, seed=seed),
                                 progress=lambda done, total: bar.update(done - bar.n))
    return gated_lut(ot, evidence), {**evidence.summary(), "seconds": round(time.monotonic() - t0, 1)}


@dataclass
class ColourStart:
    """Where a colour kind starts (``lut``'s LUTs, ``preset``'s colour layer): its closed-form fit between the
    user's photos and the feed, gated by the prior. Later stages are measured against :attr:`lut`."""

    lut: torch.Tensor
    """The gated fit ``(3, n, n, n)``: the fit blended towards the identity by :attr:`p_no_grade`."""
    fit: torch.Tensor
    """The fit as it came (plain OT for the default)."""
    p_no_grade: float
    """The prior's probability that the feed holds no grade (0 when the prior is off or stood aside)."""
    note: dict[str, Any] | None
    """What the prior found, for look.json's ``data.colour_prior`` (None: the prior was not asked for)."""


def colour_start(content: list[torch.Tensor], style: list[torch.Tensor],
                 fit: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], *, pixels: int, seed: int, prior: bool,
                 prior_pairs: int = PriorSettings.pairs,
                 draw: Callable[..., tuple[torch.Tensor, torch.Tensor]] | None = None) -> ColourStart:
    """The one recipe both colour kinds start from: ``pixels`` drawn from each set (seeds ``seed``, ``seed + 1``;
    ``draw(content, style, pixels, seed=)`` instead, e.g. content-matched pixels), ``fit`` between them, and,
    with ``prior``, the gate of :func:`gate_ot_fit`."""
    if draw is not None:
        px_c, px_s = draw(content, style, pixels, seed=seed)
    else:
        px_c, px_s = sample_pixels(content, pixels, seed=seed), sample_pixels(style, pixels, seed=seed + 1)
    lut = fit(px_c, px_s)
    if not prior:
        return ColourStart(lut, lut, 0.0, None)
    gated, note = gate_ot_fit(lut, content, style, prior_pairs, seed)
    return ColourStart(gated, lut, float(note.get("p_no_grade", 0.0)), note)


def wants_prior(config: Any) -> bool:
    """Whether a colour kind's config asks for the prior (``lut``: ``init: prior``; ``ot``: ``prior: true``)."""
    return bool(getattr(config, "prior", False)) or getattr(config, "init", "") == "prior"
