"""Rebuild the colour demo's bundled assets from ../shared/data (run once by a developer; the result is committed).

    python scripts/make_demo_assets.py

Writes src/lookgan/assets/colour_demo/: photos/ (the freely licensed Kodak, scikit-image and Grace Hopper
photos, shorter side 256 px, JPEG q90) and grade.png (a film grade from the RawTherapee collection as a level-6
HaldCLUT, 36³ points). The portraits the demo also uses are the DCGAN demo's (assets/demo_faces).
"""
from pathlib import Path

from PIL import Image

from lookgan.use.exporting.cube import read_hald, write_hald

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "lookgan" / "assets" / "colour_demo"
GRADE = "Creative_TealOrange1"


def main() -> None:
    (OUT / "photos").mkdir(parents=True, exist_ok=True)
    names = sorted(p for p in (SHARED / "photos").glob("*.jpg") if p.name.startswith(("kodak_", "skimage_",
                                                                                       "matplotlib_")))
    for p in names:
        im = Image.open(p).convert("RGB")
        scale = 256 / min(im.size)
        im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS).save(
            OUT / "photos" / p.name, quality=90)
    write_hald(read_hald(SHARED / "luts" / f"{GRADE}.png"), OUT / "grade.png", level=6)
    print(f"{len(names)} photos and {GRADE} written to {OUT}")


if __name__ == "__main__":
    main()
