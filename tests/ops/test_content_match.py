"""Content-matched pixels for the unpaired colour fits (issue 18): the features a grade leaves alone, the cell
weights, and a known grade recovered better than plain distribution transfer when the sets show different
things."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lookgan.ops.content_match import (
    MIN_IMAGES,
    TEXTURE_EDGES,
    cell_weights,
    content_matched_pixels,
    invariant_features,
)
from lookgan.ops.lut3d import apply_lut
from lookgan.ops.transfer import ot_lut, sample_pixels
from tests.helpers import mean_delta_e, warm_grade


def _landscape(rng: np.random.Generator, sky: float, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    """Smooth blue sky over a textured green-brown ground; ``sky`` is the share of rows that are sky."""
    h, w = size
    img = np.empty((h, w, 3))
    top = int(round(sky * h))
    ramp = np.linspace(0, 1, max(top, 1))[:, None, None]
    img[:top] = np.array([0.35, 0.55, 0.85]) * (0.8 + 0.2 * ramp) + rng.normal(0, 0.01, (top, w, 3))
    ground = np.array([0.3, 0.45, 0.2]) + rng.uniform(-0.15, 0.15, (1, 1, 3))
    img[top:] = ground * rng.uniform(0.5, 1.4, (h - top, w, 1)) + rng.normal(0, 0.05, (h - top, w, 3))
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1).contiguous()


def test_features_ignore_a_global_brightness_change():
    rng = np.random.default_rng(0)
    img = _tensor(_landscape(rng, 0.5)).double() / 255
    a, b = invariant_features(img), invariant_features(img * 0.5)
    assert torch.equal(a[:, 1], b[:, 1])  # height
    assert torch.equal(a[:, 2], b[:, 2])  # luminance rank
    assert torch.allclose(a[:, 0] * 0.5, b[:, 0], atol=1e-9)  # texture scales; cells rank it within the set
    w = cell_weights(a, b)
    assert torch.allclose(w, torch.ones_like(w))  # the same content in both sets: nothing to reweight
    # fixed texture edges keep each set's share of smooth pixels, at the price of some sensitivity to contrast
    w = cell_weights(a, invariant_features(img * 0.9), texture_edges=TEXTURE_EDGES)
    assert 0.8 < float(w.median()) < 1.25


def test_weights_follow_the_feeds_share_of_each_cell():
    content = torch.tensor([[0.0, 0.1, 0.5]] * 90 + [[0.0, 0.9, 0.5]] * 10, dtype=torch.float64)  # 90 % top
    style = torch.tensor([[0.0, 0.1, 0.5]] * 10 + [[0.0, 0.9, 0.5]] * 90, dtype=torch.float64)  # 90 % bottom
    w = cell_weights(content, style, bins=(2, 1, 1), clip=100.0)
    top, bottom = float(w[0]), float(w[-1])
    assert bottom / top > 50  # (91/11) / (11/91) with the pseudo-counts
    assert float(cell_weights(content, style, bins=(2, 1, 1), clip=5.0).max()) == 5.0


def _mismatched_sets(rng: np.random.Generator, n: int = 12) -> tuple[list[np.ndarray], list[np.ndarray],
                                                                     list[np.ndarray]]:
    """The user's photos: n/2 landscapes and n/2 close-ups of the ground; the feed: n landscapes, graded."""
    user = [_landscape(rng, 0.5) for _ in range(n // 2)] + [_landscape(rng, 0.0) for _ in range(n // 2)]
    feed = [warm_grade(_landscape(rng, 0.5)) for _ in range(n)]
    return user, feed, [_landscape(rng, 0.5) for _ in range(4)]


def _error(lut: torch.Tensor, held: list[np.ndarray]) -> float:
    out = [(apply_lut(_tensor(h).float()[None] / 255, lut)[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
           for h in held]
    return float(np.mean([mean_delta_e(o, warm_grade(h)) for o, h in zip(out, held)]))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_known_grade_is_recovered_better_than_plain_transfer_when_the_sets_show_different_things(seed):
    """Half the user's photos are textured close-ups, the feed shows landscapes: plain distribution transfer
    spends the feed's sky colours on the user's ground; matching the cells first lands closer to the true grade
    (measured 12-15 % on three seeds)."""
    user, feed, held = _mismatched_sets(np.random.default_rng(seed))
    user_t, feed_t = [_tensor(i) for i in user], [_tensor(i) for i in feed]
    plain = ot_lut(sample_pixels(user_t, 40000, seed=0).float(), sample_pixels(feed_t, 40000, seed=1).float())
    matched_c, matched_s = content_matched_pixels(user_t, feed_t, 40000, seed=0, min_images=12)
    e_plain, e_matched = _error(plain, held), _error(ot_lut(matched_c.float(), matched_s.float()), held)
    print(f"ΔE2000 plain OT {e_plain:.2f}, content-matched {e_matched:.2f}")
    assert e_matched < 0.92 * e_plain


def test_the_ot_kind_matches_content_when_asked(tmp_path):
    from PIL import Image

    import lookgan
    from lookgan.kinds.capabilities import ApplyOptions
    from lookgan.kinds.look import as_restyler

    user, feed, held = _mismatched_sets(np.random.default_rng(1), n=MIN_IMAGES)
    for name, images in (("photos", user), ("feed", feed)):
        (tmp_path / name).mkdir()
        for i, img in enumerate(images):
            Image.fromarray(img).save(tmp_path / name / f"{i}.png")
    errors = {}
    for match in (True, False):
        out = tmp_path / f"{match}.look"
        options = {"pixels": 40000, **({"match_content": True} if match else {})}
        lookgan.train("ot", tmp_path / "feed", photos=tmp_path / "photos", out=out, method_options=options)
        look = lookgan.load_look(out)
        assert look.config.match_content is match
        grade = as_restyler(look).grader(ApplyOptions())
        errors[match] = float(np.mean([mean_delta_e(grade(h), warm_grade(h)) for h in held]))
    assert errors[True] < 0.92 * errors[False], errors


def test_few_images_are_not_reweighted():
    """Below MIN_IMAGES a set's cell shares are mostly chance: the pixels are the plain samples."""
    user, feed, _ = _mismatched_sets(np.random.default_rng(3), n=8)
    user_t, feed_t = [_tensor(i) for i in user], [_tensor(i) for i in feed]
    c, s = content_matched_pixels(user_t, feed_t, 4000, seed=5)
    assert torch.equal(c, sample_pixels(user_t, 4000, seed=5)) and torch.equal(s, sample_pixels(feed_t, 4000, seed=6))
    c, _ = content_matched_pixels(user_t, feed_t, 4000, seed=5, min_images=8)
    assert not torch.equal(c, sample_pixels(user_t, 4000, seed=5))
