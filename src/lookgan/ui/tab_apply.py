"""The Apply tab: a look (or a shared zip) on photos or a video, its sliders, portrait mode, the results.

Layout and glue only, as in :mod:`lookgan.ui.app`: the work is done by :class:`~lookgan.ui.actions.Actions`.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import gradio as gr

from ..core.errors import LookganError
from .panels import owner_of, setting_rows, slider_step
from .tabs import Page, portrait_controls


def make_apply_tab(page: Page) -> tuple[Any, ...]:
    """The tab's layout (the look's sliders in :func:`_look_settings`), then its handlers; returns (tab, look)."""
    actions = page.actions
    with gr.Tab("Apply", id="apply") as apply_tab:
        with gr.Row():
            look = gr.Dropdown(label="Look", choices=actions.look_choices(), elem_id="apply-look", scale=3)
            look_zip = gr.File(label="…or upload a look (NAME.look zipped)", file_count="single",
                               elem_id="look-zip", scale=2)
        files = gr.File(label="Photos or a video", file_count="multiple", elem_id="apply-files")
        with gr.Row():
            strength = gr.Slider(0, 1, value=1, step=0.05, label="Strength", elem_id="strength")
            keep_colour = gr.Checkbox(label="Keep my colours (texture/tone only)", elem_id="keep-colour")
            apply_btn = gr.Button("Apply", variant="primary", elem_id="apply-run")
        ui = SimpleNamespace(look=look, files=files, strength=strength, keep_colour=keep_colour,
                             adjusted=gr.State({}))  # the sliders the user moved: name -> value
        save = _look_settings(page, ui)
        ui.portrait = portrait_controls()
        ui.message = gr.Markdown(elem_id="apply-status")
        ui.compare = gr.ImageSlider(label="Before | after (drag)", type="filepath", elem_id="apply-compare")
        with gr.Row():
            ui.gallery = gr.Gallery(label="Results", columns=4, height=320, object_fit="contain",
                                    elem_id="apply-gallery")
            ui.video = gr.Video(label="Video result", elem_id="apply-video", visible=False)
        ui.mask = gr.Image(label="Masks: person (blue), skin (red)", type="filepath", interactive=False,
                           elem_id="apply-mask", visible=False, height=360)
        ui.download = gr.File(label="Download", elem_id="apply-download")
        _wire_apply(page, ui, apply_btn)
        _wire_save(page, ui, *save)
    _wire_zip(page, look_zip, look)
    return apply_tab, look


def _look_settings(page: Page, ui: SimpleNamespace) -> tuple[Any, Any]:
    """The fold of a preset look's sliders (each move previews at once) and "Save as new look" (its name box
    and button, wired once the status line below exists: :func:`_wire_save`)."""
    actions = page.actions
    with gr.Accordion("Look settings: a preset look's colour, vignette, tint and grain, as in a photo editor",
                      open=True, elem_id="look-settings"):
        @gr.render(inputs=ui.look)
        def settings_sliders(look_name: str | None) -> None:
            try:
                settings = actions.look_settings(look_name)
            except LookganError:
                settings = {}
            if not settings:
                gr.Markdown("This look has no sliders: only `preset` looks have (their overlay and "
                            "grain, learnt as editor settings).", elem_id="settings-none")
                return
            expert = actions.expert_layers(look_name)
            everyday = {k: v for k, v in settings.items() if k.split(".", 1)[0] not in expert}
            advanced = {k: v for k, v in settings.items() if k not in everyday}
            _sliders(page, ui, everyday)
            if advanced:
                with gr.Accordion("Advanced: the learnt parameters themselves", open=False,
                                  elem_id="settings-advanced"):
                    _sliders(page, ui, advanced)

        with gr.Row():
            adjust_name = gr.Textbox(label="Save the look with these sliders as", elem_id="adjust-name",
                                     placeholder="mylook-softer", scale=3)
            adjust_save = gr.Button("Save as new look", elem_id="adjust-save", scale=1)
    ui.look.change(lambda: {}, None, ui.adjusted, show_progress="hidden")
    return adjust_name, adjust_save


def _wire_save(page: Page, ui: SimpleNamespace, adjust_name: Any, adjust_save: Any) -> None:
    """"Save as new look": the look with the moved sliders, under a new name, chosen in the dropdown."""

    @page.ok
    def on_save(look_name, moved, new_name):
        saved = page.actions.save_adjusted(look_name, moved, new_name)
        gr.Info(f"saved look {saved}", duration=4)
        return f"saved **{saved}**: {look_name} with {len(moved)} setting(s) changed", page.dropdowns(False, saved)

    adjust_save.click(on_save, [ui.look, ui.adjusted, adjust_name], [ui.message, ui.look])


def _sliders(page: Page, ui: SimpleNamespace, settings: dict[str, tuple[float, float, float]]) -> None:
    """One slider per setting, by layer, four to a row; moving one previews the first photo at once."""
    for layer, items in setting_rows(settings):
        gr.Markdown(f"**{layer.replace('_', ' ').capitalize()}**")
        for row in items:
            with gr.Row():
                for name, (value, low, high) in row:
                    slider = gr.Slider(low, high, value=value, step=slider_step(low, high),
                                       label=name.split(".", 1)[1].replace("_", " "), interactive=True,
                                       elem_id="setting-" + name.replace(".", "-"))
                    # change, not release: keys and the number box move it too; while it is dragged only
                    # the last value waits its turn
                    slider.change(_moved(page, name), [slider, ui.adjusted, ui.look, ui.files, ui.strength,
                                                       ui.keep_colour, page.session],
                                  [ui.adjusted, ui.compare], show_progress="minimal", trigger_mode="always_last")


def _moved(page: Page, name: str) -> Callable[..., tuple[dict, Any]]:
    @page.ok
    def on_moved(value, moved, look_name, files, s, kc, token, request: gr.Request):
        moved = {**moved, name: float(value)}
        pair = page.actions.preview(look_name, files, settings=moved, strength=s, keep_colour=kc,
                                    owner=owner_of(token, request))
        return moved, (list(pair) if pair else gr.skip())

    return on_moved


def _wire_apply(page: Page, ui: SimpleNamespace, apply_btn: Any) -> None:
    """Apply: progress per file; the before/after slider, stills, the video, the masks and the download."""

    @page.ok
    def on_apply(look_name, files, s, kc, portrait_mode, ps, bs, skin, keep_faces, moved, token,
                 request: gr.Request, progress=gr.Progress()):
        total = max(1, len(files or []))
        done = []

        def on_file(src: Path, dst: Path) -> None:
            done.append(dst)
            progress(len(done) / total, desc=f"{src.name} done")

        portrait = ({"person_strength": ps, "background_strength": bs, "protect_skin": skin,
                     "protect_faces": keep_faces} if portrait_mode else None)
        res = page.actions.apply(look_name, files, strength=s, keep_colour=kc, on_file=on_file, portrait=portrait,
                                 settings=moved, owner=owner_of(token, request))
        stills = [str(p) for p in res.outputs if p != res.video]
        return (res.message, list(res.compare) if res.compare else None, stills,
                gr.update(value=str(res.video) if res.video else None, visible=res.video is not None),
                gr.update(value=str(res.mask) if res.mask else None, visible=res.mask is not None),
                str(res.download))

    apply_btn.click(on_apply, [ui.look, ui.files, ui.strength, ui.keep_colour, *ui.portrait, ui.adjusted,
                               page.session],
                    [ui.message, ui.compare, ui.gallery, ui.video, ui.mask, ui.download], concurrency_id="work")


def _wire_zip(page: Page, look_zip: Any, look: Any) -> None:
    """A zipped look uploaded: added to the work folder's looks and chosen."""

    @page.ok
    def on_zip(file):
        if file is None:
            return gr.skip()
        name = page.actions.import_look(file)
        generator = name in page.actions.look_choices(generators=True)
        gr.Info(f"look {name} added" + (" (it makes new images: use it in Generate)" if generator else ""),
                duration=4)
        return page.dropdowns(False, name)

    look_zip.upload(on_zip, look_zip, look)
