"""`lookgan eval` end to end: the JSON names, the HTML report and its pictures, generator looks, --sets,
FID/KID where weights exist (random ones here) and their honest absence where they do not."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import torch

from lookgan import api
from lookgan.cli import main
from lookgan.core.errors import InputError
from lookgan.use.demos import demo_images_dir
from tests.helpers import warm_grade, write_colour_case, write_image_folder

ASSETS = Path(api.__file__).resolve().parent / "assets"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        self._in_cell = tag in ("td", "th")

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data.strip())


def _parse(report: Path) -> _Page:
    page = _Page()
    page.feed(report.read_text(encoding="utf-8"))
    for src in page.images:
        assert (report.parent / src).is_file(), src
    return page


@pytest.fixture(autouse=True)
def no_inception(monkeypatch, tmp_path):
    """An empty cache and no LOOKGAN_INCEPTION: the offline situation of this machine, made explicit."""
    monkeypatch.setenv("LOOKGAN_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("LOOKGAN_INCEPTION", raising=False)


@pytest.fixture
def colour_case(tmp_path) -> Path:
    return write_colour_case(tmp_path / "case", warm_grade, n=8, n_held=4, size=48)


def test_colour_look_report_and_json_offline(tmp_path, colour_case):
    look = tmp_path / "ot.look"
    api.train("ot", colour_case / "style", photos=colour_case / "content", out=look)
    m = api.evaluate(look, photos=colour_case / "held", style=colour_case / "style", truth=colour_case / "truth",
                     out=tmp_path / "r" / "report.html", json_path=tmp_path / "m.json", faces=False, size=32,
                     progress=False)
    saved = json.loads((tmp_path / "m.json").read_text())
    assert {"swd", "color_swd", "delta_e2000", "psnr", "ssim", "content_ssim", "n_images"} <= set(saved)
    assert "fid" not in saved and "kid" not in saved and "Inception" in saved["skipped"]["fid"]
    assert saved["n_images"] == 4 and saved["n_style"] == 8
    # The look moves the photos' colours towards the style set, and keeps their structure.
    assert saved["color_swd"] < 0.6 * saved["color_swd_before"]
    assert saved["content_ssim"] > 0.9 and 0 < saved["ssim"] <= 1
    page = _parse(Path(m["report"]))
    assert len(page.images) >= 5  # 4 before/after rows + the LUT
    assert "content_ssim" in page.cells and "color_swd" in page.cells


def test_style_defaults_to_the_looks_training_folder(tmp_path, colour_case):
    look = tmp_path / "r.look"
    api.train("reinhard", colour_case / "style", photos=colour_case / "content", out=look)
    m = api.evaluate(look, photos=colour_case / "held", faces=False, size=32, progress=False)
    assert m["style"] == str(colour_case / "style") and "swd" in m and "delta_e2000" not in m


def test_generator_look_report(tmp_path, trained_dcgan_look):
    held = write_image_folder(tmp_path / "held", 6, seed=3)
    train = write_image_folder(tmp_path / "train", 8)
    m = api.evaluate(trained_dcgan_look, style=train, held=held, n_generate=12,
                     out=tmp_path / "gen.html", json_path=tmp_path / "g.json", progress=False)
    saved = json.loads((tmp_path / "g.json").read_text())
    assert {"swd", "color_swd", "nn_gen", "nn_held", "nn_ratio", "copy_rate", "n_images"} <= set(saved)
    assert saved["n_images"] == 12 and saved["reference"] == "held" and saved["nn_gen"] > 0
    page = _parse(Path(m["report"]))
    assert any("samples" in s for s in page.images) and any("nearest" in s for s in page.images)
    with pytest.raises(InputError, match="does not restyle photos"):
        api.evaluate(trained_dcgan_look, style=held, photos=held)


def test_eval_usage_errors(capsys, tmp_path, colour_case):
    look = tmp_path / "ot.look"
    api.train("ot", colour_case / "style", photos=colour_case / "content", out=look)
    assert main(["eval"]) == 2
    assert main(["eval", str(look)]) == 2  # a colour look needs --photos
    assert main(["eval", str(look), "--sets", str(colour_case / "style"), str(colour_case / "content")]) == 2
    assert main(["eval", str(look), "--photos", str(colour_case / "held"), "--truth", str(colour_case / "style")]) == 2
    err = capsys.readouterr().err
    assert "--photos DIR" in err and "counterpart of the same name" in err


def test_sets_with_and_without_inception_weights(capsys, tmp_path, colour_case, monkeypatch):
    a, b = colour_case / "style", colour_case / "content"
    code = main(["eval", "--sets", str(a), str(b), "--size", "32", "--json", str(tmp_path / "s.json")])
    out = capsys.readouterr().out
    saved = json.loads((tmp_path / "s.json").read_text())
    assert code == 0 and {"swd", "color_swd", "n_images"} <= set(saved) and "fid" not in saved
    assert "not measured: fid, kid" in out
    # Random weights stand in for the real file: the FID/KID path runs end to end and yields numbers.
    from lookgan.use.eval.inception import FIDInceptionV3

    torch.manual_seed(0)
    torch.save(FIDInceptionV3().state_dict(), tmp_path / "random-inception.pth")
    monkeypatch.setenv("LOOKGAN_INCEPTION", str(tmp_path / "random-inception.pth"))
    code = main(["eval", "--sets", str(a), str(b), "--size", "32", "--json", str(tmp_path / "f.json")])
    saved = json.loads((tmp_path / "f.json").read_text())
    assert code == 0 and np.isfinite(saved["fid"]) and saved["fid"] >= 0 and "kid" in saved
    assert saved["skipped"] == {}


def test_face_metrics_with_mediapipe_on_real_portraits(tmp_path):
    """A colour grade keeps every face where it was; a geometric warp moves the landmarks."""
    pytest.importorskip("mediapipe")
    from PIL import Image

    from lookgan.data.images import read_image
    from lookgan.use.eval.faces import MediaPipeLandmarker, face_shift

    faces_dir = demo_images_dir()
    photos = tmp_path / "portraits"
    photos.mkdir()
    for p in sorted(faces_dir.glob("*.jpg"))[:4]:
        (photos / p.name).write_bytes(p.read_bytes())
    look = api.import_lut(ASSETS / "colour_demo" / "grade.png", out=tmp_path / "film.look")
    m = api.evaluate(look, photos=photos, faces=True, size=32, progress=False)
    assert m["face_detected_before"] == 1.0 and m["face_detected_after"] == 1.0 and m["n_faces"] == 4
    assert m["face_shift"] < 1.5
    image = read_image(photos / sorted(p.name for p in photos.iterdir())[0], keep_8bit=True)
    h, w = image.shape[:2]
    wide = np.asarray(Image.fromarray(image).resize((int(w * 1.15), h)))[:, (int(w * 1.15) - w) // 2:][:, :w]
    with MediaPipeLandmarker() as landmarker:
        warped = face_shift([(image, np.ascontiguousarray(wide))], landmarker)
    assert warped["face_shift"] > 2 * m["face_shift"] and warped["face_shift"] > 2.0


# --- across the frame, and the grain -------------------------------------------------------------------------
def test_lab_profile_and_grain_spectrum_see_a_vignette_and_grain():
    from lookgan.use.eval.frame import grain_spectrum, lab_profile, profile_error

    flat = np.full((90, 160, 3), 0.5, np.float32)
    assert np.abs(np.diff(lab_profile(flat)[:, 0])).max() < 1e-6
    y, x = np.mgrid[0:90, 0:160]
    d2 = (((x + 0.5) / 160 * 2 - 1) ** 2 + ((y + 0.5) / 90 * 2 - 1) ** 2) / 2
    vignette = flat * (1 - 0.5 * d2)[..., None]
    prof = lab_profile(vignette)
    assert np.all(np.diff(prof[:, 0]) < 0) and profile_error(prof, lab_profile(flat)) > 5
    # relative to the centre: a darker copy of the same vignette is much closer than no vignette
    assert profile_error(prof, lab_profile(vignette * 0.8)) < 0.5 * profile_error(prof, lab_profile(flat))
    rng = np.random.default_rng(0)
    fine = np.clip(0.5 + 0.05 * rng.standard_normal((256, 256, 1)), 0, 1).repeat(3, 2)
    coarse_noise = torch.nn.functional.interpolate(torch.from_numpy(rng.standard_normal((1, 1, 64, 64))),
                                                   size=(256, 256), mode="bicubic")[0, 0].numpy()
    coarse = np.clip(0.5 + 0.05 * coarse_noise / coarse_noise.std(), 0, 1)[..., None].repeat(3, 2)
    g_flat, g_fine, g_coarse = (grain_spectrum(i.astype(np.float32)) for i in (flat, fine, coarse))
    assert g_flat.energy < 1e-12 < g_fine.energy
    # white noise minus its 5x5 mean has 24/25 of its variance; the flattest quarter of 64-pixel blocks ~0.8x that
    assert 0.7 < g_fine.energy / (0.05**2 * 24 / 25) < 0.9
    assert g_coarse.autocorr[0] > 0.5 > abs(g_fine.autocorr[0])  # coarse grain stays correlated over a pixel


def test_report_shows_profiles_grain_and_settings_of_a_preset(tmp_path):
    from PIL import Image

    from lookgan.kinds.capabilities import ApplyOptions
    from lookgan.kinds.look import as_restyler
    from tests.helpers import BUSY_PRESET, write_preset_look

    look = write_preset_look(tmp_path / "v.look", BUSY_PRESET)
    grade = as_restyler(look).grader(ApplyOptions())
    rng = np.random.default_rng(4)
    for folder, n in (("photos", 4), ("style", 6)):
        (tmp_path / folder).mkdir()
        for i in range(n):
            small = rng.integers(60, 200, (5, 7, 3), dtype=np.uint8)
            img = np.asarray(Image.fromarray(small).resize((140, 100), Image.BICUBIC))
            Image.fromarray(grade(img) if folder == "style" else img).save(tmp_path / folder / f"{i}.png")
    m = api.evaluate(look, photos=tmp_path / "photos", style=tmp_path / "style", out=tmp_path / "r" / "report.html",
                     size=32, progress=False, faces=False)
    assert m["radial_l"] < 0.3 * m["radial_l_before"]  # the vignette is there in the results
    assert m["grain_energy_ratio"] == pytest.approx(1.0, rel=0.3) and m["grain_energy_ratio_before"] < 0.3
    html = (tmp_path / "r" / "report.html").read_text()
    assert "Across the frame, and the grain" in html and "overlay.opacity_out" in html and "vignette error" in html
    assert (tmp_path / "r" / "report_files" / "frame-and-grain.png").stat().st_size > 10_000
