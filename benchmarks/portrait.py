"""Skin under strong grades: skin hue shift with and without --protect-skin, and what protection costs elsewhere.

For each HaldCLUT grade (a known look, imported with `lookgan train lut --from-cube`) and each portrait in
../shared/data/faces: apply the grade in full, and again with `protect_skin` 1.0; masks from the original photo
(MediaPipe). Reports, averaged over photos with a face: skin hue shift (degrees, Lab, in the skin mask) of the
graded vs the original photo; background ΔE2000 between the protected result and the full grade (outside the
person mask: 0 means the background grade is unchanged); and writes a before / graded / protected sheet.

    python benchmarks/portrait.py --n 40 --out docs/results/portrait
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import emit  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--luts", nargs="+", default=["Creative_TealOrange1", "Lomography_Redscale_100"])
    parser.add_argument("--out", type=Path, default=Path("docs/results/portrait"))
    args = parser.parse_args()
    import lookgan
    from lookgan.applying import lut_model
    from lookgan.data.images import list_images, read_image
    from lookgan.ops.color import delta_e2000, rgb_to_lab
    from lookgan.ops.lut3d import FastLUT
    from lookgan.portrait import PortraitMasker, hue_shift_degrees, portrait_blend

    photos = [read_image(p, keep_8bit=True) for p in list_images(DATA / "faces")[: args.n]]
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "portrait", "photos": len(photos), "grades": {}}
    with tempfile.TemporaryDirectory() as tmp, PortraitMasker() as masker:
        masks = [masker(p) for p in photos]
        for name in args.luts:
            look = lookgan.import_lut(DATA / "luts" / f"{name}.png", out=Path(tmp) / f"{name}.look")
            fast = FastLUT(lut_model(lookgan.load_look(look)).mean_lut().clamp(0, 1).detach())
            shifts_plain, shifts_kept, bg_de, skin_de = [], [], [], []
            sheet = []
            for i, (photo, m) in enumerate(zip(photos, masks)):
                if not m.face_found:
                    continue
                graded = fast(photo)
                kept = portrait_blend(photo, graded, m, protect_skin=1.0)
                skin = (m.skin > 0.5).astype(np.float32)
                shifts_plain.append(hue_shift_degrees(photo, graded, skin))
                shifts_kept.append(hue_shift_degrees(photo, kept, skin))
                lab_g, lab_k = (rgb_to_lab(torch.from_numpy(x.astype(np.float32) / 255)) for x in (graded, kept))
                de = delta_e2000(lab_g, lab_k).numpy()
                bg_de.append(float(de[m.person < 0.05].mean()) if (m.person < 0.05).any() else 0.0)
                skin_de.append(float(de[skin > 0].mean()) if skin.any() else 0.0)
                if len(sheet) < 6:
                    row = np.concatenate([photo, graded, kept], 1)
                    sheet.append(np.asarray(Image.fromarray(row).resize((600, 200 * row.shape[0] // (row.shape[1] // 3)))))
            Image.fromarray(np.concatenate([r[:, :600] for r in sheet], 0)).save(args.out / f"{name}-sheet.jpg",
                                                                                  quality=88)
            result["grades"][name] = {
                "photos_with_face": len(shifts_plain),
                "skin_hue_shift_deg_graded": round(float(np.mean(shifts_plain)), 2),
                "skin_hue_shift_deg_protected": round(float(np.mean(shifts_kept)), 2),
                "background_delta_e_protected_vs_full": round(float(np.mean(bg_de)), 3),
                "skin_delta_e_protected_vs_full": round(float(np.mean(skin_de)), 2)}
            print(name, result["grades"][name], flush=True)
    emit(result, args.out.with_suffix(".json"))


if __name__ == "__main__":
    main()
