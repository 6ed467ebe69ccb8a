"""A preset's editor-level controls (kinds/preset/controls.py): each round-trips, setting one changes only that
one, `--set` takes them, and the exports carry the same numbers."""
from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest

import lookgan
from lookgan.cli import main
from lookgan.kinds.capabilities import ApplyOptions, CapabilityError
from lookgan.kinds.look import as_restyler, load_look, look_settings
from lookgan.kinds.preset import controls
from tests.helpers import BUSY_PRESET, write_preset_look

#: A value inside each control's reach for the busy preset (its multiply/soft-light overlay).
WANTED = {"colour.amount": 150.0, "colour.warmth": 30.0, "colour.tint": -20.0, "colour.saturation": 25.0,
          "colour.contrast": 40.0, "vignette.amount": -25.0, "vignette.midpoint": 60.0, "vignette.feather": 70.0,
          "vignette.roundness": -40.0, "vignette.highlights": 40.0,
          "vignette.hue": 200.0, "vignette.saturation": 40.0, "tint.opacity": 10.0, "tint.hue": 30.0,
          "tint.saturation": 60.0, "film_grain.amount": 20.0, "film_grain.size": 60.0, "film_grain.colour": 75.0}


def _editor(settings: dict) -> dict[str, float]:
    return {k: v[0] for k, v in settings.items() if k in controls.CONTROLS}


@pytest.mark.parametrize("rings", [0, 4])
def test_every_control_round_trips_and_changes_only_itself(tmp_path, rings):
    restyler = as_restyler(load_look(write_preset_look(tmp_path / "p.look", BUSY_PRESET, rings=rings)))
    before = _editor(restyler.settings())
    assert list(restyler.settings())[:len(controls.CONTROLS)] == list(controls.CONTROLS)  # everyday ones first
    for name, value in WANTED.items():
        after = _editor(as_restyler(restyler.adjusted({name: value})).settings())
        assert after[name] == pytest.approx(value, abs=0.05), name
        others = {k: (before[k], after[k]) for k in before if k != name and abs(before[k] - after[k]) > 0.05}
        assert not others, (name, others)
    # all at once: every number as asked
    everything = as_restyler(restyler.adjusted(WANTED))
    assert _editor(everything.settings()) == pytest.approx(WANTED, abs=0.05)
    # the amount moved away and back: the same look (it moves along one line of opacity and lightness)
    back = as_restyler(as_restyler(restyler.adjusted({"vignette.amount": before["vignette.amount"] - 10})).adjusted(
        {"vignette.amount": before["vignette.amount"]}))
    photo = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    a, b = (r.network_grade(photo, ApplyOptions(), seed=1).astype(int) for r in (restyler, back))
    assert np.abs(a - b).max() <= 1


def test_vignette_amount_is_what_the_photo_shows(tmp_path):
    """-30 darkens mid-grey's corners by 30 % against the centre; +20 lightens them (a light vignette, which the
    multiply overlay cannot make: the control switches the corner colour to white)."""
    restyler = as_restyler(load_look(write_preset_look(tmp_path / "p.look", BUSY_PRESET)))
    grey = np.full((401, 401, 3), 128, np.uint8)
    for amount in (-30.0, 20.0, 0.0):
        adjusted = as_restyler(restyler.adjusted({"vignette.amount": amount, "film_grain.amount": 0}))
        out = adjusted.grade_array(grey, ApplyOptions(), seed=0).astype(float).mean(axis=2)
        assert out[0, 0] / out[200, 200] - 1 == pytest.approx(amount / 100, abs=0.02)


def test_set_and_adjust_take_editor_names_and_info_lists_them(tmp_path, capsys):
    look = write_preset_look(tmp_path / "p.look", BUSY_PRESET)
    assert main(["adjust", str(look), "--set", "vignette.amount=-10", "--set", "film_grain.amount=0",
                 "--out", str(tmp_path / "soft.look")]) == 0
    settings = look_settings(tmp_path / "soft.look")
    assert settings["vignette.amount"][0] == pytest.approx(-10, abs=0.05)
    assert settings["film_grain.amount"][0] == 0 and settings["grain.midtones"][0] == 0
    assert main(["info", str(tmp_path / "soft.look")]) == 0
    out = capsys.readouterr().out
    assert out.index("vignette.amount") < out.index("advanced") < out.index("overlay.opacity_out")
    with pytest.raises(CapabilityError, match="vignette.amount"):
        lookgan.adjust(look, {"vignette.amout": 3}, out=tmp_path / "typo.look")


