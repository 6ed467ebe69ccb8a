"""Is bf16 worth it per kind? The same CPU minutes in float32 and in bf16 autocast, scored on held-out data.

    python benchmarks/precision.py --kinds cut fastcut --generators dcgan fastgan --minutes 5 --seeds 0 1 \\
        [--set vangogh] [--work benchmarks/out/precision] [--json docs/results/precision.json]

Every kind trains with its defaults except ``amp``, for ``--minutes`` of wall clock per run. Translator kinds
(``--kinds``) train on the ``translate_quality.py`` set (Van Gogh paintings as the style, photos256 as the
photos, their last 40 held out); ``lookgan.evaluate`` then scores the held-out results against the style set
(SWD, colour SWD: lower is closer to the style; content SSIM). Generator kinds (``--generators``) train on the
first 100 portraits of ../shared/data/faces at 64 px, as ``fewshot.py`` does, and as many images as there are
held-out portraits are generated (seed 0) and scored against them (SWD, colour SWD). ``--speed-kinds`` only
counts steps: each kind trains twice per setting for ``--speed-seconds`` on 30 + 30 photos of photos256 (for
kinds whose default stops at a step count, where a faster step shortens the run rather than lengthening it).

Runs alternate float32 / bf16 within each seed, so a noisy machine hurts both alike. Per kind: steps per minute
in each setting (the speed-up), the mean of each score over seeds, and ``bf16_ok``, the rule for making bf16 a
kind's default (:func:`bf16_ok`). The last line printed is the JSON.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from functools import partial
from pathlib import Path

import torch

import lookgan
from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from fewshot import split_faces
from lookgan.use.eval.evaluation import EvalOptions, load_image_set, set_metrics
from translate_quality import SHARED, prepare

TRANSLATOR_SCORES = ("swd", "color_swd", "content_ssim")
GENERATOR_SCORES = ("swd", "color_swd")


def run(kind: str, amp: str, seed: int, minutes: float, folders: dict[str, Path], work: Path) -> dict:
    """Train a translator kind for ``minutes`` and score its held-out results against the style set."""
    look = work / f"{kind}-{amp}-seed{seed}.look"
    t0 = time.monotonic()
    trained = lookgan.train(kind, folders["style"], photos=folders["photos"], out=look, steps=1_000_000,
                            minutes=minutes, seed=seed, overwrite=True, config={"train": {"amp": amp}})
    seconds = time.monotonic() - t0
    m = lookgan.evaluate(look, photos=folders["held"], style=folders["style"], faces=False, progress=False,
                         out=work / f"{kind}-{amp}-seed{seed}-report" / "report.html")
    row = {"steps": trained.step, "train_s": round(seconds, 1), **{k: m[k] for k in TRANSLATOR_SCORES}}
    print(kind, amp, seed, row, flush=True)
    return row


def run_generator(kind: str, amp: str, seed: int, minutes: float, faces: Path, held: torch.Tensor,
                  work: Path) -> dict:
    look = work / f"{kind}-{amp}-seed{seed}.look"
    t0 = time.monotonic()
    trained = lookgan.train(kind, faces, out=look, size=64, steps=1_000_000, minutes=minutes, seed=seed,
                            overwrite=True, config={"train": {"amp": amp}})
    seconds = time.monotonic() - t0
    generated = ((lookgan.generate_images(look, len(held), seed=0) + 1) / 2).clamp(0, 1)
    m = set_metrics(generated, held, options=EvalOptions(size=64, progress=False))
    row = {"steps": trained.step, "train_s": round(seconds, 1), **{k: round(m[k], 4) for k in GENERATOR_SCORES}}
    print(kind, amp, seed, row, flush=True)
    return row


def speed(kind: str, seconds: float, work: Path) -> dict:
    """Steps in ``seconds`` of training, float32 and bf16 alternating, twice each."""
    photos = sorted((SHARED / "photos256").iterdir())
    for name, chosen in (("style", photos[:30]), ("photos", photos[30:60])):
        (work / name).mkdir(parents=True, exist_ok=True)
        for path in chosen:
            (work / name / path.name).write_bytes(path.read_bytes())
    steps: dict[str, list[int]] = {"none": [], "bf16": []}
    for _ in range(2):
        for amp in steps:
            trained = lookgan.train(kind, work / "style", photos=work / "photos", out=work / f"{kind}-{amp}.look",
                                    steps=1_000_000, minutes=seconds / 60, overwrite=True,
                                    config={"train": {"amp": amp, "sample_every": 0}})
            steps[amp].append(trained.step)
    row = {"steps": steps, "seconds": seconds,
           "speedup": round(statistics.mean(steps["bf16"]) / statistics.mean(steps["none"]), 2)}
    print(kind, row, flush=True)
    return row


def summarise(rows: dict[str, list[dict]], minutes: float) -> dict:
    out: dict = {}
    for amp, runs in rows.items():
        scores = [k for k in TRANSLATOR_SCORES if k in runs[0]]
        out[amp] = {"steps_per_min": round(statistics.mean(r["steps"] for r in runs) / minutes, 1),
                    **{k: round(statistics.mean(r[k] for r in runs), 4) for k in scores}, "runs": runs}
    out["speedup"] = round(out["bf16"]["steps_per_min"] / out["none"]["steps_per_min"], 2)
    out["bf16_ok"] = bf16_ok(rows)
    return out


def bf16_ok(rows: dict[str, list[dict]]) -> bool:
    """bf16's mean SWD at most float32's in the same minutes, and no other score worse in every seed (colour SWD
    higher, content SSIM lower): one clearly worse score is enough to keep float32."""
    none, bf16 = rows["none"], rows["bf16"]
    if statistics.mean(r["swd"] for r in bf16) > statistics.mean(r["swd"] for r in none):
        return False
    worse = {"color_swd": lambda b, f: b > f, "content_ssim": lambda b, f: b < f}
    return not any(all(is_worse(b[k], f[k]) for b, f in zip(bf16, none))
                   for k, is_worse in worse.items() if k in none[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", nargs="*", default=["cut", "fastcut"], help="translator kinds")
    ap.add_argument("--generators", nargs="*", default=[], help="generator kinds")
    ap.add_argument("--minutes", type=float, default=1.5)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--speed-kinds", nargs="*", default=[], help="kinds whose steps are only counted")
    ap.add_argument("--speed-seconds", type=float, default=45.0)
    ap.add_argument("--set", dest="name", default="vangogh")
    ap.add_argument("--work", type=Path, default=Path("benchmarks/out/precision"))
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    result: dict = {"set": a.name, "minutes": a.minutes, "seeds": a.seeds, "kinds": {},
                    "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"}
    runners = {}
    if a.kinds:
        folders = prepare(a.name, a.work)
        runners.update({kind: partial(run, kind, folders=folders, work=a.work / a.name) for kind in a.kinds})
    if a.generators:
        faces, held_dir = split_faces(100, a.work / "faces")
        held, _ = load_image_set(held_dir, 64, what="held-out portraits", progress=False)
        runners.update({kind: partial(run_generator, kind, faces=faces, held=held, work=a.work / "faces")
                        for kind in a.generators})
    for kind in a.speed_kinds:
        result["kinds"][kind] = speed(kind, a.speed_seconds, a.work / "speed")
    for kind, train_and_score in runners.items():
        rows: dict[str, list[dict]] = {"none": [], "bf16": []}
        for seed in a.seeds:
            for amp in rows:
                rows[amp].append(train_and_score(amp=amp, seed=seed, minutes=a.minutes))
        result["kinds"][kind] = summarise(rows, a.minutes)
        k = result["kinds"][kind]
        print(f"{kind}: bf16 {k['speedup']}x steps; SWD float32 {k['none']['swd']} vs bf16 {k['bf16']['swd']}",
              flush=True)
    emit(result, a.json)


if __name__ == "__main__":
    main()
