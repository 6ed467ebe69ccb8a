"""Issue 38: the ``lut`` kind's *trained, shipped* look against its gated start, the GAN stage's levers, and feeds
whose grade depends on the scene.

    python benchmarks/lut_default.py [--cases none Kodak_Portra_400_2 ...] [--gan-steps 300] [--json out.json]
    python benchmarks/lut_default.py --merge run1.json run2.json ... --json docs/results/lut_default.json

Each case is a known answer built from ../shared/data/photos256 (research-only: never shipped). Split 0 of
``grade_prior.py`` (a seeded permutation of the 240 photos): 60 plain photos are the user's, the next 60 graded
are the feed, the last 120 are held out and graded the same way as the truth. A case is a film grade name
(``none``: no grade), or ``A+B``: a **scene-dependent** feed, written down as the rule "a frame brighter than the
median of all 240 plain photos (mean relative luminance) gets grade A, a darker one grade B" (day and night).
Every look is trained by ``lookgan.train`` from the written folders, applied to the held-out photos as a user's
photos are, and scored as mean ΔE2000 to the truth over images (:func:`lookgan.use.eval.truth.truth_metrics`).

Methods (``--methods``):

- ``ot``: the ``ot`` kind (plain optimal transport, the baseline);
- ``start``: ``lut`` with ``gan: off, scenes: false``: the gated start alone;
- ``split``: ``lut`` with ``gan: off``: the start with the scene test (one fit per group when it fires);
- ``default``: ``lut`` as shipped (``gan: off``: the gated start, scene-split where the test fires);
- ``gan_before``: the GAN stage as it was before issue 38 (``gan: on``, no evidence scaling, RGB anchor, global
  start): what the issue measured;
- ``gan_evidence``, ``gan_lab``, ``gan_both``: the GAN on the global start with the adversarial weight scaled by
  the prior's evidence, the anchor in CIELAB, or both;
- ``gan_auto``: ``gan: auto``, the GAN stage where the scene test fires (the default before it was measured);
- ``preset``: the ``preset`` kind as shipped (its colour starts from the same gated fit);
- ``split_gan_all``: the scene-split start with a GAN that may change the LUTs too (``gan_learns: all``);
- ``gan_curve``, ``gan_curve_both``, ``split_gan_curve``: early stopping with hindsight: ``gan_before``,
  ``gan_both`` and the scene-split GAN stage scored at every 25th step (the ``curve``: the best any stopping rule
  could do).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import emit  # noqa: E402
import lookgan  # noqa: E402
from lookgan.kinds.capabilities import ApplyOptions  # noqa: E402
from lookgan.kinds.look import as_restyler, load_look  # noqa: E402
from lookgan.ops.lut3d import apply_lut, identity_lut  # noqa: E402
from lookgan.prior.scenes import brightness, image_pixels  # noqa: E402
from lookgan.use.eval.truth import truth_metrics  # noqa: E402
from lookgan.use.exporting.cube import read_hald  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GLOBAL = {"scenes": False}
LEVERS = {
    "ot": ("ot", {}),
    "start": ("lut", {"gan": "off", **GLOBAL}),
    "split": ("lut", {"gan": "off"}),
    "default": ("lut", {}),
    "gan_before": ("lut", {"gan": "on", "adversarial_evidence": False, "anchor_space": "rgb", **GLOBAL}),
    "gan_evidence": ("lut", {"gan": "on", "anchor_space": "rgb", **GLOBAL}),
    "gan_lab": ("lut", {"gan": "on", "adversarial_evidence": False, **GLOBAL}),
    "gan_both": ("lut", {"gan": "on", **GLOBAL}),
    "split_gan_all": ("lut", {"gan": "on", "gan_learns": "all"}),
    # early stopping with hindsight: the GAN stage as before, scored at every 25th step against the truth
    "gan_curve": ("lut", {"gan": "on", "adversarial_evidence": False, "anchor_space": "rgb", **GLOBAL}),
    "gan_curve_both": ("lut", {"gan": "on", **GLOBAL}),
    "split_gan_curve": ("lut", {"gan": "on"}),
    "gan_auto": ("lut", {"gan": "auto"}),
    # the preset's colour starts from the same gated fit: does a later stage (overlay, rings, grain) undo it?
    "preset": ("preset", {}),
}
CURVE_EVERY = 25


def _read(path: Path) -> torch.Tensor:
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy()).permute(2, 0, 1)


def _save(img: torch.Tensor, path: Path) -> None:
    Image.fromarray(img.permute(1, 2, 0).numpy()).save(path)


def _grade(img: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
    return (apply_lut(img.float() / 255, lut).clamp(0, 1) * 255 + 0.5).to(torch.uint8)


def grade_rule(case: str, photos: list[torch.Tensor]):
    """The case's grade for each plain photo: one LUT, or the day/night rule of ``A+B``."""
    if "+" not in case:
        lut = identity_lut(33) if case == "none" else read_hald(SHARED / "luts" / f"{case}.png")
        return lambda img: lut
    a, b = (read_hald(SHARED / "luts" / f"{n}.png") for n in case.split("+"))
    median = float(np.median([brightness(p) for p in image_pixels(photos, 1500, 0)]))
    return lambda img: a if brightness(image_pixels([img], 1500, 0)[0]) > median else b


