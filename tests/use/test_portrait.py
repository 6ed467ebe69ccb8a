"""Portrait masks on real portraits, feathering, the blend maths, and apply with per-region strengths."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import lookgan
from lookgan.core.errors import InputError
from lookgan.data.images import list_images, read_image
from lookgan.ops.people import PortraitMasks, feather, skin_likelihood
from lookgan.use.eval.truth import hue_shift_degrees
from lookgan.use.portrait import PortraitOptions, portrait_blend

mediapipe = pytest.importorskip("mediapipe")


@pytest.fixture(scope="module")
def portraits():
    from lookgan.use.demos import demo_images_dir

    return [read_image(p, keep_8bit=True) for p in list_images(demo_images_dir())[:6]]


def test_masks_on_real_portraits(portraits):
    from lookgan.ops.people import PortraitMasker

    with PortraitMasker() as masker:
        masks = [masker(img) for img in portraits]
        flat = masker(np.full((120, 160, 3), (90, 140, 200), np.uint8))  # a plain blue card: nobody there
    for img, m in zip(portraits, masks):
        assert m.person.shape == m.skin.shape == img.shape[:2]
        for mask in (m.person, m.skin):
            assert mask.dtype == np.float32 and 0 <= mask.min() and mask.max() <= 1
        assert m.face_found
        assert 0.15 < m.person.mean() < 0.9  # a portrait is mostly person, not all of it
        assert (m.skin <= m.person + 0.05).all()  # skin lies on the person
        h, w = m.person.shape
        centre = m.person[h // 4: 3 * h // 4, w // 3: 2 * w // 3].mean()
        corners = np.mean([m.person[:h // 8, :w // 8].mean(), m.person[:h // 8, -w // 8:].mean()])
        assert centre > 0.6 and corners < 0.3
        assert m.skin.sum() > 0.02 * h * w  # a face's worth of skin
    assert flat.person.max() < 0.5 and not flat.face_found


def test_feathering_softens_edges_without_moving_them():
    hard = np.zeros((64, 64), np.float32)
    hard[:, 32:] = 1
    soft = feather(hard, 3.0)
    row = soft[32]
    assert row[:20].max() < 0.02 and row[44:].min() > 0.98  # far from the edge: unchanged
    assert 0.3 < row[31] < 0.7 and 0.3 < row[32] < 0.7  # at the edge: halfway
    assert (np.diff(row) >= -1e-6).all()  # monotonic ramp, no ringing
    assert np.abs(np.diff(row)).max() < 0.2


def test_skin_likelihood_prefers_skin_tones():
    skin = np.array([[[224, 172, 140], [141, 85, 36]]], np.uint8)
    other = np.array([[[40, 90, 200], [30, 160, 60]]], np.uint8)
    assert skin_likelihood(skin).min() > 0.9 and skin_likelihood(other).max() < 0.1


def _masks(h=32, w=32):
    person = np.zeros((h, w), np.float32)
    person[:, : w // 2] = 1
    skin = np.zeros((h, w), np.float32)
    skin[: h // 2, : w // 2] = 1
    return PortraitMasks(person=person, skin=skin, face_found=True)


def test_region_strengths_and_no_overshoot():
    rng = np.random.default_rng(0)
    photo = rng.random((32, 32, 3), dtype=np.float32)
    look = np.clip(photo * [1.2, 0.9, 0.6] + [0.05, 0, 0], 0, 1).astype(np.float32)
    m = _masks()
    m.person = feather(m.person, 2.0)
    out = portrait_blend(photo, look, m, person_strength=0.25, background_strength=1.0)
    s = 0.25 * m.person + 1.0 * (1 - m.person)
    np.testing.assert_allclose(out, photo + s[..., None] * (look - photo), atol=1e-6)
    lo, hi = np.minimum(photo, look), np.maximum(photo, look)
    assert (out >= lo - 1e-6).all() and (out <= hi + 1e-6).all()  # between photo and look: no halo
    np.testing.assert_allclose(portrait_blend(photo, look, m), look, atol=1e-6)
    with pytest.raises(InputError, match="between 0 and 1"):
        portrait_blend(photo, look, m, protect_skin=1.5)


def test_protect_skin_keeps_skin_hue_and_leaves_the_background_alone():
    photo = np.zeros((32, 32, 3), np.uint8)
    photo[:] = (205, 150, 120)  # skin tone everywhere
    teal = photo.astype(np.float32).copy()
    teal[..., 0] *= 0.6  # a teal-orange grade pushes skin towards green-cyan
    teal[..., 2] = np.clip(teal[..., 2] * 1.4, 0, 255)
    teal = teal.astype(np.uint8)
    m = _masks()
    plain = portrait_blend(photo, teal, m)
    kept = portrait_blend(photo, teal, m, protect_skin=1.0)
    skin = m.skin
    assert hue_shift_degrees(photo, plain, skin) > 20
    assert hue_shift_degrees(photo, kept, skin) < 0.1 * hue_shift_degrees(photo, plain, skin)
    background = m.person == 0
    assert np.array_equal(kept[background], plain[background])  # the grade off the person is untouched
    lab_lightness_kept = np.asarray(Image.fromarray(kept).convert("L"), float)[skin > 0].mean()
    assert abs(lab_lightness_kept - np.asarray(Image.fromarray(plain).convert("L"), float)[skin > 0].mean()) < 12


def test_apply_with_region_strengths_on_a_portrait(tmp_path, portraits):
    from tests.helpers import warm_grade, write_colour_case

    case = write_colour_case(tmp_path / "case", warm_grade, n=6, n_held=1)
    lookgan.train("ot", case / "style", photos=case / "content", out=tmp_path / "w.look")
    src = tmp_path / "p.png"
    Image.fromarray(portraits[0]).save(src)
    full = lookgan.apply(tmp_path / "w.look", [src], out=tmp_path / "full", progress=False)[0]
    bg_only = lookgan.apply(tmp_path / "w.look", [src], out=tmp_path / "bg", progress=False,
                            portrait=PortraitOptions(person_strength=0.0, background_strength=1.0))[0]
    from lookgan.ops.people import PortraitMasker

    with PortraitMasker() as masker:
        m = masker(portraits[0])
    a, b, p = (np.asarray(Image.open(x), float) for x in (full, bg_only, src))
    person, background = m.person > 0.95, m.person < 0.05
    assert np.abs(b[person] - p[person]).mean() < 2.0  # people untouched
    assert np.abs(b[background] - a[background]).mean() < 2.0  # background fully graded
    assert np.abs(a[person] - p[person]).mean() > 5.0  # (and the look does change people at full strength)


def test_protect_faces_keeps_the_photo_detail_inside_faces():
    from lookgan.use.portrait import _blur

    rng = np.random.default_rng(1)
    photo = (0.3 + 0.4 * rng.random((48, 48, 3))).astype(np.float32)  # away from 0 and 1: nothing clips
    look = (0.5 * photo[::-1] + 0.2).astype(np.float32)  # "geometry" moved: the picture is flipped
    m = _masks(48, 48)
    m.face = np.zeros((48, 48), np.float32)
    m.face[8:40, 8:24] = 1
    out = portrait_blend(photo, look, m, protect_faces=1.0)
    detail = lambda x: (torch.from_numpy(x) - _blur(torch.from_numpy(x), 0.01 * np.hypot(48, 48))).numpy()  # noqa: E731
    inside = (slice(12, 36), slice(12, 20))
    kept = np.abs(detail(out)[inside] - detail(photo)[inside]).mean()
    moved = np.abs(detail(look)[inside] - detail(photo)[inside]).mean()
    assert moved > 0.05 and kept < 0.25 * moved, (kept, moved)  # the face's detail is the photo's, not the look's
    np.testing.assert_allclose(out[m.face == 0], look[m.face == 0], atol=1e-6)  # elsewhere: the look


def test_clear_message_without_the_faces_extra(monkeypatch):
    import importlib

    from lookgan.core import extras

    real_import, real_version = importlib.import_module, extras._version

    def no_mediapipe(name, *args, **kwargs):
        if name == "mediapipe" or name.startswith("mediapipe."):
            raise ImportError("No module named 'mediapipe'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_mediapipe)
    monkeypatch.setattr(extras, "_version", lambda dist: None if dist == "mediapipe" else real_version(dist))
    from lookgan.ops.people import PortraitMasker

    with pytest.raises(InputError, match=r"pip install 'lookgan\[faces\]'"):
        PortraitMasker()


def _delta_e(a: np.ndarray, b: np.ndarray) -> float:
    import torch

    from lookgan.ops.color import delta_e2000_rgb

    return float(delta_e2000_rgb(torch.from_numpy(a / 255.0).float(), torch.from_numpy(b / 255.0).float()).mean())


def test_one_reference_fit_on_a_synthetic_grade(tmp_path):
    """One graded picture is enough to recover most of a global grade on other pictures, when its colours are as
    varied as theirs (here a mosaic of the same kind of pictures; a one-colour reference cannot teach a grade)."""
    from lookgan.ops.lut3d import apply_lut_image
    from lookgan.ops.transfer import reference_lut
    from tests.helpers import colourful_image, warm_grade

    rng = np.random.default_rng(3)
    reference = warm_grade(np.concatenate([colourful_image(rng, 64) for _ in range(6)], axis=1))
    photos = [colourful_image(rng, 64) for _ in range(8)]
    lut, summary = reference_lut(reference, photos)
    assert summary["regions"] == ["all"] and lut.shape == (3, 33, 33, 33)
    held = [colourful_image(rng, 64) for _ in range(4)]
    before = np.mean([_delta_e(h.astype(float), warm_grade(h).astype(float)) for h in held])
    after = np.mean([_delta_e(apply_lut_image(h, lut).astype(float), warm_grade(h).astype(float)) for h in held])
    assert after < 0.5 * before, (before, after)


def test_one_reference_look_from_the_cli_on_portraits(tmp_path, portraits):
    """`lookgan train lut REF.jpg --photos DIR` on real portraits (whole pictures; --per-region splits person and
    background)."""
    from lookgan.cli import main
    from tests.helpers import warm_grade

    ref = tmp_path / "ref.png"
    Image.fromarray(warm_grade(portraits[0])).save(ref)
    mine = tmp_path / "mine"
    mine.mkdir()
    for i, img in enumerate(portraits[1:5]):
        Image.fromarray(img).save(mine / f"{i}.png")
    assert main(["train", "lut", str(ref), "--photos", str(mine), "--out", str(tmp_path / "split.look"),
                 "--per-region"]) == 0
    assert lookgan.load_look(tmp_path / "split.look").meta["data"]["fit"]["regions"] == ["person", "background"]
    assert main(["train", "lut", str(ref), "--photos", str(mine), "--out", str(tmp_path / "one.look")]) == 0
    look = lookgan.load_look(tmp_path / "one.look")
    assert look.meta["data"]["fit"]["regions"] == ["all"]
    held = portraits[5]
    out = lookgan.apply(look, [mine / "0.png"], out=tmp_path / "o", progress=False)[0]
    got = np.asarray(Image.open(out), float)
    truth = warm_grade(portraits[1]).astype(float)
    assert _delta_e(got, truth) < 0.6 * _delta_e(portraits[1].astype(float), truth)
    assert held.shape[2] == 3
