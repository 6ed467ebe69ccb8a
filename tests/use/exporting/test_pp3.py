"""``export --format pp3``: Debian's rawtherapee-cli processes bundled JPEGs with the exported profile and gets what
``lookgan apply`` gets — the colour through Film Simulation (HaldCLUT), a vignette through its post-crop
vignette — and the profile says what RawTherapee cannot carry (grain, overlay colours)."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

import lookgan
from lookgan.core.errors import InputError
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler
from lookgan.use.eval.frame import lab_profile
from tests.helpers import bundled_jpegs, mean_delta_e, require_program, write_preset_look, write_warm_lut_look


def _process(profile, photo, out):
    rawtherapee = require_program("rawtherapee-cli", "rawtherapee")
    subprocess.run([rawtherapee, "-Y", "-n", "-o", str(out), "-p", str(profile), "-c", str(photo)], check=True,
                   timeout=120, capture_output=True)
    return np.asarray(Image.open(out).convert("RGB"))


@pytest.fixture(scope="module")
def photos():
    return bundled_jpegs(3)


def test_the_colour_through_film_simulation(tmp_path, photos):
    look = write_warm_lut_look(tmp_path)
    report: dict = {}
    profile = lookgan.export(look, format="pp3", out=tmp_path / "warm.pp3", report=report)
    text = profile.read_text()
    assert "[Film Simulation]" in text and str((tmp_path / "warm.png").resolve()) in text and "not_in_lut" not in report
    grade = as_restyler(look).grader(ApplyOptions())
    des = []
    for i, photo in enumerate(photos):
        theirs = _process(profile, photo, tmp_path / f"rt{i}.png")
        ours = grade(np.asarray(Image.open(photo).convert("RGB")))
        assert theirs.shape == ours.shape
        des.append(mean_delta_e(theirs, ours))
    assert max(des) < 1.5, des


def test_a_vignette_through_the_post_crop_vignette(tmp_path, photos):
    dark_corners = {"overlay.opacity_in": 0.0, "overlay.opacity_out": 1.0, "overlay.radius": 0.3,
                    "overlay.width": 0.7, "overlay.roundness": 1.0, "overlay.mode_multiply": 1.0,
                    **{f"overlay.colour_out_{c}": 0.55 for c in "rgb"},
                    "grain.midtones": 0.03, "grain.size": 0.003}
    look = write_preset_look(tmp_path / "vig.look", dark_corners)
    report: dict = {}
    profile = lookgan.export(look, format="pp3", out=tmp_path / "vig.pp3", report=report)
    text = profile.read_text()
    assert "[PCVignette]" in text and "grain" in report["not_in_lut"] and "# not carried" in text
    no_grain = lookgan.adjust(look, {"grain.midtones": 0.0}, out=tmp_path / "plain.look")
    grade = as_restyler(no_grain).grader(ApplyOptions())
    for i, photo in enumerate(photos[:2]):
        image = np.asarray(Image.open(photo).convert("RGB"))
        theirs, ours = _process(profile, photo, tmp_path / f"v{i}.png"), grade(image)
        t_prof, o_prof, p_prof = (lab_profile(x)[:, 0] for x in (theirs, ours, image))
        assert (p_prof - o_prof)[-1] > 8  # the look darkens the corners a lot...
        assert np.abs((t_prof - t_prof[0]) - (o_prof - o_prof[0])).max() < 3  # ...and RawTherapee follows it


def test_only_pp3_names(tmp_path):
    look = write_preset_look(tmp_path / "v.look", {})
    with pytest.raises(InputError, match="ends in .pp3"):
        lookgan.export(look, format="pp3", out=tmp_path / "v.txt")
