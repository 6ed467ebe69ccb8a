"""Batch apply throughput: 1 process vs torchrun with 2 processes, on the same folder and look.

Makes --images JPEG photos (--side px wide), fits an `ot` colour look and a tiny translator look, then times
`lookgan apply LOOK DIR --out OUT` alone and under `torchrun --standalone --nproc_per_node 2`, each from a cold
start (process start and model load included, as a user sees it), and reports images/s and the ratio.

    python benchmarks/apply_scale.py --json docs/results/apply_scale.json
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _emit import emit  # noqa: E402


def _photos(folder: Path, n: int, side: int) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        Image.fromarray(small).resize((side, side * 3 // 4), Image.BICUBIC).save(folder / f"p{i:03d}.jpg", quality=90)
    return folder


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import lookgan
    from tests.helpers import warm_grade, write_colour_case

    result = {"benchmark": "apply_scale", "images": args.images, "side": args.side, "cpus": os.cpu_count(),
              "looks": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        case = write_colour_case(root / "case", warm_grade, n=8, n_held=1, size=96)
        lookgan.train("ot", case / "style", photos=case / "content", out=root / "ot.look")
        lookgan.train("fastcut", case / "style", photos=case / "content", out=root / "fastcut.look", steps=2,
                      config={"method": {"size": 64}})
        for kind, n in (("ot", args.images), ("fastcut", max(4, args.images // 8))):
            photos = _photos(root / f"photos-{kind}", n, args.side if kind == "ot" else args.side // 2)
            look = str(root / f"{kind}.look")
            one = _timed([sys.executable, "-m", "lookgan", "apply", look, str(photos), "--out", str(root / f"o1-{kind}")])
            two = _timed([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "lookgan", "apply", look, str(photos), "--out", str(root / f"o2-{kind}")])
            result["looks"][kind] = {"images": n, "one_process_s": round(one, 2), "two_processes_s": round(two, 2),
                                     "one_process_img_per_s": round(n / one, 2),
                                     "two_processes_img_per_s": round(n / two, 2), "speedup": round(one / two, 2)}
            print(kind, result["looks"][kind], flush=True)
    emit(result, args.json)


if __name__ == "__main__":
    main()
