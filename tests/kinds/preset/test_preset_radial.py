"""The ``preset`` kind's radial colour layer (one LUT per ring, blended), the vignette found under a strong
grade, what exports say they leave out, and the grain calibrated by simulation on a known case."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lookgan
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.look import as_restyler
from lookgan.kinds.preset.fit import (
    GrainFit,
    calibrate_grain,
    fit_grain,
    grain_stats,
    init_overlay,
    radial_effect,
    ring_ids,
    ring_ot_luts,
    ring_pixels,
    simulate_grain,
)
from lookgan.kinds.preset.method import Preset, PresetConfig
from lookgan.kinds.preset.network import PresetNet, frame_grid, ring_distance, ring_edges, ring_knots, ring_weights
from lookgan.ops.lut3d import identity_lut
from tests.helpers import BUSY_PRESET, write_preset_look


def _ring_net(factors: tuple[float, ...]) -> PresetNet:
    """Ring LUTs that scale every colour by ``factors`` (centre first); the overlay off."""
    net = PresetNet(lut_size=9, rings=len(factors))
    with torch.no_grad():
        for k, f in enumerate(factors):
            net.ring_luts[k] = identity_lut(9) * f
    net.set_values({"overlay.opacity_in": 0.0, "overlay.opacity_out": 0.0})
    return net


def test_ring_weights_interpolate_between_the_rings_middles():
    d = torch.linspace(0, 1, 201).view(1, 1, 1, -1)
    w = ring_weights(d, 4)
    assert torch.allclose(w.sum(1), torch.ones(1)) and float(w.min()) >= 0
    knots = ring_knots(4)
    at = ring_weights(knots.view(1, 1, 1, -1), 4)[0, :, 0]  # (4 rings, 4 knots): the identity
    assert torch.allclose(at, torch.eye(4), atol=1e-6)
    assert float(w[0, 0, 0, 0]) == 1.0 and float(w[0, 3, 0, -1]) == 1.0  # constant inside and beyond


def test_the_radial_colour_changes_smoothly_from_the_centre_to_the_corners():
    net = _ring_net((1.0, 0.85, 0.7, 0.5))
    net.requires_grad_(False)
    grey = torch.full((1, 3, 90, 160), 0.6)
    out = net(grey)[0, 0]
    assert float(out[45, 80]) == pytest.approx(0.6, abs=1e-4)  # the centre: the first ring's LUT
    assert float(out[0, 0]) == pytest.approx(0.3, abs=1e-4)  # the corners: the last ring's
    diag = torch.stack([out[round(i * 89 / 99), round(i * 159 / 99)] for i in range(100)])
    assert bool((diag[:50].flip(0).diff() <= 1e-6).all())  # darker all the way out from the centre
    # no seams: the 0.3 change is spread over many pixels (a ring baseline jumps by up to 0.15 at once here)
    assert float(out.diff(dim=1).abs().max()) < 0.02 and float(out.diff(dim=0).abs().max()) < 0.02
    # an ellipse that follows the frame: the same distance gives the same colour at any aspect
    x, y = frame_grid(90, 160)
    d = ring_distance(x, y)[0, 0]
    assert float(d[0, 0]) == pytest.approx(1.0, abs=0.02)
    wide = net(torch.full((1, 3, 40, 200), 0.6))[0, 0]
    assert float(wide[0, 0]) == pytest.approx(0.3, abs=1e-4)


def test_identity_at_zero_strength_and_old_looks_load(tmp_path):
    look = write_preset_look(tmp_path / "r.look", BUSY_PRESET, rings=3)
    r = as_restyler(look)
    photo = np.random.default_rng(0).integers(0, 256, (48, 72, 3), dtype=np.uint8)
    assert np.abs(r.grade_array(photo, ApplyOptions(strength=0.0), seed=1).astype(int) - photo).max() <= 1
    full, half = (r.grade_array(photo, ApplyOptions(strength=s), seed=1).astype(float) for s in (1.0, 0.5))
    corner, centre = (slice(0, 6), slice(0, 6)), (slice(21, 27), slice(33, 39))
    # the rings darken the corners beyond what the global LUT does, half as much at half strength
    assert full[corner].mean() < full[centre].mean() - 20
    assert abs(half[corner].mean() - (full[corner].mean() + photo[corner].mean()) / 2) < 12
    # a look saved before the radial layer existed (no ring_luts) opens as one LUT for the whole frame
    tensors = dict(lookgan.load_look(look).tensors)
    del tensors["ring_luts"]
    net = Preset.build_inference(PresetConfig(lut_size=17), tensors)
    assert net.rings == 0 and torch.equal(net.lut, lookgan.load_look(look).tensors["lut"])


def _smooth_frames(n: int, size: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=gen) * 0.7 + 0.15
    return torch.nn.functional.interpolate(small, size=(size, size), mode="bicubic").clamp(0, 1)


def test_a_vignette_under_a_strong_grade_is_found_from_the_ring_luts():
    """A bleach-like grade (desaturated, steep contrast) then a dark vignette: the ring LUTs' effect on the same
    pixels shows the vignette, and the overlay starts from it."""
    photos, others = _smooth_frames(24, 48, 0), _smooth_frames(24, 48, 1)
    grey = others.mean(1, keepdim=True)
    graded = (0.5 + 1.8 * (0.6 * grey + 0.4 * others - 0.5)).clamp(0, 1)
    x, y = frame_grid(48, 48)
    t = ((ring_distance(x, y) - 0.4) / 0.6).clamp(0, 1)
    style = graded * (1 - 0.5 * t)
    luts = ring_ot_luts(photos, style, 4, n=9, pixels=20_000, iterations=6)
    pixels = ring_pixels(photos, torch.ones(48 * 48, dtype=torch.bool), 5000, torch.Generator().manual_seed(0))
    effect = radial_effect(luts, pixels)
    fall_off = float(effect[-1].mean() / effect[0].mean())
    assert 0.45 < fall_off < 0.8  # the truth at the last bin: 0.5-0.6
    values = init_overlay(effect, radial_effect(luts[:1], pixels).expand_as(effect))
    assert values["overlay.mode_multiply"] > 0.9 and values["overlay.colour_out_r"] < 0.8
    assert ring_ids(48, 4).bincount().float().std() / (48 * 48 / 4) < 0.05  # the rings hold equal areas
    assert bool((ring_edges(4)[:-1] < ring_knots(4)).all() and (ring_knots(4) < ring_edges(4)[1:]).all())


def test_exports_say_the_radial_colour_is_left_out(tmp_path):
    look = write_preset_look(tmp_path / "r.look", BUSY_PRESET, rings=3)
    for fmt, out in (("cube", "r.cube"), ("xmp", "r.zip")):
        report: dict = {}
        lookgan.export(look, format=fmt, out=tmp_path / out, report=report)
        assert "from the centre to the corners" in report["not_in_lut"], fmt
    report = {}
    lookgan.export(look, format="ffmpeg", out=tmp_path / "r.ffmpeg", report=report)
    assert "not_in_lut" not in report and "approximated" in report  # ffmpeg: the rings as curves
    plain = write_preset_look(tmp_path / "p.look", BUSY_PRESET)
    # the editors' vignette carries the rings' darkening too (they darken the corners beyond the overlay)
    with_rings, without = (as_restyler(p).editor_layers().vignette.amount for p in (look, plain))
    assert with_rings < without - 0.1


def test_grain_calibration_recovers_a_known_grain_at_two_frame_sizes():
    """Grain of known amount and size (a fraction of each frame's short side) on textured photos cropped from
    frames of two sizes: the calibrated fit reproduces the grain's energy, the closed form misses it more."""
    gen = torch.Generator().manual_seed(0)
    texture = lambda n, s: (_smooth_frames(n, s, int(torch.randint(0, 999, (1,), generator=gen)))  # noqa: E731
                            + 0.003 * torch.randn(n, 3, s, s, generator=gen)).clamp(0, 1)
    truth = GrainFit((0.04, 0.05, 0.04), 0.006 * 256, 1.0)

    def boxed(frames: torch.Tensor, frame: int) -> list:
        return [(f[None], (0, 0, frame, frame)) for f in frames]

    style_crops = boxed(texture(8, 96), 256) + boxed(texture(8, 96), 512)
    style = simulate_grain(style_crops, truth, short_side=256)
    photos = boxed(texture(8, 96), 256) + boxed(texture(8, 96), 512)
    closed = fit_grain(style, grain_stats([c for c, _ in photos]))
    calibrated = calibrate_grain(closed, style, photos, 256)

    def energy(fit: GrainFit) -> float:
        return float(simulate_grain(photos, fit, 256).fine.sum())

    want = energy(truth)
    assert energy(calibrated) == pytest.approx(want, rel=0.2)  # the issue asks for 25 %
    assert abs(energy(calibrated) / want - 1) <= abs(energy(closed) / want - 1) + 0.02
    assert np.mean(calibrated.amounts) == pytest.approx(np.mean(truth.amounts), rel=0.25)
    assert calibrated.size_px == pytest.approx(truth.size_px, rel=0.25)


def test_the_prior_gates_every_lut_of_the_preset(tmp_path, monkeypatch):
    """With the prior certain that the feed holds no grade, the global and ring LUTs stay the identity (the
    vignette and grain are still learnt), and look.json records the finding."""
    import json

    from lookgan.prior import posterior as module  # the gate both colour kinds start from (colour_start)
    from tests.kinds.preset.test_preset import TINY, _vignette_case

    def certain(ot, content, style, pairs, seed):
        return ot, {"p_no_grade": 1.0, "grade_strength": 0.0, "difference_in_noise_units": 0.5}

    monkeypatch.setattr(module, "gate_ot_fit", certain)
    case = _vignette_case(tmp_path / "case", n=6)
    result = lookgan.train("preset", case / "style", photos=case / "content", out=tmp_path / "g.look", steps=2,
                           method_options=TINY)
    look = lookgan.load_look(result.look)
    ident = identity_lut(9)
    assert torch.allclose(look.tensors["lut"], ident, atol=1e-5)
    assert torch.allclose(look.tensors["ring_luts"], ident.expand(4, -1, -1, -1, -1), atol=1e-5)
    assert json.loads((result.look / "look.json").read_text())["data"]["colour_prior"]["p_no_grade"] == 1.0
