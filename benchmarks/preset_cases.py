"""Known-answer cases for looks a LUT cannot express: Instagram-style filters with radial overlays (pilgram's
``toaster``, ``mayfair``, ``brooklyn``, ``willow``, ``earlybird``, ``hudson``, ``lofi``, ``xpro2``, ``rise``;
``pip install pilgram``) and film or creative grades from ../shared/data/luts with a vignette and film grain added
(mono or colour grain; the creative grades are strong enough to hide a vignette from a global colour fit).

Each case folder holds ``style/`` (60 images in the look), ``content/`` (60 other, plain photos), ``held/`` (30
plain photos no method sees) and ``truth/`` (the held photos in the look). The images mix 256-px squares
(photos256) with larger photos of other aspects (photos/, long side 512), so the overlay's geometry is seen at
several aspects.

    python benchmarks/preset_cases.py --out /tmp/preset-cases
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILTERS = ("toaster", "mayfair", "brooklyn", "willow", "earlybird", "hudson", "lofi", "xpro2", "rise")
#: grade, vignette strength (multiply towards black at the corners), where it starts (fraction of the way to the
#: corners), grain amount, grain size (of the short side), mono share of the grain
GRAIN_CASES = {"portra_vignette_grain": ("Kodak_Portra_400_2", 0.45, 0.45, 0.045, 0.004, 1.0),
               "velvia_grain": ("Fuji_Velvia_50", 0.25, 0.45, 0.06, 0.006, 1.0),
               "tealorange_grain": ("Creative_TealOrange1", 0.35, 0.3, 0.05, 0.003, 1.0),
               "fallcolors_grain": ("Creative_FallColors", 0.5, 0.5, 0.035, 0.005, 0.5),
               "latesunset_grain": ("Creative_LateSunset", 0.3, 0.2, 0.07, 0.002, 0.0)}


def _images() -> list[Image.Image]:
    """150 RGB photos: photos256 squares interleaved with photos/ at long side 512 (other aspects)."""
    squares = sorted((DATA / "photos256").glob("*"))[:90]
    others = sorted((DATA / "photos").glob("*"))[:60]
    out = []
    for i in range(150):
        if i % 5 < 3 and squares:
            out.append(Image.open(squares.pop(0)).convert("RGB"))
        elif others:
            im = Image.open(others.pop(0)).convert("RGB")
            im.thumbnail((512, 512), Image.Resampling.LANCZOS)
            out.append(im)
        else:
            out.append(Image.open(squares.pop(0)).convert("RGB"))
    return out


def film_vignette_grain(im: Image.Image, *, lut: str, vignette: float, start: float, amount: float, size: float,
                        mono: float, seed: int) -> Image.Image:
    """A grade, a dark vignette (multiply towards black from ``start`` of the way to the corners) and grain with
    ``mono`` of its variance shared by the three channels."""
    from lookgan.ops.lut3d import FastLUT
    from lookgan.use.exporting.cube import read_hald

    graded = FastLUT(read_hald(DATA / "luts" / f"{lut}.png"))(np.asarray(im)).astype(np.float32) / 255
    h, w = graded.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    d = np.hypot((x + 0.5 - w / 2), (y + 0.5 - h / 2)) / math.hypot(w / 2, h / 2)
    t = np.clip((d - start) / (1 - start), 0, 1)[..., None]
    graded = graded * (1 - vignette * t)
    rng = np.random.default_rng(seed)
    cell = max(1.0, size * min(h, w))
    gh, gw = max(2, round(h / cell)), max(2, round(w / cell))

    def field() -> np.ndarray:
        small = rng.standard_normal((gh, gw)).astype(np.float32)
        noise = np.asarray(Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC))
        return noise / max(float(noise.std()), 1e-6)

    shared = field()
    noise = np.stack([math.sqrt(mono) * shared + math.sqrt(1 - mono) * field() for _ in range(3)], axis=-1)
    out = graded + amount * noise
    return Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8))


def make_case(name: str, root: Path) -> Path:
    if name in FILTERS:
        import pilgram

        look = getattr(pilgram, name)
    else:
        lut, vig, start, amount, size, mono = GRAIN_CASES[name]
        counter = iter(range(10**6))

        def look(im: Image.Image) -> Image.Image:
            return film_vignette_grain(im, lut=lut, vignette=vig, start=start, amount=amount, size=size, mono=mono,
                                       seed=next(counter))
    images = _images()
    parts = {"style": images[:60], "content": images[60:120], "held": images[120:150]}
    for part, ims in parts.items():
        (root / part).mkdir(parents=True, exist_ok=True)
        for i, im in enumerate(ims):
            if part == "style":
                look(im).save(root / part / f"{i:03d}.png")
            else:
                im.save(root / part / f"{i:03d}.png")
            if part == "held":
                (root / "truth").mkdir(exist_ok=True)
                look(im).save(root / "truth" / f"{i:03d}.png")
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cases", nargs="*", default=[*FILTERS, *GRAIN_CASES])
    args = ap.parse_args()
    for name in args.cases:
        print(make_case(name, args.out / name))


if __name__ == "__main__":
    main()
