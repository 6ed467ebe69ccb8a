"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

A crash or a full disk at any moment leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some file systems do not allow opening folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask. Reading it means setting it, which is not thread-safe: callers use :data:`_UMASK`,
    read once at import."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically.

    If ``write`` raises (a crash, ``ENOSPC``), the temporary file is removed and ``path`` is untouched. The file
    gets the permissions an ordinary ``open(path, "w")`` would give (0666 less the umask), not the private 0600
    of a temporary file, so results stay readable by the user's other programs.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes to ``path`` atomically."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically."""
    text = json.dumps(obj, indent=2, sort_keys=False, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))


def cache_dir() -> Path:
    """Where lookgan keeps files it can make again (downloaded weights, the kinds' descriptions): ``$LOOKGAN_CACHE``, else ``$XDG_CACHE_HOME/lookgan``, else
    ``~/.cache/lookgan``."""
    if os.environ.get("LOOKGAN_CACHE"):
        return Path(os.environ["LOOKGAN_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lookgan"


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (weights can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_tensors(path: str | Path, tensors: dict[str, Any]) -> str:
    """Write ``tensors`` (name -> torch tensor) as safetensors at ``path`` atomically (on the CPU, contiguous)
    and return the file's SHA-256, which the JSON that vouches for the file records. The one writer of looks'
    and checkpoints' weights."""
    from safetensors.torch import save_file  # loads torch: this module stays light for the CLI and the web app

    cpu = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    atomic_write(path, lambda tmp: save_file(cpu, str(tmp)))
    return sha256_file(path)


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of :func:`atomic_write`'s temporary files (``.NAME.XXXX.tmp``)."""
    return name.startswith(".") and name.endswith(".tmp")


def remove_stale_temps(folder: str | Path) -> int:
    """Delete temporary files that :func:`atomic_write` left behind when its process was killed (``kill -9``
    mid-write). Only for folders with a single writer, such as a look being trained. Returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stale = [p for p in folder.iterdir() if is_temp_name(p.name) and p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
