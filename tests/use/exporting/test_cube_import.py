""".cube files as creators have them: 1D tone curves, Resolve's shaper + 3D files, tables with values a little
outside 0..1 and input ranges with legal-range margins — read and applied as Debian's ffmpeg applies them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import lookgan
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler
from lookgan.ops.lut3d import FastLUT, identity_lut
from lookgan.use.exporting.cube import read_cube

from .test_cube import _ffmpeg_run


def _photo(path, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((192, 144), Image.BICUBIC))
    Image.fromarray(img).save(path)
    return img


def _rows(table: np.ndarray) -> str:
    return "\n".join(f"{r:.7f} {g:.7f} {b:.7f}" for r, g, b in table.tolist())


def _table3d(fn, n: int) -> np.ndarray:
    """Rows of a 3D .cube (red fastest) of ``fn`` on the lattice."""
    grid = identity_lut(n, dtype=torch.float64).permute(1, 2, 3, 0).reshape(-1, 3).numpy()
    return fn(grid)


def _ffmpeg_apply(src, filters: str, dst):
    _ffmpeg_run("-i", str(src), "-vf", f"format=gbrp16le,{filters}", "-pix_fmt", "rgb24", str(dst))
    return np.asarray(Image.open(dst).convert("RGB")).astype(int)


def _ours(tmp_path, cube, img):
    look = lookgan.import_lut(cube, out=tmp_path / f"{cube.stem}.look")
    return as_restyler(look).grader(ApplyOptions())(img).astype(int)


def test_values_outside_0_1_are_interpolated_then_clipped(tmp_path):
    contrast = lambda rgb: (rgb - 0.5) * np.array([1.5, 1.4, 1.45]) + 0.5 + np.array([0.03, 0.0, -0.02])  # noqa: E731
    table = _table3d(contrast, 9)
    assert table.min() < -0.1 and table.max() > 1.1
    cube = tmp_path / "contrast.cube"
    cube.write_text(f"LUT_3D_SIZE 9\n{_rows(table)}\n")
    img = _photo(tmp_path / "in.png")
    theirs = _ffmpeg_apply(tmp_path / "in.png", f"lut3d=file={cube}:interp=trilinear", tmp_path / "out.png")
    ours = _ours(tmp_path, cube, img)
    assert np.abs(theirs - ours).max() <= 2
    clipped_first = FastLUT(read_cube(cube).clamp(0, 1))(img).astype(int)  # what lookgan did before
    assert np.abs(theirs - clipped_first).max() > 10
    # exported again, the values beyond 0..1 survive
    again = lookgan.export(tmp_path / "contrast.look", format="cube", out=tmp_path / "again.cube")
    assert torch.allclose(read_cube(again), read_cube(cube), atol=1e-5)


def test_a_1d_tone_curve(tmp_path):
    x = np.linspace(0, 1, 1024)[:, None]
    curves = np.concatenate([x ** 0.8, x ** 1.1, 0.05 + 0.9 * x ** 0.9], axis=1)
    cube = tmp_path / "curve.cube"
    cube.write_text(f'TITLE "tone"\nLUT_1D_SIZE 1024\nLUT_1D_INPUT_RANGE 0.0 1.0\n{_rows(curves)}\n')
    img = _photo(tmp_path / "in.png", 1)
    theirs = _ffmpeg_apply(tmp_path / "in.png", f"lut1d=file={cube}:interp=linear", tmp_path / "out.png")
    assert np.abs(theirs - _ours(tmp_path, cube, img)).max() <= 2
    assert read_cube(cube).shape == (3, 65, 65, 65)


def test_a_shaper_plus_3d_file(tmp_path):
    n1, n3 = 256, 17
    x = np.linspace(0, 1, n1)[:, None].repeat(3, 1)
    shaper = x ** 0.6  # a gamma-like shaper into the 3D table
    warm = lambda rgb: np.clip(rgb * np.array([1.05, 1.0, 0.9]) + np.array([0.02, 0.0, 0.0]), 0, 1)  # noqa: E731
    table = _table3d(warm, n3)
    combined = tmp_path / "shaper.cube"
    combined.write_text(f"LUT_1D_SIZE {n1}\nLUT_3D_SIZE {n3}\n{_rows(shaper)}\n{_rows(table)}\n")
    (tmp_path / "s1d.cube").write_text(f"LUT_1D_SIZE {n1}\n{_rows(shaper)}\n")
    (tmp_path / "s3d.cube").write_text(f"LUT_3D_SIZE {n3}\n{_rows(table)}\n")
    img = _photo(tmp_path / "in.png", 2)
    theirs = _ffmpeg_apply(tmp_path / "in.png", f"lut1d=file={tmp_path / 's1d.cube'}:interp=linear,"
                                                 f"lut3d=file={tmp_path / 's3d.cube'}:interp=trilinear",
                           tmp_path / "out.png")
    diff = np.abs(theirs - _ours(tmp_path, combined, img))
    # one 65³ table for both: the steep start of the shaper costs up to 4 levels in the darkest colours
    assert diff.mean() < 0.6 and diff.max() <= 4


def test_legal_range_margins_are_resampled_to_0_1(tmp_path):
    # a 3D table defined on -0.1..1.1 (an input range with margins): identity there is identity on 0..1
    n = 5
    grid = identity_lut(n, dtype=torch.float64).permute(1, 2, 3, 0).reshape(-1, 3).numpy()
    table = -0.1 + 1.2 * grid  # the input colour itself, on the wider domain
    cube = tmp_path / "margins.cube"
    cube.write_text(f"LUT_3D_SIZE {n}\nLUT_3D_INPUT_RANGE -0.1 1.1\n{_rows(table)}\n")
    assert torch.allclose(read_cube(cube), identity_lut(n), atol=1e-6)


@pytest.mark.parametrize("body", ["LUT_3D_SIZE 2\nDOMAIN_MIN 0.2 0.2 0.2\n", "LUT_1D_SIZE 2\nLUT_1D_INPUT_RANGE 0 100\n"])
def test_ranges_that_are_not_a_display_look_are_refused(tmp_path, body):
    n = 8 if "3D" in body else 2
    path = tmp_path / "x.cube"
    path.write_text(body + "0 0 0\n" * n)
    with pytest.raises(lookgan.core.errors.LutFileError, match="does not cover 0..1"):
        read_cube(path)
