"""The embedded demos run by ``lookgan demo`` / ``make demo``, on images shipped inside the package (no downloads).

* ``lut`` (:mod:`.colour`, the default): a film colour grade learnt unpaired from bundled photos, scored against
  its true answer beside the Reinhard and optimal-transport baselines;
* ``preset`` (:mod:`.preset`): an Instagram-style filter with a radial gradient, a vignette and film grain (a
  filter written here, not one of lookgan's own layers), learnt as a ``preset`` beside a global OT LUT;
* ``dcgan`` (:mod:`.dcgan`): the baseline generator on the bundled portraits.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ...core.errors import InputError
from ...kinds.base import Progress
from .colour import build_case, colour_demo
from .common import ASSETS, bundled_photos, evaluate_identity
from .dcgan import dcgan_demo
from .preset import preset_demo

__all__ = ["ASSETS", "DEMOS", "build_case", "bundled_photos", "colour_demo", "dcgan_demo", "demo_images_dir", "evaluate_identity",
           "preset_demo", "run_demo"]


def demo_images_dir() -> Path:
    """The small portrait set shipped inside the package (see its LICENSE.md)."""
    return ASSETS / "demo_faces"


#: ``lookgan demo --kind NAME``: (what it says it does, the function, default minutes).
DEMOS: dict[str, tuple[str, Callable[..., dict[str, Any]], float]] = {
    "lut": ("learning a colour look from bundled photos", colour_demo, 4.0),
    "preset": ("learning a filter with a vignette, a gradient and film grain from bundled photos", preset_demo,
               4.0),
    "dcgan": ("a DCGAN learns to draw portraits from the 64 bundled images", dcgan_demo, 3.0),
}


def run_demo(out: str | Path = "demo-out", *, kind: str = "lut", minutes: float | None = None,
             steps: int | None = None, progress_fn: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    """Run demo ``kind`` (see :data:`DEMOS`) with its default budget unless ``minutes``/``steps`` say otherwise."""
    if kind not in DEMOS:
        raise InputError(f"demo kind must be one of {', '.join(DEMOS)}, got {kind!r}")
    _, run, default_minutes = DEMOS[kind]
    return run(out, minutes=default_minutes if minutes is None else minutes, steps=steps or 3000,
               progress_fn=progress_fn)
