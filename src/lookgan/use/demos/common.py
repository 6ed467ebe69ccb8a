"""What the demos share: the bundled images, the deterministic split into a known-answer case, the do-nothing
baseline."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...data.images import list_images, read_image, save_image
from ...ops.viz import save_strip
from ..applying import apply
from ..eval.truth import truth_metrics

ASSETS = Path(__file__).resolve().parents[2] / "assets"
Log = Callable[[str], None]
#: A look with a known answer: (photo (H, W, 3) uint8, its file stem) -> the photo in the look.
Look = Callable[[np.ndarray, str], np.ndarray]


def split(images: list[Path]) -> dict[str, list[Path]]:
    """Deterministic split: every 7th image held out, the rest alternately style and content."""
    parts: dict[str, list[Path]] = {"style": [], "content": [], "held": []}
    rest = []
    for i, p in enumerate(images):
        (parts["held"] if i % 7 == 0 else rest).append(p)
    for i, p in enumerate(rest):
        parts["style" if i % 2 == 0 else "content"].append(p)
    return parts


def bundled_photos() -> list[Path]:
    """The bundled landscapes and portraits, interleaved (so every part of the split gets both)."""
    photos, faces = list_images(ASSETS / "colour_demo" / "photos"), list_images(ASSETS / "demo_faces")
    return [p for pair in zip(photos, faces) for p in pair] + faces[len(photos):]


def write_case(root: Path, look: Look) -> Path:
    """A known-answer case under ``root`` from the bundled photos: style/ (in ``look``), content/ (plain, other
    photos), held/ (plain, seen by no method) and truth/ (the held photos in ``look``)."""
    for name, paths in split(bundled_photos()).items():
        (root / name).mkdir(parents=True, exist_ok=True)
        if name == "held":
            (root / "truth").mkdir(parents=True, exist_ok=True)
        for p in paths:
            pixels = read_image(p, keep_8bit=True)
            if name == "style":
                save_image(look(pixels, p.stem), root / "style" / f"{p.stem}.png")
            else:
                shutil.copyfile(p, root / name / p.name)
            if name == "held":
                save_image(look(pixels, p.stem), root / "truth" / f"{p.stem}.png")
    return root


def evaluate_identity(case: Path) -> dict[str, Any]:
    """Scores of doing nothing: how far the held-out photos are from their graded versions to begin with."""
    return truth_metrics(lambda image: image, case / "held", case / "truth", progress=False)


def compare_strips(case: Path, looks: Path, applied: list[Path], files: Path, *, label: str,
                   height: int) -> list[list[tuple[Path, str]]]:
    """Report rows for four held-out photos: photo | the learnt look (``applied``) | the global OT look | the
    truth, one strip each in ``files`` (the OT look is applied to those four here)."""
    held = list_images(case / "held")
    # Sorted by name the held-out set is portraits (numbered) then photos: show two of each.
    middle = slice(len(held) // 2 - 2, len(held) // 2 + 2)
    ot_dir = files / "ot-applied"
    apply(looks / "ot.look", held[middle], out=ot_dir, progress=False)
    rows = []
    for i, (src, graded) in enumerate(zip(held[middle], applied[middle])):
        images = [read_image(p, keep_8bit=True) for p in (src, graded, ot_dir / graded.name,
                                                          case / "truth" / f"{src.stem}.png")]
        rows.append([(save_strip(images, files / f"compare-{i}.png", height=height),
                      f"{src.name}: photo | {label} | global OT LUT | true look")])
    return rows
