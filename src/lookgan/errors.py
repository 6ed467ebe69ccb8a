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
