"""The ``preset`` kind against a global optimal-transport LUT on looks with radial overlays and grain.

For each case of benchmarks/preset_cases.py (make them first) it fits ``ot``, the *ring baseline* (optimal
transport separately per ring of distance from the centre, no learning: :func:`ring_baseline`) and one or more
``preset`` variants on style/ + content/, applies them to held/ and scores against truth/:

* ``delta_e2000``: mean CIEDE2000 to the truth (full resolution; on grain cases also on 4x-downscaled images,
  ``delta_e2000_small``, where grain averages out and colour and vignette remain);
* ``profile_error``: mean |L*(ring) - L*(centre)| difference to the truth over 8 rings from centre to corners
  (how well the vignette/gradient is reproduced, whatever the colour);
* ``grain_energy``: fine high-pass energy of the luma, result / truth (1 = right amount);
* ``grain_size``: grain size fitted on the result / on the truth (both against the plain held photos);
* ``export``: the same scores for what ffmpeg and the editors get from a look with a radial colour layer (its
  global LUT with the overlay and the grain: the ring LUTs dropped), and ``export_vs_apply`` the mean ΔE2000
  between that and ``lookgan apply``'s result.

    python benchmarks/preset_cases.py --out /tmp/preset-cases
    python benchmarks/preset_quality.py --cases /tmp/preset-cases --json docs/results/preset_quality.json
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lookgan  # noqa: E402
from _emit import emit  # noqa: E402
from lookgan.data.images import as_float, list_images, read_image  # noqa: E402
from lookgan.kinds.capabilities import ApplyOptions  # noqa: E402
from lookgan.kinds.look import Look, as_restyler  # noqa: E402
from lookgan.kinds.preset.fit import fit_grain, grain_stats, ring_ot_luts  # noqa: E402
from lookgan.kinds.preset.network import frame_grid, radial_colour, ring_distance, ring_edges  # noqa: E402
from lookgan.ops.color import delta_e2000_rgb  # noqa: E402
from lookgan.ops.encoder import thumbnail  # noqa: E402
from lookgan.ops.lut3d import apply_lut  # noqa: E402
from lookgan.use.eval.frame import lab_profile  # noqa: E402

VARIANTS = {"preset": {}, "before": {"rings": 0, "critic": 0.05, "grain_calibrate": False, "prior": False},
            "rings0": {"rings": 0}, "rings8": {"rings": 8}, "critic": {"critic": 0.05}, "no-critic": {"critic": 0.0},
            "no-calibration": {"grain_calibrate": False},
            "frozen-lut": {"lr_lut": 1e-8}, "anchor": {"anchor": 100.0}, "overlay-first": {"order": "overlay_first"},
            "colour-first": {"order": "colour_first"}}
#: Rings of the ring baseline and the squashed frame size it fits on (the preset's defaults: the same fit).
RINGS, FRAME = 4, 96


def _frames(folder: Path) -> torch.Tensor:
    return torch.cat([thumbnail(torch.from_numpy(as_float(read_image(p, keep_8bit=True))).permute(2, 0, 1)[None],
                                FRAME) for p in list_images(folder)])


def ring_baseline(case: Path, *, blend: bool):
    """OT per ring of distance from the centre (4 equal-area rings, corners at 1, an ellipse that follows the
    frame), fitted on whole frames squashed to 96 px by the preset's own :func:`ring_ot_luts`; each pixel takes
    its ring's LUT (``blend``: the LUTs blended between the rings' middles, the preset's radial colour layer
    with no overlay and no training)."""
    luts = ring_ot_luts(_frames(case / "content"), _frames(case / "style"), RINGS, n=33, pixels=60_000,
                        iterations=20)

    def grade(image: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(as_float(image)).permute(2, 0, 1)[None]
        gx, gy = frame_grid(*x.shape[-2:])
        with torch.no_grad():
            if blend:
                out = radial_colour(x, luts, gx, gy)
            else:
                ring = torch.bucketize(ring_distance(gx, gy), ring_edges(RINGS)[1:-1])  # equal-area rings
                out = torch.zeros_like(x)
                for k in range(RINGS):
                    out = torch.where(ring == k, apply_lut(x, luts[k]), out)
        return (out[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)

    return grade


def l_profile(image: np.ndarray, rings: int = 8) -> np.ndarray:
    """Mean L* per ring (equal-area rings of the normalised distance, corners at 1), minus the centre ring's."""
    prof = lab_profile(image, rings)[:, 0]
    return prof - prof[0]


