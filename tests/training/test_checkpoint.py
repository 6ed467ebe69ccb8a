"""Checkpoints: complete, atomic, verified; damage falls back to the previous one."""
from __future__ import annotations

import errno
import warnings

import pytest
import torch

from lookgan.core.errors import DiskFullError
from lookgan.training.checkpoint import (
    flatten_optimizer,
    list_checkpoints,
    load_checkpoint,
    load_latest_checkpoint,
    save_checkpoint,
    unflatten_optimizer,
)


def _state(v: float) -> dict[str, torch.Tensor]:
    return {"w": torch.full((3, 3), v), "n": torch.tensor(7, dtype=torch.int64)}


def test_roundtrip_and_keep_last(tmp_path):
    for step in (1, 2, 3, 4):
        save_checkpoint(tmp_path, step, _state(step), {"extra": [1, 2]}, keep_last=2)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [4, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ckpt-00000003.json", "ckpt-00000003.safetensors", "ckpt-00000004.json", "ckpt-00000004.safetensors"]
    c = load_latest_checkpoint(tmp_path)
    assert c.step == 4 and torch.equal(c.tensors["w"], torch.full((3, 3), 4.0)) and c.meta["extra"] == [1, 2]


@pytest.mark.parametrize("damage", ["truncate_tensors", "corrupt_json", "delete_tensors", "flip_byte"])
def test_damaged_newest_falls_back_to_previous(tmp_path, damage):
    save_checkpoint(tmp_path, 1, _state(1), {})
    save_checkpoint(tmp_path, 2, _state(2), {})
    st, js = tmp_path / "ckpt-00000002.safetensors", tmp_path / "ckpt-00000002.json"
    if damage == "truncate_tensors":
        st.write_bytes(st.read_bytes()[:40])
    elif damage == "corrupt_json":
        js.write_text(js.read_text()[:30])
    elif damage == "delete_tensors":
        st.unlink()
    else:
        data = bytearray(st.read_bytes())
        data[-3] ^= 0xFF
        st.write_bytes(bytes(data))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        c = load_latest_checkpoint(tmp_path)
    assert c.step == 1
    assert any("ckpt-00000002" in str(x.message) for x in w)


def test_crash_during_write_keeps_previous(tmp_path, monkeypatch):
    save_checkpoint(tmp_path, 1, _state(1), {})

    def dying_writer(data):
        def write(tmp):
            tmp.write_bytes(data[: len(data) // 2])
            raise KeyboardInterrupt  # the process is killed mid-write

        return write

    monkeypatch.setattr("lookgan.training.checkpoint.bytes_writer", dying_writer)  # io_utils' writer, as imported
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path, 2, _state(2), {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00000001.json", "ckpt-00000001.safetensors"]
    assert load_latest_checkpoint(tmp_path).step == 1


def test_disk_full_keeps_previous_and_says_so(tmp_path, monkeypatch):
    save_checkpoint(tmp_path, 1, _state(1), {})

    def full_disk(data):
        def write(tmp):
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

        return write

    monkeypatch.setattr("lookgan.training.checkpoint.bytes_writer", full_disk)
    with pytest.raises(DiskFullError, match=f"disk full at {tmp_path}: .* free"):
        save_checkpoint(tmp_path, 2, _state(2), {})
    assert load_latest_checkpoint(tmp_path).step == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00000001.json", "ckpt-00000001.safetensors"]


def test_pickle_payload_is_never_executed(tmp_path):
    import hashlib
    import json
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    st = tmp_path / "ckpt-00000001.safetensors"
    st.write_bytes(pickle.dumps(Evil()))
    (tmp_path / "ckpt-00000001.json").write_text(json.dumps({
        "format": "lookgan-checkpoint", "format_version": 1, "step": 1, "tensors_file": st.name,
        "tensors_sha256": hashlib.sha256(st.read_bytes()).hexdigest()}))
    with pytest.raises(ValueError, match="unreadable tensors"):
        load_checkpoint(tmp_path / "ckpt-00000001.json")
    assert not marker.exists()


def test_tensor_file_outside_folder_refused(tmp_path):
    import json

    (tmp_path / "ckpt-00000001.json").write_text(json.dumps({
        "format": "lookgan-checkpoint", "format_version": 1, "step": 1,
        "tensors_file": "../../etc/passwd.safetensors", "tensors_sha256": "0"}))
    with pytest.raises(ValueError, match="must be a file name"):
        load_checkpoint(tmp_path / "ckpt-00000001.json")


def test_optimizer_state_roundtrip():
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.9))
    net(torch.randn(4, 3)).sum().backward()
    opt.step()
    tensors, meta = flatten_optimizer("opt.g", opt)
    import json

    meta = json.loads(json.dumps(meta))  # must survive JSON
    opt2 = torch.optim.Adam(net.parameters(), lr=1.0)
    opt2.load_state_dict(unflatten_optimizer("opt.g", tensors, meta))
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s2["param_groups"][0]["lr"] == 1e-3 and list(s2["param_groups"][0]["betas"]) == [0.5, 0.9]
    for i in s1["state"]:
        for k in s1["state"][i]:
            assert torch.equal(s1["state"][i][k], s2["state"][i][k])


def test_stale_temp_files_removed_on_next_run(tmp_path, style_dir, tiny_config):
    from lookgan import api

    look = tmp_path / "t.look"
    api.train("dcgan", style_dir, out=look, steps=2, config=tiny_config)
    (look / "checkpoints" / ".ckpt-00000009.safetensors.abc123.tmp").write_bytes(b"partial")
    (look / ".weights.safetensors.xyz.tmp").write_bytes(b"partial")
    api.train("dcgan", style_dir, out=look, steps=3, resume=True)
    assert not list(look.rglob(".*.tmp"))


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    """A temporary file is private (0600); the finished file must not be (results are for other programs)."""
    from lookgan.core import io as io_utils

    io_utils.atomic_write_bytes(tmp_path / "a.bin", b"x")
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o666 & ~io_utils._UMASK
    assert (tmp_path / "a.bin").stat().st_mode & 0o077 != 0 or io_utils._UMASK & 0o077 == 0o077
