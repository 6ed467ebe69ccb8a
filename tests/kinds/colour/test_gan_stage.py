"""Issue 38: the ``lut`` kind's default keeps what its gated start found. The whole default training on the bundled
photos (a plain feed, a strong grade, a feed graded by the scene), the GAN stage switched by the evidence and by
``--gan on|off``, the scene test itself, and resume."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import lookgan
from lookgan.kinds.look import load_look
from lookgan.ops.color import delta_e2000_rgb
from lookgan.ops.lut3d import apply_lut, identity_lut
from lookgan.ops.transfer import ot_lut, sample_pixels
from lookgan.prior import scenes
from lookgan.training.checkpoint import load_latest_checkpoint
from lookgan.use.exporting.cube import read_hald

ASSETS = Path(lookgan.__file__).parent / "assets" / "colour_demo"
# The shipped defaults, on small pictures: what a user gets, only cheaper (fewer pairs and pixels, 64-px crops)
SMALL = {"lut_size": 17, "pixels": 8000, "prior_pairs": 150, "load_size": 64, "crop_size": 64, "disc_size": 32,
         "thumb_size": 64, "width": 4, "disc_width": 8, "n_samples": 2}
TRAIN = {"batch": 2, "sample_every": 0, "checkpoint_every": 4, "log_every": 1}


def _photos() -> list[torch.Tensor]:
    return [torch.from_numpy(np.array(Image.open(p).convert("RGB").resize((96, 72)))).permute(2, 0, 1).contiguous()
            for p in sorted((ASSETS / "photos").glob("*.jpg"))]


def _scale(img: torch.Tensor, gains: tuple[float, float, float]) -> torch.Tensor:
    return (img.float() * torch.tensor(gains)[:, None, None]).clamp(0, 255).to(torch.uint8)


def _scene_graded(images: list[torch.Tensor], threshold: float) -> list[torch.Tensor]:
    """Warm bright frames, cool dark ones (day and night): a grade no single LUT holds."""
    values = scenes.describe(images, "brightness")
    return [_scale(x, (1.5, 1.05, 0.5)) if v > threshold else _scale(x, (0.5, 0.9, 1.5))
            for x, v in zip(images, values)]


def _write(folder: Path, images: list[torch.Tensor]) -> Path:
    folder.mkdir(parents=True)
    for i, img in enumerate(images):
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(folder / f"{i:02d}.png")
    return folder


@pytest.fixture
def small_sets_allowed(monkeypatch):
    """The prior on the 15 + 15 bundled photos (it stands aside below 60 photos / 20 style images by default)."""
    from lookgan.prior import posterior

    monkeypatch.setattr(posterior, "MIN_PHOTOS", 5)
    monkeypatch.setattr(posterior, "MIN_FEED", 5)


@pytest.fixture(scope="module")
def sets():
    photos = _photos()
    user, other = photos[::2], photos[1::2]  # both halves mix landscapes, objects and people
    threshold = float(scenes.describe(photos, "brightness").median())
    return user, other, threshold


def _change(look: Path, truth: torch.Tensor, px: torch.Tensor) -> float:
    """Mean ΔE2000 between pixels through the look's mean LUT and through ``truth``."""
    model = load_look(look).build()
    lut = model.mean_lut().detach()
    def through(t: torch.Tensor) -> torch.Tensor:
        return apply_lut(px.T.reshape(3, 1, -1).float(), t.float()).reshape(3, -1).T.double().clamp(0, 1)
    return float(delta_e2000_rgb(through(lut), through(truth)).mean())


def _data(look: Path) -> dict:
    return json.loads((look / "look.json").read_text())["data"]


