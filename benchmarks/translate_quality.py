"""Texture styles on real data: train translator kinds for a CPU budget, then evaluate them on held-out photos.

    python benchmarks/translate_quality.py --set vangogh --kinds cyclegan cut fastcut --minutes 10 \\
        --out docs/results/translate [--work benchmarks/out/translate]
    python benchmarks/translate_quality.py --set pilgram --kinds fastcut --minutes 10 --out docs/results/translate

Sets (from ../shared/data):
  vangogh  style: the 199 Van Gogh paintings; photos: the first 200 of photos256; held out: the last 40.
  pilgram  style: the 60 photos of photos/ through pilgram's "toaster" Instagram filter (a colour grade, a warm
           radial gradient and a vignette: partly beyond a LUT); photos: photos256[:200]; held out: the last 40.
           Needs `pip install pilgram` (Apache-2.0).

For each kind: train (128-px crops, ngf 32, 6 blocks, batch 1, the kind's defaults) for ``--minutes``, then
``lookgan eval`` on the held-out photos against the style set: SWD and colour distance of the results *and of
the untouched photos* (before -> after), content SSIM. Writes ``OUT/SET.json`` (every figure, steps, seconds),
``OUT/SET-sheet.jpg`` (held-out photo | each kind's result) and prints the JSON last.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import lookgan
from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from lookgan.data.images import list_images, read_image, save_image
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _resized(src: Path, dst: Path, side: int = 256) -> None:
    im = Image.open(src).convert("RGB")
    scale = side / min(im.size)
    im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS).save(dst, quality=95)


def prepare(name: str, work: Path) -> dict[str, Path]:
    """The style / photos / held folders of a set, built under ``work``."""
    photos256 = list_images(SHARED / "photos256")
    folders = {k: work / name / k for k in ("style", "photos", "held")}
    if all(f.is_dir() and any(f.iterdir()) for f in folders.values()):
        return folders
    for f in folders.values():
        f.mkdir(parents=True, exist_ok=True)
    for p in photos256[:200]:
        (folders["photos"] / p.name).write_bytes(p.read_bytes())
    for p in photos256[-40:]:
        (folders["held"] / p.name).write_bytes(p.read_bytes())
    if name == "vangogh":
        for p in list_images(SHARED / "vangogh"):
            (folders["style"] / p.name).write_bytes(p.read_bytes())
    elif name == "pilgram":
        import pilgram

        for p in list_images(SHARED / "photos"):
            _resized(p, folders["style"] / f"{p.stem}.jpg")
            im = Image.open(folders["style"] / f"{p.stem}.jpg")
            pilgram.toaster(im).convert("RGB").save(folders["style"] / f"{p.stem}.jpg", quality=95)
    else:
        raise SystemExit(f"unknown set {name!r}: vangogh or pilgram")
    return folders


def sheet(looks: dict[str, Path], held: Path, out: Path, n: int = 5, side: int = 160) -> Path:
    """Rows: held-out photos; columns: the photo, then each kind's result."""
    rows = []
    for path in list_images(held)[:: max(1, 40 // n)][:n]:
        image = read_image(path, keep_8bit=True)
        tiles = [image] + [as_restyler(look).grader(ApplyOptions())(image) for look in looks.values()]
        tiles = [np.asarray(Image.fromarray(t).resize((side, side), Image.Resampling.LANCZOS)) for t in tiles]
        rows.append(np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in tiles], 1))
    save_image(np.concatenate(rows, 0), out, quality=88)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="name", default="vangogh", choices=["vangogh", "pilgram"])
    parser.add_argument("--kinds", nargs="+", default=["cyclegan", "cut", "fastcut"])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/translate"))
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out/translate-work"))
    args = parser.parse_args()
    folders = prepare(args.name, args.work)
    results: dict[str, dict] = {}
    looks: dict[str, Path] = {}
    for kind in args.kinds:
        look = args.work / args.name / f"{kind}.look"
        t0 = time.monotonic()
        trained = lookgan.train(kind, folders["style"], photos=folders["photos"], out=look, steps=1_000_000,
                                minutes=args.minutes, overwrite=True)
        seconds = time.monotonic() - t0
        m = lookgan.evaluate(look, photos=folders["held"], style=folders["style"], faces=False, progress=False,
                             out=args.work / args.name / f"{kind}-report" / "report.html")
        keep = ("swd", "swd_before", "color_swd", "color_swd_before", "content_ssim", "n_images", "n_style")
        results[kind] = {"steps": trained.step, "train_s": round(seconds, 1), **{k: m[k] for k in keep}}
        looks[kind] = look
        print(kind, json.dumps(results[kind]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    sheet(looks, folders["held"], args.out / f"{args.name}-sheet.jpg")
    out = {"set": args.name, "minutes": args.minutes, "machine": f"{platform.machine()}, "
           f"{torch.get_num_threads()} threads, torch {torch.__version__}", "kinds": results}
    emit(out, args.out / f"{args.name}.json")


if __name__ == "__main__":
    main()
