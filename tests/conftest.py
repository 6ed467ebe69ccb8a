"""Shared fixtures: tiny image folders and tiny configs, so the whole suite runs in minutes on 2 CPU cores."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import torch

from tests.helpers import write_image_folder
from tests.small_disk import small_disk  # noqa: F401 (a fixture: a size-limited tmpfs)

torch.set_num_threads(min(2, os.cpu_count() or 1))
# lookgan's cache (kind descriptions, Inception weights) in a folder of this run, not in the user's home.
os.environ.setdefault("LOOKGAN_CACHE", tempfile.mkdtemp(prefix="lookgan-test-cache-"))

#: A DCGAN small enough to train a step in milliseconds.
TINY_DCGAN = {"method": {"size": 32, "ngf": 8, "ndf": 8, "n_samples": 4},
              "train": {"batch": 4, "sample_every": 2, "checkpoint_every": 3, "log_every": 1}}


@pytest.fixture
def style_dir(tmp_path: Path) -> Path:
    """Twelve small JPEGs."""
    return write_image_folder(tmp_path / "style", 12)


@pytest.fixture
def faces_dir() -> Path:
    """The portraits shipped for the demo (real photos, read-only)."""
    from lookgan.use.demos import demo_images_dir

    return demo_images_dir()


@pytest.fixture
def tiny_config() -> dict:
    import copy

    return copy.deepcopy(TINY_DCGAN)


@pytest.fixture(scope="session")
def trained_dcgan_look(tmp_path_factory) -> Path:
    """A tiny DCGAN look trained for two steps (read-only: copy it before damaging it)."""
    from lookgan import api

    root = tmp_path_factory.mktemp("dcgan-look")
    style = write_image_folder(root / "style", 8)
    api.train("dcgan", style, out=root / "t.look", steps=2, config=TINY_DCGAN)
    return root / "t.look"
