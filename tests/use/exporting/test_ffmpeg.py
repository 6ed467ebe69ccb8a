"""``export --format ffmpeg``: Debian's ffmpeg runs the script and gives what ``lookgan apply`` gives — colour and
overlay within 2 ΔE2000 on 4x-downscaled images, grain of the same energy — at any size; a LUT-only look gets
``lut3d`` alone; paths ffmpeg cannot parse are refused with the reason."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import lookgan
from lookgan.core.errors import InputError
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler
from lookgan.kinds.preset.ffmpeg import _piecewise, upsampled_noise_std
from lookgan.kinds.preset.network import PresetNet
from lookgan.ops.color import delta_e2000, rgb_to_lab
from lookgan.use.exporting.ffmpeg import lut3d_filter
from tests.helpers import BUSY_PRESET, write_preset_look

from .test_cube import _ffmpeg_run


def _photo(path, h, w, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.integers(20, 236, (6, 8, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))
    Image.fromarray(img).save(path)
    return img


def _run_script(script, src, dst):
    _ffmpeg_run("-i", str(src), "-filter_complex_script", str(script), "-frames:v", "1", "-pix_fmt", "rgb24",
                str(dst))
    return np.asarray(Image.open(dst).convert("RGB"))


def _down4(img):
    t = torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None]
    return torch.nn.functional.avg_pool2d(t, 4)[0].permute(1, 2, 0)


def _mean_de(a, b):
    return float(delta_e2000(rgb_to_lab(_down4(a)), rgb_to_lab(_down4(b))).mean())


def _grain_energy(img):
    """Mean square of the fine band (image minus its 3x3 box blur), per channel."""
    t = torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None]
    fine = t - torch.nn.functional.avg_pool2d(t, 3, stride=1, padding=1, count_include_pad=False)
    return float(fine[..., 2:-2, 2:-2].pow(2).mean())


@pytest.mark.parametrize("order,size", [("overlay_first", (240, 360)), ("colour_first", (251, 187))])
def test_ffmpeg_script_matches_apply(tmp_path, order, size):
    look = write_preset_look(tmp_path / "p.look", BUSY_PRESET, order=order)
    src = tmp_path / "in.png"
    photo = _photo(src, *size)
    report: dict = {}
    script = lookgan.export(look, format="ffmpeg", out=tmp_path / "p.ffmpeg", report=report)
    assert (tmp_path / "p.cube").exists() and report["lut"].endswith("p.cube") and "not_in_lut" not in report
    theirs = _run_script(script, src, tmp_path / "out.png")
    ours = as_restyler(look).grader(ApplyOptions())(photo)
    assert theirs.shape == ours.shape
    assert _mean_de(theirs, ours) < 2.0, _mean_de(theirs, ours)
    # the vignette is there: without the overlay the corners would be far off
    flat = write_preset_look(tmp_path / "flat.look", {**BUSY_PRESET, "overlay.opacity_in": 0, "overlay.opacity_out": 0},
                        order=order)
    assert _mean_de(as_restyler(flat).grader(ApplyOptions())(photo), ours) > 3.0
    e_theirs, e_ours, e_photo = (_grain_energy(i) for i in (theirs, ours, photo))
    assert e_ours > 3 * e_photo  # the grain dominates the fine band
    assert e_theirs == pytest.approx(e_ours, rel=0.2)
    # a rerun writes the same file
    assert np.array_equal(theirs, _run_script(script, src, tmp_path / "again.png"))


def test_radial_colour_rings_are_carried_as_curves_by_ring_position(tmp_path):
    """A look whose colour changes towards the corners: the global LUT, then one curve per channel and ring,
    blended by a mask of the ring position as `apply` blends the rings' LUTs."""
    look = write_preset_look(tmp_path / "r.look", {**BUSY_PRESET, "grain.shadows": 0, "grain.midtones": 0,
                                                   "grain.highlights": 0}, rings=4)
    src = tmp_path / "in.png"
    photo = _photo(src, 180, 320, seed=3)
    report: dict = {}
    script = lookgan.export(look, format="ffmpeg", out=tmp_path / "r.ffmpeg", report=report)
    assert "not_in_lut" not in report and "one curve per channel" in report["approximated"]
    theirs = _run_script(script, src, tmp_path / "out.png")
    ours = as_restyler(look).grader(ApplyOptions())(photo)
    assert _mean_de(theirs, ours) < 1.5, _mean_de(theirs, ours)
    corner = np.s_[:30, :50]  # where the rings differ most from the global LUT
    assert np.abs(theirs[corner].astype(int) - ours[corner]).mean() < 3
    plain = lookgan.export(look, format="cube", out=tmp_path / "r.cube")  # the global LUT alone is farther off
    flat = _run_script_text(f"format=gbrp,lut3d=file='{plain}'", src, tmp_path / "flat.png", tmp_path)
    assert np.abs(flat[corner].astype(int) - ours[corner]).mean() > 2 * np.abs(theirs[corner].astype(int)
                                                                               - ours[corner]).mean()


