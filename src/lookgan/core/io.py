"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

A crash or a full disk at any moment leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from .errors import DiskFullError, StorageError

#: errno values that mean "no room": the disk, or the user's quota on it.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


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


def free_bytes(path: str | Path) -> int | None:
    """Free space for this user on the file system holding ``path`` (or its nearest existing parent)."""
    path = Path(path)
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def megabytes(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f} MB" if n < 10e6 else f"{n / 1e6:.0f} MB"


def storage_error(exc: BaseException, path: str | Path) -> StorageError | None:
    """``exc`` as a :class:`StorageError` naming ``path`` and the fix, or None when it is not about storage.

    Knows ``OSError`` numbers and the Rust ``IoError`` text that safetensors raises instead of an ``OSError``."""
    if isinstance(exc, StorageError):
        return exc
    folder = Path(path).parent if Path(path).suffix else Path(path)
    code = exc.errno if isinstance(exc, OSError) else None
    text = str(exc)
    if code in _FULL or (code is None and ("code: 28" in text or "StorageFull" in text or "No space left" in text)):
        return _disk_full(folder, "; nothing there was replaced by a half-written file")
    if code in _READ_ONLY:
        return StorageError(f"cannot write to {folder} ({os.strerror(code)}); choose a folder you can write to, "
                            "or change its permissions", path=str(folder))
    if code == errno.ENOENT:
        return StorageError(f"{folder} disappeared while lookgan was writing to it (deleted or unmounted?); "
                            "check the folder and run again", path=str(folder))
    return None


def check_free_space(folder: str | Path, need: int, what: str) -> None:
    """Refuse (:class:`DiskFullError`) before writing ``what`` when ``folder`` has less than ``need`` bytes free."""
    free = free_bytes(folder)
    if free is not None and free < need:
        raise _disk_full(Path(folder), f", {what} needs about {megabytes(need)}; nothing was written", free)


def _disk_full(folder: Path, detail: str, free: int | None = None) -> DiskFullError:
    free = free_bytes(folder) if free is None else free
    return DiskFullError(f"disk full at {folder}: {megabytes(free)} free{detail}. Free some space, then run the "
                         "same command again", path=str(folder), free_bytes=free)


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp_name)


def _finish_temp(tmp: Path) -> None:
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, 0o666 & ~_UMASK)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically.

    If ``write`` raises (a crash, ``ENOSPC``), the temporary file is removed and ``path`` is untouched; a full
    disk, a read-only folder or a vanished one comes out as a :class:`~lookgan.core.errors.StorageError` that says
    so. The file gets the permissions an ordinary ``open(path, "w")`` would give (0666 less the umask), not the
    private 0600 of a temporary file, so results stay readable by the user's other programs.
    """
    atomic_write_all({Path(path): write})


def atomic_write_all(writes: dict[Path, Callable[[Path], None]]) -> None:
    """:func:`atomic_write` for several files that belong together (a look's weights and the JSON vouching for
    them): every file is written in full before any is moved into place, so a full disk leaves all of the old
    ones; the moves happen last, in order (put the file that vouches for the others last)."""
    temps: dict[Path, Path] = {}
    current = next(iter(writes))
    try:
        for current, write in writes.items():
            temps[current] = tmp = _temp_beside(current)
            write(tmp)
            _finish_temp(tmp)
        for current, tmp in temps.items():
            os.replace(tmp, current)
    except Exception as e:
        _remove(temps.values())
        storage = storage_error(e, current)
        if storage is None or storage is e:
            raise
        raise storage from e
    except BaseException:  # Ctrl-C: nothing half-written stays either
        _remove(temps.values())
        raise
    for folder in {p.parent for p in writes}:
        _fsync_dir(folder)


def _remove(paths: Any) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:  # a read-only or vanished folder: nothing to remove there
            pass


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes to ``path`` atomically."""
    atomic_write(path, bytes_writer(data))


def json_bytes(obj: Any) -> bytes:
    """``obj`` as the indented UTF-8 JSON lookgan writes everywhere (NaN refused)."""
    return (json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n").encode("utf-8")


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically."""
    atomic_write_bytes(path, json_bytes(obj))


def bytes_writer(data: bytes) -> Callable[[Path], None]:
    """A ``write(tmp)`` for :func:`atomic_write_all` that writes ``data``."""
    return lambda tmp: tmp.write_bytes(data)


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


def tensors_bytes(tensors: dict[str, Any]) -> bytes:
    """``tensors`` (name -> torch tensor) as a safetensors file's bytes (on the CPU, contiguous): the one
    serialiser of looks' and checkpoints' weights. In memory first, so that the JSON vouching for the file can
    hold its SHA-256 and both can go to disk together (:func:`atomic_write_all`)."""
    from safetensors.torch import save  # loads torch: this module stays light for the CLI and the web app

    return save({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()})


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_tensors(path: str | Path, tensors: dict[str, Any]) -> str:
    """Write ``tensors`` as safetensors at ``path`` atomically and return the file's SHA-256."""
    data = tensors_bytes(tensors)
    atomic_write_bytes(path, data)
    return sha256_bytes(data)


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
