"""Optional extras: every one can be added on top of any other (the bounds in pyproject.toml), a missing or
broken one is named with what to run (never a traceback), and ``lookgan info --deps`` tells a user what their
installation can do. The install-order check in fresh virtual environments is slow (``make test-all``)."""
from __future__ import annotations

import importlib
import os
import subprocess
import venv
from pathlib import Path

import pytest
import tomllib

from lookgan.cli import main
from lookgan.core import extras
from lookgan.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_the_test_environment_has_no_conflicts():
    """`make test` installs every extra at once and runs pip check; this keeps that true for the suite's env."""
    assert extras.pip_conflicts() == []


def test_bounds_that_let_extras_stack_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    onnx = " ".join(project["optional-dependencies"]["onnx"])
    faces = " ".join(project["optional-dependencies"]["faces"])
    assert "mediapipe==0.10.18" in faces  # the pin the bounds below exist for
    assert "numpy>=1.24,<2" in base  # mediapipe 0.10.18 pins numpy < 2
    assert "protobuf<5" in onnx and "onnx>=1.15,<1.23" in onnx  # ... and protobuf < 5; onnx 1.23 needs >= 6.31


def test_a_missing_extra_says_what_to_install(monkeypatch):
    monkeypatch.setitem(extras.EXTRAS, "ui", (("no-such-dist-lookgan",), ("no_such_module_lookgan",), "the web app"))
    with pytest.raises(InputError, match=r"the web app needs the ui extra: pip install 'lookgan\[ui\]'"):
        extras.require("ui")
    assert not extras.status("ui").installed


def test_a_broken_extra_is_named_with_its_error(monkeypatch, capsys):
    real = importlib.import_module

    def broken(name, *args, **kwargs):
        if name == "av":
            raise ImportError("cannot import name 'runtime_version' from 'google.protobuf'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", broken)
    if extras.status("video").versions["av"] is None:
        pytest.skip("PyAV is not installed here (the dev extra brings it)")
    with pytest.raises(InputError, match="installed but broken: import av fails .*runtime_version.*info --deps"):
        extras.require("video")
    s = extras.status("video")
    assert s.installed and not s.works and "runtime_version" in s.error
    monkeypatch.setattr(extras, "pip_conflicts", lambda: ["somepkg 1.0 has requirement numpy>=2, but you have 1.26"])
    assert main(["info", "--deps"]) == 0
    out = capsys.readouterr().out
    assert "video        BROKEN" in out and "CONFLICTS" in out and "force-reinstall 'lookgan[video]'" in out


def test_info_needs_a_look_or_deps(capsys):
    assert main(["info"]) == 2
    assert "--deps" in capsys.readouterr().err


# --- the README's install paths, one extra after another, in fresh environments ---------------------------------
def _venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(path)
    return path / "bin" / "python"


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True,
                   timeout=1800, env={**os.environ, "PIP_NO_INPUT": "1"})


def _check(python: Path, installed: list[str]) -> None:
    subprocess.run([str(python), "-m", "pip", "check"], check=True, timeout=300)
    code = ("import sys; from lookgan import extras; bad = [n for n in sys.argv[1:] if not extras.status(n).works]; "
            "print(bad); sys.exit(1 if bad else 0)")
    subprocess.run([str(python), "-c", code, *installed], check=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("order", [("ui", "faces", "onnx"), ("onnx", "faces", "ui")])
def test_extras_stack_in_any_order(tmp_path, order):
    """base, then each extra on its own `pip install`, as the README tells a user: pip check stays clean and every
    extra installed so far still imports."""
    python = _venv(tmp_path / "venv")
    _pip(python, "install", os.environ.get("TORCH_SPEC", "torch==2.13.0"))
    _pip(python, "install", "-e", str(ROOT))
    _check(python, [])
    for i, extra in enumerate(order):
        _pip(python, "install", "-e", f"{ROOT}[{extra}]")
        _check(python, list(order[:i + 1]))


def test_heic_without_its_extra_says_which(tmp_path, monkeypatch):
    from lookgan.core.errors import UnreadableImageError
    from lookgan.data import images

    monkeypatch.setattr(images, "_HEIF_REGISTERED", None)
    monkeypatch.setitem(extras.EXTRAS, "heic", (("no-such-dist-lookgan",), ("no_such_module_lookgan",),
                                                "reading HEIC/HEIF photos"))
    (tmp_path / "p.heic").write_bytes(b"\0" * 64)
    with pytest.raises(UnreadableImageError, match=r"p\.heic: reading HEIC/HEIF photos needs the heic extra"):
        images.read_image(tmp_path / "p.heic")
