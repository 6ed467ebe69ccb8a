"""cyclegan, cut, fastcut: configs, training through the shared loop, exact resume, PatchNCE math, and losses
that go down on a tiny synthetic domain pair."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import lookgan
from lookgan.core.errors import InputError
from lookgan.kinds.translator.cut import CUTConfig, FastCUTConfig
from lookgan.kinds.translator.cyclegan import CycleGANConfig
from lookgan.kinds.translator.patchnce import patch_nce
from tests.helpers import write_image_folder

#: Translators small enough to take a step in well under a second on 2 cores.
TINY = {"method": {"size": 32, "ngf": 8, "ndf": 8, "n_blocks": 2, "n_samples": 2, "num_patches": 32},
        "train": {"batch": 2, "sample_every": 2, "checkpoint_every": 2, "log_every": 1}}
KINDS = ("cyclegan", "cut", "fastcut")


def _config(kind: str) -> dict:
    cfg = copy.deepcopy(TINY)
    if kind == "cyclegan":
        cfg["method"].pop("num_patches")
        cfg["method"]["pool_size"] = 3
    return cfg


@pytest.fixture
def domains(tmp_path):
    return (write_image_folder(tmp_path / "style", 6, size=(40, 48), seed=1),
            write_image_folder(tmp_path / "photos", 6, size=(48, 40), seed=2))


def test_configs_follow_the_papers_and_refuse_nonsense():
    cut, fast = CUTConfig(), FastCUTConfig()
    assert (cut.lambda_nce, cut.nce_idt, cut.flip_equivariance) == (1.0, True, False)
    assert (fast.lambda_nce, fast.nce_idt, fast.flip_equivariance) == (10.0, False, True)
    assert cut.num_patches == 256 and cut.nce_temperature == 0.07 and cut.gan_loss == "lsgan"
    assert cut.tap_indices() == (0, 2, 3, 4, 8)  # input, down1, down2, block1, block5 (the paper's 0,4,8,12,16)
    assert CUTConfig(n_blocks=2).tap_indices() == (0, 2, 3, 4, 5)  # block5 beyond 2 blocks -> the last one
    assert (CycleGANConfig().lambda_cycle, CycleGANConfig().lambda_identity, CycleGANConfig().pool_size) == (10, 0.5, 50)
    assert CycleGANConfig(size=128).load_size == 144
    with pytest.raises(InputError, match="multiple of 4"):
        CUTConfig(size=30)
    with pytest.raises(InputError, match="unknown layer"):
        CUTConfig(nce_layers="input,block99x")


def test_patch_nce_matches_a_direct_softmax():
    g = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(2 * 5, 8, generator=g), dim=1)
    k = torch.nn.functional.normalize(torch.randn(2 * 5, 8, generator=g), dim=1)
    expected = []
    for img in range(2):
        qi, ki = q[img * 5:(img + 1) * 5], k[img * 5:(img + 1) * 5]
        for i in range(5):
            logits = [float(qi[i] @ ki[i])] + [float(qi[i] @ ki[j]) if j != i else -10.0 for j in range(5)]
            logits = np.array(logits) / 0.07
            expected.append(-(logits[0] - np.log(np.exp(logits).sum())))
    assert float(patch_nce(q, k, batch=2)) == pytest.approx(float(np.mean(expected)), rel=1e-5)
    # A perfect match (queries = keys, all distinct) costs less than a shuffled one.
    assert float(patch_nce(k, k, batch=2)) < float(patch_nce(k.flip(0), k, batch=2))


def test_patch_nce_and_its_heads_stay_float32_under_bf16_autocast():
    """bf16 similarities divided by T = 0.07 are noisy logits; the heads and the loss must ignore autocast."""
    from lookgan.kinds.translator.network import PatchSampler

    torch.manual_seed(0)
    sampler = PatchSampler([8, 16], dim=32)
    feats = [torch.randn(2, 8, 6, 6), torch.randn(2, 16, 3, 3)]
    plain, ids = sampler(feats, 5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under, _ = sampler(feats, 5, ids)
        loss = patch_nce(under[0], plain[0].flip(0), batch=2)
    assert all(t.dtype == torch.float32 for t in under) and loss.dtype == torch.float32
    assert all(torch.equal(a, b) for a, b in zip(under, plain))
    assert float(loss) == pytest.approx(float(patch_nce(plain[0], plain[0].flip(0), batch=2)), rel=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_trains_writes_a_look_and_needs_photos(kind, domains, tmp_path):
    style, photos = domains
    with pytest.raises(InputError, match="--photos"):
        lookgan.train(kind, style, out=tmp_path / "x.look", steps=1, config=_config(kind))
    result = lookgan.train(kind, style, photos=photos, out=tmp_path / f"{kind}.look", steps=2, config=_config(kind))
    assert result.step == 2 and (result.look / "weights.safetensors").is_file()
    grid = np.asarray(Image.open(result.sample_path))
    assert grid.shape[1] == 3 * 32 + 4 * 2  # photo | translated | third column
    assert {"g", "d"} <= set(result.history[-1]["losses"])


@pytest.mark.parametrize("kind", ["cyclegan", "fastcut"])
def test_resume_gives_the_same_weights_as_one_run(kind, domains, tmp_path):
    style, photos = domains
    straight = lookgan.train(kind, style, photos=photos, out=tmp_path / "a.look", steps=4, config=_config(kind))
    lookgan.train(kind, style, photos=photos, out=tmp_path / "b.look", steps=2, config=_config(kind))
    resumed = lookgan.train(kind, style, photos=photos, out=tmp_path / "b.look", steps=4, resume=True)
    wa = load_file(str(straight.look / "weights.safetensors"))
    wb = load_file(str(resumed.look / "weights.safetensors"))
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def _stripes(folder, n: int, *, textured: bool, seed: int):
    """Horizontal stripes of random colours; ``textured`` adds a fine checker pattern inside every stripe."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        rows = np.repeat(rng.integers(30, 225, (6, 1, 3)), 8, axis=0)  # (48, 1, 3)
        img = np.repeat(rows, 48, axis=1).astype(np.int16)
        if textured:
            yy, xx = np.mgrid[0:48, 0:48]
            img += (((yy // 2 + xx // 2) % 2) * 50 - 25)[..., None].astype(np.int16)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"s{i:02d}.png")
    return folder


@pytest.mark.parametrize("kind,loss", [("cyclegan", "cycle"), ("cut", "nce"), ("fastcut", "nce")])
def test_content_losses_go_down_on_a_tiny_domain_pair(kind, loss, tmp_path):
    flat = _stripes(tmp_path / "flat", 8, textured=False, seed=0)
    textured = _stripes(tmp_path / "textured", 8, textured=True, seed=1)
    cfg = _config(kind)
    cfg["train"].update(sample_every=0, checkpoint_every=1000, log_every=10)
    cfg["method"].update(size=32, lr=1e-3)
    steps = 120
    result = lookgan.train(kind, textured, photos=flat, out=tmp_path / "t.look", steps=steps, config=cfg)
    curve = [r["losses"][loss] for r in result.history if loss in r["losses"]]
    assert len(curve) == steps // 10
    assert np.mean(curve[-3:]) < 0.8 * np.mean(curve[:2]), curve


def _tiny_cut() -> tuple:
    """A tiny CUT, its generator and two 32-px images (seeded)."""
    from lookgan.kinds.translator.cut import CUT

    torch.manual_seed(0)
    method = CUT(CUTConfig(size=32, ngf=8, ndf=8, n_blocks=2, num_patches=16))
    return method, method.nets["generator"], torch.rand(2, 3, 32, 32) * 2 - 1


def _loss_and_grads(g: torch.nn.Module, loss_fn) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """``loss_fn()`` (patch locations seeded alike for every call), backpropagated into fresh gradients."""
    g.zero_grad()
    torch.manual_seed(1)
    loss = loss_fn()
    loss.sum().backward()
    return loss.detach(), [p.grad.clone() for p in g.parameters()]


def test_patch_nce_keys_from_the_translation_pass_equal_a_second_encoding():
    """CUT reuses the sources' features from the translation pass as PatchNCE keys: the loss and every gradient
    must be what a separate encoding of the sources gives."""
    method, g, x = _tiny_cut()

    def keys_reused() -> torch.Tensor:
        out, feats = g(x, also_taps=method.taps)
        assert torch.equal(out, g(x))
        return method.nce(x, out, False, feats)
    a, ga = _loss_and_grads(g, keys_reused)
    b, gb = _loss_and_grads(g, lambda: method.nce(x, g(x), False))
    assert float(a) == pytest.approx(float(b), rel=1e-6)
    assert all(torch.allclose(p, q, atol=1e-7) for p, q in zip(ga, gb))


def test_patch_nce_of_two_parts_in_one_pass_equals_two_separate_calls():
    """CUT encodes the photos' and the look images' translations in one batched pass (its identity NCE): each
    part must get the loss and gradients that a call of its own gives, with its own patch locations."""
    method, g, both = _tiny_cut()
    a, ga = _loss_and_grads(g, lambda: method.nce(both, g(both), False, parts=(1, 1)))
    b, gb = _loss_and_grads(g, lambda: torch.cat([method.nce(both[i:i + 1], g(both[i:i + 1]), False)
                                                  for i in range(2)]))
    assert a.shape == (2,) and a[0] != a[1]
    assert torch.allclose(a, b, rtol=1e-5)
    # float32 sums in another order: agreement to ~1e-6 of the largest gradient (conv biases before an instance
    # norm have a gradient that is zero up to rounding)
    scale = max(float(q.abs().max()) for q in gb)
    assert all(float((p - q).abs().max()) < 1e-5 * scale for p, q in zip(ga, gb))


def test_the_discriminator_judges_each_image_alone_so_its_step_can_batch_real_and_fake():
    """discriminator_step scores real and translated images in one batched pass: that equals two passes only
    because the PatchGAN's norms are per image (no batch statistics)."""
    from lookgan.kinds.translator.network import PatchDiscriminator

    torch.manual_seed(0)
    d = PatchDiscriminator(ndf=8)
    real, fake = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    together = d(torch.cat([real, fake]))
    assert torch.allclose(together, torch.cat([d(real), d(fake)]), atol=1e-6)
