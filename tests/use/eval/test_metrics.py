"""The math of every weight-free metric, on small inputs with known answers or direct computations."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter
from scipy.stats import wasserstein_distance

from lookgan.ops.nearest import nearest
from lookgan.ops.swd import (
    color_swd,
    laplacian_pyramid,
    normalise_descriptors,
    patch_descriptors,
    pyramid_levels,
    reconstruct,
    sliced_wasserstein,
    swd,
)
from lookgan.use.eval.content import ssim, ssim_maps, structure_similarity
from lookgan.use.eval.faces import face_shift, face_size, landmark_shift
from lookgan.use.eval.memorisation import memorisation


def _textures(n: int, size: int = 32, seed: int = 0, smooth: bool = True) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size // 4 if smooth else size, size // 4 if smooth else size, generator=g)
    return torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


# --- SWD ------------------------------------------------------------------------------------------------------

def test_sliced_wasserstein_in_1d_is_the_exact_wasserstein_distance():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(500, 1, generator=g), torch.randn(500, 1, generator=g) * 2 + 1
    expected = wasserstein_distance(a[:, 0].numpy(), b[:, 0].numpy())
    assert sliced_wasserstein(a, b, repeats=2, directions=3) == pytest.approx(expected, rel=1e-5)


def test_sliced_wasserstein_matches_a_direct_loop_over_directions():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(64, 5, generator=g), torch.randn(64, 5, generator=g) + 0.5
    # Replay the directions the function draws: same seed, same order of draws.
    rng = torch.Generator().manual_seed(7)
    direct = []
    for _ in range(3):
        dirs = torch.randn(5, 4, generator=rng)
        dirs = dirs / dirs.norm(dim=0, keepdim=True)
        for j in range(4):
            direct.append(wasserstein_distance((a @ dirs[:, j]).numpy(), (b @ dirs[:, j]).numpy()))
    got = sliced_wasserstein(a, b, repeats=3, directions=4, generator=torch.Generator().manual_seed(7))
    assert got == pytest.approx(float(np.mean(direct)), rel=1e-5)


def test_sliced_wasserstein_of_a_set_with_itself_is_zero_and_shift_is_seen():
    x = torch.randn(200, 6, generator=torch.Generator().manual_seed(3))
    assert sliced_wasserstein(x, x) == pytest.approx(0.0, abs=1e-7)
    # Shifting every point by v moves each projection by v.d; the mean |v.d| over random unit d is positive.
    assert sliced_wasserstein(x, x + 1.0) > 0.3


def test_laplacian_pyramid_reconstructs_exactly_and_has_the_right_sizes():
    x = _textures(2, 40, smooth=False)
    pyr = laplacian_pyramid(x, 3)
    assert [tuple(p.shape[-2:]) for p in pyr] == [(40, 40), (20, 20), (10, 10)]
    assert torch.allclose(reconstruct(pyr), x, atol=1e-5)
    odd = _textures(1, 35, smooth=False)
    assert torch.allclose(reconstruct(laplacian_pyramid(odd, 3)), odd, atol=1e-5)
    assert pyramid_levels(128) == 4 and pyramid_levels(16) == 1 and pyramid_levels(100) == 3


def test_patch_descriptors_pick_the_same_pixels_as_a_direct_loop():
    level = torch.arange(2 * 3 * 12 * 10, dtype=torch.float32).reshape(2, 3, 12, 10)
    g = torch.Generator().manual_seed(5)
    desc = patch_descriptors(level, 4, g, patch=7)
    g = torch.Generator().manual_seed(5)
    ys = torch.randint(3, 12 - 3, (2, 4), generator=g)
    xs = torch.randint(3, 10 - 3, (2, 4), generator=g)
    for img in range(2):
        for k in range(4):
            y, x = int(ys[img, k]), int(xs[img, k])
            assert torch.equal(desc[img * 4 + k], level[img, :, y - 3:y + 4, x - 3:x + 4])


def test_normalised_descriptors_have_zero_mean_unit_std_per_channel():
    d = normalise_descriptors(torch.randn(300, 3, 7, 7) * 5 + 2).reshape(300, 3, 7, 7)
    assert torch.allclose(d.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(d.std(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-4)


def test_swd_is_seeded_small_for_the_same_distribution_and_large_for_another():
    a, a2 = _textures(24, 32, seed=0), _textures(24, 32, seed=1)
    noisy = (a2 + 0.3 * torch.randn(a2.shape, generator=torch.Generator().manual_seed(9))).clamp(0, 1)
    same, other = swd(a, a2), swd(a, noisy)
    assert swd(a, a2).levels == same.levels  # seeded
    assert same.resolutions == (32, 16) and len(same.levels) == 2
    # Noise changes the finest level most; the 16-px residual of 24 tiny images is mostly sampling noise.
    assert other.levels[0] > 2 * same.levels[0] and other.mean > same.mean


def test_swd_is_memory_bounded_and_refuses_mixed_sizes():
    a = _textures(40, 32)
    capped = swd(a, a.flip(-1), max_descriptors=400)  # 10 descriptors per image instead of 128
    assert np.isfinite(capped.mean)
    with pytest.raises(ValueError, match="same S x S"):
        swd(a, _textures(4, 16))


def test_color_swd_is_in_lab_units():
    grey = torch.full((4, 3, 8, 8), 0.5)
    lighter = torch.full((4, 3, 8, 8), 0.6)
    from lookgan.ops.color import rgb_to_lab

    d_l = float(rgb_to_lab(torch.tensor([0.6, 0.6, 0.6]).double())[0] - rgb_to_lab(torch.tensor([0.5] * 3).double())[0])
    # Points differ only along L (by d_l): the projection on d moves by d_l |d_L|, E|d_L| = 1/2 for 3-D unit d.
    assert color_swd(grey, lighter, directions=4096, repeats=1) == pytest.approx(d_l / 2, rel=0.05)
    assert color_swd(grey, grey) == pytest.approx(0.0, abs=1e-6)


# --- SSIM and content -----------------------------------------------------------------------------------------

def _direct_ssim(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """SSIM and structure terms straight from the definition, window by window (float64)."""
    from lookgan.use.eval.content import _window

    w = _window()[0, 0].numpy()
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    full, struct = [], []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            px, py = x[i:i + 11, j:j + 11], y[i:i + 11, j:j + 11]
            mx, my = (w * px).sum(), (w * py).sum()
            vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
            cov = (w * (px - mx) * (py - my)).sum()
            full.append((2 * mx * my + c1) * (2 * cov + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)))
            struct.append((cov + c2 / 2) / (np.sqrt(vx) * np.sqrt(vy) + c2 / 2))
    return float(np.mean(full)), float(np.mean(struct))


def test_ssim_maps_match_the_definition():
    rng = np.random.default_rng(0)
    x = rng.random((16, 18))
    y = np.clip(x + 0.1 * rng.standard_normal(x.shape), 0, 1)
    full, struct = ssim_maps(torch.from_numpy(x)[None, None], torch.from_numpy(y)[None, None])
    ref_full, ref_struct = _direct_ssim(x, y)
    assert float(full.mean()) == pytest.approx(ref_full, abs=1e-6)
    assert float(struct.mean()) == pytest.approx(ref_struct, abs=1e-6)


def test_structure_ignores_tone_changes_that_full_ssim_punishes():
    rng = np.random.default_rng(1)
    img = (rng.random((48, 48, 3)) * 200 + 20).astype(np.uint8)
    img = np.asarray(Image.fromarray(img).resize((64, 64)))
    graded = np.clip(img.astype(np.float64) * 0.6 + 60, 0, 255).astype(np.uint8)  # contrast down, brighter
    blurred = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(2)))
    assert ssim(img, img) == pytest.approx(1.0) and structure_similarity(img, img) == pytest.approx(1.0)
    assert structure_similarity(img, graded) > 0.97  # same structure, different tone
    assert ssim(img, graded) < structure_similarity(img, graded) - 0.05
    assert structure_similarity(img, blurred) < structure_similarity(img, graded) - 0.1


# --- faces ----------------------------------------------------------------------------------------------------

def test_landmark_shift_in_percent_of_face_size():
    square = np.array([[0, 0], [100, 0], [0, 100], [100, 100]], dtype=float)
    assert face_size(square) == pytest.approx(100.0)
    assert landmark_shift(square, square + [3, 4]) == pytest.approx(5.0)  # 5 px of a 100-px face


def test_face_shift_counts_detections_and_rescales_results_of_another_size():
    pts = np.array([[10, 10], [30, 10], [20, 30]], dtype=float)

    def fake(image: np.ndarray):  # a "face" where the image is not blank; landmarks scale with the image
        if image.max() == 0:
            return None
        return pts * image.shape[1] / 40 + (1.0 if image[0, 0, 0] == 7 else 0.0)

    face = np.full((40, 40, 3), 5, np.uint8)
    moved = np.full((40, 40, 3), 7, np.uint8)
    big = np.full((80, 80, 3), 5, np.uint8)  # same face at twice the size: no shift after rescaling
    blank = np.zeros((40, 40, 3), np.uint8)
    m = face_shift([(face, moved), (face, big), (face, blank), (blank, blank)], fake)
    assert m["face_detected_before"] == 0.75 and m["face_detected_after"] == 0.5 and m["n_faces"] == 2
    expected_move = landmark_shift(pts, pts + 1.0)
    assert m["per_image"][0] == pytest.approx(expected_move) and m["per_image"][1] == pytest.approx(0.0)
    assert m["per_image"][2] is None and m["face_shift"] == pytest.approx(expected_move / 2)


# --- memorisation ---------------------------------------------------------------------------------------------

def test_nearest_finds_the_closest_row_and_can_exclude_itself():
    refs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    d, i = nearest(torch.tensor([[0.9, 0.1], [0.0, 2.0]]), refs)
    assert i.tolist() == [1, 2]
    assert d[0].item() == pytest.approx(float(np.sqrt(0.02 / 2)))  # RMS over the 2 dims
    d_self, i_self = nearest(refs, refs, exclude_self=True)
    assert i_self.tolist() == [1, 0, 0] and d_self.min() > 0


def test_memorisation_tells_copies_from_new_images():
    train, held = _textures(30, 32, seed=3), _textures(30, 32, seed=4)
    copies = (train[:20] + 0.005 * torch.randn(20, 3, 32, 32, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    fresh = _textures(20, 32, seed=5)
    m_copy = memorisation(copies, train, held)
    m_new = memorisation(fresh, train, held)
    assert m_copy["nn_ratio"] < 0.2 and m_copy["copy_rate"] == 1.0
    assert 0.7 < m_new["nn_ratio"] < 1.4 and m_new["copy_rate"] < 0.3
    assert m_copy["nearest_index"] == list(range(20))
    loo = memorisation(fresh, train)  # no held-out set: leave-one-out training distances are the reference
    assert loo["nn_reference"] == "train-loo" and 0.5 < loo["nn_ratio"] < 2.0
