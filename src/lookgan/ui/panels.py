"""The parts of the page that know who is asking: the browser's token, its results, and what a server stop cut off.

A browser keeps a random token in its local storage (:class:`gradio.BrowserState`, encrypted with a secret kept
in the work folder, so that a restarted server still reads it); every handler that makes files gets the owner
key derived from it (:func:`owner_of`), falling back to Gradio's per-connection session for API clients that
send none. See :mod:`lookgan.ui.sessions` for the sharing model.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from .actions import Actions
from .sessions import new_token, owner_key

SECRET_FILE = ".browser-secret"

#: The Export tab's list of formats and the programs that open them.
EXPORT_HELP = (
    "- **.cube**: DaVinci Resolve, Premiere/Lumetri, Final Cut Pro, CapCut, OBS, ffmpeg `lut3d`\n"
    "- **HaldCLUT PNG**: GIMP/G'MIC, RawTherapee, ffmpeg `haldclut`\n"
    "- **ffmpeg script** (+ .cube): the whole look in ffmpeg, a preset's vignette and grain too\n"
    "- **Lightroom / Camera Raw**: a profile (colour) and a preset (vignette, grain); File > Import "
    "Profiles & Presets\n"
    "- **RawTherapee .pp3** (+ HaldCLUT): Film Simulation and vignette\n"
    "- **darktable style** (+ .cube): lut3d, vignette and grain; the .cube goes in darktable's 3D lut "
    "root folder\n"
    "- **ONNX**: the whole look, any kind, for apps (onnxruntime; images NCHW RGB in 0..1)\n\n"
    "Texture looks are distilled into their colour part; each download says what its format leaves "
    "out; docs/formats.md in lookgan's source says what each format carries and how it was checked.")


def browser_secret(root: Path) -> str:
    """The key that encrypts browsers' tokens, made once per work folder (readable by its owner only)."""
    path = root / SECRET_FILE
    try:
        return path.read_text().strip()
    except OSError:
        secret = secrets.token_hex(16)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret)
        return secret


def owner_of(token: str | None, request: gr.Request | None) -> str:
    """Whose files a request touches: its browser's token, else its connection."""
    return owner_key(token, getattr(request, "session_hash", None))


def notice(actions: Actions, owner: str) -> str:
    """What the page says on opening after a server stop cut work off (empty otherwise)."""
    lines = []
    cut = actions.interrupted_job()
    if cut is not None:
        lines.append(f"⚠️ The server stopped while **{cut['name']}** was training; press **Resume interrupted "
                     "training** in Learn to go on from its last checkpoint.")
    stopped = [r for r in actions.results_list(owner) if r.status == "interrupted"]
    if stopped:
        lines.append(f"⚠️ The server stopped during {len(stopped)} of your earlier request(s); the files that "
                     "finished are in **My results** below, the unfinished ones are not.")
    return "\n\n".join(lines)


def browser_state(root: Path) -> gr.BrowserState:
    """The (invisible) component holding the browser's token; every handler that makes files takes it."""
    return gr.BrowserState(None, storage_key="lookgan-session", secret=browser_secret(root))


def results_panel(actions: Actions, ok: Callable[[Callable[..., Any]], Callable[..., Any]],
                  session: gr.BrowserState) -> tuple[Any, Any, Callable[..., tuple[str, list[str]]]]:
    """The "My results" fold; returns its table, its files and the function that fills both."""
    with gr.Accordion("My results: what this browser made here (kept on the server until you delete them)",
                      open=False, elem_id="my-results"):
        table = gr.Markdown(elem_id="results-table")
        files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="results-files")
        with gr.Row():
            refresh = gr.Button("Refresh", elem_id="results-refresh")
            delete = gr.Button("Delete my results", variant="stop", elem_id="results-delete")

    def show(token: str | None, request: gr.Request) -> tuple[str, list[str]]:
        text, downloads = actions.results(owner_of(token, request))
        return text, [str(p) for p in downloads]

    @ok
    def on_delete(token: str | None, request: gr.Request) -> tuple[str, list[str]]:
        gr.Info(actions.delete_results(owner_of(token, request)), duration=4)
        return show(token, request)

    refresh.click(ok(show), session, [table, files], show_progress="hidden")
    delete.click(on_delete, session, [table, files])
    return table, files, show


def token_on_load(token: str | None) -> str:
    """A new browser gets its token on first load; a known one keeps it."""
    return token if isinstance(token, str) and len(token) >= 16 else new_token()


def setting_rows(settings: dict[str, tuple[float, float, float]], per_row: int = 4
                 ) -> list[tuple[str, list[list[tuple[str, tuple[float, float, float]]]]]]:
    """Settings grouped by layer (the part before the dot), ``per_row`` sliders to a row."""
    layers: dict[str, list[tuple[str, tuple[float, float, float]]]] = {}
    for name, spec in settings.items():
        layers.setdefault(name.split(".", 1)[0], []).append((name, spec))
    return [(layer, [items[i:i + per_row] for i in range(0, len(items), per_row)]) for layer, items in layers.items()]


def slider_step(low: float, high: float) -> float:
    """About 200 steps across the range, rounded to one significant digit (0.005 for 0..1, 0.0001 for grain)."""
    raw = (high - low) / 200
    return float(f"{raw:.0e}")
