"""Time to grade a 3840x2160 photo with a ``preset`` look (overlay, four ring LUTs, grain: the one-pass grader)
beside a global ``lut`` look (8-bit fast path), in one run, rounds alternating. Both looks are fitted on a tiny
made-up case (their quality does not matter here), and the photo is a smooth made-up picture.

``*_s``: a photo of a size already seen (a batch, a video: what depends on the size is made once);
``*_first_s``: the first photo, with the grader built (LUT tables; for the preset also its overlay table and
grain texture); ``network_s``: the preset through its network (the reference path; what `apply` did before).

    python benchmarks/preset_apply.py --json docs/results/preset_apply.json
"""
from __future__ import annotations

import argparse
import platform
import statistics
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
from lookgan.kinds.capabilities import ApplyOptions  # noqa: E402
from lookgan.kinds.look import as_restyler  # noqa: E402
from lookgan.kinds.preset.fast import noise_texture  # noqa: E402


def _case(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for part in ("style", "content"):
        (root / part).mkdir(parents=True)
        for i in range(8):
            small = rng.uniform(0.2, 0.9, (4, 6, 3))
            if part == "style":
                small = small * [1.1, 1.0, 0.85]
            img = Image.fromarray((np.clip(small, 0, 1) * 255).astype(np.uint8)).resize((96, 64), Image.BICUBIC)
            img.save(root / part / f"{i}.png")
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(1)
    photo = np.asarray(Image.fromarray(rng.integers(0, 256, (27, 48, 3), dtype=np.uint8)).resize(
        (3840, 2160), Image.BICUBIC))
    with tempfile.TemporaryDirectory() as tmp:
        case = _case(Path(tmp) / "case")
        lookgan.train("lut", case / "style", photos=case / "content", out=Path(tmp) / "l.look", steps=1,
                      method_options={"adaptive": False, "n_luts": 1, "load_size": 64, "crop_size": 64})
        lookgan.train("preset", case / "style", photos=case / "content", out=Path(tmp) / "p.look", steps=1,
                      method_options={"frame_size": 32, "load_size": 64, "grain_crop": 48, "order": "overlay_first"})
        looks = {"lut": Path(tmp) / "l.look", "preset": Path(tmp) / "p.look"}
        # grain on, so that the preset's timing includes it
        looks["preset"] = lookgan.adjust(looks["preset"], {"grain.midtones": 0.03}, out=Path(tmp) / "pg.look")
        times: dict[str, list[float]] = {k: [] for k in (*looks, "lut_first", "preset_first")}
        graders = {}
        for _ in range(args.runs):
            for name, look in looks.items():
                noise_texture.cache_clear()  # a first photo makes its grain texture (kept per size after)
                t0 = time.perf_counter()
                graders[name] = as_restyler(look).grader(ApplyOptions())
                graders[name](photo)
                times[f"{name}_first"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                graders[name](photo)
                times[name].append(time.perf_counter() - t0)
        restyler = as_restyler(looks["preset"])
        t0 = time.perf_counter()
        restyler.network_grade(photo, ApplyOptions(), seed=0)
        network = time.perf_counter() - t0
    med = {k: round(statistics.median(v), 3) for k, v in times.items()}
    emit({"benchmark": "preset_apply", "size": "3840x2160", "runs": args.runs, "cpu": platform.processor() or
          platform.machine(), "threads": torch.get_num_threads(), "rings": restyler.net.rings,
          "lut_s": med["lut"], "preset_s": med["preset"], "ratio": round(med["preset"] / med["lut"], 2),
          "lut_first_s": med["lut_first"], "preset_first_s": med["preset_first"],
          "ratio_first": round(med["preset_first"] / med["lut_first"], 2), "network_s": round(network, 3),
          "speedup_over_network": round(network / med["preset"], 1)}, args.json)


if __name__ == "__main__":
    main()
