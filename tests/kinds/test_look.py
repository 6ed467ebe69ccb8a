"""Look folders: complete looks load; wrong or damaged ones are refused with a message naming the file."""
from __future__ import annotations

import hashlib
import json
import pickle

import pytest
import torch
from safetensors.torch import save_file

from lookgan import api, load_look
from lookgan.core.errors import LookFormatError


@pytest.fixture
def trained_look(trained_dcgan_look):
    return trained_dcgan_look


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_loads_and_builds(trained_look):
    look = load_look(trained_look)
    assert look.kind == "dcgan" and look.config.size == 32 and look.meta["steps"] == 2
    g = look.build()
    assert g(torch.randn(2, 100)).shape == (2, 3, 32, 32)
    assert load_look(trained_look / "look.json").kind == "dcgan"


def test_missing_folder_and_files(tmp_path, trained_look):
    with pytest.raises(LookFormatError, match="does not exist"):
        load_look(tmp_path / "nope.look")
    (tmp_path / "empty.look").mkdir()
    with pytest.raises(LookFormatError, match="look.json is missing"):
        load_look(tmp_path / "empty.look")
    broken = _copy(trained_look, tmp_path / "w.look")
    (broken / "weights.safetensors").unlink()
    with pytest.raises(LookFormatError, match="weights.safetensors is missing"):
        load_look(broken)


def test_damaged_json_and_weights(tmp_path, trained_look):
    a = _copy(trained_look, tmp_path / "a.look")
    (a / "look.json").write_text("{ not json")
    with pytest.raises(LookFormatError, match="look.json is damaged"):
        load_look(a)
    b = _copy(trained_look, tmp_path / "b.look")
    w = b / "weights.safetensors"
    w.write_bytes(w.read_bytes()[:-100])
    with pytest.raises(LookFormatError, match="checksum"):
        load_look(b)


def test_unknown_kind_and_bad_config(tmp_path, trained_look):
    a = _copy(trained_look, tmp_path / "a.look")
    meta = json.loads((a / "look.json").read_text())
    (a / "look.json").write_text(json.dumps({**meta, "kind": "stylegan9"}))
    with pytest.raises(LookFormatError, match="unknown look kind 'stylegan9'"):
        load_look(a)
    (a / "look.json").write_text(json.dumps({**meta, "config": {**meta["config"], "size": 48}}))
    with pytest.raises(LookFormatError, match="size must be one of"):
        load_look(a)
    (a / "look.json").write_text(json.dumps({**meta, "config": {**meta["config"], "colour": 1}}))
    with pytest.raises(LookFormatError, match="unknown key"):
        load_look(a)


def _rewrite_weights(folder, tensors):
    save_file(tensors, str(folder / "weights.safetensors"))
    meta = json.loads((folder / "look.json").read_text())
    meta["weights_sha256"] = hashlib.sha256((folder / "weights.safetensors").read_bytes()).hexdigest()
    (folder / "look.json").write_text(json.dumps(meta))


def test_wrong_tensor_shapes_refused(tmp_path, trained_look):
    a = _copy(trained_look, tmp_path / "a.look")
    tensors = dict(load_look(a).tensors)
    tensors["generator.net.0.weight"] = torch.zeros(3, 3)
    _rewrite_weights(a, tensors)
    with pytest.raises(LookFormatError, match="do not fit a dcgan look"):
        load_look(a).build()


def test_pickle_in_weights_never_executed(tmp_path, trained_look):
    a = _copy(trained_look, tmp_path / "a.look")
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (a / "weights.safetensors").write_bytes(pickle.dumps(Evil()))
    meta = json.loads((a / "look.json").read_text())
    meta["weights_sha256"] = hashlib.sha256((a / "weights.safetensors").read_bytes()).hexdigest()
    (a / "look.json").write_text(json.dumps(meta))
    with pytest.raises(LookFormatError, match="not a readable safetensors"):
        load_look(a)
    assert not marker.exists()


def test_generate_is_seeded_and_writes_grid(tmp_path, trained_look):
    a = api.generate(trained_look, 3, out=tmp_path / "a", seed=5, grid=True)
    b = api.generate(trained_look, 3, out=tmp_path / "b", seed=5, truncation=0.5)
    c = api.generate(trained_look, 3, out=tmp_path / "c", seed=5)
    assert [p.name for p in a] == ["t-s5-0000.png", "t-s5-0001.png", "t-s5-0002.png", "grid.png"]
    assert a[0].read_bytes() == c[0].read_bytes()
    assert a[0].read_bytes() != b[0].read_bytes()


def test_info_summarises(trained_look):
    d = api.info(trained_look)
    assert d["kind"] == "dcgan" and d["steps"] == 2 and d["data"]["n_images"] == 8
    assert d["parameters"] > 1000 and d["checkpoints"] == ["ckpt-00000002.json"]
