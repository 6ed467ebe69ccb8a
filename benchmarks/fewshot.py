"""Few-shot generation: DCGAN (the baseline) vs FastGAN for the same CPU wall-clock budget on the same images.

    python benchmarks/fewshot.py --minutes 20 --train DIR --held DIR --json OUT.json [--size 64]
                                 [--kinds dcgan fastgan] [--out docs/results/fewshot]
    python benchmarks/fewshot.py --faces 100 --minutes 20 --json docs/results/fewshot.json   # ../shared/data/faces

``--faces N`` splits ../shared/data/faces: the first N portraits (by name) train, the rest are held-out reals.
Each kind trains with its own defaults (DCGAN: batch 16, non-saturating loss, no augmentation, as the seed
had it; FastGAN: batch 8, hinge, DiffAugment) for ``--minutes``; then as many images as there are held-out
reals are generated (seed 0) and compared with them: SWD and colour distance (``lookgan.use.eval``), and the
memorisation check: ``nn_gen`` / ``nn_held`` = median distance of generated / held-out real images to their
nearest training image (ratio ~1: new images; well below 1: copies). Sample sheets (64 images) and
nearest-neighbour sheets go to ``--out``. The last line printed is the JSON:
``{"dcgan": {"swd": ..., "nn_gen": ..., "nn_held": ..., "steps": ...}, "fastgan": {...}, ...}``.
"""
from __future__ import annotations

import argparse
import platform
import shutil
import time
from pathlib import Path

import torch

import lookgan
from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from lookgan.data.images import list_images, save_image
from lookgan.ops.viz import make_grid
from lookgan.use.eval.evaluation import EvalOptions, load_image_set, set_metrics
from lookgan.use.eval.memorisation import memorisation
from lookgan.use.generating import nearest_sheet

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def split_faces(n_train: int, work: Path) -> tuple[Path, Path]:
    faces = list_images(SHARED / "faces")
    train, held = work / "train", work / "held"
    for folder, paths in ((train, faces[:n_train]), (held, faces[n_train:])):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for p in paths:
            (folder / p.name).write_bytes(p.read_bytes())
    return train, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--train", type=Path)
    parser.add_argument("--held", type=Path)
    parser.add_argument("--faces", type=int, help="use ../shared/data/faces: this many train, the rest held out")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--kinds", nargs="+", default=["dcgan", "fastgan"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/fewshot"))
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out/fewshot-work"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.faces:
        args.train, args.held = split_faces(args.faces, args.work)
    if args.train is None or args.held is None:
        raise SystemExit("give --train DIR and --held DIR (or --faces N)")
    options = EvalOptions(size=args.size, progress=False)
    held, _ = load_image_set(args.held, args.size, what="held-out images", progress=False)
    train, _ = load_image_set(args.train, args.size, what="training images", progress=False)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {}
    for kind in args.kinds:
        look = args.work / f"{kind}.look"
        t0 = time.monotonic()
        trained = lookgan.train(kind, args.train, out=look, size=args.size, steps=1_000_000, minutes=args.minutes,
                                overwrite=True)
        seconds = time.monotonic() - t0
        generated = ((lookgan.generate_images(look, len(held), seed=0) + 1) / 2).clamp(0, 1)
        metrics = set_metrics(generated, held, options=options)
        mem = memorisation(generated, train, held)
        save_image(make_grid(generated[:64] * 2 - 1, nrow=8), args.out / f"{kind}-samples.png")
        nearest_sheet(generated[:16] * 2 - 1, args.train, args.out / f"{kind}-nearest.png")
        results[kind] = {"swd": round(metrics["swd"], 3), "color_swd": round(metrics["color_swd"], 3),
                         **{k: round(mem[k], 4) for k in ("nn_gen", "nn_held", "nn_ratio", "copy_rate")},
                         "steps": trained.step, "train_s": round(seconds, 1)}
        print(kind, results[kind], flush=True)
    real_floor = set_metrics(train, held, options=options)  # training reals vs held-out reals: the SWD floor
    results.update({"reals_vs_held": {"swd": round(real_floor["swd"], 3),
                                      "color_swd": round(real_floor["color_swd"], 3)},
                    "minutes": args.minutes, "size": args.size, "n_train": len(train), "n_held": len(held),
                    "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"})
    if "dcgan" in results and "fastgan" in results:
        results["fastgan_swd_vs_dcgan"] = round(results["fastgan"]["swd"] / results["dcgan"]["swd"] - 1, 3)
    emit(results, args.json)


if __name__ == "__main__":
    main()
