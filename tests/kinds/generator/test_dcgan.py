"""The corrected DCGAN: shapes at every size, the losses' math, a few steps move the generator."""
from __future__ import annotations

import math

import pytest
import torch

from lookgan.kinds.generator.dcgan import DCGAN, DCGANConfig
from lookgan.kinds.generator.dcgan_net import DCGANDiscriminator, DCGANGenerator
from lookgan.losses import d_loss, g_loss
from lookgan.use.generating import truncated_normal


@pytest.mark.parametrize("size", [32, 64, 128])
def test_generator_and_discriminator_shapes(size):
    g = DCGANGenerator(image_size=size, z_dim=100, ngf=8)
    d = DCGANDiscriminator(image_size=size, ndf=8)
    img = g(torch.randn(2, 100))
    assert img.shape == (2, 3, size, size)  # the seed's bug emitted 8x8
    assert img.min() >= -1 and img.max() <= 1
    assert d(img).shape == (2,)


def test_generator_has_upsampling_and_activations():
    kinds = {type(m).__name__ for m in DCGANGenerator(image_size=64, ngf=8).modules()}
    assert {"ConvTranspose2d", "BatchNorm2d", "ReLU", "Tanh"} <= kinds
    kinds_d = {type(m).__name__ for m in DCGANDiscriminator(image_size=64, ndf=8).modules()}
    assert "LeakyReLU" in kinds_d


def test_bad_size_rejected():
    with pytest.raises(ValueError, match="32, 64, 128"):
        DCGANConfig(size=48)


def test_losses_known_values():
    zero = torch.zeros(4)
    assert math.isclose(d_loss("ns", zero, zero).item(), 2 * math.log(2), rel_tol=1e-6)
    assert math.isclose(g_loss("ns", zero).item(), math.log(2), rel_tol=1e-6)  # -log D(G(z)), not log(1 - D)
    assert d_loss("hinge", torch.full((4,), 2.0), torch.full((4,), -2.0)).item() == 0
    assert g_loss("hinge", torch.full((4,), 3.0)).item() == -3
    assert d_loss("lsgan", torch.ones(4), torch.zeros(4)).item() == 0
    assert math.isclose(g_loss("lsgan", zero).item(), 0.5)
    # the non-saturating generator loss still has a gradient when D confidently rejects fakes
    logits = torch.full((4,), -10.0, requires_grad=True)
    g_loss("ns", logits).backward()
    assert logits.grad.abs().mean() > 0.2


def test_truncation_bounds_latents():
    z = truncated_normal((1000, 10), truncation=0.5, generator=torch.Generator().manual_seed(0))
    assert z.abs().max() <= 0.5 and z.std() > 0.2
    assert truncated_normal((5,), truncation=None).shape == (5,)


@pytest.mark.parametrize("gan_loss", ["ns", "hinge", "lsgan"])
def test_steps_update_both_networks(gan_loss):
    torch.manual_seed(0)
    m = DCGAN(DCGANConfig(size=32, ngf=8, ndf=8, gan_loss=gan_loss, augment="color,translation,cutout",
                          n_samples=4))
    before = {k: v.clone() for k, v in m.nets["generator"].state_dict().items()}
    batch = torch.rand(4, 3, 32, 32) * 2 - 1
    losses = m.train_step(batch, 0)
    assert set(losses) == {"d", "g"} and all(torch.isfinite(v) for v in losses.values())
    after = m.nets["generator"].state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert m.sample().shape == (4, 3, 32, 32)
