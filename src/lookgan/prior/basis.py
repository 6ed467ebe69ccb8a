"""The grade basis: what colour grades look like, as the principal directions of many synthetic grades.

A grade is stored as its change from the identity on a 17³ lattice, each lattice point weighted by the square root
of how often plain photos hold that colour (plus a floor), so that distances in this space track what the grade
does to photos rather than to colours nobody shoots. The basis is the top ``K`` principal directions of a few
thousand grades from :func:`~lookgan.prior.grades.sample_grades` (film LUTs, their blends, parametric grades) and
their variances. It ships with lookgan (``assets/prior/``, built by ``scripts/train_prior.py``) because the film
LUTs it learns from are not on a user's machine.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from ..core.errors import LookganError
from ..core.io import atomic_write_json, sha256_file, write_tensors
from ..ops.lut3d import identity_lut, resample_lut
from .grades import sample_grades

LATTICE = 17
SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "prior" / "grade_basis.safetensors"


def lattice_of(weights: torch.Tensor) -> int:
    """Points per axis of the lattice that ``(n³,)`` weights cover."""
    return round(weights.numel() ** (1 / 3))


def weighted_residual(lut: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """A ``(3, n, n, n)`` LUT on the weights' lattice as its weighted change from the identity, ``(3 * n³,)``."""
    ident = identity_lut(lattice_of(weights), dtype=torch.float64)
    return (lut.double() - ident).reshape(3, -1).mul(weights).reshape(-1)


@dataclass
class GradeBasis:
    """Principal directions of grades in the weighted residual space (see the module docstring)."""

    components: torch.Tensor  # (K, 3 * n³), orthonormal rows
    variances: torch.Tensor  # (K,) second moment of synthetic grades along each direction
    weights: torch.Tensor  # (n³,) lattice weights (sqrt colour density + floor)

    @property
    def lattice(self) -> int:
        return lattice_of(self.weights)

    def vector(self, lut: torch.Tensor) -> torch.Tensor:
        """A ``(3, m, m, m)`` LUT (resampled to the basis' lattice) as its weighted residual, float64."""
        n = self.lattice
        return weighted_residual(resample_lut(lut.float(), n) if lut.shape[-1] != n else lut, self.weights)

    def lut(self, vector: torch.Tensor, size: int = 33) -> torch.Tensor:
        """The ``(3, size, size, size)`` LUT of a weighted residual vector (clipped to [0, 1])."""
        n = self.lattice
        res = (vector.double().reshape(3, -1) / self.weights).reshape(3, n, n, n)
        lut = (identity_lut(n, dtype=torch.float64) + res).float().clamp(0, 1)
        return resample_lut(lut, size).clamp(0, 1) if size != n else lut

    def coefficients(self, lut: torch.Tensor) -> torch.Tensor:
        return self.components @ self.vector(lut)

    def project(self, lut: torch.Tensor, size: int = 33) -> torch.Tensor:
        """``lut`` as the nearest grade in the basis' span."""
        return self.lut(self.coefficients(lut) @ self.components, size)

    def save(self, path: str | Path, meta: dict[str, Any]) -> None:
        path = Path(path)
        digest = write_tensors(path, {"components": self.components.half(), "variances": self.variances.float(),
                                      "weights": self.weights.float()})
        atomic_write_json(path.with_suffix(".json"), {**meta, "sha256": digest})


def colour_weights(pixels: torch.Tensor, n: int = LATTICE, floor: float = 0.2) -> torch.Tensor:
    """``(n³,)`` lattice weights: sqrt of the share of ``pixels`` (``(N, 3)`` in [0, 1]) nearest each lattice
    point, plus ``floor`` / n³ so that no colour counts for nothing."""
    idx = (pixels.double() * (n - 1)).round().long().clamp(0, n - 1)
    flat = idx[:, 0] + n * idx[:, 1] + n * n * idx[:, 2]  # [b, g, r] order, as the LUT's storage
    share = torch.bincount(flat, minlength=n ** 3).double() / len(flat)
    return (share + floor / n ** 3).sqrt()


def build_basis(weights: torch.Tensor, *, films: torch.Tensor | None, grades: int = 3000, components: int = 64,
                seed: int = 0) -> GradeBasis:
    """The top ``components`` directions of ``grades`` synthetic grades (``films``: the real LUTs to draw from)."""
    gen = torch.Generator().manual_seed(seed)
    rows = torch.stack([weighted_residual(g, weights) for g in sample_grades(grades, lattice_of(weights), gen, films)])
    _, s, v = torch.linalg.svd(rows, full_matrices=False)  # uncentred: the identity is the origin
    return GradeBasis(v[:components].contiguous(), (s[:components] ** 2 / len(rows)), weights.double())


def load_basis(path: str | Path = SHIPPED) -> GradeBasis:
    """The shipped (or given) basis, after checking its SHA-256 against the JSON beside it."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as e:
        raise LookganError(f"grade prior metadata {meta_path} is missing or unreadable ({e}); reinstall lookgan or "
                           "rebuild it with python scripts/train_prior.py") from None
    if not path.is_file() or sha256_file(path) != meta.get("sha256"):
        raise LookganError(f"grade prior {path} is missing or does not match the checksum in {meta_path.name}; "
                           "reinstall lookgan or rebuild it with python scripts/train_prior.py")
    t = load_file(str(path))
    return GradeBasis(t["components"].double(), t["variances"].double(), t["weights"].double())


def leave_group_out(names: list[str], folds: int = 5) -> dict[str, list[str]]:
    """For each grade name, the names a prior scored on it may learn from: every name outside its fold (fold =
    position in sorted order modulo ``folds``). Stricter than leave-one-out and ``folds`` times cheaper."""
    order = sorted(names)
    fold = {n: i % folds for i, n in enumerate(order)}
    return {n: [m for m in order if fold[m] != fold[n]] for n in order}
