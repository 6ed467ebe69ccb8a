"""Warnings caught per request, not per process.

``warnings.catch_warnings`` swaps process-wide state (the filters and ``showwarning``), so with several people
on one server a warning raised for one request can land in another's message box, or be lost when the other
request restores the state. Here ``showwarning`` is routed once, for the whole process, through a context
variable: each request (a Gradio worker thread, a training thread) names where its own warnings go, and a
warning raised outside any request goes where it went before (the server's log).

No gradio here (the training jobs use it too).
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
import warnings
from typing import Any, Callable, Iterator

_sink: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("lookgan_warnings", default=None)
_lock = threading.Lock()
_original: list[Callable[..., Any]] = []

#: Warnings a user cannot act on: library deprecations stay in the log.
QUIET = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def _show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
          line: str | None = None) -> None:
    sink = _sink.get()
    if sink is None or issubclass(category, QUIET):
        _original[0](message, category, filename, lineno, file, line)
    else:
        sink(str(message))


def install() -> None:
    """Route ``warnings.showwarning`` through the per-request sinks. Checked at every request, because a
    ``catch_warnings`` block elsewhere (a library's, a test runner's) puts back what it found on entry. Every
    occurrence of a user warning reaches its request: Python's default shows one per code location per
    process, which would hide the second user's "skipping photo.jpg"."""
    with _lock:
        if warnings.showwarning is not _show:
            _original[:] = [warnings.showwarning]
            warnings.showwarning = _show
        warnings.filterwarnings("always", category=UserWarning)  # moves it first; never added twice
        warnings.filterwarnings("always", category=RuntimeWarning)


@contextlib.contextmanager
def collect_warnings(sink: Callable[[str], None]) -> Iterator[None]:
    """Inside the block, this thread's warnings (and those of tasks it starts with its context) go to ``sink``."""
    install()
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)
