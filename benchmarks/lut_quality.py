"""How well each colour-look method recovers a known film grade: GAN-learnt LUT vs OT vs Reinhard vs histogram.

    python benchmarks/lut_quality.py [--luts Kodak_Portra_400_2 Polaroid_669_3] [--steps 1500] [--minutes 10]
                                     [--paired] [--json out.json] [--work DIR]

For each HaldCLUT in ../shared/data/luts: 60 photos (photos256) are graded with it to make the "creator's feed"
(style), 60 other photos are the user's (content), and the remaining photos, plain and graded, are the held-out
test (held, truth). Each method learns from style + content only and is scored on held vs truth: mean ΔE2000
(lower is better) and PSNR. ``--paired`` also trains the paired mode on the content photos and their graded
versions. The last line printed is the JSON object {lut: {method: {"delta_e2000", "psnr", "seconds"}}}.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import lookgan
from lookgan.capabilities import ApplyOptions
from lookgan.look import as_restyler
from lookgan.demos import evaluate_identity
from lookgan.eval.truth import truth_metrics
from lookgan.exporting.cube import read_hald
from lookgan.look import load_look
from lookgan.ops.lut3d import FastLUT

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def make_case(lut_name: str, root: Path, n: int = 60) -> Path:
    """content/, style/, held/, truth/ (and paired_after/: the content photos graded) under root/lut_name."""
    case = root / lut_name
    if (case / "truth").is_dir():
        return case
    grade = FastLUT(read_hald(SHARED / "luts" / f"{lut_name}.png"))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--luts", nargs="+", default=["Kodak_Portra_400_2", "Fuji_Velvia_50", "Polaroid_669_3",
                                                  "Creative_TealOrange1"])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--paired", action="store_true")
    ap.add_argument("--config", type=Path, help="YAML for the lut method (method:/train: sections)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--work", type=Path, help="keep cases and looks here (default: a temporary folder)")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="lookgan-quality-"))
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in a.luts:
        case = make_case(name, work / "cases")
        res: dict[str, dict[str, float]] = {"identity": identity_score(case)}
        runs = [("reinhard", {}), ("histogram", {}), ("ot", {}), ("gan", {"steps": a.steps, "minutes": a.minutes})]
        for method, kw in runs:
            out = work / "looks" / f"{name}-{method}.look"
            t0 = time.perf_counter()
            if method == "histogram":
                lookgan.train("ot", case / "style", photos=case / "content", out=out, overwrite=True,
                              config={"method": {"iterations": 1}})
            elif method == "gan":
                lookgan.train("lut", case / "style", photos=case / "content", out=out, overwrite=True,
                              config=a.config, **kw)
            else:
                lookgan.train(method, case / "style", photos=case / "content", out=out, overwrite=True)
            res[method] = {**score(out, case), "seconds": round(time.perf_counter() - t0, 1)}
            print(name, method, res[method], flush=True)
        if a.paired:
            out = work / "looks" / f"{name}-paired.look"
            t0 = time.perf_counter()
            lookgan.train("lut", case / "paired_after", pairs=case / "content", out=out, overwrite=True,
                          steps=a.steps, minutes=a.minutes)
            res["paired"] = {**score(out, case), "seconds": round(time.perf_counter() - t0, 1)}
            print(name, "paired", res["paired"], flush=True)
        results[name] = res
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(results, indent=2))
    if a.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