def small(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return np.asarray(Image.fromarray(image).resize((max(1, w // 4), max(1, h // 4)), Image.Resampling.BOX))


def score(grade, case: Path, grain: bool) -> dict[str, float]:
    de, de_small, prof = [], [], []
    results, truths, helds = [], [], []
    for path in list_images(case / "held"):
        held = read_image(path, keep_8bit=True)
        truth = read_image(case / "truth" / path.name, keep_8bit=True)
        out = grade(held)
        t = lambda a: torch.from_numpy(as_float(a))  # noqa: E731
        de.append(float(delta_e2000_rgb(t(out), t(truth)).mean()))
        prof.append(float(np.abs(l_profile(out) - l_profile(truth)).mean()))
        if grain:
            de_small.append(float(delta_e2000_rgb(t(small(out)), t(small(truth))).mean()))
            results.append(t(out).permute(2, 0, 1)[None])
            truths.append(t(truth).permute(2, 0, 1)[None])
            helds.append(t(held).permute(2, 0, 1)[None])
    m = {"delta_e2000": float(np.mean(de)), "profile_error": float(np.mean(prof))}
    if grain:
        s_out, s_truth, s_held = grain_stats(results), grain_stats(truths), grain_stats(helds)
        m["delta_e2000_small"] = float(np.mean(de_small))
        m["grain_energy"] = float(s_out.fine.sum() / s_truth.fine.sum())
        f_out, f_truth = fit_grain(s_out, s_held), fit_grain(s_truth, s_held)
        m["grain_size"] = f_out.size_px / f_truth.size_px
        m["grain_amount"] = float(np.mean(f_out.amounts) / max(np.mean(f_truth.amounts), 1e-9))
    return m


def without_rings(look: Look) -> Look:
    """``look`` with its ring LUTs dropped: the global LUT, the overlay and the grain (what exports carry)."""
    tensors = dict(look.tensors)
    tensors["ring_luts"] = tensors["lut"].new_zeros((0, *tensors["lut"].shape))
    return Look(path=look.path, kind=look.kind, config=look.config, meta=dict(look.meta), tensors=tensors)


def apply_gap(a, b, case: Path) -> float:
    """Mean ΔE2000 between two graders' results on the held photos."""
    gaps = []
    for path in list_images(case / "held"):
        held = read_image(path, keep_8bit=True)
        gaps.append(float(delta_e2000_rgb(torch.from_numpy(as_float(a(held))),
                                          torch.from_numpy(as_float(b(held)))).mean()))
    return float(np.mean(gaps))


def run_case(case: Path, *, steps: int, minutes: float, variants: list[str], seed: int,
             keep: Path | None = None) -> dict:
    grain = "grain" in case.name
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        if keep is not None:
            tmp = str(keep / case.name)
            Path(tmp).mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        lookgan.train("ot", case / "style", photos=case / "content", out=Path(tmp) / "ot.look", overwrite=True)
        ot_s = time.monotonic() - t0
        result["ot"] = {**score(as_restyler(Path(tmp) / "ot.look").grader(ApplyOptions()), case, grain),
                        "train_s": round(ot_s, 1)}
        print(case.name, "ot", result["ot"], flush=True)
        for name, blend in (("rings", False), ("rings-blended", True)):
            t0 = time.monotonic()
            grade = ring_baseline(case, blend=blend)
            result[name] = {**score(grade, case, grain), "train_s": round(time.monotonic() - t0, 1)}
            print(case.name, name, result[name], flush=True)
        for name in variants:
            t0 = time.monotonic()
            r = lookgan.train("preset", case / "style", photos=case / "content", out=Path(tmp) / f"{name}.look",
                              overwrite=True, steps=steps, minutes=minutes, seed=seed, method_options=VARIANTS[name])
            look = lookgan.load_look(Path(tmp) / f"{name}.look")
            result[name] = {**score(as_restyler(look).grader(ApplyOptions()), case, grain),
                            "train_s": round(time.monotonic() - t0, 1), "steps": r.step,
                            "order": look.build().order, "settings": look.build().values()}
            if look.build().rings:
                plain = as_restyler(without_rings(look)).grader(ApplyOptions())
                result[name]["export"] = score(plain, case, grain)
                result[name]["export_vs_apply"] = apply_gap(plain, as_restyler(look).grader(ApplyOptions()), case)
            print(case.name, name, {k: v for k, v in result[name].items() if k != "settings"}, flush=True)
    for name in ["rings", "rings-blended", *variants]:
        ot, ring = result["ot"], result["rings"]
        result[name]["vs_ot"] = {k: round(result[name][k] / max(ot[k], 1e-9), 3)
                                 for k in ("delta_e2000", "profile_error", "delta_e2000_small") if k in ot}
        result[name]["vs_rings"] = {k: round(result[name][k] / max(ring[k], 1e-9), 3)
                                    for k in ("delta_e2000", "delta_e2000_small") if k in ring}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=Path, required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--variants", nargs="*", default=["preset", "before"])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", type=Path, help="keep the trained looks here (one folder per case)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    cases = [p for p in sorted(args.cases.iterdir()) if p.is_dir() and (not args.only or p.name in args.only)]
    out = {"benchmark": "preset_quality", "steps": args.steps, "minutes": args.minutes,
           "cases": {c.name: run_case(c, steps=args.steps, minutes=args.minutes, variants=args.variants,
                                      seed=args.seed, keep=args.keep) for c in cases}}
    emit(out, args.json)


if __name__ == "__main__":
    main()
