"""Kinds are found through entry points, the same way for lookgan's own and for plugins."""
from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from lookgan.core import registry
from lookgan.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_builtin_kinds_come_from_lookgans_own_entry_points():
    installed = {ep.name: ep.value for ep in metadata.entry_points(group=registry.GROUP)
                 if ep.dist is not None and ep.dist.name == "lookgan"}
    assert set(installed) == {"lut", "reinhard", "ot", "cyclegan", "cut", "fastcut", "dcgan", "fastgan", "preset"}
    # a checkout used without installing (torch.hub from a clone) reads the same table from pyproject.toml
    assert registry._source_entry_points() == installed


def test_listing_kinds_imports_none_of_them():
    code = ("import sys; from lookgan.core.registry import list_kinds; names = list_kinds(); "
            "assert 'lut' in names, names; "
            "assert not [m for m in sys.modules if m.startswith('lookgan.kinds') or m == 'torch'], 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_unknown_and_broken_kinds_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(InputError, match=r"unknown look kind 'nope'; choose one of: .*lut"):
        registry.get_method("nope")
    info = tmp_path / "broken_kind-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lookgan.kinds]\nbroken = no_such_module:Kind\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "broken" in registry.list_kinds()
    with pytest.raises(InputError, match="'broken' is declared as 'no_such_module:Kind'.*cannot be loaded"):
        registry.get_method("broken")


def test_a_kind_declared_twice_is_reported(tmp_path, monkeypatch):
    info = tmp_path / "twin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: twin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lookgan.kinds]\nlut = twin.kind:Other\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_WARNED", set())
    with pytest.warns(UserWarning, match="'lut' is declared twice"):
        registry.list_kinds()


PLUGIN = '''
import torch
from lookgan.kinds.base import Method


class Sepia(Method):
    """A kind that only describes itself."""

    learns = "{learns}"
    time_here = "seconds"
    needs_photos = True
'''


def test_kind_descriptions_are_cached_until_a_kind_changes(tmp_path):
    site = tmp_path / "site"
    (site / "sepia_kind").mkdir(parents=True)
    module = site / "sepia_kind" / "__init__.py"
    module.write_text(PLUGIN.format(learns="warm brown tones"))
    info = site / "sepia_kind-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sepia-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lookgan.kinds]\nsepia = sepia_kind:Sepia\n")
    env = {**os.environ, "LOOKGAN_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = ("import sys; from lookgan.core.catalogue import describe; print(describe('sepia').learns, describe('lut').needs_photos, "
            "'torch' in sys.modules)")

    def run() -> str:
        return subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    assert run() == "warm brown tones True True"  # read from the classes (torch loaded), then cached
    assert run() == "warm brown tones True False"  # from the cache: no kind imported
    module.write_text(PLUGIN.format(learns="cold blue tones"))
    os.utime(module, ns=(module.stat().st_atime_ns, module.stat().st_mtime_ns + 10**9))
    assert run() == "cold blue tones True True"  # the plugin changed: read again
