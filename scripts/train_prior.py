"""Build the shipped grade prior (``src/lookgan/assets/prior/grade_basis.safetensors`` + ``.json``).

    python scripts/train_prior.py [--data ../shared/data] [--grades 3000] [--components 64] [--seed 0]

It learns from images we may redistribute only: the lattice weights come from the colours of
``DATA/photos`` (Kodak, Debian wallpapers, scikit-image, public domain) and ``DATA/faces`` (US federal works,
public domain); the grades are the 40 film LUTs of ``DATA/luts`` (RawTherapee Film Simulation, CC BY-SA 4.0),
their blends and extrapolations, and random parametric grades. Never photos256 (research-only; it is the
evaluation set). Deterministic for a seed; about a minute on 2 CPU cores. Model card: docs/grade-prior.md.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from lookgan.data.images import list_images, read_image
from lookgan.ops.lut3d import resample_lut
from lookgan.ops.transfer import sample_pixels
from lookgan.prior.basis import LATTICE, SHIPPED, build_basis, colour_weights
from lookgan.use.exporting.cube import read_hald

ROOT = Path(__file__).resolve().parents[1]


def photo_pixels(folders: list[Path], n: int = 400_000) -> torch.Tensor:
    images = [torch.from_numpy(read_image(p, keep_8bit=True)).permute(2, 0, 1)
              for f in folders for p in list_images(f)]
    return sample_pixels(images, n, seed=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--grades", type=int, default=3000)
    ap.add_argument("--components", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=SHIPPED)
    a = ap.parse_args()
    t0 = time.monotonic()
    luts = sorted((a.data / "luts").glob("*.png"))
    films = torch.stack([resample_lut(read_hald(p), LATTICE) for p in luts])
    weights = colour_weights(photo_pixels([a.data / "photos", a.data / "faces"]))
    basis = build_basis(weights, films=films, grades=a.grades, components=a.components, seed=a.seed)
    basis.save(a.out, {"what": "lookgan grade prior: principal directions of synthetic colour grades",
                       "lattice": LATTICE, "components": a.components, "grades": a.grades, "seed": a.seed,
                       "films": [p.stem for p in luts], "weights_from": ["photos", "faces"],
                       "licence": "CC BY-SA 4.0 (derived from the RawTherapee Film Simulation LUTs)",
                       "seconds": round(time.monotonic() - t0, 1)})
    print(f"wrote {a.out} ({a.out.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