def write_case(root: Path, case: str, photos: list[torch.Tensor], split: int, feed: int) -> Path:
    order = np.random.default_rng(split).permutation(len(photos))
    rule = grade_rule(case, photos)
    folders = {"photos": order[:60], "feed": order[60:60 + feed], "held": order[120:]}
    for name, idx in folders.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in idx:
            img = photos[i]
            _save(img if name != "feed" else _grade(img, rule(img)), root / name / f"{i:03d}.png")
    (root / "truth").mkdir(exist_ok=True)
    for i in folders["held"]:
        _save(_grade(photos[i], rule(photos[i])), root / "truth" / f"{i:03d}.png")
    return root


def run_method(root: Path, name: str, gan_steps: int) -> dict:
    kind, options = LEVERS[name]
    out = root / f"{name}.look"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    curve = "gan_curve" in name
    train = {"checkpoint_every": CURVE_EVERY, "keep_last": 1000} if curve else {}
    result = lookgan.train(kind, root / "feed", photos=root / "photos", out=out, steps=gan_steps if kind == "lut"
                           else None, config={"method": options, "train": train})  # preset: its own defaults
    seconds = time.monotonic() - t0
    grade = as_restyler(load_look(out)).grader(ApplyOptions())
    de = truth_metrics(grade, root / "held", root / "truth", progress=False)["delta_e2000"]
    if curve:
        return {"curve": score_checkpoints(root, out), "delta_e2000": round(de, 3), "steps": result.step}
    data = json.loads((out / "look.json").read_text())["data"]
    row = {"delta_e2000": round(de, 3), "steps": result.step, "seconds": round(seconds, 1)}
    for key in ("colour_stage", "scenes"):
        if key in data:
            row[key] = data[key]
    if "colour_prior" in data:
        row["p_no_grade"] = data["colour_prior"].get("p_no_grade")
    return row


def score_checkpoints(root: Path, out: Path) -> dict[int, float]:
    """ΔE2000 to the truth of the look at each checkpoint (the ``start`` method is the look before any step)."""
    from lookgan.kinds.colour.look import LUTRestyler
    from lookgan.training.checkpoint import list_checkpoints, load_checkpoint

    look = load_look(out)
    model = look.build()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    scores = {}
    for step, path in sorted(list_checkpoints(out / "checkpoints")):
        tensors = load_checkpoint(path).tensors
        state = {k[len("net.lut."):]: v for k, v in tensors.items() if k.startswith("net.lut.")}
        model.load_state_dict({**start, **state})
        grade = LUTRestyler(look, model).grader(ApplyOptions())
        scores[step] = round(truth_metrics(grade, root / "held", root / "truth", progress=False)["delta_e2000"], 3)
    return scores


def merge(paths: list[Path]) -> dict:
    """Several runs' results in one (a case's methods side by side; a later file's row wins) and, per case, each
    method's ratio to the gated start and to plain OT."""
    results: dict[str, dict] = {}
    runs = []
    for path in paths:
        data = json.loads(path.read_text())
        runs.append({"file": path.name, "gan_steps": data.get("gan_steps")})
        for case, rows in data["results"].items():
            results.setdefault(case, {}).update(rows)
    ratios = {}
    for case, rows in results.items():
        base = {k: rows[k]["delta_e2000"] for k in ("start", "ot") if k in rows}
        ratios[case] = {m: {f"vs_{k}": round(r["delta_e2000"] / v, 3) for k, v in base.items() if v > 0}
                        for m, r in rows.items() if "delta_e2000" in r}
    return {"results": results, "ratios": ratios, "runs": runs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=["none", "Kodak_Portra_400_2", "Creative_TealOrange1",
                                                   "Agfa_Vista_200+Fuji_Superia_200_XPRO",
                                                   "Creative_LateSunset+Creative_TealOrange1",
                                                   "Kodak_Kodachrome_64+Lomography_X-Pro_Slide_200"])
    ap.add_argument("--methods", nargs="+", default=list(LEVERS),
                    help="the methods to run (split levers on scene cases only; on a global case 'split' is "
                         "the default unless the scene test fires, so it runs on scene cases only too)")
    ap.add_argument("--gan-steps", type=int, default=300, help="steps of every GAN stage (shipped: 2000)")
    ap.add_argument("--split", type=int, default=0)
    ap.add_argument("--feed", type=int, default=60)
    ap.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / "out" / "lut_default")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--merge", type=Path, nargs="+", help="only merge these runs' JSON into --json, with ratios")
    a = ap.parse_args()
    if a.merge:
        emit(merge(a.merge), a.json)
        return
    photos = [_read(p) for p in sorted((SHARED / "photos256").glob("*.jpg"))]
    results: dict[str, dict] = {}
    for case in a.cases:
        root = write_case(a.work / f"{case}-split{a.split}-feed{a.feed}", case, photos, a.split, a.feed)
        results[case] = {}
        for name in a.methods:
            if name.startswith("split") and "+" not in case:
                continue  # the split levers need a scene-dependent feed
            if name.startswith("gan_") and name != "gan_before" and "+" in case:
                continue  # the levers on the global start are compared on global grades
            results[case][name] = run_method(root, name, a.gan_steps)
            print(case, name, results[case][name], flush=True)
            if a.json is not None:  # nothing lost if a later run is interrupted
                a.json.parent.mkdir(parents=True, exist_ok=True)
                a.json.write_text(json.dumps({"results": results, "gan_steps": a.gan_steps}, indent=2) + "\n")
    emit({"results": results, "gan_steps": a.gan_steps, "split": a.split, "feed": a.feed}, a.json)


if __name__ == "__main__":
    main()
