"""Applying translators at any size: shapes, tiles that agree with the whole image, strength, keep-colour,
video, and the LUT a translator distils into."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from PIL import Image

import lookgan
from lookgan.kinds.translator.network import ResnetGenerator, init_weights
from lookgan.kinds.translator.tiled import translate_image, translate_tensor
from lookgan.ops.color import rgb_to_lab
from tests.helpers import colourful_image, warm_grade, write_image_folder
from tests.use.test_apply import _write_video


@pytest.fixture(scope="module")
def generator() -> ResnetGenerator:
    torch.manual_seed(0)
    g = ResnetGenerator(ngf=8, n_blocks=2)
    init_weights(g, gain=0.2)  # larger than training init: a generator that visibly changes things
    return g.eval()


@pytest.mark.parametrize("size", [(37, 53), (64, 64), (10, 129)])
def test_any_size_comes_back_the_same_size(generator, size):
    image = colourful_image(np.random.default_rng(0), 160)[: size[0], : size[1]]
    out = translate_image(generator, image)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - image.astype(int)).mean() > 2  # it did something


def test_tiles_with_whole_image_statistics_match_the_whole_image(generator, monkeypatch):
    x = torch.rand(1, 3, 150, 230) * 2 - 1
    whole = translate_tensor(generator, x, tile=4096)
    tiled = translate_tensor(generator, x, tile=64)
    assert tiled.shape == whole.shape == x.shape
    assert float((tiled - whole).abs().max()) < 1e-3
    # Without the shared statistics (each tile normalised by itself) the blocks are plainly visible.
    import lookgan.kinds.translator.tiled as tr

    monkeypatch.setattr(tr, "record_statistics", lambda g, image, side: g.norm_mode("instance"))
    naive = translate_tensor(generator, x, tile=64)
    assert float((naive - whole).abs().max()) > 20 * float((tiled - whole).abs().max())


def test_a_large_photo_is_one_seamless_pass_with_downscaled_statistics(generator):
    """Over ``stats_side`` the statistics come from a downscaled pass; the tiles then equal one whole-image
    pass with those same statistics: the result is seamless by construction."""
    from lookgan.kinds.translator.tiled import _pad_to_multiple, record_statistics

    x = torch.rand(1, 3, 150, 230) * 2 - 1
    tiled = translate_tensor(generator, x, tile=64, stats_side=100)
    record_statistics(generator, x, 100)  # what the tiles used
    try:
        with torch.no_grad():
            whole_fixed = generator(_pad_to_multiple(x, 4))[..., :150, :230]
    finally:
        generator.norm_mode("instance")
    assert float((tiled - whole_fixed).abs().max()) < 1e-3


def test_strength_zero_is_the_photo_and_keep_colour_keeps_chroma(generator):
    image = colourful_image(np.random.default_rng(1), 64)
    assert np.array_equal(translate_image(generator, image, strength=0.0), image)
    full = translate_image(generator, image).astype(float)
    half = translate_image(generator, image, strength=0.5).astype(float)
    assert np.abs(half - (image + 0.5 * (full - image))).max() <= 1.0
    kept = translate_image(generator, image, keep_colour=True)
    lab_in = rgb_to_lab(torch.from_numpy(image).double() / 255)
    lab_kept = rgb_to_lab(torch.from_numpy(kept).double() / 255)
    lab_full = rgb_to_lab(torch.from_numpy(full / 255))
    chroma_err = (lab_kept[..., 1:] - lab_in[..., 1:]).abs().mean()
    assert chroma_err < 0.25 * (lab_full[..., 1:] - lab_in[..., 1:]).abs().mean()
    assert (lab_kept[..., 0] - lab_full[..., 0]).abs().mean() < 1.5  # the lightness change is kept


@pytest.fixture(scope="module")
def translator_look(tmp_path_factory) -> object:
    from tests.kinds.translator.test_translators import TINY

    root = tmp_path_factory.mktemp("translator")
    style = write_image_folder(root / "style", 6, size=(40, 48), seed=1)
    photos = write_image_folder(root / "photos", 6, size=(48, 40), seed=2)
    lookgan.train("fastcut", style, photos=photos, out=root / "t.look", steps=2, config=TINY)
    return root / "t.look"


def test_apply_and_video_with_a_translator_look(translator_look, tmp_path):
    import av

    from lookgan.kinds.look import load_look

    rng = np.random.default_rng(2)
    frames = [colourful_image(rng, 64) for _ in range(10)]
    _write_video(tmp_path / "clip.mp4", frames)
    image = colourful_image(rng, 72)[:, :50]
    Image.fromarray(image).save(tmp_path / "p.png")
    out = lookgan.apply(translator_look, [tmp_path / "p.png", tmp_path / "clip.mp4"], out=tmp_path / "o",
                        progress=False, tile=64)
    assert [p.name for p in out] == ["p.png", "clip.mp4"]
    g = load_look(translator_look).build()
    expected = translate_image(g, image, tile=64)
    got = np.asarray(Image.open(out[0]))
    assert got.shape == image.shape and np.array_equal(got, expected)
    with av.open(str(out[1])) as inp:
        assert inp.streams.video[0].average_rate == Fraction(12) and len(inp.streams.audio) == 1
        assert sum(1 for _ in inp.decode(video=0)) == len(frames)


def test_export_distils_a_translator_into_a_lut(translator_look, tmp_path):
    report: dict = {}
    cube = lookgan.export(translator_look, format="cube", out=tmp_path / "t.cube", report=report)
    assert "LUT_3D_SIZE 33" in cube.read_text()
    assert report["n_photos"] == 6 and np.isfinite(report["lut_psnr"]) and report["lut_psnr"] > 10


def test_fit_lut_recovers_a_pure_colour_mapping():
    from lookgan.ops.color import psnr
    from lookgan.ops.lut3d import apply_lut
    from lookgan.ops.transfer import fit_lut

    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (4000, 1, 3), dtype=np.uint8)
    graded = warm_grade(colours)
    x = torch.from_numpy(colours.reshape(-1, 3) / 255.0).float()
    y = torch.from_numpy(graded.reshape(-1, 3) / 255.0).float()
    lut = fit_lut(x, y, size=17, steps=300)
    fitted = apply_lut(x.T.reshape(3, 1, -1), lut).reshape(3, -1).T
    assert psnr(fitted, y) > 35  # a pure colour change is carried by a LUT


def test_eval_report_for_a_translator_look(translator_look, tmp_path):
    photos = write_image_folder(tmp_path / "held", 3, size=(40, 44), seed=7)
    m = lookgan.evaluate(translator_look, photos=photos, out=tmp_path / "r.html", faces=False, size=32,
                         progress=False)
    assert {"swd", "color_swd", "content_ssim", "swd_before"} <= set(m) and m["kind"] == "fastcut"
    html = (tmp_path / "r.html").read_text()
    assert "reproduces its output to" in html  # the distilled LUT and its fidelity
