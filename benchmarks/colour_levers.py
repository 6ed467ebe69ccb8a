"""Issue 18's levers against plain optimal transport, each measured the same way (the ones that lost included).

    python benchmarks/colour_levers.py LEVER [GRADE ...] [--json out.json]

Same setting as ``colour_prior.py``: for each grade in ../shared/data/luts, 60 plain photos (photos256) are the
user's, 60 others graded are the feed, every fit is scored as mean ΔE2000 to the true grade on 40k pixels of 60
held-out photos. ``ot`` below is lookgan's ``ot_lut`` in sRGB; ``oracle`` fits between the user's photos and those
same photos graded (content matched). Levers:

* ``iterations``: rotations of the iterative distribution transfer, 20 / 40 / 80 / 160;
* ``spaces``: the matching done in sRGB, CIELAB (/100), CIELAB with chroma /50, linear RGB or YCbCr, 40
  rotations, unpaired and oracle (the transport's "smallest displacement" depends on the space);
* ``local``: a 17³ correction of OT's LUT fitted by sliced W2 on CIELAB colour *plus* the colour differences to a
  neighbour 4 px away (edges transform through the map's Jacobian, which marginal OT cannot see); ``alpha`` 0 is
  colour alone; unpaired and oracle;
* ``retrieval``: the user's photos (``own``) or those plus 60 more (``bank``) weighted by how much each resembles
  the feed in grade-invariant descriptors (8x8 luminance-rank layout, gradient-orientation and texture
  histograms): soft weights (``tau``) or votes of each feed image's 3 nearest (``knn3``); ``bank_uniform`` is the
  bank unweighted (more photos);
* ``cells``: pixel reweighting so that the user's pixels have the feed's mix of grade-invariant cells (height in
  the frame x texture quantile x luminance rank in the image);
* ``cells_auto``: the best ``cells`` setting, as shipped, with texture binned per set or by fixed edges, against
  ``ot`` as shipped (CIELAB for B&W feeds);
* ``generic``: the user's photos mixed with a generic set (../shared/data/photos, other content) at 25 / 50 %;
* ``sinkhorn``: entropic OT between 2000 pixels a side in CIELAB (blur 2 ΔE), balanced or unbalanced (KL reach
  10), its barycentric map fitted as a correction of OT's LUT;
* ``structured``: a ~70-parameter family (tone curves, 3x3 matrix, hue-dependent saturation and hue shift;
  ``colour_family.py``) fitted by sliced W2, with and without the hue part, unpaired and oracle; ``family_truth``
  is the family member closest to the true grade (what the family can represent at best);
* ``null`` (no grade names): no grade at all, the feed being other plain photos. OT, Reinhard and the family
  between random 60 + 60 splits of photos256 (and 120 + 60), scored against the identity on 60 held-out photos:
  the error the two sets' own difference puts into an unpaired fit.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy.ndimage import sobel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import emit  # noqa: E402
from colour_family import GradeFamily, fit_least_squares, fit_sliced_w2  # noqa: E402
from colour_prior import SHARED, lut_pixels, mean_de, pixels  # noqa: E402
from lookgan.losses.regularizers import lut_smoothness  # noqa: E402
from lookgan.ops.color import lab_to_rgb, linear_to_srgb, rgb_to_lab, srgb_to_linear  # noqa: E402
from lookgan.ops.content_match import TEXTURE_EDGES, cell_weights, content_matched_pixels, sample_with_features  # noqa: E402
from lookgan.ops.lut3d import FastLUT, apply_lut, identity_lut, lattice_colours  # noqa: E402
from lookgan.ops.transfer import ot_lut, ot_map, reinhard_lut  # noqa: E402
from lookgan.use.exporting.cube import read_hald  # noqa: E402

DEV = ["Fuji_Velvia_50", "Kodak_Portra_160_2", "Creative_TealOrange1", "Fuji_Provia_400X", "Agfa_Vista_200",
       "Kodak_Elite_Chrome_400"]


class Case:
    """One grade's data: plain and graded images, pixel samples, the held-out pixels and the truth."""

    def __init__(self, name: str, photos: list[np.ndarray]) -> None:
        self.name, self.truth = name, read_hald(SHARED / "luts" / f"{name}.png")
        grade = FastLUT(self.truth)
        self.content, self.more, held = photos[:60], photos[120:180], photos[180:240]
        self.style = [grade(i) for i in photos[60:120]]
        self.graded_content = [grade(i) for i in self.content]
        self.c_px, self.s_px = pixels(self.content, 150000, 0).float(), pixels(self.style, 150000, 1).float()
        self.o_px = pixels(self.graded_content, 150000, 0).float()
        self.held = pixels(held, 40000, 7)

    def score(self, lut: torch.Tensor) -> float:
        return round(mean_de(lut, self.truth, self.held), 3)


