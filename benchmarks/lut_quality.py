"""How well each colour-look method recovers a known film grade: GAN-learnt LUT vs OT vs Reinhard vs histogram.

    python benchmarks/lut_quality.py [--luts all | Kodak_Portra_400_2 ...] [--methods ot ot_before oracle ...]
                                     [--steps 1500] [--minutes 10] [--json out.json] [--work DIR]

For each HaldCLUT in ../shared/data/luts (``--luts all``: the 40 development grades): 60 photos (photos256) are
graded with it to make the "creator's feed" (style), 60 other photos are the user's (content), and the remaining
120 photos, plain and graded, are the held-out test (held, truth). Each method learns from style + content only,
through ``lookgan.train`` as a user would, and is scored on held vs truth: mean ΔE2000 (lower is better) and PSNR.

Methods: ``identity`` (no change), ``reinhard``, ``histogram`` (per-channel, sRGB), ``ot_before`` (the ``ot``
kind as it was before issue 18: 20 rotations, sRGB), ``ot`` (today's ``ot`` defaults), ``oracle`` (``ot`` fitted
between the content photos and *those same photos* graded: what is left is the map OT picks, not content
mismatch), ``gan`` (the ``lut`` kind, ``--steps``/``--minutes``), ``paired`` (the ``lut`` kind from before/after
pairs). ``--luts none`` grades nothing: what a method then changes is the floor that the two photo sets' own
difference puts under it. The JSON holds every grade's figures and a summary per method: mean, median and worst
grade, median and worst ratio to ``ot_before``, grades better than it, seconds. The last line printed is that
JSON.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import lookgan
from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler, load_look
from lookgan.ops.lut3d import FastLUT, identity_lut
from lookgan.use.demos import evaluate_identity
from lookgan.use.eval.truth import truth_metrics
from lookgan.use.exporting.cube import read_hald

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


#: ``--luts none``: no grade at all (the feed is 60 other plain photos). Whatever a method changes is then what
#: the two photo sets' own difference put into its fit: the floor under every unpaired method on this split.
NO_GRADE = "none"


def make_case(lut_name: str, root: Path, n: int = 60) -> Path:
    """content/, style/, held/, truth/ (and paired_after/: the content photos graded) under root/lut_name."""
    case = root / lut_name
    if (case / "truth").is_dir():
        return case
    grade = FastLUT(identity_lut(33) if lut_name == NO_GRADE else read_hald(SHARED / "luts" / f"{lut_name}.png"))
    photos = sorted((SHARED / "photos256").glob("*.jpg"))
    for sub in ("content", "style", "held", "truth", "paired_after"):
        (case / sub).mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(photos):
        img = np.asarray(Image.open(p).convert("RGB"))
        if i < n:
            Image.fromarray(img).save(case / "content" / f"{p.stem}.png")
            Image.fromarray(grade(img)).save(case / "paired_after" / f"{p.stem}.png")
        elif i < 2 * n:
            Image.fromarray(grade(img)).save(case / "style" / f"{p.stem}.png")
        else:
            Image.fromarray(img).save(case / "held" / f"{p.stem}.png")
            Image.fromarray(grade(img)).save(case / "truth" / f"{p.stem}.png")
    return case


def score(look_dir: Path, case: Path) -> dict[str, float]:
    grade = as_restyler(load_look(look_dir)).grader(ApplyOptions())
    m = truth_metrics(grade, case / "held", case / "truth", progress=False)
    return {"delta_e2000": round(m["delta_e2000"], 3), "psnr": round(m["psnr"], 2)}


def identity_score(case: Path) -> dict[str, float]:
    m = evaluate_identity(case)
    return {"delta_e2000": round(m["delta_e2000"], 3), "psnr": round(m["psnr"], 2)}


METHODS = ("identity", "reinhard", "histogram", "ot_before", "ot", "oracle", "gan", "paired")
DEFAULT_METHODS = ("identity", "reinhard", "histogram", "ot_before", "ot", "oracle", "gan")


def train_method(method: str, case: Path, out: Path, *, steps: int, minutes: float, config: Path | None) -> None:
    """One look learnt the way ``method`` names (see the module docstring)."""
    kw = {"out": out, "overwrite": True}
    if method == "histogram":
        lookgan.train("ot", case / "style", photos=case / "content", config={"method": {"iterations": 1,
                                                                                       "space": "rgb"}}, **kw)
    elif method == "ot_before":
        lookgan.train("ot", case / "style", photos=case / "content", config={"method": {"iterations": 20,
                                                                                       "space": "rgb"}}, **kw)
    elif method == "oracle":
        lookgan.train("ot", case / "paired_after", photos=case / "content", **kw)
    elif method == "gan":
        lookgan.train("lut", case / "style", photos=case / "content", config=config, steps=steps, minutes=minutes,
                      **kw)
    elif method == "paired":
        lookgan.train("lut", case / "paired_after", pairs=case / "content", steps=steps, minutes=minutes, **kw)
    else:
        lookgan.train(method, case / "style", photos=case / "content", **kw)


def summarise(results: dict[str, dict[str, dict[str, float]]], base: str = "ot_before") -> dict[str, dict[str, Any]]:
    """Per method: mean, median and worst ΔE2000 over grades, ratios to ``base``, wins, mean seconds."""
    out: dict[str, dict[str, Any]] = {}
    methods = {m for r in results.values() for m in r}
    for m in sorted(methods, key=METHODS.index):
        rows = {g: r[m] for g, r in results.items() if m in r}
        de = {g: v["delta_e2000"] for g, v in rows.items()}
        worst = max(de, key=de.get)
        s: dict[str, Any] = {"grades": len(de), "mean": round(float(np.mean(list(de.values()))), 3),
                             "median": round(float(np.median(list(de.values()))), 3),
                             "worst": [worst, de[worst]],
                             "seconds": round(float(np.mean([v.get("seconds", 0.0) for v in rows.values()])), 1)}
        ratios = {g: de[g] / results[g][base]["delta_e2000"] for g in de if base in results[g]}
        if ratios and m != base:
            worst_r = max(ratios, key=ratios.get)
            s.update(median_ratio=round(float(np.median(list(ratios.values()))), 3),
                     worst_ratio=[worst_r, round(ratios[worst_r], 3)],
                     better=sum(r < 1.0 for r in ratios.values()))
        out[m] = s
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--luts", nargs="+", default=["Kodak_Portra_400_2", "Fuji_Velvia_50", "Polaroid_669_3",
                                                  "Creative_TealOrange1"],
                    help=f"grade names, 'all', or '{NO_GRADE}' (no grade: the sets' own difference)")
    ap.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--config", type=Path, help="YAML for the lut method (method:/train: sections)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--work", type=Path, help="keep cases and looks here (default: a temporary folder)")
    a = ap.parse_args()
    names = sorted(p.stem for p in (SHARED / "luts").glob("*.png")) if a.luts == ["all"] else a.luts
    work = a.work or Path(tempfile.mkdtemp(prefix="lookgan-quality-"))
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in names:
        case = make_case(name, work / "cases")
        res: dict[str, dict[str, float]] = {}
        for method in a.methods:
            if method == "identity":
                res[method] = identity_score(case)
                continue
            out = work / "looks" / f"{name}-{method}.look"
            t0 = time.perf_counter()
            train_method(method, case, out, steps=a.steps, minutes=a.minutes, config=a.config)
            res[method] = {**score(out, case), "seconds": round(time.perf_counter() - t0, 1)}
            print(name, method, res[method], flush=True)
        results[name] = res
        shutil.rmtree(work / "looks", ignore_errors=True)
        if a.work is None:
            shutil.rmtree(case, ignore_errors=True)
    summary = summarise(results) if any("ot_before" in r for r in results.values()) else {}
    for m, s in summary.items():
        print(m, s, flush=True)
    if a.work is None:
        shutil.rmtree(work, ignore_errors=True)
    emit({"grades": results, "summary": summary}, a.json)


if __name__ == "__main__":
    main()
