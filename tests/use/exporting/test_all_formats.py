"""``lookgan export LOOK --format all --out DIR``: every format in one folder, a README naming each file's program
and what each cannot carry; the web app offers the same as one zip."""
from __future__ import annotations

import pytest

from lookgan.cli import main
from lookgan.use.exporting.cube import read_cube
from tests.helpers import BUSY_PRESET, write_preset_look


def test_every_format_with_a_readme(tmp_path, capsys):
    pytest.importorskip("onnxscript")
    look = write_preset_look(tmp_path / "feed.look", BUSY_PRESET)
    assert main(["export", str(look), "--format", "all", "--out", str(tmp_path / "out")]) == 0
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    for name in ("feed-33.cube", "feed-65.cube", "feed-hald.png", "feed.ffmpeg", "feed.cube", "feed-lightroom.zip",
                 "feed.pp3", "feed.png", "feed.onnx", "README.txt"):
        assert name in files, (name, files)
    assert read_cube(tmp_path / "out" / "feed-65.cube").shape[-1] == 65
    readme = (tmp_path / "out" / "README.txt").read_text()
    assert "DaVinci Resolve" in readme and "RawTherapee" in readme and "Lightroom" in readme
    assert "film grain" in readme and "not in:" in readme  # what the LUT-only files leave out, said once
    assert "README.txt" in capsys.readouterr().out


def test_all_needs_a_folder(tmp_path, capsys):
    look = write_preset_look(tmp_path / "feed.look", BUSY_PRESET)
    assert main(["export", str(look), "--format", "all", "--out", str(tmp_path / "x.zip")]) == 2
    assert "folder" in capsys.readouterr().err
