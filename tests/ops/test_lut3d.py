import numpy as np
import pytest
import torch

from lookgan.ops import lut3d
from lookgan.ops.color import rgb_to_lab
from lookgan.ops.lut3d import (
    FastLUT,
    apply_lut,
    apply_lut_image,
    blend_lut,
    identity_lut,
    keep_colour_lut,
    lattice_colours,
    lut_from_function,
    reference_apply,
    resample_lut,
)


def random_lut(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(3, n, n, n, generator=torch.Generator().manual_seed(seed))


def test_identity_changes_nothing():
    img = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(apply_lut(img, identity_lut(17)), img, atol=1e-6, rtol=0)
    every = np.stack(np.meshgrid(np.arange(256), np.arange(256), indexing="ij"), -1)  # all (r, g) pairs
    for b in (0, 77, 255):
        u8 = np.concatenate([every, np.full((256, 256, 1), b)], -1).astype(np.uint8)
        assert np.array_equal(FastLUT(identity_lut(33))(u8), u8)


def test_layout_matches_cube_order():
    lut = identity_lut(5)
    flat = lut.permute(1, 2, 3, 0).reshape(-1, 3)
    assert flat[1].tolist() == [0.25, 0.0, 0.0]  # red varies fastest
    assert flat[5].tolist() == [0.0, 0.25, 0.0]  # then green
    assert flat[25].tolist() == [0.0, 0.0, 0.25]  # then blue
    assert lattice_colours(5)[1, 2, 3].tolist() == [0.75, 0.5, 0.25]  # [b, g, r] -> (r, g, b)


@pytest.mark.parametrize("n", [2, 9, 33])
def test_interpolation_is_reference_apply(n):
    lut = random_lut(n)
    img = np.random.default_rng(n).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    ref = reference_apply(img, lut)
    out = apply_lut(torch.from_numpy(img).double().permute(2, 0, 1) / 255.0, lut.double()).permute(1, 2, 0) * 255
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-6)
    # at the lattice points a LUT returns its own entries
    pts = lattice_colours(n, dtype=torch.float64).reshape(1, -1, 3).permute(2, 0, 1)  # (3, 1, n³)
    at_nodes = apply_lut(pts, lut.double()).reshape(3, n, n, n)
    torch.testing.assert_close(at_nodes, lut.double(), atol=1e-9, rtol=0)


@pytest.mark.parametrize("n", [2, 17, 33, 64])
def test_fast_apply_within_one_level_of_exact(n, monkeypatch):
    monkeypatch.setattr(lut3d, "_CHUNK", 7001)  # many work chunks on all threads, the last one partial
    lut = random_lut(n, seed=n)  # a rough random LUT is the worst case for fixed-point interpolation
    img = np.random.default_rng(0).integers(0, 256, (300, 301, 3), dtype=np.uint8)
    out = FastLUT(lut)(img)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.abs(out.astype(np.float64) - reference_apply(img, lut)).max() <= 1.0


@pytest.mark.parametrize("make", [
    lambda img: img[:, ::2],  # a strided view
    lambda img: img[:1, :1],  # one pixel: its 4-byte read must not run past the image
    lambda img: torch.from_numpy(img.copy()),  # a tensor
    lambda img: np.flipud(img),  # a negative stride
], ids=["strided", "one-pixel", "tensor", "flipped"])
def test_fast_apply_takes_any_uint8_layout(make):
    lut = random_lut(9, seed=3)
    img = np.random.default_rng(2).integers(0, 256, (31, 40, 3), dtype=np.uint8)
    src = make(img)
    out = FastLUT(lut)(src)
    as_np = src.numpy() if isinstance(src, torch.Tensor) else src
    assert out.shape == as_np.shape and out.flags.c_contiguous
    assert np.abs(out.astype(np.float64) - reference_apply(np.ascontiguousarray(as_np), lut)).max() <= 1.0
    assert np.array_equal(out, FastLUT(lut)(np.ascontiguousarray(as_np)))


def test_float_path_for_16_bit_sources():
    lut = random_lut(9)
    img = np.random.default_rng(1).random((20, 30, 3)).astype(np.float32)
    out = apply_lut_image(img, lut)
    assert out.dtype == np.float32
    ref = apply_lut(torch.from_numpy(img).permute(2, 0, 1), lut).permute(1, 2, 0).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-6)


def test_batched_luts_apply_per_image():
    img = torch.rand(2, 3, 8, 8)
    luts = torch.stack([identity_lut(5), 1 - identity_lut(5)])
    out = apply_lut(img, luts)
    torch.testing.assert_close(out[0], img[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(out[1], 1 - img[1], atol=1e-6, rtol=0)


def test_gradients_reach_lut_and_image():
    lut = random_lut(5).double().requires_grad_()
    img = torch.rand(1, 3, 4, 4, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda i, l: apply_lut(i * 0.9 + 0.05, l), (img, lut))


def test_strength_blends_between_identity_and_look():
    lut = lut_from_function(lambda c: c ** 2, 9)
    torch.testing.assert_close(blend_lut(lut, 0.0), identity_lut(9))
    torch.testing.assert_close(blend_lut(lut, 1.0), lut)
    torch.testing.assert_close(blend_lut(lut, 0.5), (lut + identity_lut(9)) / 2)


def test_keep_colour_keeps_chroma_and_takes_lightness():
    lut = lut_from_function(lambda c: (c * torch.tensor([1.0, 0.7, 0.4], dtype=c.dtype)) ** 0.8, 17)
    kept = keep_colour_lut(lut)
    mid = lattice_colours(17, dtype=torch.float64)[4:13, 4:13, 4:13]  # colours far from the gamut edge
    lab_in = rgb_to_lab(mid)
    lab_kept = rgb_to_lab(kept.double().permute(1, 2, 3, 0)[4:13, 4:13, 4:13])
    lab_look = rgb_to_lab(lut.double().permute(1, 2, 3, 0)[4:13, 4:13, 4:13])
    in_gamut = (kept.permute(1, 2, 3, 0)[4:13, 4:13, 4:13] > 0.001).all(-1) & \
               (kept.permute(1, 2, 3, 0)[4:13, 4:13, 4:13] < 0.999).all(-1)
    torch.testing.assert_close(lab_kept[in_gamut][:, 0], lab_look[in_gamut][:, 0], atol=0.05, rtol=0)
    torch.testing.assert_close(lab_kept[in_gamut][:, 1:], lab_in[in_gamut][:, 1:], atol=0.05, rtol=0)


def test_resample_keeps_a_linear_mapping():
    lut = lut_from_function(lambda c: 0.2 + 0.5 * c, 5)
    torch.testing.assert_close(resample_lut(lut, 33), lut_from_function(lambda c: 0.2 + 0.5 * c, 33),
                               atol=1e-6, rtol=0)


def test_fast_lut_rejects_wrong_input():
    with pytest.raises(ValueError, match="uint8"):
        FastLUT(identity_lut(5))(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="LUT"):
        FastLUT(torch.zeros(3, 4, 5, 5))
