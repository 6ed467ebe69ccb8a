"""``export --format dtstyle``: Debian's darktable 4.2 imports the style (through its own Lua API, in a config
folder of the test's own) and darktable-cli processes bundled JPEGs with it: the colour through ``lut3d``, a
vignette through ``vignette``, the grain through ``grain`` — compared with ``lookgan apply``."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

import lookgan
from lookgan.core.errors import InputError
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler
from lookgan.use.eval.frame import grain_spectrum, lab_profile
from tests.helpers import bundled_jpegs, mean_delta_e, require_program, write_preset_look, write_warm_lut_look


def _process(style, photo, out, tmp_path):
    """Import ``style`` into a fresh darktable config (the .cube's folder as the 3D lut root) and export
    ``photo`` with it."""
    conf = tmp_path / f"dt-{out.stem}"
    conf.mkdir()
    (conf / "darktablerc").write_text(f"plugins/darkroom/lut3d/def_path={style.parent}\n")
    run = dict(check=True, timeout=180, capture_output=True)
    darktable = require_program("darktable-cli", "darktable")
    subprocess.run([darktable, str(photo), str(conf / "warmup.png"), "--core", "--configdir", str(conf),
                    "--luacmd", f"require('darktable').styles.import('{style}')"], **run)
    subprocess.run([darktable, str(photo), str(out), "--style", style.stem, "--core", "--configdir", str(conf)],
                   **run)
    return np.asarray(Image.open(out).convert("RGB"))


@pytest.fixture(scope="module")
def photos():
    return bundled_jpegs(2)


def test_the_colour_through_lut3d(tmp_path, photos):
    look = write_warm_lut_look(tmp_path)
    report: dict = {}
    style = lookgan.export(look, format="dtstyle", out=tmp_path / "out" / "warm.dtstyle", report=report)
    assert (tmp_path / "out" / "warm.cube").exists() and "not_in_lut" not in report
    text = style.read_text()
    assert "<operation>lut3d</operation>" in text and "<module>3</module>" in text
    grade = as_restyler(look).grader(ApplyOptions())
    des = [mean_delta_e(_process(style, p, tmp_path / f"dt{i}.png", tmp_path),
                    grade(np.asarray(Image.open(p).convert("RGB")))) for i, p in enumerate(photos)]
    assert max(des) < 1.5, des


VIGNETTE = {"overlay.opacity_in": 0.0, "overlay.opacity_out": 1.0, "overlay.radius": 0.3, "overlay.width": 0.7,
            "overlay.roundness": 1.0, "overlay.mode_multiply": 1.0, **{f"overlay.colour_out_{c}": 0.55 for c in "rgb"}}


def test_a_vignette_and_grain(tmp_path, photos):
    grainy = {**VIGNETTE, "grain.shadows": 0.02, "grain.midtones": 0.03, "grain.highlights": 0.02,
              "grain.size": 0.001, "grain.mono": 1.0}
    look = write_preset_look(tmp_path / "vig.look", grainy, order="colour_first")
    report: dict = {}
    style = lookgan.export(look, format="dtstyle", out=tmp_path / "vig.dtstyle", report=report)
    text = style.read_text()
    assert "<operation>vignette</operation>" in text and "<operation>grain</operation>" in text
    assert "colours and blend modes" in report["not_in_lut"]
    # the vignette, without grain on either side
    plain = lookgan.adjust(look, {"grain.shadows": 0, "grain.midtones": 0, "grain.highlights": 0},
                           out=tmp_path / "plain.look")
    plain_style = lookgan.export(plain, format="dtstyle", out=tmp_path / "plain.dtstyle")
    grade = as_restyler(plain).grader(ApplyOptions())
    image = np.asarray(Image.open(photos[0]).convert("RGB"))
    theirs, ours = _process(plain_style, photos[0], tmp_path / "v.png", tmp_path), grade(image)
    t_prof, o_prof, p_prof = (lab_profile(x)[:, 0] for x in (theirs, ours, image))
    assert (p_prof - o_prof)[-1] > 8
    assert np.abs((t_prof - t_prof[0]) - (o_prof - o_prof[0])).max() < 3
    # the grain, on a flat mid-grey frame: the same fine-band energy
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((400, 600, 3), 128, np.uint8)).save(grey)
    no_vignette = lookgan.adjust(look, {"overlay.opacity_out": 0.0}, out=tmp_path / "g.look")
    g_style = lookgan.export(no_vignette, format="dtstyle", out=tmp_path / "g.dtstyle")
    theirs = _process(g_style, grey, tmp_path / "g.png", tmp_path)
    ours = as_restyler(no_vignette).grader(ApplyOptions())(np.asarray(Image.open(grey)))
    ratio = grain_spectrum(theirs).energy / grain_spectrum(ours).energy
    assert ratio == pytest.approx(1.0, rel=0.25), ratio


def test_only_dtstyle_names(tmp_path):
    look = write_preset_look(tmp_path / "v.look", {})
    with pytest.raises(InputError, match="ends in .dtstyle"):
        lookgan.export(look, format="dtstyle", out=tmp_path / "v.xml")