def test_exports_carry_the_numbers_of_the_controls(tmp_path):
    look = lookgan.adjust(write_preset_look(tmp_path / "p.look", BUSY_PRESET),
                          {"vignette.amount": -35, "vignette.midpoint": 70, "vignette.feather": 60,
                           "vignette.roundness": 20, "vignette.highlights": 30, "film_grain.amount": 30,
                           "film_grain.size": 50},
                          out=tmp_path / "set.look")
    layers = as_restyler(look).editor_layers()
    assert 100 * layers.vignette.amount == pytest.approx(-35, abs=0.05)
    assert 100 * layers.vignette.midpoint == pytest.approx(70, abs=0.05)
    assert 100 * layers.vignette.feather == pytest.approx(60, abs=0.05)
    assert 100 * (1 - 2 * layers.vignette.roundness) == pytest.approx(20, abs=0.05)
    assert 1000 * layers.grain.amount == pytest.approx(30, abs=0.05)
    with zipfile.ZipFile(lookgan.export(look, format="xmp", out=tmp_path / "set.zip")) as z:
        preset = z.read("set-preset.xmp").decode()
    for field, value in (("PostCropVignetteAmount", -35), ("PostCropVignetteMidpoint", 70),
                         ("PostCropVignetteFeather", 60), ("PostCropVignetteRoundness", 20),
                         ("PostCropVignetteHighlightContrast", 30), ("GrainAmount", 30),
                         ("GrainSize", 50)):
        assert re.search(rf'{field}="{value}"', preset), field


def test_colour_trims_fold_into_every_table_and_old_looks_have_none(tmp_path):
    look = write_preset_look(tmp_path / "p.look", BUSY_PRESET, rings=3)
    restyler = as_restyler(look)
    photo = np.random.default_rng(2).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    base = restyler.grade_array(photo, ApplyOptions(strength=0.0), seed=0).astype(float)
    warm = as_restyler(restyler.adjusted({"colour.amount": 0, "colour.warmth": 60}))
    shift = warm.grade_array(photo, ApplyOptions(), seed=0).astype(float) - photo
    assert shift[..., 0].mean() > 5 and shift[..., 2].mean() < -5  # warmer, on the photo itself (amount 0)
    grey = as_restyler(restyler.adjusted({"colour.saturation": -100, "film_grain.amount": 0,
                                           "vignette.amount": 0}))
    out = grey.grade_array(photo, ApplyOptions(), seed=0).astype(int)
    assert np.abs(out[..., 0] - out[..., 2]).max() <= 2  # no chroma left, at the centre and in the corners
    lut = warm.as_lut()  # the .cube carries the trims
    assert float(lut[0].mean() - lut[2].mean()) > 0.05
    tensors = {k: v for k, v in load_look(look).tensors.items() if k != "trims"}  # a look from before trims
    from lookgan.kinds.preset.network import PresetNet

    old = PresetNet.from_tensors(tensors)
    assert controls.read(old)["colour.amount"] == 100 and controls.read(old)["colour.contrast"] == 0
    assert np.abs(base - photo).max() <= 1


def test_highlight_protection_spares_bright_values_in_apply_and_ffmpeg_alike(tmp_path):
    look = lookgan.adjust(write_preset_look(tmp_path / "p.look", BUSY_PRESET), {"film_grain.amount": 0},
                          out=tmp_path / "plain.look")
    spared = lookgan.adjust(look, {"vignette.highlights": 100}, out=tmp_path / "spared.look")
    assert look_settings(spared)["vignette.amount"][0] == pytest.approx(look_settings(look)["vignette.amount"][0],
                                                                        abs=0.05)
    bright, dark = np.full((64, 96, 3), 235, np.uint8), np.full((64, 96, 3), 60, np.uint8)
    change = {}
    for name, path in (("plain", look), ("spared", spared)):
        grade = as_restyler(path).grader(ApplyOptions())
        corner = lambda img: float(grade(img)[:4, :4].mean() / grade(img)[30:34, 46:50].mean())  # noqa: E731
        change[name] = (corner(bright), corner(dark))
    # bright corners keep more of their light once spared (against the centre), dark ones about as much
    assert change["spared"][0] > change["plain"][0] + 0.02
    # ffmpeg draws the same protection (its overlay table takes it)
    from tests.use.exporting.test_ffmpeg import _mean_de, _photo, _run_script

    src = tmp_path / "in.png"
    photo = _photo(src, 96, 144, seed=4)
    theirs = _run_script(lookgan.export(spared, format="ffmpeg", out=tmp_path / "s.ffmpeg"), src, tmp_path / "o.png")
    assert _mean_de(theirs, as_restyler(spared).grader(ApplyOptions())(photo)) < 1.0
