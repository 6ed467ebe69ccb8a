"""A full disk, a read-only folder and a deleted folder while training, applying and exporting (issue 30).

Each runs on a real size-limited tmpfs (``small_disk``): the old checkpoint and look stay loadable and bit-equal,
no half-written file is left under a final name or as a temporary, the message says where, how much is free and
what is kept, and the run goes on (``--resume``, ``--skip-existing``) once there is room again.
"""
from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image

import lookgan
from lookgan.cli import main
from lookgan.core.errors import DiskFullError, StorageError
from lookgan.training import checkpoint as checkpoint_module
from lookgan.training import hooks as hooks_module
from lookgan.training.checkpoint import list_checkpoints
from tests.conftest import TINY_DCGAN
from tests.helpers import write_image_folder

CONFIG = copy.deepcopy(TINY_DCGAN)
CONFIG["train"].update(checkpoint_every=3, sample_every=0)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".") and p.name.endswith(".tmp")]


class _FillAt:
    """A progress callback that fills the disk to ``leave`` bytes once training passes ``step``, remembering
    the look folder as it was then."""

    def __init__(self, disk, look: Path, step: int, leave: int) -> None:
        self.disk, self.look, self.step, self.leave, self.before = disk, look, step, leave, None

    def __call__(self, p) -> None:
        if p.step == self.step and self.before is None:
            self.before = _hashes(self.look)
            self.disk.fill(self.leave)


@pytest.mark.parametrize("precheck", [False, True], ids=["mid-write", "checked-before"])
def test_training_meets_a_full_disk_keeps_the_last_checkpoint_and_resumes(small_disk, tmp_path, monkeypatch,
                                                                          precheck):
    style = write_image_folder(tmp_path / "style", 8)
    look = small_disk.root / "t.look"
    if not precheck:  # let the write itself run into ENOSPC half-way through the checkpoint
        monkeypatch.setattr(hooks_module, "make_room", lambda *a, **k: None)
    fill = _FillAt(small_disk, look, step=4, leave=20_000)
    with pytest.raises(DiskFullError) as caught:
        lookgan.train("dcgan", style, out=look, steps=9, config=CONFIG, progress_fn=fill)
    message = str(caught.value)
    assert f"disk full at {look}" in message and "MB free" in message
    assert "the last good checkpoint is" in message and "ckpt-00000003.json" in message and "--resume" in message
    if precheck:
        assert "needs about" in message
    assert _hashes(look) == fill.before  # checkpoint 3 and the look: bit-equal
    assert not _temps(small_disk.root)
    assert lookgan.load_look(look).meta["steps"] == 3
    small_disk.empty()
    result = lookgan.train("dcgan", style, out=look, steps=9, config=CONFIG, resume=True)
    assert result.step == 9 and lookgan.load_look(look).meta["steps"] == 9


def test_older_checkpoints_make_room_before_a_new_one(small_disk, tmp_path):
    style = write_image_folder(tmp_path / "style", 8)
    look = small_disk.root / "t.look"
    lookgan.train("dcgan", style, out=look, steps=6, config=CONFIG)
    assert [s for s, _ in list_checkpoints(look / "checkpoints")] == [6, 3]
    size = sum(p.stat().st_size for p in (look / "checkpoints").glob("ckpt-00000006.*"))
    small_disk.fill(leave=size + 200_000)  # room for the new checkpoint only once an older one goes
    with pytest.warns(UserWarning, match="deleted the older checkpoint ckpt-00000003.json"):
        checkpoint_module.make_room(look / "checkpoints", size + 300_000, what="checkpoint 9")
    assert [s for s, _ in list_checkpoints(look / "checkpoints")] == [6]


def test_the_cli_says_disk_full_in_a_sentence(small_disk, tmp_path, capsys):
    style = write_image_folder(tmp_path / "style", 8)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    small_disk.fill(leave=30_000)
    code = main(["train", "dcgan", str(style), "--out", str(small_disk.root / "t.look"), "--steps", "3",
                 "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "error: disk full at" in err and "no checkpoint was written yet" in err
    assert "this run needs about" in err  # said at the start, before the first checkpoint
    assert "Traceback" not in err and "unexpected failure" not in err


def test_apply_on_a_full_disk_leaves_whole_photos_and_goes_on(small_disk, tmp_path):
    photos = write_image_folder(tmp_path / "photos", 30, size=(256, 256))
    look = tmp_path / "r.look"
    lookgan.train("reinhard", write_image_folder(tmp_path / "style", 6), out=look, photos=photos)
    out = small_disk.root / "out"
    one = max(p.stat().st_size for p in photos.iterdir())  # about one output's size
    small_disk.fill(leave=8 * one)
    with pytest.raises(DiskFullError) as caught:
        lookgan.apply(look, photos, out=out, progress=False,
                      batch=lookgan.api.BatchOptions(skip_existing=True, manifest=True))
    message = str(caught.value)
    assert f"disk full at {out}" in message and "--skip-existing" in message and "of 30 files are done" in message
    written = sorted(out.glob("*.jpg"))
    assert 0 < len(written) < 30 and not _temps(small_disk.root)
    for p in written:  # every output under a final name is whole
        Image.open(p).load()
    small_disk.empty()
    outputs = lookgan.apply(look, photos, out=out, progress=False,
                            batch=lookgan.api.BatchOptions(skip_existing=True, manifest=True))
    assert len(outputs) == 30 and len(list(out.glob("*.jpg"))) == 30


def test_read_only_output_folder_is_named_with_the_fix(small_disk, tmp_path, capsys):
    photos = write_image_folder(tmp_path / "photos", 2)
    look = tmp_path / "r.look"
    lookgan.train("reinhard", write_image_folder(tmp_path / "style", 4), out=look, photos=photos)
    (small_disk.root / "out").mkdir()
    small_disk.read_only()
    try:
        code = main(["apply", str(look), str(photos), "--out", str(small_disk.root / "out")])
        err = capsys.readouterr().err
        assert code == 3 and f"cannot write to {small_disk.root / 'out'}" in err and "Traceback" not in err
        with pytest.raises(StorageError, match="cannot write to"):
            lookgan.export(look, format="cube", out=small_disk.root / "out" / "x.cube")
    finally:
        small_disk.read_only(False)


def test_a_look_folder_deleted_mid_run_is_written_again(tmp_path):
    style = write_image_folder(tmp_path / "style", 8)
    look = tmp_path / "t.look"

    def delete_at_4(p) -> None:
        if p.step == 4:
            shutil.rmtree(look)

    result = lookgan.train("dcgan", style, out=look, steps=6, config=CONFIG, progress_fn=delete_at_4)
    assert result.step == 6 and lookgan.load_look(look).meta["steps"] == 6
    assert [s for s, _ in list_checkpoints(look / "checkpoints")] == [6]


def test_export_on_a_full_disk_leaves_no_partial_file(small_disk, tmp_path):
    photos = write_image_folder(tmp_path / "photos", 2)
    look = tmp_path / "r.look"
    lookgan.train("reinhard", write_image_folder(tmp_path / "style", 4), out=look, photos=photos)
    small_disk.fill(leave=100_000)  # a 33-point .cube is about 1 MB of text
    with pytest.raises(DiskFullError, match=f"disk full at {small_disk.root}"):
        lookgan.export(look, format="cube", out=small_disk.root / "x.cube")
    assert not (small_disk.root / "x.cube").exists() and not _temps(small_disk.root)
    small_disk.empty()
    assert lookgan.export(look, format="cube", out=small_disk.root / "x.cube").stat().st_size > 900_000