def lever_iterations(case: Case) -> dict[str, float]:
    return {f"ot{it}": case.score(ot_lut(case.c_px, case.s_px, iterations=it, space="rgb")) for it in (20, 40, 80, 160)}


_YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]],
                    dtype=torch.float64)
_CHROMA2 = torch.tensor([100.0, 50.0, 50.0], dtype=torch.float64)
SPACES: dict[str, tuple[Callable, Callable]] = {
    "srgb": (lambda x: x, lambda y: y),
    "lab": (lambda x: rgb_to_lab(x) / 100, lambda y: lab_to_rgb(y * 100)),
    "lab_c2": (lambda x: rgb_to_lab(x) / _CHROMA2, lambda y: lab_to_rgb(y * _CHROMA2)),
    "linear": (srgb_to_linear, lambda y: linear_to_srgb(y.clamp(0, None))),
    "ycc": (lambda x: x @ _YCC.T, lambda y: y @ torch.linalg.inv(_YCC).T),
}


def ot_in_space(content: torch.Tensor, style: torch.Tensor, space: str, iterations: int = 40) -> torch.Tensor:
    fw, bw = SPACES[space]
    lattice = lattice_colours(33, dtype=torch.float64).reshape(-1, 3)
    out = ot_map(fw(content.double()).numpy(), fw(style.double()).numpy(), fw(lattice).numpy(), iterations=iterations)
    return bw(torch.from_numpy(out)).clamp(0, 1).reshape(33, 33, 33, 3).permute(3, 0, 1, 2).float()


def lever_spaces(case: Case) -> dict[str, float]:
    r = {}
    for space in SPACES:
        r[space] = case.score(ot_in_space(case.c_px, case.s_px, space))
        r[f"{space}_oracle"] = case.score(ot_in_space(case.c_px, case.o_px, space))
    return r


