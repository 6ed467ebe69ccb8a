"""ONNX Runtime vs PyTorch on the same look graph (Look.module()), at 256x256 and 1024x1024.

Trains (or takes) a colour look and a translator look, exports both, and times the module's forward in PyTorch
and the exported graph in onnxruntime on the same input, alternating the two (median of --repeats), in one
process with the same thread count. A ratio below 1 means onnxruntime is faster.

    python benchmarks/onnx_vs_torch.py --json docs/results/onnx_vs_torch.json
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _emit import emit  # noqa: E402


def _looks(root: Path) -> dict[str, Path]:
    import lookgan
    from tests.helpers import warm_grade, write_colour_case

    case = write_colour_case(root / "case", warm_grade, n=8, n_held=2, size=96)
    lookgan.train("lut", case / "style", photos=case / "content", out=root / "lut.look", steps=5, progress_fn=None)
    # The translator at its CPU default width (ngf 32, 6 blocks): what `lookgan train fastcut` builds.
    lookgan.train("fastcut", case / "style", photos=case / "content", out=root / "fastcut.look", steps=2,
                  config={"method": {"size": 64}})
    return {"lut": root / "lut.look", "fastcut": root / "fastcut.look"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import lookgan
    from lookgan.use.exporting.onnx import OnnxLook, export_onnx

    threads = torch.get_num_threads()
    results = {"benchmark": "onnx_vs_torch", "threads": threads, "torch": torch.__version__, "cases": []}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, path in _looks(Path(tmp)).items():
            module = lookgan.load_look(path).module()
            runner = OnnxLook(export_onnx(path, Path(tmp) / f"{kind}.onnx"), threads=threads)
            for side in args.sizes:
                x = np.random.default_rng(0).random((1, 3, side, side), dtype=np.float32)
                xt = torch.from_numpy(x)
                with torch.no_grad():
                    module(xt)
                runner.run(x)  # warm-up both
                t_torch, t_onnx = [], []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    with torch.no_grad():
                        ref = module(xt).numpy()
                    t_torch.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    got = runner.run(x)
                    t_onnx.append(time.perf_counter() - t0)
                torch_s, onnx_s = statistics.median(t_torch), statistics.median(t_onnx)
                results["cases"].append({"kind": kind, "side": side, "torch_s": round(torch_s, 4),
                                         "onnx_s": round(onnx_s, 4), "ratio_onnx_over_torch": round(onnx_s / torch_s, 3),
                                         "max_abs_diff_pm1": float(2 * np.abs(got - ref).max())})
                print(results["cases"][-1], flush=True)
    emit(results, args.json)


if __name__ == "__main__":
    main()
