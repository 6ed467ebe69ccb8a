"""A small real file system (the ``small_disk`` fixture, shared through tests/conftest.py) for the disk-full checks: a size-limited tmpfs each test mounts (root only: CI runs
as root; elsewhere those tests are skipped and say why)."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class SmallDisk:
    """A mounted tmpfs of a few MB: fill it to leave N bytes, empty it again, make it read-only."""

    root: Path

    def fill(self, leave: int) -> None:
        """Write a filler file so that about ``leave`` bytes stay free."""
        filler = self.root / "filler.bin"
        filler.unlink(missing_ok=True)
        size = max(0, shutil.disk_usage(self.root).free - leave)
        with open(filler, "wb") as f:
            while size > 0:
                chunk = min(size, 1 << 20)
                f.write(b"\0" * chunk)
                size -= chunk

    def empty(self) -> None:
        (self.root / "filler.bin").unlink(missing_ok=True)

    def free(self) -> int:
        return shutil.disk_usage(self.root).free

    def read_only(self, on: bool = True) -> None:
        subprocess.run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.root)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield SmallDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
