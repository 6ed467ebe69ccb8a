import math
import subprocess

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from lookgan.core.errors import LutFileError
from lookgan.ops.lut3d import FastLUT, identity_lut, lut_from_function
from lookgan.use.exporting.cube import read_cube, read_hald, read_lut_file, write_cube, write_hald
from tests.helpers import require_program


def smooth_grade(c: torch.Tensor) -> torch.Tensor:
    """A film-like grade: warm highlights, lifted shadows, a little cross-talk between channels."""
    r, g, b = c.unbind(-1)
    return torch.stack([0.05 + 0.9 * r ** 0.85 + 0.05 * g, 0.03 + 0.95 * g ** 0.95, 0.1 + 0.8 * b ** 1.1], -1)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 9), seed=st.integers(0, 2**16))
def test_cube_roundtrip(tmp_path_factory, n, seed):
    lut = torch.rand(3, n, n, n, generator=torch.Generator().manual_seed(seed))
    path = tmp_path_factory.mktemp("cube") / "x.cube"
    write_cube(lut, path, title='a "quoted" title')
    back = read_cube(path)
    assert back.shape == (3, n, n, n)
    torch.testing.assert_close(back, lut, atol=1e-6, rtol=0)


@settings(max_examples=10, deadline=None)
@given(level=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_hald_roundtrip(tmp_path_factory, level, seed):
    n = level * level
    lut = torch.rand(3, n, n, n, generator=torch.Generator().manual_seed(seed))
    path = tmp_path_factory.mktemp("hald") / "x.png"
    write_hald(lut, path, level=level)
    assert Image.open(path).size == (level ** 3, level ** 3)
    torch.testing.assert_close(read_hald(path), lut, atol=0.5 / 255 + 1e-6, rtol=0)


def test_identity_hald_matches_the_standard_image(tmp_path):
    # A level-2 identity HaldCLUT: pixel i holds (i % 4, i // 4 % 4, i // 16) * 255 / 3.
    write_hald(identity_lut(4), tmp_path / "id.png", level=2)
    px = np.asarray(Image.open(tmp_path / "id.png")).reshape(-1, 3)
    i = np.arange(64)
    expected = np.stack([i % 4, i // 4 % 4, i // 16], -1) * 85
    assert np.array_equal(px, expected)


def test_cube_header_and_order(tmp_path):
    write_cube(identity_lut(2), tmp_path / "id.cube", title="id")
    lines = (tmp_path / "id.cube").read_text().splitlines()
    # comments first, then the keywords (DaVinci Resolve reads comments only before the header)
    assert lines[0].startswith("#") and lines[1] == 'TITLE "id"' and "LUT_3D_SIZE 2" in lines
    assert all(not ln.startswith("#") for ln in lines[1:])
    table = [ln for ln in lines if ln[0].isdigit()]
    assert table[:3] == ["0.000000 0.000000 0.000000", "1.000000 0.000000 0.000000", "0.000000 1.000000 0.000000"]


BAD_CUBES = {
    "count": ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 7, "needs 8 table lines, found 7"),
    "nan": ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 7 + "nan 0 0\n", "NaN"),
    "size": ("LUT_3D_SIZE 1\n0 0 0\n", "outside 2..256"),
    "size_word": ("LUT_3D_SIZE big\n", "whole number"),
    "domain": ("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 0 1 1\n" + "0 0 0\n" * 8, "greater than"),
    "log_domain": ("LUT_3D_SIZE 2\nDOMAIN_MAX 4 4 4\n" + "0 0 0\n" * 8, "does not cover 0..1"),
    "log_shaper": ("LUT_1D_SIZE 2\nLUT_1D_INPUT_RANGE -7 2\nLUT_3D_SIZE 2\n" + "0 0 0\n" * 10, "not a display"),
    "text": ("LUT_3D_SIZE 2\n" + "0 0 zero\n" * 8, "expected numbers"),
    "columns": ("LUT_3D_SIZE 2\n" + "0 0\n" * 8, "three numbers"),
    "one_d_count": ("LUT_1D_SIZE 4\n0 0 0\n", "LUT_1D_SIZE 4 needs 4 table lines, found 1"),
    "no_size": ("0 0 0\n", "no LUT_3D_SIZE"),
    "hdr": ("LUT_3D_SIZE 2\n" + "0 0 9\n" * 8, "far outside 0..1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CUBES))
def test_malformed_cube_files_are_refused_clearly(tmp_path, case):
    text, message = BAD_CUBES[case]
    path = tmp_path / f"{case}.cube"
    path.write_text(text)
    with pytest.raises(LutFileError, match=message) as err:
        read_cube(path)
    assert str(path) in str(err.value)


def test_other_lut_file_problems(tmp_path):
    with pytest.raises(LutFileError, match="does not exist"):
        read_cube(tmp_path / "missing.cube")
    (tmp_path / "bin.cube").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(LutFileError, match="binary"):
        read_cube(tmp_path / "bin.cube")
    Image.new("RGB", (100, 100)).save(tmp_path / "notahald.png")
    with pytest.raises(LutFileError, match="side L³"):
        read_hald(tmp_path / "notahald.png")
    with pytest.raises(LutFileError, match="unknown LUT file type"):
        read_lut_file(tmp_path / "x.3dl")


def test_comments_keywords_and_input_range_are_accepted(tmp_path):
    body = "\n".join("0.5 0.5 0.5" for _ in range(8))
    path = tmp_path / "ok.cube"
    path.write_text(f"# made by hand\nTITLE \"x\"\nLUT_3D_INPUT_RANGE 0.0 1.0\nLUT_3D_SIZE 2\n\n{body}\n")
    assert torch.allclose(read_cube(path), torch.full((3, 2, 2, 2), 0.5))


def _ffmpeg() -> str:
    return require_program("ffmpeg", "ffmpeg")


def _ffmpeg_run(*args: str) -> None:
    subprocess.run([_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((160, 120), Image.BICUBIC))
    path = tmp_path / "photo.png"
    Image.fromarray(img).save(path)
    return path, img


def test_ffmpeg_lut3d_matches_our_apply(tmp_path, photo):
    path, img = photo
    lut = lut_from_function(smooth_grade, 33)
    write_cube(lut, tmp_path / "look.cube")
    _ffmpeg_run("-i", str(path), "-vf", f"lut3d=file={tmp_path / 'look.cube'}:interp=trilinear",
                "-pix_fmt", "rgb24", str(tmp_path / "ffmpeg.png"))
    theirs = np.asarray(Image.open(tmp_path / "ffmpeg.png").convert("RGB")).astype(int)
    ours = FastLUT(lut)(img).astype(int)
    assert np.abs(theirs - ours).max() <= 2


def test_ffmpeg_haldclut_matches_our_apply(tmp_path, photo):
    path, img = photo
    lut = lut_from_function(smooth_grade, 33)
    write_hald(lut, tmp_path / "look.png", level=8)
    _ffmpeg_run("-i", str(path), "-i", str(tmp_path / "look.png"), "-filter_complex",
                "[0][1]haldclut=interp=trilinear", "-frames:v", "1", "-pix_fmt", "rgb24", str(tmp_path / "out.png"))
    theirs = np.asarray(Image.open(tmp_path / "out.png").convert("RGB")).astype(int)
    ours = FastLUT(lut)(img).astype(int)
    assert np.abs(theirs - ours).max() <= 2
    assert math.isfinite(float(theirs.mean()))
