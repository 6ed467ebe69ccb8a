"""The smaller tabs of the page (Generate, Export, Evaluate), the Apply tab's portrait fold, and :class:`Page`,
what every tab's handlers share.

Layout and glue only, as in :mod:`lookgan.ui.app`: the work is done by :class:`~lookgan.ui.actions.Actions`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from .actions import Actions
from .panels import EXPORT_HELP, owner_of


@dataclass
class Page:
    """What every tab's handlers share: the actions, the error wrapper, the browser's token, the notice line."""

    actions: Actions
    ok: Callable[[Callable[..., Any]], Callable[..., Any]]
    session: Any
    """The browser's token (:func:`lookgan.ui.panels.browser_state`): an input of every handler that makes files."""
    notice: Any

    def dropdowns(self, generators: bool | None = None, value: str | None = None) -> Any:
        """A look dropdown's new choices (generators, restyling looks or all), keeping ``value`` if listed."""
        choices = self.actions.look_choices(generators=generators)
        return gr.update(choices=choices, value=value if value in choices else (choices[-1] if choices else None))


def portrait_controls() -> tuple[Any, ...]:
    """The Apply tab's portrait fold: on/off, strength on people and on the background, skin, face shapes."""
    with gr.Accordion("Portraits: person, background and skin (needs the faces extra)", open=False):
        with gr.Row():
            portrait_on = gr.Checkbox(label="Portrait mode", elem_id="portrait-on")
            person_s = gr.Slider(0, 1, value=1, step=0.05, label="Strength on people", elem_id="person-strength")
            background_s = gr.Slider(0, 1, value=1, step=0.05, label="Strength on the background",
                                     elem_id="background-strength")
            skin_s = gr.Slider(0, 1, value=0, step=0.05, label="Protect skin tones", elem_id="protect-skin")
            faces_s = gr.Slider(0, 1, value=0, step=0.05, label="Keep face shapes (texture looks)",
                                elem_id="protect-faces")
    return portrait_on, person_s, background_s, skin_s, faces_s


def make_generate_tab(page: Page) -> tuple[Any, ...]:
    """Generate: new images from a generator look, an interpolation, a zip."""
    actions, ok, session = page.actions, page.ok, page.session
    with gr.Tab("Generate", id="generate") as gen_tab:
        with gr.Row():
            gen_look = gr.Dropdown(label="Generator look (dcgan, fastgan)",
                                   choices=actions.look_choices(), elem_id="gen-look")
            seed = gr.Number(value=0, precision=0, label="Seed", elem_id="gen-seed")
            count = gr.Slider(1, 64, value=16, step=1, label="How many", elem_id="gen-count")
            trunc = gr.Slider(0, 2, value=0, step=0.1, label="Truncation (0 = off; lower = safer, "
                              "less varied)", elem_id="gen-trunc")
            frames = gr.Number(value=0, precision=0, minimum=0, maximum=600,
                               label="Interpolation frames (0 = none)", elem_id="gen-frames")
        gen_btn = gr.Button("Generate", variant="primary", elem_id="gen-run")
        with gr.Row():
            gen_gallery = gr.Gallery(label="New images", columns=8, height=360, elem_id="gen-gallery", scale=3)
            gen_anim = gr.Image(label="Interpolation", type="filepath", elem_id="gen-anim", scale=1, height=300)
        gen_download = gr.File(label="Download (zip)", elem_id="gen-download")

        @ok
        def on_generate(look_name, sd, n, t, fr, token, request: gr.Request):
            res = actions.generate(look_name, n=int(n), seed=int(sd or 0), truncation=float(t or 0),
                                   frames=int(fr or 0), owner=owner_of(token, request))
            return ([str(p) for p in res.images], str(res.animation) if res.animation else None,
                    str(res.download))

        gen_btn.click(on_generate, [gen_look, seed, count, trunc, frames, session],
                      [gen_gallery, gen_anim, gen_download], concurrency_id="work")
    return gen_tab, gen_look


def make_export_tab(page: Page) -> tuple[Any, ...]:
    """Export: the look in an editor's format, with what the format leaves out."""
    actions, ok, session = page.actions, page.ok, page.session
    with gr.Tab("Export", id="export") as export_tab:
        gr.Markdown(EXPORT_HELP)
        with gr.Row():
            export_look = gr.Dropdown(label="Look", choices=actions.look_choices(),
                                      elem_id="export-look")
            fmt = gr.Radio([(".cube", "cube"), ("HaldCLUT PNG", "hald"), ("ffmpeg script", "ffmpeg"),
                            ("Lightroom / Camera Raw (zip)", "xmp"), ("RawTherapee .pp3", "pp3"),
                            ("darktable style", "dtstyle"),
                            ("ONNX (apps)", "onnx"), ("every format (zip)", "all"),
                            ("the look itself (zip, to share)", "look")],
                           value="cube", label="Format",
                           elem_id="export-format")
            export_size = gr.Number(value=0, precision=0, minimum=0, label="Size (0 = the look's own; "
                                    ".cube points per axis, Hald level)", elem_id="export-size")
        export_btn = gr.Button("Export", variant="primary", elem_id="export-run")
        export_msg = gr.Markdown(elem_id="export-status")
        export_file = gr.File(label="Download", elem_id="export-download")

        @ok
        def on_export(look_name, f, sz, token, request: gr.Request):
            path, text = actions.export(look_name, format=f, size=int(sz or 0), owner=owner_of(token, request))
            return text, str(path)

        export_btn.click(on_export, [export_look, fmt, export_size, session], [export_msg, export_file],
                         concurrency_id="work")
    return export_tab, export_look


def make_evaluate_tab(page: Page) -> tuple[Any, ...]:
    """Evaluate: the look measured on photos it has not seen; the report."""
    actions, ok, session = page.actions, page.ok, page.session
    with gr.Tab("Evaluate", id="evaluate") as eval_tab:
        gr.Markdown("Measures a look honestly: apply it to photos it has not seen and compare the results "
                    "with the images in the look (texture SWD, colour distance), with your photos "
                    "(structure kept, face landmarks) — or, for generators, check new images against real "
                    "ones and against copying.")
        eval_look = gr.Dropdown(label="Look", choices=actions.look_choices(), elem_id="eval-look")
        with gr.Row():
            eval_photos = gr.File(label="Photos it has not seen (generators: real held-out images)",
                                  file_count="multiple", elem_id="eval-photos")
            eval_style = gr.File(label="Images in the look (optional: default = its training images)",
                                 file_count="multiple", elem_id="eval-style")
        eval_btn = gr.Button("Evaluate", variant="primary", elem_id="eval-run")
        eval_table = gr.Markdown(elem_id="eval-table")
        eval_gallery = gr.Gallery(label="Report pictures", columns=3, height=360, object_fit="contain", elem_id="eval-gallery")
        eval_download = gr.File(label="Full HTML report (zip)", elem_id="eval-download")

        @ok
        def on_eval(look_name, photos, style, token, request: gr.Request):
            res = actions.evaluate(look_name, photos, style, owner=owner_of(token, request))
            return res.table, [str(p) for p in res.pictures], str(res.download)

        eval_btn.click(on_eval, [eval_look, eval_photos, eval_style, session],
                       [eval_table, eval_gallery, eval_download], concurrency_id="work")
    return eval_tab, eval_look
