"""A translator on a 3840x2160 photo: time and peak memory in tiles vs one whole-image pass, and how far the
tiled result (statistics from a downscaled pass) is from the whole-image one.

    python benchmarks/translate_apply.py [--look X.look] [--tile 512] [--json benchmarks/out/translate_apply.json]

Without ``--look`` a CPU-default generator (ngf 32, 6 blocks) with random weights is used (speed and memory do
not depend on the weights; the difference figure does, so give a trained look for it). Each measurement runs in
a fresh child process, so its peak resident memory (``ru_maxrss``) is its own. The last line is the JSON.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _photo(width: int = 3840, height: int = 2160) -> np.ndarray:
    from PIL import Image

    photos = sorted((SHARED / "photos").glob("kodak_*")) if (SHARED / "photos").is_dir() else []
    if photos:
        return np.asarray(Image.open(photos[0]).convert("RGB").resize((width, height), Image.Resampling.BICUBIC))
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1).astype(np.uint8)


def _generator(look: str | None):
    import torch

    from lookgan.kinds.translator.network import ResnetGenerator, init_weights

    if look:
        import lookgan

        return lookgan.load_look(look).build()
    torch.manual_seed(0)
    g = ResnetGenerator(ngf=32, n_blocks=6)
    init_weights(g)
    return g.eval()


def child(mode: str, look: str | None, tile: int, out: str) -> None:
    """One measurement: translate the 4K photo, save the result (npy), print seconds and peak RSS."""
    import torch

    from lookgan.kinds.translator.tiled import translate_image

    torch.set_num_threads(2)
    g = _generator(look)
    image = _photo()
    t0 = time.perf_counter()
    result = translate_image(g, image, tile=tile if mode == "tiled" else 100_000)
    seconds = time.perf_counter() - t0
    np.save(out, result)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--look")
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.look, args.tile, args.child[1])
        return
    figures, outputs = {}, {}
    for mode in ("tiled", "whole"):
        out = f"/tmp/lookgan-translate-{mode}.npy"
        cmd = [sys.executable, __file__, "--tile", str(args.tile), "--child", mode, out]
        if args.look:
            cmd += ["--look", args.look]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        figures[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        outputs[mode] = np.load(out).astype(np.float64)
        print(mode, figures[mode], flush=True)
    diff = np.abs(outputs["tiled"] - outputs["whole"])
    result = {"width": 3840, "height": 2160, "tile": args.tile, "look": args.look or "random ngf32 6 blocks",
              "tiled_s": round(figures["tiled"]["seconds"], 2), "tiled_peak_mib": round(figures["tiled"]["peak_mib"]),
              "whole_s": round(figures["whole"]["seconds"], 2), "whole_peak_mib": round(figures["whole"]["peak_mib"]),
              "tiled_vs_whole_mean_levels": round(float(diff.mean()), 3),
              "tiled_vs_whole_p99_levels": round(float(np.percentile(diff, 99)), 2),
              "machine": f"{platform.machine()}, 2 threads"}
    emit(result, args.json)


if __name__ == "__main__":
    main()
