"""DiffAugment: shapes, the math of each op, gradients flow, policies checked."""
from __future__ import annotations

import pytest
import torch

from lookgan.ops.diffaugment import (
    DiffAugment,
    diff_augment,
    parse_policy,
    rand_brightness,
    rand_cutout,
    rand_translation,
)


def test_shapes_and_gradients():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    y = diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_is_a_shift_with_zero_fill():
    x = torch.arange(64.0).view(1, 1, 8, 8) + 1  # no zeros inside
    y = rand_translation(x, torch.Generator().manual_seed(1))
    vals = set(y[y != 0].tolist())
    assert vals <= set(x.flatten().tolist())  # only moved, never blended
    nz = (y != 0).nonzero()
    r0 = nz[:, 2].min().item()
    # whatever the shift, the kept block is a contiguous copy of the original
    block = y[0, 0][y[0, 0] != 0].view(nz[:, 2].max() - r0 + 1, -1)
    assert block.shape[0] >= 6 and block.shape[1] >= 6  # at most 1/8 of 8 px = 1 px each way


def test_cutout_zeroes_a_square_of_half_size():
    x = torch.ones(64, 3, 16, 16)
    y = rand_cutout(x, torch.Generator().manual_seed(0))
    zeros = (y[:, 0] == 0).sum(dim=(1, 2))
    assert zeros.max() == 64  # 8x8 when the square lies fully inside
    assert (zeros > 0).all() and (zeros <= 64).all()
    assert torch.equal(y[:, 0] == 0, y[:, 2] == 0)  # same square on every channel


def test_brightness_adds_one_offset_per_sample():
    x = torch.zeros(3, 3, 4, 4)
    y = rand_brightness(x, torch.Generator().manual_seed(0))
    for i in range(3):
        assert torch.allclose(y[i], y[i].flatten()[0].expand_as(y[i]))
    assert y.abs().max() <= 0.5


def test_policy_checked():
    assert parse_policy("translation, cutout") == ["translation", "cutout"]
    assert parse_policy("") == []
    with pytest.raises(ValueError, match="blur"):
        parse_policy("translation,blur")
    assert torch.equal(DiffAugment("")(torch.ones(1, 3, 4, 4)), torch.ones(1, 3, 4, 4))
