"""Does the training engine cost anything? Translator train-step time through lookgan vs a minimal hand-written
CycleGAN step with the same layers, in the same run; plus bf16 autocast and channels-last.

    python benchmarks/translate_step.py [--size 256] [--ngf 64] [--blocks 9] [--steps 6] [--rounds 2]
                                        [--json benchmarks/out/translate_step.json] [--reference-cut DIR]

"ours" is a full ``lookgan.train`` run (the one loop: data stream, NaN guard, BatchNorm-buffer snapshot, EMA
update, history), timed per step from its progress callback; the first step of each run (allocation warm-up)
and the final checkpoint are left out. "minimal" is the textbook CycleGAN step written directly with torch
(two generators, two PatchGANs, LSGAN + cycle + identity losses, Adam) on the same tensors. DiffAugment is off
in both, so the comparison is of the engine, not of extra augmentation work. Rounds alternate ours/minimal so
that a noisy machine hurts both alike; medians are reported. The last line is the JSON, with
``ratio = ours_cyclegan_s / minimal_cyclegan_s`` (target <= 1.1). CUT runs three ways in every round: with the
kind's default settings (``ours_cut_s``), in float32 and in bf16 autocast (``cut_bf16_over_fp32``); and
``cut_default_vs_reference`` is the default step over the reference implementation's (issue 20: at most 0.5):
timed in every round from a checkout given with ``--reference-cut DIR`` (its own model code and option defaults,
in a subprocess; nothing of it ships with lookgan), else issue 20's figure from another run. With the checkout,
``cut_work_vs_reference`` is the ratio of their floating-point work per step (one step of each counted by
``torch.utils.flop_counter``): when it equals the time ratio, both run at the same arithmetic rate. bf16 rows are
timed only on CPUs with bf16 instructions.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import lookgan
from _emit import emit  # benchmarks/_emit.py: JSON out, last line printed
from lookgan.core.config import native_bf16
from lookgan.kinds.translator.network import PatchDiscriminator, ResnetGenerator, init_weights


def _images(folder: Path, n: int, size: int, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        Image.fromarray(small).resize((size, size), Image.BICUBIC).save(folder / f"{i}.png")
    return folder


def ours(kind: str, root: Path, args: argparse.Namespace, **train: object) -> list[float]:
    """Per-step seconds of a lookgan training run (warm-up step dropped)."""
    stamps: list[float] = []
    config = {"method": {"size": args.size, "load_size": args.size, "ngf": args.ngf, "n_blocks": args.blocks,
                         "augment": ""},
              "train": {"batch": 1, "sample_every": 0, "checkpoint_every": 10_000, "log_every": 10_000, **train}}
    lookgan.train(kind, root / "style", photos=root / "photos", out=root / f"{kind}-{time.monotonic_ns()}.look",
                  steps=args.steps + 1, config=config, progress_fn=lambda p: stamps.append(time.perf_counter()))
    return list(np.diff(stamps))


def minimal_cyclegan(args: argparse.Namespace) -> list[float]:
    """The textbook CycleGAN step, hand-written: per-step seconds (warm-up step dropped)."""
    torch.manual_seed(0)
    g_a, g_b = ResnetGenerator(ngf=args.ngf, n_blocks=args.blocks), ResnetGenerator(ngf=args.ngf, n_blocks=args.blocks)
    d_a, d_b = PatchDiscriminator(), PatchDiscriminator()
    for net in (g_a, g_b, d_a, d_b):
        init_weights(net)
    opt_g = torch.optim.Adam([*g_a.parameters(), *g_b.parameters()], lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], lr=2e-4, betas=(0.5, 0.999))
    x, y = torch.rand(1, 3, args.size, args.size) * 2 - 1, torch.rand(1, 3, args.size, args.size) * 2 - 1
    times = []
    for _ in range(args.steps + 1):
        t0 = time.perf_counter()
        fake_y, fake_x = g_a(x), g_b(y)
        for d in (d_a, d_b):
            d.requires_grad_(False)
        adv = F.mse_loss(da := d_a(fake_y), torch.ones_like(da)) + F.mse_loss(db := d_b(fake_x), torch.ones_like(db))
        cycle = (g_b(fake_y) - x).abs().mean() + (g_a(fake_x) - y).abs().mean()
        idt = (g_a(y) - y).abs().mean() + (g_b(x) - x).abs().mean()
        opt_g.zero_grad(set_to_none=True)
        (adv + 10 * cycle + 5 * idt).backward()
        opt_g.step()
        for d in (d_a, d_b):
            d.requires_grad_(True)
        loss_d = 0.0
        for d, real, fake in ((d_a, y, fake_y.detach()), (d_b, x, fake_x.detach())):
            pr, pf = d(real), d(fake)
            loss_d = loss_d + 0.5 * (F.mse_loss(pr, torch.ones_like(pr)) + F.mse_loss(pf, torch.zeros_like(pf)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        times.append(time.perf_counter() - t0)
    return times[1:]


#: The reference CUT implementation's own train step (taesungp/contrastive-unpaired-translation's model code, its
#: defaults: 256 px, ngf 64, 9 blocks, batch 1) as issue 20 measured it, on another day: used only when
#: ``--reference-cut`` is not given (then ``cut_default_vs_reference`` compares across runs and says so).
REFERENCE_CUT_S = 11.05

#: Runs in a subprocess with the reference checkout on sys.path: builds its CUTModel from its own option parser
#: (defaults, CPU) and times ``optimize_parameters`` on random 256-px batches. torchvision (which fails to import
#: beside this torch wheel) is stubbed: the model code does not use it, only its data and utility modules import it.
_REFERENCE_HARNESS = """
import json, sys, tempfile, time
from unittest import mock
sys.modules["torchvision"] = mock.MagicMock()
sys.modules["torchvision.transforms"] = mock.MagicMock()
checkout, steps = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, checkout)
import torch
from options.train_options import TrainOptions
from models import create_model
tmp = tempfile.mkdtemp()
sys.argv = ["train.py", "--dataroot", tmp, "--name", "bench", "--gpu_ids", "-1", "--checkpoints_dir", tmp, "--model", "cut"]
opt = TrainOptions().parse()
model = create_model(opt)
g = torch.Generator().manual_seed(0)
def batch():
    return {"A": torch.rand(1, 3, 256, 256, generator=g) * 2 - 1, "B": torch.rand(1, 3, 256, 256, generator=g) * 2 - 1,
            "A_paths": ["a"], "B_paths": ["b"]}
