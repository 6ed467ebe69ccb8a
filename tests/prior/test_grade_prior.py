"""The colour grade prior (issue 27): leave-group-out, the shipped basis and its checksum, the synthetic grades, a
plain feed left nearly alone, a real grade kept, and the ``lut``/``ot`` kinds using it (with resume)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import lookgan
from lookgan.core.errors import LookganError
from lookgan.kinds.look import load_look
from lookgan.ops.color import delta_e2000_rgb
from lookgan.ops.lut3d import apply_lut, identity_lut
from lookgan.ops.transfer import ot_lut, sample_pixels
from lookgan.prior.basis import SHIPPED, leave_group_out, load_basis
from lookgan.prior.grades import sample_grades
from lookgan.prior.posterior import PriorSettings, gated_lut, measure, noise_model, noise_residuals, posterior
from lookgan.use.exporting.cube import read_hald

ASSETS = Path(lookgan.__file__).parent / "assets" / "colour_demo"


def _photos() -> list[torch.Tensor]:
    return [torch.from_numpy(np.array(Image.open(p).convert("RGB").resize((96, 72)))).permute(2, 0, 1).contiguous()
            for p in sorted((ASSETS / "photos").glob("*.jpg"))]


def _change(lut: torch.Tensor, truth: torch.Tensor, px: torch.Tensor) -> float:
    """Mean ΔE2000 between ``px`` through ``lut`` and through ``truth``."""
    def through(t: torch.Tensor) -> torch.Tensor:
        return apply_lut(px.T.reshape(3, 1, -1).float(), t.float()).reshape(3, -1).T.double().clamp(0, 1)
    return float(delta_e2000_rgb(through(lut), through(truth)).mean())


def test_leave_group_out_never_trains_on_the_scored_grade():
    names = [f"grade{i:02d}" for i in range(40)]
    allowed = leave_group_out(names, 5)
    for name, train in allowed.items():
        assert name not in train
        assert len(train) == 32  # the other four fifths, nothing more left out
    assert sum(name in train for train in allowed.values() for name in ["grade00"]) == 32


def test_shipped_basis_loads_and_refuses_a_tampered_copy(tmp_path):
    basis = load_basis()
    assert basis.components.shape == (64, 3 * 17 ** 3)
    gram = basis.components @ basis.components.T
    assert torch.allclose(gram, torch.eye(64, dtype=gram.dtype), atol=5e-3)  # stored in float16
    meta = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert "photos256" not in json.dumps(meta)  # never trained on research-only photos
    bad = tmp_path / SHIPPED.name
    shutil.copy(SHIPPED, bad)
    shutil.copy(SHIPPED.with_suffix(".json"), bad.with_suffix(".json"))
    with open(bad, "r+b") as f:
        f.seek(-8, 2)
        f.write(b"\x00" * 8)
    with pytest.raises(LookganError, match="checksum"):
        load_basis(bad)
    bad.with_suffix(".json").unlink()
    with pytest.raises(LookganError, match="train_prior.py"):
        load_basis(bad)


def test_the_basis_holds_a_film_grade_it_was_built_with():
    basis = load_basis()
    grade = read_hald(ASSETS / "grade.png")  # TealOrange, one of the 40 films the shipped basis learnt from
    px = sample_pixels(_photos(), 20_000, seed=0)
    assert _change(identity_lut(33), grade, px) > 8
    assert _change(basis.project(grade), grade, px) < 2.5


def test_synthetic_grades_vary_and_include_the_identity():
    gen = torch.Generator().manual_seed(0)
    grades = sample_grades(60, 9, gen, None, identity=0.2)
    ident = identity_lut(9)
    change = (grades - ident).abs().flatten(1).amax(1)
    assert (change == 0).sum() >= 4 and (change > 0.05).sum() >= 30
    assert torch.isfinite(grades).all() and grades.min() >= 0 and grades.max() <= 1


@pytest.fixture(scope="module")
def feeds():
    """The bundled photos as a user's 15 and a feed of 15 others; the noise model learnt from the user's."""
    photos = _photos()
    user, other = photos[::2], photos[1::2]  # both halves mix landscapes, objects and people
    basis = load_basis()
    settings = PriorSettings(pairs=150, pixels=8000, iterations=20)
    noise = noise_model(basis, noise_residuals(basis, user, len(other), settings))
    return basis, settings, noise, user, other


def _weigh(feeds, truth: torch.Tensor):
    basis, settings, noise, user, other = feeds
    feed = [apply_lut(o.float() / 255, truth) for o in other]
    up, fp = sample_pixels(user, settings.pixels, seed=1), sample_pixels(feed, settings.pixels, seed=2)
    evidence, _ = posterior(basis, noise, measure(basis, up, fp, settings))
    ot = ot_lut(sample_pixels(user, 30_000, seed=3), sample_pixels(feed, 30_000, seed=4), iterations=20)
    return evidence, ot, gated_lut(ot, evidence)


def test_a_plain_feed_leaves_photos_nearly_unchanged(feeds):
    evidence, ot, gated = _weigh(feeds, identity_lut(33))
    px = sample_pixels(feeds[3], 20_000, seed=9)
    # 15 + 15 very different photos (Kodak, wallpapers, portraits): the feed differs from the user's photos about
    # as much as their bootstrap samples differ from one another, and the prior says so
    assert evidence.sigmas < 1.5 and evidence.p_no_grade > 0.2
    assert _change(gated, identity_lut(33), px) < 0.8 * _change(ot, identity_lut(33), px)


def test_a_strong_grade_keeps_the_ot_fit(feeds):
    grade = read_hald(ASSETS / "grade.png")
    evidence, ot, gated = _weigh(feeds, grade)
    assert evidence.p_no_grade < 0.05
    px = sample_pixels(feeds[3], 20_000, seed=9)
    assert _change(gated, grade, px) <= _change(ot, grade, px) + 0.05  # the gate stays open: OT's fit, unshrunk


def _write(folder: Path, images: list[torch.Tensor], grade: torch.Tensor | None = None) -> Path:
    folder.mkdir(parents=True)
    for i, img in enumerate(images):
        x = img.float() / 255 if grade is None else apply_lut(img.float() / 255, grade)
        Image.fromarray((x.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(folder / f"{i:02d}.png")
    return folder


@pytest.fixture
def small_sets_allowed(monkeypatch):
    """The prior on the few bundled photos (it stands aside below 60 photos / 20 style images by default)."""
    from lookgan.prior import posterior as module

    monkeypatch.setattr(module, "MIN_PHOTOS", 5)
    monkeypatch.setattr(module, "MIN_FEED", 5)


def test_below_the_measured_range_the_prior_stands_aside(tmp_path):
    photos = _photos()
    user = _write(tmp_path / "photos", photos[:8])
    style = _write(tmp_path / "style", photos[8:16], read_hald(ASSETS / "grade.png"))
    ot = lookgan.train("ot", style, photos=user, out=tmp_path / "ot.look", config={"method": {"prior": True}})
    note = json.loads((ot.look / "look.json").read_text())["data"]["colour_prior"]
    assert "at least 60" in note["skipped"] and "got 8 and 8" in note["skipped"]
    plain = lookgan.train("ot", style, photos=user, out=tmp_path / "plain.look")
    assert torch.equal(load_look(ot.look).tensors["luts"], load_look(plain.look).tensors["luts"])


def test_kinds_use_the_prior_record_it_and_resume(tmp_path, small_sets_allowed):
    photos = _photos()
    user = _write(tmp_path / "photos", photos[:12])
    style = _write(tmp_path / "style", photos[12:24], read_hald(ASSETS / "grade.png"))
    ot = lookgan.train("ot", style, photos=user, out=tmp_path / "ot.look",
                       config={"method": {"prior": True, "prior_pairs": 6, "pixels": 5000}})
    note = json.loads((ot.look / "look.json").read_text())["data"]["colour_prior"]
    assert set(note) >= {"p_no_grade", "grade_strength", "difference_in_noise_units"}
    cfg = {"method": {"init": "prior", "prior_pairs": 6, "pixels": 5000, "n_luts": 1, "adaptive": False,
                      "load_size": 64, "crop_size": 64, "disc_size": 32, "gan": "on"}, "train": {"batch": 2}}
    lookgan.train("lut", style, photos=user, out=tmp_path / "lut.look", steps=2, config=cfg)
    first = json.loads((tmp_path / "lut.look" / "look.json").read_text())["data"]["colour_prior"]
    lookgan.train("lut", style, photos=user, out=tmp_path / "lut.look", steps=4, resume=True, config=cfg)
    meta = json.loads((tmp_path / "lut.look" / "look.json").read_text())
    assert meta["steps"] == 4 and meta["data"]["colour_prior"] == first


def test_train_and_info_say_what_the_prior_found(tmp_path, capsys, small_sets_allowed):
    from tests.cli.test_cli import run

    photos = _photos()
    user = _write(tmp_path / "photos", photos[:10])
    style = _write(tmp_path / "style", photos[10:20])  # no grade
    cfg = tmp_path / "ot.yaml"
    cfg.write_text("method:\n  prior: true\n  prior_pairs: 6\n  pixels: 4000\n")
    code, out = run(capsys, "train", "ot", str(style), "--photos", str(user), "--out", str(tmp_path / "x.look"),
                    "--config", str(cfg))
    assert code == 0 and "feed:" in out and "p(no grade)" in out
    code, out = run(capsys, "info", str(tmp_path / "x.look"))
    assert code == 0 and "feed " in out and "your photos' own" in out
    code, out = run(capsys, "eval", str(tmp_path / "x.look"), "--photos", str(user), "--out", str(tmp_path / "r.html"),
                    "--no-faces")
    assert code == 0 and "The colour prior on the style set" in (tmp_path / "r.html").read_text()
