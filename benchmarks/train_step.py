"""DCGAN training speed: steps/s at 64 px, batch 16 (the seed's setting), float32 vs channels-last vs bf16.

    python benchmarks/train_step.py [--steps 40] [--size 64] [--batch 16] [--json out.json]

Variants run in one process on the same synthetic batch, so they compare as ratios (these machines are noisy);
the absolute steps/s is what this machine did today. The last line printed is the JSON object.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import time
from pathlib import Path

import torch

from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from lookgan.kinds.generator.dcgan import DCGAN, DCGANConfig


def measure(size: int, batch: int, steps: int, *, channels_last: bool, amp: bool, augment: str) -> float:
    torch.manual_seed(0)
    m = DCGAN(DCGANConfig(size=size, augment=augment))
    x = torch.rand(batch, 3, size, size) * 2 - 1
    if channels_last:
        m.to_channels_last()
        x = x.contiguous(memory_format=torch.channels_last)
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if amp else contextlib.nullcontext()
    for i in range(3):  # warm-up
        with ctx:
            m.train_step(x, i)
    t0 = time.perf_counter()
    for i in range(steps):
        with ctx:
            m.train_step(x, i)
        m.update_ema(i)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    variants = {"float32": dict(channels_last=False, amp=False, augment=""),
                "channels_last": dict(channels_last=True, amp=False, augment=""),
                "bf16": dict(channels_last=False, amp=True, augment=""),
                "diffaugment": dict(channels_last=False, amp=False, augment="color,translation,cutout")}
    res = {}
    for name, kw in variants.items():
        res[name] = round(measure(a.size, a.batch, a.steps, **kw), 3)
        print(f"{name:14s} {res[name]:7.2f} steps/s", flush=True)
    out = {"benchmark": "dcgan_train_step", "size": a.size, "batch": a.batch, "steps": a.steps,
           "steps_per_s": res, "ratio_vs_float32": {k: round(v / res["float32"], 3) for k, v in res.items()},
           "threads": torch.get_num_threads(), "cpus": os.cpu_count(), "torch": torch.__version__,
           "machine": platform.machine()}
    emit(out, a.json)


if __name__ == "__main__":
    main()
