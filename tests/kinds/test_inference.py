"""A look as one module: Look.module(), the Hub layout (save_pretrained / from_pretrained) and torch.hub."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lookgan import Look, load_look
from lookgan.core.errors import InputError, LookFormatError
from lookgan.use.generating import generate_images

REPO = Path(__file__).resolve().parents[2]


def test_generator_module_matches_generate(trained_dcgan_look):
    look = load_look(trained_dcgan_look)
    module = look.module()
    z = torch.randn(3, module.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = module(z)
    assert out.shape[:2] == (3, 3) and 0 <= out.min() and out.max() <= 1
    ref = (generate_images(look, 3, seed=0) + 1) / 2  # generate draws z the same way from the seed
    assert torch.allclose(out, ref.clamp(0, 1), atol=1e-5)


def test_save_pretrained_round_trip_and_checks(trained_dcgan_look, tmp_path):
    look = load_look(trained_dcgan_look)
    folder = look.save_pretrained(tmp_path / "hub")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    again = Look.from_pretrained(folder)
    assert again.kind == look.kind and again.tensors.keys() == look.tensors.keys()
    assert all(torch.equal(again.tensors[k], look.tensors[k]) for k in look.tensors)
    assert load_look(folder / "config.json").kind == "dcgan"  # the loader takes either layout
    # The checksum in config.json vouches for the weights, as in a look folder.
    (folder / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes()[:-10])
    with pytest.raises(LookFormatError, match="checksum in config.json"):
        Look.from_pretrained(folder)
    with pytest.raises(LookFormatError, match="does not exist"):
        Look.from_pretrained(tmp_path / "missing")
    with pytest.raises(InputError, match="not a folder here"):  # a Hub name, with the network closed
        Look.from_pretrained("lookgan-test/no-such-look", local_files_only=True)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(LookFormatError, match="not a lookgan look"):
        Look.from_pretrained(bad)


def test_torch_hub_loads_a_look_from_this_checkout(trained_dcgan_look):
    module = torch.hub.load(str(REPO), "look", source="local", path=str(trained_dcgan_look), trust_repo=True)
    with torch.no_grad():
        assert module(torch.randn(2, module.z_dim)).shape[0] == 2
