"""The Gradio page: five tabs (Learn, Apply, Generate, Export, Evaluate) wired to :class:`~lookgan.ui.actions.Actions`
(one module per big tab: :mod:`.tab_learn`, :mod:`.tab_apply`; the smaller ones in :mod:`.tabs`).

Only layout and glue live here. Every handler goes through :func:`~lookgan.ui.messages.friendly`, which turns
lookgan's errors into a plain message box (never a stack trace) and unexpected ones into a short message while the
traceback goes to the server log; the server keeps running either way. The page makes no request outside this server: analytics off,
system fonts instead of Google Fonts, no server-side rendering through Node.
"""
from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from ..core.catalogue import catalogue, kind_names  # noqa: E402
from .actions import Actions  # noqa: E402
from .messages import friendly  # noqa: E402
from .panels import browser_state, notice, owner_of, results_panel, token_on_load  # noqa: E402
from .tab_apply import make_apply_tab  # noqa: E402
from .tab_learn import kind_text, make_learn_tab  # noqa: E402
from .tabs import Page, make_evaluate_tab, make_export_tab, make_generate_tab  # noqa: E402

_SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
_MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
CSS = """
.lookgan-status { min-height: 6em; }
footer { display: none !important; }
"""


def theme() -> gr.themes.Base:
    """Gradio's default look with the system's fonts (the stock theme loads fonts from Google)."""
    return gr.themes.Default(font=_SYSTEM_FONTS, font_mono=_MONO_FONTS)


def build_app(actions: Actions, *, max_upload_mb: float = 200) -> gr.Blocks:
    """The page over ``actions`` (its work folder is the only place files are read from and served): one
    function per tab below, and here what spans tabs (look lists, the browser's token, its results)."""
    ws = actions.ws
    ok = friendly((ws.uploads, ws.runs, ws.looks, ws.root))
    os.environ["GRADIO_TEMP_DIR"] = str(ws.uploads)  # uploads land inside the work folder

    with gr.Blocks(title="lookgan", analytics_enabled=False, delete_cache=(3600, 24 * 3600)) as app:
        gr.Markdown("# lookgan\nLearn a visual look from a few images, apply it to your photos, make new images in "
                    f"it. Files stay on this computer, in `{ws.root}`. Uploads up to {max_upload_mb:g} MB each.")
        server_notice = gr.Markdown(elem_id="server-notice")
        page = Page(actions, ok, browser_state(ws.root), server_notice)
        session, dropdowns = page.session, page.dropdowns
        with gr.Tabs():
            learn_tab, status, kind, kind_help = make_learn_tab(page)
            apply_tab, apply_look = make_apply_tab(page)
            gen_tab, gen_look = make_generate_tab(page)
            export_tab, export_look = make_export_tab(page)
            eval_tab, eval_look = make_evaluate_tab(page)

        # Dropdowns follow the work folder: refreshed when a tab opens and after a look zip is uploaded.
        apply_tab.select(lambda v: dropdowns(False, v), apply_look, apply_look, show_progress="hidden")
        gen_tab.select(lambda v: dropdowns(True, v), gen_look, gen_look, show_progress="hidden")
        export_tab.select(lambda v: dropdowns(None, v), export_look, export_look, show_progress="hidden")
        eval_tab.select(lambda v: dropdowns(None, v), eval_look, eval_look, show_progress="hidden")

        def on_learn_tab(token, request: gr.Request) -> str:
            return actions.training_status(owner_of(token, request))

        learn_tab.select(on_learn_tab, session, status, show_progress="hidden")
        results_table, results_files, show_results = results_panel(actions, ok, session)

        def describe_kinds(current: str | None) -> tuple[Any, str]:
            """Every kind with what it learns (this loads the kinds' modules, so it waits for the page)."""
            choice = current if current in kind_names() else "lut"
            choices = [(f"{k.name} — {k.learns}", k.name) for k in catalogue()]
            return gr.update(choices=choices, value=choice), kind_text(choice)

        app.load(describe_kinds, kind, [kind, kind_help], show_progress="hidden")

        def on_load(token: str | None, request: gr.Request) -> tuple[str, str, str, list[str]]:
            """The browser's token (new on its first visit), what a server stop cut off, its results."""
            token = token_on_load(token)
            owner = owner_of(token, request)
            return (token, notice(actions, owner), *show_results(token, request))

        app.load(on_load, session, [session, server_notice, results_table, results_files], show_progress="hidden")
    return app