def test_a_plain_feed_through_the_whole_default_training_is_left_nearly_alone(tmp_path, sets, small_sets_allowed):
    user, other, _ = sets
    photos, feed = _write(tmp_path / "photos", user), _write(tmp_path / "feed", other)
    result = lookgan.train("lut", feed, photos=photos, out=tmp_path / "plain.look", config={"method": SMALL})
    data = _data(result.look)
    # the GAN stage stepped aside: the look is the gated start, written at once, and the summary says why
    assert result.step == 0 and result.checkpoint is None and data["colour_stage"]["gan"] is False
    assert "looks global" in data["colour_stage"]["why"] and not data["scenes"]["scene_dependent"]
    assert "no GAN stage" in data["colour_stage"]["why"]
    px = sample_pixels(user, 20_000, seed=9)
    ot = ot_lut(sample_pixels(user, 8000, seed=0), sample_pixels(other, 8000, seed=1), n=17)
    ot_change = float(delta_e2000_rgb(apply_lut(px.T.reshape(3, 1, -1).float(), ot).reshape(3, -1).T.double()
                                      .clamp(0, 1), px).mean())
    assert data["colour_prior"]["p_no_grade"] > 0.2
    assert _change(result.look, identity_lut(17), px) < 0.8 * ot_change


def test_a_strong_grade_keeps_its_fit(tmp_path, sets, small_sets_allowed):
    user, other, _ = sets
    grade = read_hald(ASSETS / "grade.png")
    graded = [(apply_lut(o.float() / 255, grade).clamp(0, 1) * 255 + 0.5).to(torch.uint8) for o in other]
    photos, feed = _write(tmp_path / "photos", user), _write(tmp_path / "feed", graded)
    result = lookgan.train("lut", feed, photos=photos, out=tmp_path / "grade.look", config={"method": SMALL})
    data = _data(result.look)
    assert result.step == 0 and data["colour_prior"]["p_no_grade"] < 0.05
    ot = lookgan.train("ot", feed, photos=photos, out=tmp_path / "ot.look",
                       config={"method": {"lut_size": 17, "pixels": 8000, "load_size": 64}})
    px = sample_pixels(user, 20_000, seed=9)
    assert _change(result.look, grade, px) <= _change(ot.look, grade, px) + 0.05  # OT's fit, unshrunk by the gate
    assert _change(result.look, grade, px) < 0.8 * _change(result.look, identity_lut(17), px)


def test_a_scene_dependent_feed_gets_the_split_start(tmp_path, sets):
    user, other, threshold = sets
    photos, feed = _write(tmp_path / "photos", user), _write(tmp_path / "feed", _scene_graded(other, threshold))
    result = lookgan.train("lut", feed, photos=photos, out=tmp_path / "scene.look", config={"method": SMALL})
    data = _data(result.look)
    assert data["scenes"]["scene_dependent"] and not data["colour_stage"]["gan"] and result.step == 0
    assert "depends on the scene" in data["colour_stage"]["why"]
    model = load_look(result.look).build()
    assert float(model.scene[0]) == 1.0
    # the two basis LUTs hold the two grades: on a grey, the bright frames' LUT is warmer than the dark ones'
    grey = torch.full((1, 3, 8, 8), 0.5)
    warm, cool = apply_lut(grey, model.luts[1].detach()), apply_lut(grey, model.luts[0].detach())
    assert float((warm[:, 0] - warm[:, 2]).mean()) > float((cool[:, 0] - cool[:, 2]).mean()) + 0.1
    # and a bright photo is mixed towards the first, a dark one towards the second
    bright, dark = torch.full((1, 3, 64, 64), 0.85), torch.full((1, 3, 64, 64), 0.08)
    with torch.no_grad():
        assert float(model.weights(bright)[0, 1]) > 0.8 and float(model.weights(dark)[0, 0]) > 0.8


