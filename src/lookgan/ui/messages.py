"""Errors and warnings as the page shows them: plain messages without server paths or stack traces."""
from __future__ import annotations

import functools
import logging
import re
import warnings
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from ..errors import LookganError

log = logging.getLogger("lookgan.ui.app")


def _plain(message: str, roots: tuple[Path, ...]) -> str:
    """Server paths inside a message become bare file names: users see ``photo.jpg``, not a temp folder."""
    for root in roots:
        message = re.sub(re.escape(str(root)) + r"/[^\s:;,'\"()]*?([^/\s:;,'\"()]+)(?=[\s:;,'\"()]|$)", r"\1", message)
    return message


def friendly(roots: tuple[Path, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for handlers: lookgan's errors become a message box with their text, warnings become toasts,
    anything else a short message (the traceback goes to the log)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = fn(*args, **kwargs)
            except gr.Error:
                raise
            except LookganError as e:
                raise gr.Error(_plain(str(e), roots), title="Cannot do that", print_exception=False) from None
            except Exception as e:  # a bug: keep serving, tell the user in a sentence
                log.exception("%s failed", fn.__name__)
                raise gr.Error(f"Something went wrong ({type(e).__name__}: {_plain(str(e), roots)}). The app "
                               "keeps running; the server log has the details.", title="Error", print_exception=False) from None
            for w in caught:
                if not issubclass(w.category, (DeprecationWarning, FutureWarning)):
                    gr.Warning(_plain(str(w.message), roots))
            return result

        return wrapper

    return deco
