"""Exception types that carry the CLI exit code.

Every error a user can fix (a bad folder, a damaged file, a wrong flag) is an :class:`InputError` and exits with
code 2; the message always names the file or value at fault and what to do about it. Anything else exits with 1.
"""
from __future__ import annotations


class LookganError(Exception):
    """Base class of lookgan's own errors; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(LookganError):
    """Bad input or usage: the message names the file or value and the fix (exit code 2)."""

    exit_code = 2


class UnreadableImageError(InputError):
    """A file looks like an image but cannot be decoded (truncated, corrupt, empty, not an image)."""


class ImageTooLargeError(InputError):
    """An image has more pixels than the configured limit (a possible decompression bomb)."""


class NotEnoughImagesError(InputError):
    """A folder holds fewer readable images than a method needs."""


class LookFormatError(InputError):
    """A Look folder is missing files, or its JSON or tensors are wrong or damaged."""


class CheckpointError(LookganError):
    """No usable checkpoint could be loaded."""


class TrainingDivergedError(LookganError):
    """Losses or gradients stayed NaN/inf for several steps in a row; the last good checkpoint is kept."""


class LutFileError(InputError):
    """A .cube or HaldCLUT file is malformed (wrong counts, bad numbers, wrong domain or size)."""


class StorageError(LookganError):
    """A file could not be written: the disk is full, the folder is read-only, or it went away (exit code 3).

    Raised by :func:`lookgan.core.io.atomic_write` (the one writer of every file lookgan makes) in place of a
    raw ``OSError``/``SafetensorError``: the message names the folder, the free space and the fix, and callers
    that know more (the training loop knows its last good checkpoint) add it through :meth:`with_context`.
    Whatever was being replaced is untouched: the write went to a temporary file, which is removed."""

    exit_code = 3

    def __init__(self, message: str, *, path: str = "", free_bytes: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.free_bytes = free_bytes

    def with_context(self, extra: str) -> "StorageError":
        """The same error with ``extra`` (what is kept, how to go on) appended to its message."""
        return type(self)(f"{self}; {extra}", path=self.path, free_bytes=self.free_bytes)


class DiskFullError(StorageError):
    """No space left (``ENOSPC``/``EDQUOT``) where lookgan was writing."""
