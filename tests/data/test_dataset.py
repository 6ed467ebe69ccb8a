"""Transforms and the resumable batch stream."""
from __future__ import annotations

import pytest
import torch

from lookgan.data.dataset import BatchStream, ImageFolder
from lookgan.data.transforms import center_crop, random_crop, random_flip, resize_shorter


def test_resize_shorter_keeps_aspect():
    assert resize_shorter(torch.rand(3, 100, 50), 20).shape == (3, 40, 20)
    assert resize_shorter(torch.rand(3, 30, 90), 10).shape == (3, 10, 30)


def test_resize_antialiases_a_fine_pattern():
    stripes = torch.zeros(3, 64, 64)
    stripes[:, :, ::2] = 1.0  # 1-pixel stripes: a naive subsample would give all 0 or all 1
    small = resize_shorter(stripes, 8)
    assert torch.allclose(small, torch.full_like(small, 0.5), atol=0.05)


def test_crops_and_flip_are_seeded():
    img = torch.rand(3, 20, 30)
    a = random_crop(img, 10, torch.Generator().manual_seed(3))
    b = random_crop(img, 10, torch.Generator().manual_seed(3))
    assert a.shape == (3, 10, 10) and torch.equal(a, b)
    assert torch.equal(center_crop(img, 10), img[:, 5:15, 10:20])
    g = torch.Generator().manual_seed(0)
    flips = [torch.equal(random_flip(img, g), img.flip(-1)) for _ in range(50)]
    assert 10 < sum(flips) < 40
    with pytest.raises(ValueError):
        center_crop(img, 25)


def test_stream_resumes_exactly_and_wraps_small_sets(style_dir):
    ds = ImageFolder(style_dir, load_size=24, progress=False)
    a = BatchStream(ds, batch_size=5, crop_size=16, seed=7)
    for _ in range(3):
        a.next_batch()
    state = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in a.state_dict().items()}
    expected = [a.next_batch() for _ in range(4)]  # 12 images, batch 5: crosses epoch boundaries
    b = BatchStream(ds, batch_size=5, crop_size=16, seed=999)
    b.load_state_dict(state)
    got = [b.next_batch() for _ in range(4)]
    assert all(torch.equal(x, y) for x, y in zip(expected, got))
    assert expected[0].shape == (5, 3, 16, 16) and expected[0].min() >= -1 and expected[0].max() <= 1
    big = BatchStream(ds, batch_size=30, crop_size=16, seed=0).next_batch()  # batch larger than the set
    assert big.shape[0] == 30


def test_every_image_seen_once_per_epoch(style_dir):
    ds = ImageFolder(style_dir, load_size=24, progress=False)
    s = BatchStream(ds, batch_size=1, crop_size=24, crop="center", flip=False, seed=0)
    seen = {s.next_batch().sum().item() for _ in range(len(ds))}
    assert len(seen) == len(ds)


def test_fingerprint_changes_with_data(style_dir):
    fp = ImageFolder(style_dir, load_size=24, progress=False).fingerprint()
    assert fp == ImageFolder(style_dir, load_size=24, progress=False).fingerprint()
    (style_dir / "img_000.jpg").unlink()
    assert fp != ImageFolder(style_dir, load_size=24, progress=False).fingerprint()
