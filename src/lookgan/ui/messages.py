"""Errors and warnings as the page shows them: plain messages without server paths or stack traces."""
from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from ..core.errors import LookganError, StorageError
from ..core.io import storage_error
from .capture import collect_warnings

log = logging.getLogger("lookgan.ui.app")


def _plain(message: str, roots: tuple[Path, ...]) -> str:
    """Server paths inside a message become bare file names: users see ``photo.jpg``, not a temp folder."""
    for root in roots:
        message = re.sub(re.escape(str(root)) + r"/[^\s:;,'\"()]*?([^/\s:;,'\"()]+)(?=[\s:;,'\"()]|$)", r"\1", message)
    return message


def _page_error(e: Exception, where: str, roots: tuple[Path, ...]) -> "gr.Error":
    """What the page says for ``e``: the server's disk (full, read-only), the user's input, or a bug."""
    storage = e if isinstance(e, StorageError) else (
        storage_error(e, e.filename or "") if isinstance(e, OSError) and e.filename else None)
    if storage is not None:
        return gr.Error(f"The server could not save the result: {_plain(str(storage), roots)}. Tell the person "
                        "who runs it.", title="Server disk", print_exception=False)
    if isinstance(e, LookganError):
        return gr.Error(_plain(str(e), roots), title="Cannot do that", print_exception=False)
    log.exception("%s failed", where)  # a bug: keep serving, tell the user in a sentence
    return gr.Error(f"Something went wrong ({type(e).__name__}: {_plain(str(e), roots)}). The app keeps running; "
                    "the server log has the details.", title="Error", print_exception=False)


def friendly(roots: tuple[Path, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for handlers: lookgan's errors become a message box with their text, this request's warnings
    (never another's: :mod:`lookgan.ui.capture`) become toasts, anything else a short message (the traceback
    goes to the log)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caught: list[str] = []
            try:
                with collect_warnings(caught.append):
                    result = fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as e:
                raise _page_error(e, fn.__name__, roots) from None
            for text in caught:
                gr.Warning(_plain(text, roots))
            return result

        return wrapper

    return deco