def _run_script_text(graph, src, dst, folder):
    script = folder / "graph.ffmpeg"
    script.write_text(graph + "\n")
    return _run_script(script, src, dst)


def test_strength_and_a_look_without_grain(tmp_path):
    values = {**BUSY_PRESET, "grain.shadows": 0, "grain.midtones": 0, "grain.highlights": 0}
    look = write_preset_look(tmp_path / "p.look", values)
    src = tmp_path / "in.png"
    photo = _photo(src, 96, 128, seed=2)
    script = lookgan.export(look, format="ffmpeg", out=tmp_path / "half.ffmpeg", strength=0.5)
    assert "noise" not in script.read_text()
    theirs = _run_script(script, src, tmp_path / "half.png")
    ours = as_restyler(look).grader(ApplyOptions(strength=0.5))(photo)
    assert np.abs(theirs.astype(int) - ours).max() <= 2  # colour and overlay: the same formulas, 16-bit


def test_grain_changes_every_video_frame(tmp_path):
    look = write_preset_look(tmp_path / "p.look", BUSY_PRESET)
    src = tmp_path / "in.png"
    _photo(src, 64, 96)
    script = lookgan.export(look, format="ffmpeg", out=tmp_path / "p.ffmpeg")
    _ffmpeg_run("-loop", "1", "-i", str(src), "-filter_complex_script", str(script), "-frames:v", "3",
                "-pix_fmt", "rgb24", str(tmp_path / "f%d.png"))
    frames = [np.asarray(Image.open(tmp_path / f"f{i}.png")).astype(int) for i in (1, 2, 3)]
    assert all(np.abs(a - b).mean() > 1 for a, b in zip(frames, frames[1:]))


def test_a_lut_look_is_lut3d_alone(tmp_path):
    lut = PresetNet(lut_size=9).lut.detach().pow(1.4)
    from lookgan.use.exporting.cube import write_cube

    write_cube(lut, tmp_path / "g.cube")
    look = lookgan.import_lut(tmp_path / "g.cube", out=tmp_path / "g.look")
    script = lookgan.export(look, format="ffmpeg", out=tmp_path / "g.ffmpeg")
    assert script.read_text().startswith("lut3d=file=")
    src = tmp_path / "in.png"
    photo = _photo(src, 64, 80)
    theirs = _run_script(script, src, tmp_path / "out.png")
    assert np.abs(theirs.astype(int) - as_restyler(look).grader(ApplyOptions())(photo)).max() <= 2


def test_paths_and_options_ffmpeg_cannot_take_are_refused(tmp_path):
    assert r"C\:" in lut3d_filter("C:/x.cube") or "\\:" in lut3d_filter("/a:b/x.cube")
    with pytest.raises(InputError, match="quote"):
        lut3d_filter(tmp_path / "it's.cube")
    look = write_preset_look(tmp_path / "p.look", BUSY_PRESET)
    with pytest.raises(InputError, match="name of its own"):
        lookgan.export(look, format="ffmpeg", out=tmp_path / "p.cube")
    with pytest.raises(InputError, match="--size"):
        lookgan.export(look, format="ffmpeg", out=tmp_path / "p.ffmpeg", size=17)


def test_noise_spread_table():
    assert upsampled_noise_std(1.0) == 1.0
    spreads = [upsampled_noise_std(c) for c in (1.5, 2.0, 4.0, 8.0)]
    assert all(0.4 < s < 1.0 for s in spreads)  # the interpolation averages neighbouring cells
    expr = _piecewise("x", (1.0, 2.0), [1.0, 0.5])
    from lookgan.kinds.preset.ffmpeg import num

    assert num(-1.5) == "(-1.5)" and "if(lt(x,2)" in expr
