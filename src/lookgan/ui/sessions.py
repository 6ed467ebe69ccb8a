"""Several people on one web app: whose files are whose, what each request left behind, and the limits.

**Sharing model.** The looks folder is the studio's shared library: every browser sees, applies and exports
every look in it, and one look trains at a time for the whole server. Everything else belongs to one browser:
its uploads are staged, and its results written, under ``runs/<owner>/``, where ``owner`` is a hash of a random
token the page keeps in that browser's local storage (so a reload or a restarted server finds the same
results). No page lists or links another browser's folder, and the files the page downloads are served from
Gradio's cache under names derived from their content and the server's secret, so they cannot be guessed. API
clients without the token get a folder per connection. ``--auth`` decides who may open the app at all; it
does not separate people who share one login's browser.

**Records.** Each request's folder holds ``run.json`` (what, which look, how many files, ``running`` until it
ends). Outputs are written atomically, so a folder left ``running`` by a killed server holds only finished
files: :func:`mark_interrupted` (at start) says so in its record, and :func:`list_results` lists them.

No gradio and no torch here, so all of it is tested directly.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..core.errors import InputError
from ..core.io import atomic_write_json, is_temp_name, megabytes
from ..data.images import DEFAULT_MAX_PIXELS
from .workspace import zip_files

#: The owner of requests made without a browser (tests, scripts): ``runs/local/``.
LOCAL = "local"
RUN_JSON = "run.json"


def new_token() -> str:
    """A browser's secret: 128 random bits, kept in its local storage."""
    return secrets.token_hex(16)


def owner_key(token: str | None, session_hash: str | None = None) -> str:
    """The folder name of a browser's files: a hash of its token (never the token itself, so a folder name
    that leaks does not let anyone act as that browser), else of Gradio's per-connection session id."""
    raw = (token or "").strip() or (session_hash or "").strip()
    if not raw:
        return LOCAL
    return "b-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


@dataclass(frozen=True)
class Limits:
    """What one request and one browser may use on a shared machine (``lookgan ui --max-...``)."""

    max_upload_mb: float = 200
    """One uploaded file (Gradio refuses larger ones before they reach the disk)."""
    max_request_mb: float = 2000
    """All files of one request together."""
    max_files: int = 500
    """Photos in one request."""
    max_session_mb: float = 5000
    """Everything one browser keeps in ``runs/`` (its staged uploads and results)."""
    max_pixels: int = DEFAULT_MAX_PIXELS
    """Photo dimensions, read from the file's header before anything is decoded."""

    def __post_init__(self) -> None:
        for name in ("max_upload_mb", "max_request_mb", "max_files", "max_session_mb", "max_pixels"):
            if getattr(self, name) <= 0:
                raise InputError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")

    def check_request(self, paths: Iterable[Path], what: str = "files") -> None:
        """Refuse a request with too many files, or files too large together, before any is read."""
        paths = list(paths)
        if len(paths) > self.max_files:
            raise InputError(f"{len(paths)} {what} in one go is more than this server takes ({self.max_files}); "
                             f"send them in parts of {self.max_files} or fewer, or use the `lookgan apply` "
                             "command for whole folders")
        total = sum(p.stat().st_size for p in paths if p.is_file())
        if total > self.max_request_mb * 1e6:
            raise InputError(f"these {what} add up to {megabytes(total)}, more than one request may send "
                             f"({self.max_request_mb:g} MB); send fewer at a time")

    def check_session(self, folder: Path) -> None:
        """Refuse new work when this browser's results already fill its share of the disk."""
        used = folder_bytes(folder)
        if used > self.max_session_mb * 1e6:
            raise InputError(f"your results on this server take {megabytes(used)}, more than each browser may "
                             f"keep ({self.max_session_mb:g} MB); download what you need, then press \"Delete my "
                             "results\" (My results) to make room")


# --- request records -------------------------------------------------------------------------------------------
def start_record(run: Path, what: str, *, look: str = "", files: int = 0) -> None:
    atomic_write_json(run / RUN_JSON, {"what": what, "look": look, "files": files, "status": "running",
                                       "started": time.strftime("%Y-%m-%d %H:%M:%S")})


def finish_record(run: Path, *, outputs: Iterable[Path] = (), download: Path | None = None, message: str = "",
                  status: str = "done") -> None:
    record = read_record(run)
    record.update(status=status, message=message, outputs=[str(p.relative_to(run)) for p in outputs],
                  download=str(download.relative_to(run)) if download else None,
                  ended=time.strftime("%Y-%m-%d %H:%M:%S"))
    atomic_write_json(run / RUN_JSON, record)


def read_record(run: Path) -> dict[str, Any]:
    try:
        record = json.loads((run / RUN_JSON).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def finished_files(run: Path) -> list[Path]:
    """The whole outputs in a request's ``results/`` folder (never an atomic write's temporary)."""
    folder = run / "results"
    return sorted(p for p in folder.iterdir() if p.is_file() and not is_temp_name(p.name)) if folder.is_dir() else []


def mark_interrupted(runs: Path) -> int:
    """At server start: every request still ``running`` was cut off by the last server's end; say so in its
    record, with the files that finished (zipped, when several, for the one download). Returns how many."""
    count = 0
    for record_path in runs.glob(f"*/*/{RUN_JSON}"):
        run, record = record_path.parent, read_record(record_path.parent)
        if record.get("status") != "running":
            continue
        done = finished_files(run)
        download = done[0] if len(done) == 1 else (
            zip_files(done, run / f"{record.get('look') or record.get('what', 'run')}-finished.zip") if done else None)
        finish_record(run, outputs=done, download=download, status="interrupted",
                      message=f"the server stopped during this request; {len(done)} of {record.get('files', '?')} "
                              "files had finished")
        count += 1
    return count


@dataclass
class Result:
    """One earlier request of a browser, as the page lists it."""

    run: Path
    what: str
    look: str
    status: str
    started: str
    message: str
    outputs: list[Path] = field(default_factory=list)
    download: Path | None = None


def list_results(session_folder: Path, *, limit: int = 20) -> list[Result]:
    """A browser's requests that made files, newest first; interrupted ones with the files that finished."""
    out = []
    runs = sorted((p for p in session_folder.iterdir() if (p / RUN_JSON).is_file()), reverse=True) \
        if session_folder.is_dir() else []
    for run in runs:
        r = read_record(run)
        outputs = [run / o for o in r.get("outputs") or [] if (run / o).is_file()]
        if not outputs or r.get("status") == "running":
            continue
        download = run / r["download"] if r.get("download") and (run / r["download"]).is_file() else None
        out.append(Result(run=run, what=r.get("what", "?"), look=r.get("look", ""), status=r.get("status", "?"),
                          started=r.get("started", ""), message=r.get("message", ""), outputs=outputs,
                          download=download))
        if len(out) >= limit:
            break
    return out