def test_the_evidence_and_the_flag_switch_the_gan_stage(tmp_path, sets):
    user, other, threshold = sets
    photos = _write(tmp_path / "photos", user)
    plain, scene = _write(tmp_path / "plain", other), _write(tmp_path / "scene", _scene_graded(other, threshold))
    on = lookgan.train("lut", plain, photos=photos, out=tmp_path / "on.look", steps=3,
                       config={"method": SMALL, "train": TRAIN}, method_options={"gan": "on"})
    stage = _data(on.look)["colour_stage"]
    assert on.step == 3 and stage["gan"] and stage["why"].endswith("then the GAN stage (--gan on)")
    # auto: by the evidence, the scene-dependent feed gets the GAN stage, the plain one does not
    auto = {"method": SMALL, "train": TRAIN}
    a = lookgan.train("lut", scene, photos=photos, out=tmp_path / "a.look", steps=3, config=auto,
                      method_options={"gan": "auto"})
    b = lookgan.train("lut", plain, photos=photos, out=tmp_path / "b.look", steps=3, config=auto,
                      method_options={"gan": "auto"})
    assert a.step == 3 and _data(a.look)["colour_stage"]["gan"] and float(load_look(a.look).build().scene[0]) == 1
    assert b.step == 0 and not _data(b.look)["colour_stage"]["gan"]
    glob = lookgan.train("lut", scene, photos=photos, out=tmp_path / "global.look", config={"method": SMALL},
                         method_options={"adaptive": False, "n_luts": 1})
    assert glob.step == 0 and "scenes" not in _data(glob.look)  # one LUT: nothing to split, no GAN


def test_the_cli_says_which_stage_was_used(tmp_path, capsys, sets):
    from tests.cli.test_cli import run

    user, other, _ = sets
    photos, feed = _write(tmp_path / "photos", user), _write(tmp_path / "feed", other)
    cfg = tmp_path / "small.yaml"
    # "gan: off" as YAML reads it (a boolean) is the off it says
    cfg.write_text("method:\n" + "".join(f"  {k}: {v}\n" for k, v in {**SMALL, "init": "ot", "gan": "off"}.items()))
    code, out = run(capsys, "train", "lut", str(feed), "--photos", str(photos), "--out", str(tmp_path / "x.look"),
                    "--config", str(cfg))
    assert code == 0 and "colour:" in out and "gated start is the look" in out and "no training steps" in out
    code, out = run(capsys, "train", "lut", "--help")
    assert code == 0 and "--gan [auto|on|off]" in out


def test_a_scene_dependent_run_resumes_bit_exact_with_its_decision(tmp_path, sets):
    user, other, threshold = sets
    photos, feed = _write(tmp_path / "photos", user), _write(tmp_path / "feed", _scene_graded(other, threshold))
    kw = dict(photos=photos, config={"method": {**SMALL, "gan": "auto"}, "train": TRAIN})
    lookgan.train("lut", feed, out=tmp_path / "straight.look", steps=8, **kw)
    lookgan.train("lut", feed, out=tmp_path / "halves.look", steps=4, **kw)
    lookgan.train("lut", feed, out=tmp_path / "halves.look", steps=8, resume=True, **kw)
    a = load_latest_checkpoint(tmp_path / "straight.look" / "checkpoints")
    b = load_latest_checkpoint(tmp_path / "halves.look" / "checkpoints")
    assert a.step == b.step == 8
    for k, v in a.tensors.items():
        if k.startswith(("net.", "opt.", "buf.")):
            assert torch.equal(v, b.tensors[k]), k
    assert _data(tmp_path / "halves.look")["colour_stage"] == _data(tmp_path / "straight.look")["colour_stage"]


def test_the_scene_test_tells_a_scene_rule_from_a_global_grade(sets):
    user, other, threshold = sets
    settings = scenes.SceneSettings(pairs=20)
    split = scenes.weigh_scenes(user, _scene_graded(other, threshold), settings)
    warm = scenes.weigh_scenes(user, [_scale(o, (1.25, 1.0, 0.7)) for o in other], settings)
    plain = scenes.weigh_scenes(user, other, settings)
    assert split.dependent and not warm.dependent and not plain.dependent
    assert split.difference > warm.difference and split.null == warm.null  # one null per photos and feed size
    w = split.weights(torch.tensor([split.threshold - 1.0, split.threshold + 1.0]))
    assert torch.allclose(w, torch.tensor([[1.0, 0.0], [0.0, 1.0]]), atol=1e-3)
