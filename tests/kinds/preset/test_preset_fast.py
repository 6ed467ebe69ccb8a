"""The one-pass preset grader (kinds/preset/fast.py) against the network it stands for: the same output within
one level without grain, grain of the same strength, size and colour share, seeded as before."""
from __future__ import annotations

import numpy as np
import pytest

from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler, load_look
from lookgan.kinds.preset import fast as preset_fast
from tests.helpers import write_preset_look

BUSY = {"overlay.opacity_in": 0.15, "overlay.opacity_out": 0.8, "overlay.mode_soft_light": 0.45,
        "overlay.mode_multiply": 0.3, "overlay.colour_out_b": 0.8, "overlay.colour_in_r": 0.9,
        "overlay.roundness": 0.4, "overlay.centre_x": 0.12, "overlay.radius": 0.2, "overlay.width": 0.6}


def _photo(h: int = 61, w: int = 97) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)  # odd size and aspect, every colour


@pytest.mark.parametrize("order", ["overlay_first", "colour_first"])
@pytest.mark.parametrize("rings", [0, 4])
def test_fast_path_matches_the_network_within_one_level(tmp_path, order, rings):
    restyler = as_restyler(load_look(write_preset_look(tmp_path / "p.look", BUSY, order=order, rings=rings)))
    photo = _photo()
    for strength in (1.0, 0.6, 2.0):
        options = ApplyOptions(strength=strength)
        ours = restyler.grade_array(photo, options, seed=5).astype(int)
        theirs = restyler.network_grade(photo, options, seed=5).astype(int)
        assert np.abs(ours - theirs).max() <= 1, (strength, np.abs(ours - theirs).max())
        assert np.abs(ours - photo).mean() > 3  # and the look did something
    # 16-bit photos (float in [0, 1]) stay float and match as closely
    as_float = photo.astype(np.float32) / 255
    ours = restyler.grade_array(as_float, ApplyOptions(), seed=5)
    theirs = restyler.network_grade(as_float, ApplyOptions(), seed=5)
    assert ours.dtype == np.float32 and np.abs(ours - theirs).max() < 0.6 / 255


def _grain_look(tmp_path, mono: float):
    values = {"grain.shadows": 0.02, "grain.midtones": 0.05, "grain.highlights": 0.02, "grain.size": 0.02,
              "grain.mono": mono}
    return as_restyler(load_look(write_preset_look(tmp_path / f"g{mono}.look", values)))


def _grain_stats(graded: np.ndarray, flat: np.ndarray) -> tuple[float, float, float]:
    """Deviation, neighbour correlation (how coarse) and channel correlation (how mono) of the grain."""
    noise = graded.astype(float) - flat.astype(float)
    noise -= noise.mean(axis=(0, 1))
    lag = np.corrcoef(noise[:, :-2, 1].ravel(), noise[:, 2:, 1].ravel())[0, 1]
    across = np.corrcoef(noise[..., 0].ravel(), noise[..., 2].ravel())[0, 1]
    return float(noise.std()), float(lag), float(across)


@pytest.mark.parametrize("mono", [1.0, 0.3])
def test_fast_grain_has_the_networks_statistics(tmp_path, mono):
    restyler = _grain_look(tmp_path, mono)
    grey = np.full((240, 320, 3), 118, np.uint8)
    plain = restyler.network_grade(grey, ApplyOptions(strength=0.0), seed=0)
    fast = restyler.grade_array(grey, ApplyOptions(), seed=0)
    reference = restyler.network_grade(grey, ApplyOptions(), seed=0)
    flat = np.median(reference.reshape(-1, 3), axis=0)  # the grade of grey: the grain is the rest
    ours, theirs = _grain_stats(fast, flat), _grain_stats(reference, flat)
    assert ours[0] == pytest.approx(theirs[0], rel=0.12)  # strength
    assert ours[1] == pytest.approx(theirs[1], abs=0.08)  # size: neighbours two pixels apart as alike
    assert ours[2] == pytest.approx(theirs[2], abs=0.12)  # mono share
    assert ours[2] == pytest.approx(mono, abs=0.15)
    assert np.abs(plain.astype(int) - grey).max() <= 1


def test_grain_is_seeded_per_photo_and_per_video_frame(tmp_path):
    restyler = _grain_look(tmp_path, 0.5)
    photo = _photo(80, 120)
    grade = restyler.grader(ApplyOptions())
    assert np.array_equal(grade(photo), grade(photo))  # a rerun writes the same file
    other = photo.copy()
    other[0, 0] ^= 1
    assert np.abs(grade(other).astype(int) - grade(photo)).mean() > 0.5  # another photo, other grain
    video = restyler.grader(ApplyOptions(), video=True)
    first, second = video(photo), video(photo)
    assert np.abs(first.astype(int) - second).mean() > 0.5  # new grain every frame
    again = restyler.grader(ApplyOptions(), video=True)
    assert np.array_equal(again(photo), first)  # the same video gives the same frames


def test_noise_texture_is_seamless_and_tiles_large_frames(monkeypatch):
    tex = preset_fast.noise_texture(96, 160, size=0.05, mono=0.0).astype(float)
    inside = np.abs(np.diff(tex, axis=1)).mean()
    across = np.abs(tex[:, 0] - tex[:, -1]).mean()  # the wrap is as smooth as any neighbouring pair
    assert across == pytest.approx(inside, rel=0.25)
    assert tex.std() / preset_fast.NOISE_STEPS == pytest.approx(1.0, rel=0.05)
    monkeypatch.setattr(preset_fast, "NOISE_TILE", 64)
    preset_fast.noise_texture.cache_clear()  # textures are kept per size: make this one with the small tile
    small = preset_fast.noise_texture(300, 200, size=0.02, mono=1.0)
    preset_fast.noise_texture.cache_clear()
    assert small.shape == (64, 64, 3) and np.array_equal(small[..., 0], small[..., 2])


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork is POSIX-only")
@pytest.mark.timeout(60)
def test_a_forked_process_grades_too(tmp_path):
    """A child forked after the parent graded (the web app's jobs, data loader workers) grades too: no thread of
    the parent's is waited on in the child, which does not have them."""
    import os

    grade = _grain_look(tmp_path, 0.5).grader(ApplyOptions())
    photo = _photo(300, 200)
    first = grade(photo)
    pid = os.fork()
    if pid == 0:  # the child: exit status says whether it graded the same
        os._exit(0 if np.array_equal(grade(photo), first) else 3)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
