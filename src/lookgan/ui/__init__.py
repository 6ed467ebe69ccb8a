"""``lookgan ui``: a local web app (Gradio) over the same library functions as the CLI (extra ``ui``).

:func:`launch` serves it; :func:`lookgan.ui.app.build_app` builds the page for embedding elsewhere. The app
reads and serves files only inside its work folder (see :mod:`lookgan.ui.workspace`), trains in a background
thread (:mod:`lookgan.ui.jobs`) and makes no outbound connection.
"""
from __future__ import annotations

import dataclasses
import faulthandler
import importlib
import ipaddress
import logging
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..core.extras import require
from ..core.io import free_bytes, megabytes, storage_error
from .sessions import Limits
from .workspace import Workspace

DEFAULT_WORKDIR = Path("~/.lookgan/ui")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``user:pass`` -> (user, pass); None stays None."""
    if auth is None:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise InputError("--auth must be USER:PASSWORD (both non-empty)")
    return user, password


def launch(host: str = "127.0.0.1", port: int = 7860, *, workdir: str | Path = DEFAULT_WORKDIR,
           looks: list[str | Path] | None = None, auth: str | tuple[str, str] | None = None,
           max_upload_mb: float | None = None, limits: Limits | None = None, max_queue: int = 32,
           checkpoint_minutes: float = 5.0, open_browser: bool = False, block: bool = True) -> Any:
    """Serve the web app on ``host:port`` until Ctrl-C or SIGTERM (``block=False``: return the running app;
    stop it with :func:`close`).

    ``workdir`` holds its looks, uploads and results (the only files it serves); ``looks`` adds folders of
    existing ``.look`` folders to choose from. On any address other than this computer's own it warns that
    everyone who can reach it can use it (and reading folders by path is switched off); ``auth`` (``USER:PASS``)
    asks for a login. ``limits`` bound each upload, request and browser (``max_upload_mb`` sets just the first);
    two requests run at once, ``max_queue`` more wait their turn (the page shows where they are in line).
    Training started from the page checkpoints at least every ``checkpoint_minutes`` (what a killed server loses)."""
    require("ui")  # a missing or broken gradio: a message saying which, before anything else loads it
    from .actions import Actions  # after the check above: needs gradio (the ui extra)
    from .app import CSS, build_app, theme  # needs gradio (the ui extra)

    limits = limits or Limits()
    if max_upload_mb is not None:
        limits = dataclasses.replace(limits, max_upload_mb=max_upload_mb)
    if max_queue < 1:
        raise InputError(f"--max-queue must be at least 1, got {max_queue}")
    credentials = parse_auth(auth) if isinstance(auth, str) or auth is None else auth
    local = is_loopback(host)
    if not local:
        print(f"warning: serving on {host}: anyone who can reach this machine on port {port} can use the app "
              f"(train, upload, download looks){'' if credentials else '; add --auth USER:PASS'}",
              file=sys.stderr)
    ws = Workspace(workdir, extra_looks=looks or [])
    if checkpoint_minutes <= 0:
        raise InputError(f"--checkpoint-minutes must be positive, got {checkpoint_minutes}")
    actions = Actions(ws, allow_folders=local, limits=limits, checkpoint_minutes=checkpoint_minutes)
    cut_requests, cut_trainings = actions.interrupted["requests"], actions.interrupted["trainings"]
    if cut_requests or cut_trainings:
        print(f"lookgan ui: the last server stopped during {cut_requests} request(s) and the training of "
              f"{', '.join(cut_trainings) or 'no look'}; the page says so", file=sys.stderr)
    app = build_app(actions, max_upload_mb=limits.max_upload_mb)
    app.lookgan_actions = actions  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.WARNING)
    # Two requests at a time on the whole server (the heavy ones share one group: two CPU cores), the rest in a
    # bounded queue: a busy server says so, it does not run out of memory.
    app.queue(default_concurrency_limit=2, max_size=max_queue)
    if block and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it like Ctrl-C: training saves, uploads go
    try:
        app.launch(server_name=host, server_port=port, auth=credentials, inbrowser=open_browser, share=False,
                   allowed_paths=[str(ws.root)], max_file_size=f"{limits.max_upload_mb:g}mb", show_error=True,
                   ssr_mode=False, theme=theme(), css=CSS, prevent_thread_lock=True, footer_links=[],
                   app_kwargs={"exception_handlers": {OSError: _storage_handler(ws)}})
        # The page is up: load torch and the library now rather than on the first click.
        threading.Thread(target=importlib.import_module, args=("lookgan.api",), daemon=True).start()
        if not block:
            return app
        app.block_thread()
    except BaseException:
        _close(actions, ws)
        raise
    _close(actions, ws)
    return None


def _storage_handler(ws: Workspace) -> Any:
    """For Gradio's own routes (uploads): a full or read-only disk is a 507 that says so, not a bare 500."""
    from starlette.responses import JSONResponse  # installed with gradio (the ui extra)

    def handle(request: Any, exc: OSError) -> Any:
        if storage_error(exc, ws.uploads) is None:
            logging.getLogger(__name__).error("%s failed", request.url.path, exc_info=exc)
            return JSONResponse({"detail": "the server failed; its log has the details"}, status_code=500)
        logging.getLogger(__name__).error("%s: %s", request.url.path, exc)
        return JSONResponse({"detail": f"the server's disk is full or read-only ({megabytes(free_bytes(ws.root))} "
                                       "free): the upload was not stored. Tell the person who runs the app"},
                            status_code=507)

    return handle


def close(app: Any) -> None:
    """Stop an app started with ``block=False``: training saves a checkpoint, the server stops, uploads go."""
    app.close()
    _close(app.lookgan_actions, app.lookgan_actions.ws)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


#: Seconds the process may take to exit after the app has stopped and cleaned up.
EXIT_GRACE_S = 20.0


def exit_guard(grace_s: float = EXIT_GRACE_S) -> None:
    """Make sure the process ends soon, even when a library keeps it alive after the app has stopped.

    For ``lookgan ui``, which exits once :func:`launch` returns (never call it where code runs on after). By then
    training has saved and the uploads are gone, so nothing is lost by ending the process: if the
    interpreter is still running ``grace_s`` seconds later (a non-daemon thread or an exit handler that never
    returns), every Python thread's stack goes to stderr — where it hung, for a bug report — and the process
    exits with status 1; should it hang later still, in a native library's teardown after Python has stopped,
    an alarm ends it ``grace_s`` seconds after that."""
    faulthandler.dump_traceback_later(grace_s, exit=True)
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(2 * grace_s))


def _close(actions: Any, ws: Any) -> None:
    """Stop training (it saves a checkpoint) and delete the uploads; looks and results stay."""
    actions.board.shutdown()
    shutil.rmtree(ws.uploads, ignore_errors=True)
