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
import shutil
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
    parser.add_argument("--translator", type=Path, help="a texture look (fastcut/cut/cyclegan): measure face "
                        "landmark shift with and without --protect-faces on 30 held-out portraits")
    args = parser.parse_args()
    if args.translator:
        emit(_faces_kept(args.translator, args.out), args.out.parent / "portrait_faces.json")
        return
    import lookgan
    from lookgan.data.images import list_images, read_image
    from lookgan.kinds.look import as_restyler
    from lookgan.ops.color import delta_e2000, rgb_to_lab
    from lookgan.ops.lut3d import FastLUT
    from lookgan.ops.people import PortraitMasker
    from lookgan.use.eval.truth import hue_shift_degrees
    from lookgan.use.portrait import portrait_blend

    photos = [read_image(p, keep_8bit=True) for p in list_images(DATA / "faces")[: args.n]]
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "portrait", "photos": len(photos), "grades": {}}
    with tempfile.TemporaryDirectory() as tmp, PortraitMasker() as masker:
        masks = [masker(p) for p in photos]
        for name in args.luts:
            look = lookgan.import_lut(DATA / "luts" / f"{name}.png", out=Path(tmp) / f"{name}.look")
            fast = FastLUT(as_restyler(look).as_lut())
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
            result["grades"][name].update(_one_reference(name, look, fast, Path(tmp)))
            print(name, result["grades"][name], flush=True)
    emit(result, args.out.with_suffix(".json"))


def _one_reference(name: str, look: Path, fast, tmp: Path) -> dict:
    """ΔE2000 to the true grade on 40 held-out portraits: unchanged, a look from ONE graded portrait
    (`train lut REF --photos`), and the `ot` look learnt unpaired from 60 graded portraits (the same 60 plain
    photos as content in both)."""
    import lookgan
    from lookgan.data.images import list_images, read_image
    from lookgan.ops.color import delta_e2000_rgb

    paths = list_images(DATA / "faces")
    plain, graded_set, ref_paths, held = paths[:60], paths[60:120], paths[150:153], paths[200:240]
    root = tmp / f"{name}-oneref"
    for sub in ("plain", "graded"):
        (root / sub).mkdir(parents=True)
    for p in plain:
        shutil.copy(p, root / "plain" / p.name)
    for p in graded_set:
        Image.fromarray(fast(read_image(p, keep_8bit=True))).save(root / "graded" / f"{p.stem}.png")
    one, split = [], []
    for i, ref_path in enumerate(ref_paths):  # three different single references
        reference = root / f"reference{i}.png"
        Image.fromarray(fast(read_image(ref_path, keep_8bit=True))).save(reference)
        one.append(lookgan.train("lut", reference, photos=root / "plain", out=root / f"one{i}.look").look)
        split.append(lookgan.train("lut", reference, photos=root / "plain", out=root / f"split{i}.look",
                                   method_options={"per_region": True}).look)
    lookgan.train("ot", root / "graded", photos=root / "plain", out=root / "sixty.look")

    def mean_de(look_path) -> float:
        values = []
        for p in held:
            img = read_image(p, keep_8bit=True)
            out = _apply(look_path, img)
            truth = fast(img)
            values.append(float(delta_e2000_rgb(torch.from_numpy(out / 255.0).float(),
                                                torch.from_numpy(truth / 255.0).float()).mean()))
        return round(float(np.mean(values)), 2)

    return {"oneref_delta_e_unchanged": mean_de(None),
            "oneref_delta_e_one_reference": [mean_de(p) for p in one],
            "oneref_delta_e_one_reference_per_region": [mean_de(p) for p in split],
            "oneref_delta_e_ot_60_images": mean_de(root / "sixty.look")}


def _faces_kept(look_path: Path, out: Path) -> dict:
    """Face landmark shift (% of face size, MediaPipe face mesh) of a texture look, plain and with protect_faces."""
    import lookgan
    from lookgan.data.images import list_images, read_image
    from lookgan.kinds.capabilities import ApplyOptions
    from lookgan.kinds.look import as_restyler
    from lookgan.ops.people import PortraitMasker
    from lookgan.use.eval.faces import MediaPipeLandmarker, face_shift
    from lookgan.use.portrait import portrait_blend

    grade = as_restyler(look_path).grader(ApplyOptions())
    photos = [read_image(p, keep_8bit=True) for p in list_images(DATA / "faces")[300:330]]
    plain, kept, sheet = [], [], []
    with PortraitMasker() as masker:
        for img in photos:
            styled = grade(img)
            protected = portrait_blend(img, styled, masker(img), protect_faces=1.0)
            plain.append((img, styled))
            kept.append((img, protected))
            if len(sheet) < 4:
                sheet.append(np.asarray(Image.fromarray(np.concatenate([img, styled, protected], 1)).resize((600, 250))))
    Image.fromarray(np.concatenate(sheet, 0)).save(out / "faces-sheet.jpg", quality=88)
    landmarker = MediaPipeLandmarker()
    try:
        a, b = face_shift(plain, landmarker), face_shift(kept, landmarker)
    finally:
        landmarker.close()
    result = {"benchmark": "portrait_faces", "look": look_path.name, "kind": lookgan.load_look(look_path).kind,
              "photos": len(photos)}
    for name, r in (("plain", a), ("protect_faces", b)):
        result[name] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k != "per_image"}
    print(result, flush=True)
    return result


_MODELS: dict = {}


def _apply(look_path: Path | None, img: np.ndarray) -> np.ndarray:
    from lookgan.kinds.capabilities import ApplyOptions
    from lookgan.kinds.look import as_restyler

    if look_path is None:
        return img
    if look_path not in _MODELS:
        _MODELS[look_path] = as_restyler(look_path).grader(ApplyOptions())
    return _MODELS[look_path](img)


if __name__ == "__main__":
    main()