def neighbour_pairs(images: list[np.ndarray], n: int, radius: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Colours at random pixels and at a neighbour ``radius`` px away in a random direction."""
    rng = np.random.default_rng(seed)
    per = n // len(images)
    cs, nbs = [], []
    for im in images:
        h, w, _ = im.shape
        y, x, ang = rng.integers(0, h, per), rng.integers(0, w, per), rng.uniform(0, 2 * np.pi, per)
        yy = np.clip(np.round(y + radius * np.sin(ang)).astype(int), 0, h - 1)
        xx = np.clip(np.round(x + radius * np.cos(ang)).astype(int), 0, w - 1)
        cs.append(im[y, x])
        nbs.append(im[yy, xx])
    return (torch.from_numpy(np.concatenate(cs)).float() / 255, torch.from_numpy(np.concatenate(nbs)).float() / 255)


def local_fit(start: torch.Tensor, content: tuple[torch.Tensor, torch.Tensor],
              style: tuple[torch.Tensor, torch.Tensor], *, alpha: float, steps: int = 150, m: int = 20000,
              seed: int = 0) -> torch.Tensor:
    """``start`` + a trilinearly upsampled 17³ correction, by sliced W2 (64 directions) on CIELAB colour and
    ``alpha`` x the CIELAB difference to the neighbour."""
    gen = torch.Generator().manual_seed(seed)
    (c, cn), (s, sn) = content, style
    s_lab = rgb_to_lab(s)
    style_f = torch.cat([s_lab, alpha * (rgb_to_lab(sn) - s_lab)], 1)
    delta = torch.zeros(1, 3, 17, 17, 17, requires_grad=True)
    opt = torch.optim.Adam([delta], lr=0.003)
    n = start.shape[-1]

    def lut() -> torch.Tensor:
        return start + F.interpolate(delta, size=(n, n, n), mode="trilinear", align_corners=True)[0]

    for _ in range(steps):
        idx, jdx = torch.randint(0, len(c), (m,), generator=gen), torch.randint(0, len(s), (m,), generator=gen)
        x = torch.cat([c[idx], cn[idx]])
        out = rgb_to_lab(lut_pixels(lut(), x))
        f = torch.cat([out[:m], alpha * (out[m:] - out[:m])], 1)
        u = torch.randn(6, 64, generator=gen)
        u = u / u.norm(dim=0, keepdim=True)
        loss = ((f @ u).sort(0)[0] - (style_f[jdx] @ u).sort(0)[0]).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return lut().detach().clamp(0, 1)


def lever_local(case: Case) -> dict[str, float]:
    ot, oracle = ot_lut(case.c_px, case.s_px, space="rgb"), ot_lut(case.c_px, case.o_px, space="rgb")
    c = neighbour_pairs(case.content, 120000, 4.0, 0)
    r = {"ot": case.score(ot), "oracle": case.score(oracle)}
    for which, start, style in (("", ot, case.style), ("oracle_", oracle, case.graded_content)):
        s = neighbour_pairs(style, 120000, 4.0, 1)
        for alpha in (0.0, 1.0):
            r[f"{which}local_alpha{alpha:g}"] = case.score(local_fit(start, c, s, alpha=alpha))
    return r


def descriptor(im: np.ndarray) -> np.ndarray:
    """Grade-invariant: 8x8 layout of luminance ranks, gradient-orientation and 4x4 texture histograms."""
    lum = im.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    h, w = lum.shape
    rank = np.argsort(np.argsort(lum.ravel())).reshape(h, w) / (h * w)
    layout = rank[:h // 8 * 8, :w // 8 * 8].reshape(8, h // 8, 8, w // 8).mean((1, 3)).ravel()
    gy, gx = sobel(lum, 0), sobel(lum, 1)
    mag = np.hypot(gx, gy)
    ang = (np.arctan2(gy, gx) % np.pi) / np.pi
    hog = np.bincount(np.minimum((ang * 8).astype(int), 7).ravel(), weights=mag.ravel(), minlength=8)
    tex = mag[:h // 4 * 4, :w // 4 * 4].reshape(4, h // 4, 4, w // 4).mean((1, 3)).ravel()
    return np.concatenate([layout, 2 * hog / (hog.sum() + 1e-9), 2 * tex / (tex.sum() + 1e-9)])


def weighted_pixels(images: list[np.ndarray], weights: np.ndarray, n: int, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, weights / weights.sum())
    out = [im.reshape(-1, 3)[rng.integers(0, im.shape[0] * im.shape[1], k)] for im, k in zip(images, counts)]
    return torch.from_numpy(np.concatenate(out) / 255.0).float()


def retrieval_weights(bank: np.ndarray, feed: np.ndarray, *, tau: float = 0.0, knn: int = 0) -> np.ndarray:
    d = ((bank[:, None] - feed[None]) ** 2).sum(-1)  # (bank, feed)
    if knn:
        w = np.full(len(bank), 1e-3)
        for j in range(d.shape[1]):
            w[np.argsort(d[:, j])[:knn]] += 1
        return w
    a = np.exp(-(d - d.min(0)) / tau)
    return (a / a.sum(0)).sum(1)


def lever_retrieval(case: Case) -> dict[str, float]:
    feed = np.stack([descriptor(i) for i in case.style])
    r = {"ot": case.score(ot_lut(case.c_px, case.s_px, space="rgb"))}
    for tag, bank in (("own", case.content), ("bank", case.content + case.more)):
        desc = np.stack([descriptor(i) for i in bank])
        if tag == "bank":
            r["bank_uniform"] = case.score(ot_lut(weighted_pixels(bank, np.ones(len(bank)), 150000, 0), case.s_px,
                                                  space="rgb"))
        for key, kw in (("tau0.2", {"tau": 0.2}), ("knn3", {"knn": 3})):
            w = retrieval_weights(desc, feed, **kw)
            r[f"{tag}_{key}"] = case.score(ot_lut(weighted_pixels(bank, w, 150000, 0), case.s_px, space="rgb"))
    return r


def _tensors(images: list[np.ndarray]) -> list[torch.Tensor]:
    return [torch.from_numpy(np.array(im)).permute(2, 0, 1).contiguous() for im in images]


def lever_cells(case: Case) -> dict[str, float]:
    """The user's pixels resampled to the feed's mix of grade-invariant cells, for four cell grids (texture
    binned by each set's quantiles), with the shipped functions of :mod:`lookgan.ops.content_match`."""
    cc, cf = sample_with_features(_tensors(case.content), 150000, seed=0)
    sc, sf = sample_with_features(_tensors(case.style), 150000, seed=1)
    style = sc.float()
    r = {"ot": case.score(ot_lut(cc.float(), style, space="rgb"))}
    for bins in ((3, 4, 1), (3, 4, 4), (3, 6, 8), (4, 8, 8)):
        pick = torch.multinomial(cell_weights(cf, sf, bins), len(cc), replacement=True,
                                 generator=torch.Generator().manual_seed(3))
        r["cells" + "x".join(map(str, bins))] = case.score(ot_lut(cc[pick].float(), style, space="rgb"))
    return r


def lever_cells_auto(case: Case) -> dict[str, float]:
    """The candidates for the default, as shipped (:func:`lookgan.ops.content_match.content_matched_pixels`, 3
    heights x 6 texture bins x 8 luminance ranks; texture binned by each set's quantiles or by fixed edges)
    against ``ot`` as shipped (``space="auto"``), for all 40 grades."""
    user, feed = _tensors(case.content), _tensors(case.style)
    r = {"ot": case.score(ot_lut(case.c_px, case.s_px))}
    for key, edges in (("cells3x6x8", None), ("cells_fixed_texture", TEXTURE_EDGES)):
        matched, style = content_matched_pixels(user, feed, 150000, seed=0, texture_edges=edges)
        r[key] = case.score(ot_lut(matched.float(), style.float()))
    return r


def lever_generic(case: Case) -> dict[str, float]:
    generic = []
    for p in sorted((SHARED / "photos").glob("*.*")):
        im = Image.open(p).convert("RGB")
        im.thumbnail((256, 256))
        generic.append(np.asarray(im))
    g_px = pixels(generic, 150000, 5).float()
    r = {"ot": case.score(ot_lut(case.c_px, case.s_px, space="rgb"))}
    for share in (0.25, 0.5):
        mix = torch.cat([case.c_px, g_px[:int(len(case.c_px) * share / (1 - share))]])
        r[f"generic{share:g}"] = case.score(ot_lut(mix, case.s_px, space="rgb"))
    return r


def sinkhorn_map(x: torch.Tensor, y: torch.Tensor, *, eps: float, reach2: float | None,
                 iters: int = 100) -> torch.Tensor:
    """Barycentric map of ``x`` onto ``y`` (CIELAB) under entropic OT; unbalanced (KL) with ``reach2``."""
    cost = torch.cdist(x, y) ** 2 / 2
    la, lb = torch.full((len(x),), -np.log(len(x))), torch.full((len(y),), -np.log(len(y)))
    f, g = torch.zeros(len(x)), torch.zeros(len(y))
    lam = 1.0 if reach2 is None else reach2 / (reach2 + eps)
    for _ in range(iters):
        f = -lam * eps * torch.logsumexp((g[None] - cost) / eps + lb[None], 1)
        g = -lam * eps * torch.logsumexp((f[:, None] - cost) / eps + la[:, None], 0)
    return torch.softmax((f[:, None] + g[None] - cost) / eps + lb[None], 1) @ y


def fit_correction(start: torch.Tensor, x: torch.Tensor, target: torch.Tensor, steps: int = 300) -> torch.Tensor:
    lut = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([lut], lr=0.01)
    src, tgt = x.T.reshape(3, 1, -1), target.T.reshape(3, 1, -1)
    for _ in range(steps):
        loss = (apply_lut(src, lut) - tgt).pow(2).mean() + 1e-3 * lut_smoothness(lut - start)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return lut.detach().clamp(0, 1)


def lever_sinkhorn(case: Case) -> dict[str, float]:
    ot = ot_lut(case.c_px, case.s_px, space="rgb")
    gen = torch.Generator().manual_seed(0)
    x = case.c_px[torch.randperm(len(case.c_px), generator=gen)[:2000]]
    y = case.s_px[torch.randperm(len(case.s_px), generator=gen)[:2000]]
    r = {"ot": case.score(ot)}
    for key, reach2 in (("balanced", None), ("unbalanced", 100.0)):
        mapped = sinkhorn_map(rgb_to_lab(x), rgb_to_lab(y), eps=2.0, reach2=reach2)
        r[f"sinkhorn_{key}"] = case.score(fit_correction(ot, x, lab_to_rgb(mapped).clamp(0, 1)))
    return r


def lever_structured(case: Case) -> dict[str, float]:
    c, s, o = case.c_px, case.s_px, case.o_px
    truth = lut_pixels(case.truth.float(), c)
    return {"ot": case.score(ot_lut(c, s)), "oracle": case.score(ot_lut(c, o)),
            "family_truth": case.score(fit_least_squares(GradeFamily(), c, truth).lut()),
            "family": case.score(fit_sliced_w2(GradeFamily(), c, s).lut()),
            "family_no_hue": case.score(fit_sliced_w2(GradeFamily(hue=False), c, s).lut()),
            "family_oracle": case.score(fit_sliced_w2(GradeFamily(), c, o).lut())}


def lever_null(photos: list[np.ndarray], splits: int = 4) -> dict[str, dict[str, float]]:
    """No grade: fits between random 60 + 60 splits of plain photos, scored against the identity."""
    ident, out = identity_lut(33), {}
    for split in range(splits):
        order = np.random.default_rng(split).permutation(len(photos))
        pick = lambda lo, hi: [photos[i] for i in order[lo:hi]]  # noqa: E731
        held = pixels(pick(180, 240), 40000, 7)
        user, feed = pixels(pick(0, 60), 150000, 0), pixels(pick(60, 120), 150000, 1)
        user120 = pixels(pick(0, 60) + pick(120, 180), 150000, 0)
        fits = {"ot": ot_lut(user, feed), "ot_user_120": ot_lut(user120, feed), "reinhard": reinhard_lut(user, feed),
                "family": fit_sliced_w2(GradeFamily(), user.float(), feed.float()).lut(),
                "family_no_hue": fit_sliced_w2(GradeFamily(hue=False), user.float(), feed.float()).lut()}
        out[f"split{split}"] = {k: round(mean_de(v, ident, held), 3) for k, v in fits.items()}
        print(f"split{split}", out[f"split{split}"], flush=True)
    return out


LEVERS = {"iterations": lever_iterations, "spaces": lever_spaces, "local": lever_local,
          "retrieval": lever_retrieval, "cells": lever_cells, "cells_auto": lever_cells_auto,
          "generic": lever_generic, "sinkhorn": lever_sinkhorn, "structured": lever_structured}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lever", choices=sorted(LEVERS) + ["null"], help="a per-grade lever, or null (no grade)")
    ap.add_argument("grades", nargs="*", help="grade names, 'all', or 'half' (every other); default: 6 dev grades")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    torch.set_num_threads(2)
    names = sorted(p.stem for p in (SHARED / "luts").glob("*.png"))
    grades = {"all": names, "half": names[::2]}.get(a.grades[0], a.grades) if a.grades else DEV
    photos = [np.asarray(Image.open(p).convert("RGB")) for p in sorted((SHARED / "photos256").glob("*.jpg"))]
    if a.lever == "null":
        results = lever_null(photos)
        summary = {k: round(float(np.mean([r[k] for r in results.values()])), 3) for k in next(iter(results.values()))}
        print(summary)
        emit({"lever": "null", "splits": results, "mean": summary}, a.json)
        return
    results = {}
    for name in grades:
        results[name] = LEVERS[a.lever](Case(name, photos))
        print(name, results[name], flush=True)
    base = next(iter(next(iter(results.values()))))
    keys = list(next(iter(results.values())))
    summary = {k: {"mean": round(float(np.mean([r[k] for r in results.values()])), 3),
                   f"median_ratio_to_{base}": round(float(np.median([r[k] / r[base] for r in results.values()])), 3),
                   "better": int(sum(r[k] < r[base] for r in results.values()))} for k in keys}
    print(summary)
    emit({"lever": a.lever, "grades": results, "summary": summary}, a.json)


if __name__ == "__main__":
    main()
