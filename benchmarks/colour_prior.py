"""Issue 18's diagnostic: where a plain optimal-transport colour look loses, and whether a prior learnt from real
film LUTs helps.

For each grade in ../shared/data/luts: 60 plain photos (photos256) are the user's, 60 others graded are the feed;
scored on pixels of 60 further held-out photos (40k pixels drawn once; the same for every method) as mean ΔE2000
to the true grade. Methods:

* ``ot``: lookgan's ``ot`` (Pitié iterative distribution transfer, 20 rotations) between the two sets;
* ``oracle``: the same, but fitted between the user's photos and *those same photos* graded (content matched):
  what is left is OT choosing the wrong map among equally good ones;
* ``ot_3x``: OT with 3x the plain photos (180), the "more photos" lever;
* ``projK``: OT's LUT projected onto the mean + first K principal components of the *other* grades' LUTs
  (leave-one-out: the grade being scored never enters its own prior);
* ``priorK``: coefficients in that family fitted from OT's projection by sliced Wasserstein (CIELAB) between the
  graded photos and the feed;
* ``pullKxW`` (with ``--pulls W``): a free 17³ LUT from OT's, fitted by the same sliced Wasserstein plus W x its
  squared distance from the family (the family as a pull, not a cage).

    python benchmarks/colour_prior.py [GRADE ...] [--json out.json]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import emit  # noqa: E402
from lookgan.ops.color import delta_e2000_rgb, rgb_to_lab  # noqa: E402
from lookgan.ops.lut3d import FastLUT, apply_lut, identity_lut, resample_lut  # noqa: E402
from lookgan.ops.transfer import ot_lut  # noqa: E402
from lookgan.use.exporting.cube import read_hald  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
N = 17  # lattice of the prior (the grades are smooth; 17³ keeps the basis small)


def pixels(images: list[np.ndarray], n: int, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    flat = np.concatenate([i.reshape(-1, 3) for i in images]).astype(np.float64) / 255
    return torch.from_numpy(flat[rng.choice(len(flat), min(n, len(flat)), replace=False)])


def lut_pixels(lut: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    """``(N, 3)`` colours in [0, 1] through a ``(3, n, n, n)`` LUT (trilinear), clipped to [0, 1]."""
    return apply_lut(px.T.reshape(3, 1, -1), lut).reshape(3, -1).T.clamp(0, 1)


def mean_de(lut: torch.Tensor, truth: torch.Tensor, held: torch.Tensor) -> float:
    a, b = lut_pixels(lut.float(), held.float()), lut_pixels(truth.float(), held.float())
    return float(delta_e2000_rgb(a.double(), b.double()).mean())


def _sliced_w2(lut: torch.Tensor, content: torch.Tensor, style_lab: torch.Tensor,
               gen: torch.Generator) -> torch.Tensor:
    """Sliced W2 (32 directions, 10k pixels each side) between ``content`` graded by ``lut`` and the style, in
    CIELAB."""
    idx = torch.randint(0, len(content), (10000,), generator=gen)
    jdx = torch.randint(0, len(style_lab), (10000,), generator=gen)
    out = lut_pixels(lut, content[idx])
    dirs = torch.randn(3, 32, generator=gen)
    dirs = dirs / dirs.norm(dim=0, keepdim=True)
    a, b = rgb_to_lab(out) @ dirs, style_lab[jdx] @ dirs
    return ((a.sort(0)[0] - b.sort(0)[0]) ** 2).mean()


def fit_in_family(basis: torch.Tensor, mean: torch.Tensor, content: torch.Tensor, style: torch.Tensor,
                  init: torch.Tensor, *, steps: int = 120, seed: int = 0) -> torch.Tensor:
    """Coefficients of the family (identity + mean + coef @ basis) by sliced W2 in CIELAB, from ``init``."""
    ident = identity_lut(N)
    basis, mean, content = basis.float(), mean.float(), content.float()
    coef = init.float().clone().requires_grad_(True)
    opt = torch.optim.Adam([coef], lr=0.05)
    style_lab = rgb_to_lab(style.float())
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        loss = _sliced_w2(ident + (mean + coef @ basis).reshape(3, N, N, N), content, style_lab, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (ident + (mean + coef.detach() @ basis).reshape(3, N, N, N)).double()


def fit_with_pull(basis: torch.Tensor, mean: torch.Tensor, content: torch.Tensor, style: torch.Tensor,
                  start: torch.Tensor, *, pull: float, steps: int = 120, seed: int = 0) -> torch.Tensor:
    """A free 17³ LUT from ``start`` (OT's) by sliced W2 in CIELAB, plus ``pull`` x the squared distance of its
    residual from the family (what the family's components cannot express)."""
    ident = identity_lut(N)
    basis, mean, content = basis.float(), mean.float(), content.float()
    residual = (start.float() - ident).reshape(-1).clone().requires_grad_(True)
    opt = torch.optim.Adam([residual], lr=0.005)
    style_lab = rgb_to_lab(style.float())
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        centred = residual - mean
        off_family = centred - (centred @ basis.T) @ basis
        loss = (_sliced_w2(ident + residual.reshape(3, N, N, N), content, style_lab, gen)
                + pull * off_family.pow(2).mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (ident + residual.detach().reshape(3, N, N, N)).double()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("grades", nargs="*", help="HaldCLUT names in ../shared/data/luts (default: all)")
    parser.add_argument("--ks", type=int, nargs="+", default=[4, 6], help="family sizes to try")
    parser.add_argument("--pulls", type=float, nargs="*", default=[],
                        help="also fit a free LUT from OT's pulled towards the family with these weights")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(2)
    photos = [np.asarray(Image.open(p).convert("RGB")) for p in sorted((SHARED / "photos256").glob("*.jpg"))]
    content, style, more, held_images = photos[:60], photos[60:120], photos[120:180], photos[180:240]
    names = sorted(p.stem for p in (SHARED / "luts").glob("*.png"))
    luts = {n: read_hald(SHARED / "luts" / f"{n}.png") for n in names}
    ident = identity_lut(N, dtype=torch.float64)
    residuals = {n: (resample_lut(lut.double(), N) - ident).reshape(-1) for n, lut in luts.items()}
    c_px, c3_px, held = pixels(content, 150000, 0), pixels(content + more, 150000, 0), pixels(held_images, 40000, 7)
    results: dict[str, dict[str, float]] = {}
    for name in args.grades or names:
        t0 = time.time()
        truth = luts[name]
        grade = FastLUT(truth)
        s_px = pixels([grade(i) for i in style], 150000, 1)
        r: dict[str, float] = {}
        ot = ot_lut(c_px.float(), s_px.float(), n=33)
        r["ot"] = mean_de(ot, truth, held)
        r["oracle"] = mean_de(ot_lut(c_px.float(), pixels([grade(i) for i in content], 150000, 0).float(), n=33),
                              truth, held)
        r["ot_3x"] = mean_de(ot_lut(c3_px.float(), s_px.float(), n=33), truth, held)
        others = torch.stack([v for n, v in residuals.items() if n != name])  # leave the scored grade out
        mean = others.mean(0)
        _, _, components = torch.linalg.svd(others - mean, full_matrices=False)
        start = (resample_lut(ot.double(), N) - ident).reshape(-1) - mean
        for k in args.ks:
            basis = components[:k]
            init = basis @ start
            r[f"proj{k}"] = mean_de(ident + (mean + init @ basis).reshape(3, N, N, N), truth, held)
            r[f"prior{k}"] = mean_de(fit_in_family(basis, mean, c_px, s_px, init), truth, held)
            for pull in args.pulls:
                r[f"pull{k}x{pull:g}"] = mean_de(fit_with_pull(basis, mean, c_px, s_px, resample_lut(ot.double(), N),
                                                               pull=pull), truth, held)
        r["seconds"] = round(time.time() - t0, 1)
        results[name] = r
        print(name, {k: round(v, 2) for k, v in r.items()}, flush=True)
    keys = [k for k in next(iter(results.values())) if k != "seconds"]
    summary = {"mean": {k: float(np.mean([r[k] for r in results.values()])) for k in keys},
               "median_ratio_to_ot": {k: float(np.median([r[k] / r["ot"] for r in results.values()])) for k in keys},
               "worst_ratio_to_ot": {k: float(np.max([r[k] / r["ot"] for r in results.values()])) for k in keys},
               "wins_vs_ot": {k: int(sum(r[k] < r["ot"] for r in results.values())) for k in keys}}
    emit({"grades": results, "summary": summary, "n_grades": len(results)}, args.json)


if __name__ == "__main__":
    main()
