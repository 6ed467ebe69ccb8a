"""The generator demo (``lookgan demo --kind dcgan``): a DCGAN learns to draw the bundled portraits."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ...kinds.base import Progress
from ...training.run import train
from ..generating import generate
from .common import ASSETS


def dcgan_demo(out: str | Path = "demo-out", *, minutes: float = 3.0, steps: int = 3000,
               progress_fn: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    """A DCGAN on the shipped portraits for a few minutes, then a grid of new faces.

    Returns the paths of the look, its latest sample grid, the loss plot, a generated contact sheet, the steps
    trained, the wall time and the lines to print."""
    out = Path(out)
    look_dir = out / "faces-dcgan.look"
    # Half-width networks (ngf/ndf 32) run ~3x faster than DCGAN's 64 on two CPU cores (benchmarks/
    # train_step.py), so a few minutes give ~2000 steps; DiffAugment keeps D from memorising 64 images.
    cfg = {"method": {"ngf": 32, "ndf": 32, "augment": "translation,cutout"},
           "train": {"sample_every": 250, "checkpoint_every": 500}}
    result = train("dcgan", ASSETS / "demo_faces", out=look_dir, steps=steps, minutes=minutes, size=64, batch=16,
                   seed=0, overwrite=True, config=cfg, progress_fn=progress_fn)
    files = generate(look_dir, 64, out=out / "generated", seed=0, grid=True, progress=False)
    res = {"look": look_dir, "samples": result.sample_path or look_dir / "preview.jpg",
           "loss_plot": result.loss_plot or look_dir / "loss.png", "generated_grid": files[-1],
           "steps": result.step, "elapsed_s": result.elapsed_s}
    res["summary"] = [f"sample grid (training): {res['samples']}", f"loss plot:              {res['loss_plot']}",
                      f"64 new faces:           {res['generated_grid']}",
                      f"the look:               {look_dir}  (try: lookgan info {look_dir})"]
    return res