model.data_dependent_initialize(batch())
model.setup(opt)
times = []
for _ in range(steps + 1):
    model.set_input(batch())
    t0 = time.perf_counter()
    model.optimize_parameters()
    times.append(time.perf_counter() - t0)
print("STEP_SECONDS " + json.dumps(times[1:]))
if len(sys.argv) > 3:  # the work of one more step, counted
    from torch.utils.flop_counter import FlopCounterMode
    model.set_input(batch())
    with FlopCounterMode(display=False) as counter:
        model.optimize_parameters()
    print("STEP_GFLOP " + json.dumps(counter.get_total_flops() / 1e9))
"""


def reference_cut(checkout: Path, steps: int, *, count: bool = False) -> tuple[list[float], float | None]:
    """Per-step seconds of the reference CUT implementation at ``checkout`` (warm-up step dropped), and with
    ``count`` the floating-point work of one step in GFLOP (``torch.utils.flop_counter``)."""
    done = subprocess.run([sys.executable, "-c", _REFERENCE_HARNESS, str(checkout), str(steps)] + (["count"] * count),
                          capture_output=True, text=True, check=True)
    found = {x.split(" ", 1)[0]: json.loads(x.split(" ", 1)[1]) for x in done.stdout.splitlines()
             if x.startswith(("STEP_SECONDS ", "STEP_GFLOP "))}
    return found["STEP_SECONDS"], found.get("STEP_GFLOP")


def ours_cut_gflop(args: argparse.Namespace) -> float:
    """The floating-point work of one lookgan CUT step (default settings, these sizes) in GFLOP."""
    from torch.utils.flop_counter import FlopCounterMode

    from lookgan.kinds.translator.cut import CUT, CUTConfig

    method = CUT(CUTConfig(size=args.size, load_size=args.size, ngf=args.ngf, n_blocks=args.blocks, augment=""))
    method.train_mode(True)
    batch = {"content": torch.rand(1, 3, args.size, args.size) * 2 - 1,
             "style": torch.rand(1, 3, args.size, args.size) * 2 - 1}
    method.train_step(batch, 0)
    with FlopCounterMode(display=False) as counter:
        method.train_step(batch, 1)
    return counter.get_total_flops() / 1e9


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    return next((x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")), "unknown")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=9)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--reference-cut", type=Path, help="a checkout of taesungp/contrastive-unpaired-translation: "
                        "its CUT step is timed in every round, beside lookgan's (nothing of it is shipped)")
    parser.add_argument("--cut-only", action="store_true", help="time only the CUT rows (and the reference)")
    args = parser.parse_args()
    bf16 = native_bf16("cpu")  # emulated bf16 is dozens of times slower (precision.md): not worth timing
    if not bf16:
        print("this CPU has no bf16 instructions (AVX512-BF16/AMX): the bf16 rows are skipped", flush=True)
    keys = ("ours_cut", "ours_cut_fp32") + (("ours_cut_bf16",) if bf16 else ())
    if not args.cut_only:
        keys += ("ours_cyclegan", "minimal_cyclegan", "ours_cyclegan_channels_last") + (("ours_cyclegan_bf16",) * bf16)
    runs: dict[str, list[float]] = {k: [] for k in keys}
    gflop = {"ours_cut_gflop": ours_cut_gflop(args)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _images(root / "style", 4, args.size, 0)
        _images(root / "photos", 4, args.size, 1)
        for r in range(args.rounds):
            print(f"round {r + 1}/{args.rounds}", flush=True)
            if not args.cut_only:
                runs["ours_cyclegan"] += ours("cyclegan", root, args)
                runs["minimal_cyclegan"] += minimal_cyclegan(args)
            runs["ours_cut"] += ours("cut", root, args)  # the kind's default settings, whatever they are
            runs["ours_cut_fp32"] += ours("cut", root, args, amp="none")
            if bf16:
                runs["ours_cut_bf16"] += ours("cut", root, args, amp="bf16")
            if args.reference_cut:
                seconds, work = reference_cut(args.reference_cut, args.steps, count=r == 0)
                runs.setdefault("reference_cut", []).extend(seconds)
                gflop.setdefault("reference_cut_gflop", work)
            if not args.cut_only:
                if bf16:
                    runs["ours_cyclegan_bf16"] += ours("cyclegan", root, args, amp="bf16")
                runs["ours_cyclegan_channels_last"] += ours("cyclegan", root, args, channels_last=True)
    med = {f"{k}_s": round(statistics.median(v), 4) for k, v in runs.items()}
    reference = med.get("reference_cut_s", REFERENCE_CUT_S)
    if "reference_cut_gflop" in gflop:
        gflop["cut_work_vs_reference"] = gflop["ours_cut_gflop"] / gflop["reference_cut_gflop"]
    not_timed = "not timed: no bf16 instructions on this CPU"
    result = {**med, **{k: round(v, 3) for k, v in gflop.items()},
              "cut_bf16_over_fp32": round(med["ours_cut_bf16_s"] / med["ours_cut_fp32_s"], 3) if bf16 else not_timed,
              "cut_default_vs_reference": round(med["ours_cut_s"] / reference, 3),
              "reference": ("measured in this run" if args.reference_cut
                            else f"issue 20's {REFERENCE_CUT_S} s, another run")}
    if not args.cut_only:
        result.update(ratio=round(med["ours_cyclegan_s"] / med["minimal_cyclegan_s"], 3),
                      bf16_speedup=(round(med["ours_cyclegan_s"] / med["ours_cyclegan_bf16_s"], 3) if bf16
                                    else not_timed),
                      channels_last_speedup=round(med["ours_cyclegan_s"] / med["ours_cyclegan_channels_last_s"], 3))
    result.update(size=args.size, ngf=args.ngf, blocks=args.blocks, steps_per_run=args.steps, rounds=args.rounds,
                  machine=f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
                  cpu=_cpu_model(), bf16_native=bf16)
    emit(result, args.json)


if __name__ == "__main__":
    main()
