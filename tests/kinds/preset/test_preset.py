"""The ``preset`` kind: each layer against its definition, grain statistics, gradients, a short unpaired fit that
finds a synthetic vignette and grain, exact resume, and the settings (``--set``, ``adjust``, ``info``)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

import lookgan
from lookgan.cli import main
from lookgan.kinds.capabilities import ApplyOptions, CapabilityError
from lookgan.kinds.look import as_restyler
from lookgan.kinds.preset.fit import cell_ids, fit_grain, grain_stats, ring_loss
from lookgan.kinds.preset.network import BLEND_MODES, PresetNet, blend_mode, frame_grid, luma, radial_distance
from lookgan.ops.grain import grain_field, photo_seed

TINY = {"lut_size": 9, "frame_size": 32, "batch_frames": 4, "grain_crop": 48, "grain_images": 6, "auto_steps": 2,
        "n_samples": 2, "grain_every": 2, "ot_iterations": 3, "pixels": 5000}


# --- layers ---------------------------------------------------------------------------------------------------
def test_blend_modes_match_their_definitions():
    def scalar(b: float, s: float, mode: str) -> float:  # W3C Compositing Level 1, written out
        if mode == "normal":
            return s
        if mode == "multiply":
            return b * s
        if mode == "screen":
            return b + s - b * s
        if mode == "overlay":
            return 2 * b * s if b <= 0.5 else 1 - 2 * (1 - b) * (1 - s)
        d = ((16 * b - 12) * b + 4) * b if b <= 0.25 else math.sqrt(b)
        return b - (1 - 2 * s) * b * (1 - b) if s <= 0.5 else b + (2 * s - 1) * (d - b)

    values = [0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 1.0]
    for mode in BLEND_MODES:
        for b in values:
            for s in values:
                got = float(blend_mode(torch.tensor(b), torch.tensor(s), mode))
                assert got == pytest.approx(scalar(b, s, mode), abs=1e-3 if b == 0 else 1e-6), (mode, b, s)


def test_coordinates_are_exact_at_odd_sizes_and_crops_agree_with_the_frame():
    x, y = frame_grid(5, 7)
    assert x.shape == (1, 1, 5, 7)
    assert torch.allclose(x[0, 0, 0], -x[0, 0, 0].flip(0)) and float(x[0, 0, 0, 3]) == 0.0  # centre column
    assert float(y[0, 0, 2, 0]) == 0.0 and float(x[0, 0, 0, 0]) == pytest.approx(-6 / 7)
    cx, cy = frame_grid(2, 3, box=(1, 2, 5, 7))
    assert torch.equal(cx, x[..., 1:3, 2:5]) and torch.equal(cy, y[..., 1:3, 2:5])
    # corners of a centred frame sit at distance 1 for a circle (any aspect) and for the frame's ellipse
    for aspect in (0.5, 1.0, 16 / 9):
        for roundness in (0.0, 1.0):
            d = radial_distance(torch.tensor(1.0), torch.tensor(1.0), aspect=aspect, centre=torch.zeros(2),
                                roundness=torch.tensor(roundness))
            assert float(d) == pytest.approx(1.0, abs=1e-5)


def _busy_net() -> PresetNet:
    net = PresetNet(lut_size=9)
    with torch.no_grad():
        net.lut.copy_(net.lut.pow(1.3))
    net.set_values({"overlay.opacity_in": 0.3, "overlay.opacity_out": 0.9, "overlay.colour_out_r": 0.1,
                    "overlay.mode_multiply": 0.8, "grain.midtones": 0.05, "grain.size": 0.01, "grain.mono": 0.5})
    return net


def test_zero_strength_is_the_photo_and_full_strength_changes_it(tmp_path):
    net = _busy_net()
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)  # odd size, odd aspect
    look = lookgan.Look(path=tmp_path / "x.look", kind="preset", config=None, meta={}, tensors={})
    from lookgan.kinds.preset.method import PresetRestyler

    r = PresetRestyler(look, net)
    assert np.abs(r.grade_array(photo, ApplyOptions(strength=0.0), seed=1).astype(int) - photo).max() <= 1
    full = r.grade_array(photo, ApplyOptions(), seed=1)
    assert np.abs(full.astype(int) - photo).mean() > 5
    # the corner is darker than the centre: the vignette multiplies towards dark red at the edge
    assert full[:4, :4].mean() < full[16:21, 24:29].mean()


def test_settings_round_trip_through_their_ranges():
    net = PresetNet()
    wanted = {"overlay.centre_x": 0.2, "overlay.radius": 0.6, "overlay.width": 0.4, "overlay.opacity_out": 0.7,
              "overlay.colour_in_g": 0.3, "grain.size": 0.004, "grain.highlights": 0.02, "overlay.roundness": 0.25}
    net.set_values(wanted)
    got = net.values()
    for k, v in wanted.items():
        assert got[k] == pytest.approx(v, abs=1e-4), k
    net.set_values({"overlay.opacity_in": 7.0})  # clipped to the range
    assert net.values()["overlay.opacity_in"] == pytest.approx(1.0, abs=1e-3)
    net.set_values({"overlay.mode_screen": 0.9})
    modes = [net.values()[f"overlay.mode_{m}"] for m in BLEND_MODES]
    assert sum(modes) == pytest.approx(1.0, abs=1e-4) and max(modes) == pytest.approx(0.9, abs=1e-3)


# --- grain ----------------------------------------------------------------------------------------------------
def test_grain_is_seeded_and_has_the_requested_statistics():
    a = grain_field(64, 96, size=0.02, mono=1.0, seed=3)
    assert torch.equal(a, grain_field(64, 96, size=0.02, mono=1.0, seed=3))
    assert not torch.equal(a, grain_field(64, 96, size=0.02, mono=1.0, seed=4))
    assert torch.allclose(a[:, 0], a[:, 1]) and float(a.std()) == pytest.approx(1.0, abs=0.05)  # mono: one field
    colour = grain_field(64, 96, size=0.02, mono=0.0, seed=3)
    assert float(torch.corrcoef(colour[0].flatten(1))[0, 1].abs()) < 0.2  # colour: independent channels
    torch.manual_seed(0)
    base = torch.nn.functional.interpolate(torch.rand(6, 3, 10, 10), size=(160, 160), mode="bicubic").clamp(0, 1)
    net = PresetNet()
    for size_px, mono, amount in ((1.0, 1.0, 0.05), (3.0, 0.0, 0.03)):
        net.set_values({"grain.shadows": amount, "grain.midtones": amount, "grain.highlights": amount,
                        "grain.size": size_px / 160, "grain.mono": mono})
        styled = torch.cat([net.add_grain(base[i:i + 1], seed=i) for i in range(6)])
        fit = fit_grain(grain_stats(styled), grain_stats(base))
        assert np.mean(fit.amounts) == pytest.approx(amount, rel=0.15)
        assert max(fit.size_px, 1.0) == pytest.approx(size_px, rel=0.25)
        assert fit.mono == pytest.approx(mono, abs=0.15)


@pytest.mark.parametrize("rings", [0, 3])
def test_every_trainable_parameter_gets_a_gradient(rings):
    net = PresetNet(lut_size=9, rings=rings)
    net.ring_luts.requires_grad_(True)  # fitted by optimal transport in training, but differentiable all the same
    net.set_values({"overlay.opacity_in": 0.3, "overlay.opacity_out": 0.5})
    photos, style = torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32) * 0.8
    x, y = frame_grid(32, 32)
    out = net(photos, x, y, aspect=torch.tensor([1.0, 1.5, 0.75, 1.0]).view(-1, 1, 1, 1))
    ring_loss(out, style, cell_ids(32, 2), 4, generator=torch.Generator().manual_seed(0)).backward()
    for name, p in net.named_parameters():
        if (name == "lut" and rings) or (name == "ring_luts" and not rings):
            assert p.grad is None  # with rings, the global LUT is only what exports get; without, no ring tables
            continue
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name
    if rings:  # every ring's table moves the result somewhere in the frame
        assert all(float(g.abs().sum()) > 0 for g in net.ring_luts.grad)


# --- the kind -------------------------------------------------------------------------------------------------
def _vignette_case(root, n=10, size=64):
    """Smooth photos; the look darkens the corners (multiply) and adds grain."""
    rng = np.random.default_rng(1)

    def photo():
        small = rng.uniform(0.25, 0.85, (4, 4, 3)).astype(np.float32)
        return np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((size + 16, size), Image.BICUBIC))

    def look(img, seed):
        h, w = img.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        d = np.hypot(xx + 0.5 - w / 2, yy + 0.5 - h / 2) / math.hypot(w / 2, h / 2)
        out = img / 255 * (1 - 0.6 * np.clip((d - 0.3) / 0.7, 0, 1))[..., None]
        out = out + 0.04 * np.random.default_rng(seed).standard_normal((h, w, 1))
        return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)

    for part in ("style", "content", "held", "truth"):
        (root / part).mkdir(parents=True)
    for i in range(n):
        Image.fromarray(look(photo(), i)).save(root / "style" / f"{i}.png")
        Image.fromarray(photo()).save(root / "content" / f"{i}.png")
    for i in range(3):
        p = photo()
        Image.fromarray(p).save(root / "held" / f"{i}.png")
        Image.fromarray(look(p, 100 + i)).save(root / "truth" / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return _vignette_case(tmp_path_factory.mktemp("preset"))


def test_a_short_unpaired_fit_finds_the_vignette_and_the_grain(case, tmp_path):
    lookgan.train("preset", case / "style", photos=case / "content", out=tmp_path / "p.look", steps=40,
                  method_options={**TINY, "grain_every": 20})
    net = lookgan.load_look(tmp_path / "p.look").build()
    grade = as_restyler(tmp_path / "p.look").grader(ApplyOptions())
    held = [np.asarray(Image.open(case / "held" / f"{i}.png")) for i in range(3)]
    truth = [np.asarray(Image.open(case / "truth" / f"{i}.png")) for i in range(3)]
    out = [grade(h) for h in held]

    def corner_ratio(img):  # mean luma of the four corners over the centre's
        f = img.astype(float).mean(2)
        h, w = f.shape
        corners = np.mean([f[:8, :8].mean(), f[:8, -8:].mean(), f[-8:, :8].mean(), f[-8:, -8:].mean()])
        return corners / f[h // 2 - 6:h // 2 + 6, w // 2 - 6:w // 2 + 6].mean()

    plain, want, got = (np.mean([corner_ratio(i) for i in s]) for s in (held, truth, out))
    assert abs(got - want) < 0.5 * abs(plain - want), (plain, want, got)  # most of the way to the vignette
    amount = net.values()["grain.midtones"]
    assert 0.02 < amount < 0.07, net.values()


def test_resume_continues_bit_exactly(case, tmp_path):
    opts = {**TINY, "order": "overlay_first", "critic": 0.05}  # the critic (off by default) resumes too
    args = dict(photos=case / "content", method_options=opts, seed=3)
    lookgan.train("preset", case / "style", out=tmp_path / "a.look", steps=4, **args)
    lookgan.train("preset", case / "style", out=tmp_path / "b.look", steps=2, **args)
    lookgan.train("preset", case / "style", out=tmp_path / "b.look", steps=4, resume=True, **args)
    a, b = (lookgan.load_look(tmp_path / f"{n}.look").tensors for n in "ab")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_settings_from_the_command_line(case, tmp_path, capsys):
    look = tmp_path / "s.look"
    lookgan.train("preset", case / "style", photos=case / "content", out=look, steps=2,
                  method_options={**TINY, "order": "colour_first"})
    capsys.readouterr()
    assert main(["info", str(look)]) == 0
    assert "grain.midtones" in capsys.readouterr().out
    src = case / "held" / "0.png"
    assert main(["apply", str(look), str(src), "--out", str(tmp_path / "plain"), "--set", "grain.midtones=0",
                 "--set", "grain.shadows=0", "--set", "grain.highlights=0", "--set", "overlay.opacity_in=0",
                 "--set", "overlay.opacity_out=0"]) == 0
    assert main(["apply", str(look), str(src), "--out", str(tmp_path / "dark"), "--set", "overlay.opacity_out=1",
                 "--set", "overlay.mode_multiply=1", "--set", "overlay.colour_out_r=0", "--set",
                 "overlay.colour_out_g=0", "--set", "overlay.colour_out_b=0", "--set", "overlay.radius=0"]) == 0
    plain = np.asarray(Image.open(tmp_path / "plain" / "0.png"), float)
    dark = np.asarray(Image.open(tmp_path / "dark" / "0.png"), float)
    assert dark[:6, :6].mean() < 0.5 * plain[:6, :6].mean()  # corners pushed to black
    assert main(["apply", str(look), str(src), "--out", str(tmp_path / "x"), "--set", "grain.colour=1"]) == 2
    assert main(["apply", str(look), str(src), "--out", str(tmp_path / "x"), "--set", "grain.midtones"]) == 2
    # saved as a new look, the original untouched
    assert main(["adjust", str(look), "--set", "grain.midtones=0.1", "--out", str(tmp_path / "grainy.look")]) == 0
    assert lookgan.load_look(tmp_path / "grainy.look").build().values()["grain.midtones"] == pytest.approx(0.1)
    assert lookgan.load_look(look).build().values()["grain.midtones"] != pytest.approx(0.1)
    info = lookgan.info(tmp_path / "grainy.look")
    assert json.loads(json.dumps(info))["settings"]["grain.midtones"][0] == pytest.approx(0.1)


def test_a_lut_carries_only_the_colour_part_and_says_so(case, tmp_path):
    look = tmp_path / "c.look"
    lookgan.train("preset", case / "style", photos=case / "content", out=look, steps=1,
                  method_options={**TINY, "order": "colour_first"})
    with pytest.raises(CapabilityError, match="overlay and grain depend on the position|cannot carry"):
        as_restyler(look).as_lut(exact=True)
    report: dict = {}
    lookgan.export(look, format="cube", out=tmp_path / "c.cube", report=report)
    assert "grain" in report["not_in_lut"]
    assert luma(torch.rand(1, 3, 2, 2)).shape == (1, 1, 2, 2)


def test_onnx_carries_colour_and_overlay_at_any_size(case, tmp_path):
    pytest.importorskip("onnxruntime")
    from lookgan.use.exporting.onnx import OnnxLook

    look = tmp_path / "o.look"
    lookgan.train("preset", case / "style", photos=case / "content", out=look, steps=1, method_options=TINY)
    runner = OnnxLook(lookgan.export(look, format="onnx", out=tmp_path / "o.onnx"))
    module = lookgan.load_look(look).module()
    for shape in ((64, 80), (45, 97)):
        img = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
        with torch.no_grad():
            ref = module(torch.from_numpy(img / 255.0).float().permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
        assert np.abs(runner.run(img.transpose(2, 0, 1)[None] / 255.0)[0].transpose(1, 2, 0) - ref).mean() < 2 / 255


def test_onnx_carries_the_grain_from_a_noise_input(tmp_path):
    pytest.importorskip("onnxruntime")
    from lookgan.use.exporting.onnx import OnnxLook
    from tests.helpers import BUSY_PRESET, write_preset_look

    look = write_preset_look(tmp_path / "g.look", BUSY_PRESET)
    runner = OnnxLook(lookgan.export(look, format="onnx", out=tmp_path / "g.onnx"))
    assert runner.inputs == ["image", "noise"] and float(runner.metadata["noise_size"]) == pytest.approx(0.004)
    restyler = as_restyler(look)
    img = np.random.default_rng(1).integers(40, 220, (71, 103, 3), dtype=np.uint8)
    ours = restyler.network_grade(img, ApplyOptions(), seed=photo_seed(img)).astype(int)
    theirs = runner.run_image(img).astype(int)
    assert np.abs(ours - theirs).max() <= 2  # the same grain, drawn by the same rule
    plain = runner.run(img.transpose(2, 0, 1)[None] / 255.0)[0].transpose(1, 2, 0) * 255  # zeros: no grain
    assert np.abs(theirs - plain).std() > 3
    # `lookgan apply` reads its grain from a texture (faster): another draw of the same strength
    fast = restyler.grader(ApplyOptions())(img).astype(int)
    assert np.abs(fast - plain).std() == pytest.approx(np.abs(theirs - plain).std(), rel=0.2)
