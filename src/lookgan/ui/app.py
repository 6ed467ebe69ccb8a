"""The Gradio page: five tabs (Learn, Apply, Generate, Export, Evaluate) wired to :class:`~lookgan.ui.actions.Actions`.

Only layout and glue live here. Every handler goes through :func:`~lookgan.ui.messages.friendly`, which turns
lookgan's errors into a plain message box (never a stack trace) and unexpected ones into a short message while the
traceback goes to the server log; the server keeps running either way. The page makes no request outside this server: analytics off,
system fonts instead of Google Fonts, no server-side rendering through Node.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from ..core.catalogue import catalogue, describe, kind_names  # noqa: E402
from ..core.errors import LookganError  # noqa: E402
from .actions import Actions  # noqa: E402
from .messages import friendly  # noqa: E402
from .panels import browser_state, notice, owner_of, results_panel, setting_rows, slider_step, token_on_load  # noqa: E402
from .tabs import Page, make_evaluate_tab, make_export_tab, make_generate_tab, portrait_controls  # noqa: E402

_SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
_MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
CSS = """
.lookgan-status { min-height: 6em; }
footer { display: none !important; }
"""


def theme() -> gr.themes.Base:
    """Gradio's default look with the system's fonts (the stock theme loads fonts from Google)."""
    return gr.themes.Default(font=_SYSTEM_FONTS, font_mono=_MONO_FONTS)


def _kind_text(kind: str) -> str:
    info = describe(kind)
    needs = ("learns from the images in the look **and** your own photos" if info.needs_photos
             else "learns from the images in the look alone and makes new ones")
    return f"**{kind}**: {info.learns}. It {needs}; default training here takes {info.time_here}."


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
            return gr.update(choices=choices, value=choice), _kind_text(choice)

        app.load(describe_kinds, kind, [kind, kind_help], show_progress="hidden")

        def on_load(token: str | None, request: gr.Request) -> tuple[str, str, str, list[str]]:
            """The browser's token (new on its first visit), what a server stop cut off, its results."""
            token = token_on_load(token)
            owner = owner_of(token, request)
            return (token, notice(actions, owner), *show_results(token, request))

        app.load(on_load, session, [session, server_notice, results_table, results_files], show_progress="hidden")
    return app


def make_learn_tab(page: Page) -> tuple[Any, ...]:
    """Learn: the images and the kind; Start, Stop, Resume; live status, samples and losses."""
    actions, ok, session = page.actions, page.ok, page.session
    with gr.Tab("Learn", id="learn") as learn_tab:
        with gr.Row():
            with gr.Column():
                style_files = gr.File(label="Images in the look (20-300 is typical)", file_count="multiple",
                                      elem_id="style-files")
                style_dir = gr.Textbox(label="…or a folder of them on this computer", elem_id="style-dir",
                                       visible=actions.allow_folders, placeholder="/home/me/feed")
            with gr.Column():
                photo_files = gr.File(label="Your own photos (colour and texture looks)",
                                      file_count="multiple", elem_id="photo-files")
                photo_dir = gr.Textbox(label="…or a folder of them on this computer", elem_id="photo-dir",
                                       visible=actions.allow_folders, placeholder="/home/me/photos")
        with gr.Row():
            # Names only while the page is built (no kind module, so no torch, loads before the
            # server answers); the descriptions arrive when the page loads (_describe_kinds).
            kind = gr.Dropdown(choices=kind_names(), value="lut",
                               label="Look kind", elem_id="kind", scale=3)
            name = gr.Textbox(value="mylook", label="Name", elem_id="look-name", scale=1)
        kind_help = gr.Markdown()
        with gr.Row():
            steps = gr.Number(value=0, precision=0, minimum=0, label="Steps (0 = the kind's default)",
                              elem_id="steps")
            minutes = gr.Number(value=0, minimum=0, label="Minutes at most (0 = default)", elem_id="minutes")
            size = gr.Number(value=0, precision=0, minimum=0, label="Image size px (0 = default)",
                             elem_id="size")
            resume = gr.Checkbox(label="Resume this look from its last checkpoint", elem_id="resume")
        with gr.Row():
            start = gr.Button("Start training", variant="primary", elem_id="train-start")
            stop = gr.Button("Stop (saves a checkpoint)", elem_id="train-stop")
            resume_cut = gr.Button("Resume interrupted training", elem_id="train-resume-cut")
        status = gr.Markdown(actions.training_status(), elem_id="train-status",
                             elem_classes="lookgan-status")
        with gr.Row():
            sample = gr.Image(label="Latest samples", type="filepath", interactive=False,
                              elem_id="train-sample")
            losses = gr.Image(label="Losses", type="filepath", interactive=False, elem_id="train-loss")
        timer = gr.Timer(1.0)
        shown = gr.State({"sample": None, "points": -1, "plotted": 0.0})

        kind.change(_kind_text, kind, kind_help)

        @ok
        def on_start(sf, sd, pf, pd_, k, n, st, mi, si, re_, token, request: gr.Request):
            job = actions.start_training(kind=k, name=n, style_files=sf, style_dir=sd, photo_files=pf,
                                         photo_dir=pd_, steps=int(st or 0), minutes=float(mi or 0),
                                         size=int(si or 0), resume=bool(re_), owner=owner_of(token, request))
            gr.Info(f"training {job.snapshot().name} started", duration=4)
            return actions.training_status()

        start.click(on_start, [style_files, style_dir, photo_files, photo_dir, kind, name, steps, minutes,
                               size, resume, session], status)

        @ok
        def on_resume_cut(token, request: gr.Request):
            job = actions.resume_interrupted(owner_of(token, request))
            gr.Info(f"training {job.snapshot().name} resumed", duration=4)
            return actions.training_status(), ""

        resume_cut.click(on_resume_cut, session, [status, page.notice])

        @ok
        def on_stop(token, request: gr.Request) -> None:
            gr.Info(actions.stop_training(owner_of(token, request)), duration=4)

        stop.click(on_stop, session, None)

        def on_tick(seen: dict, token, request: gr.Request) -> tuple[Any, Any, Any, dict]:
            snap = actions.board.snapshot()
            text = actions.training_status(owner_of(token, request))
            if snap is None:
                return text, gr.skip(), gr.skip(), seen
            new_sample = str(snap.sample_path) if snap.sample_path else None
            img = new_sample if new_sample != seen["sample"] else gr.skip()
            seen = {**seen, "sample": new_sample}
            # Redraw the plot when there are new points, at most every 3 s while training runs.
            due = not snap.active or time.monotonic() - seen["plotted"] > 3.0
            plot: Any = gr.skip()
            if len(snap.history) != seen["points"] and due:
                path = actions.loss_plot()
                plot = str(path) if path else gr.skip()
                seen.update(points=len(snap.history), plotted=time.monotonic())
            return text, img, plot, seen

        timer.tick(on_tick, [shown, session], [status, sample, losses, shown], show_progress="hidden")
    return learn_tab, status, kind, kind_help


def make_apply_tab(page: Page) -> tuple[Any, ...]:
    """Apply: a look (or a shared zip) on photos or a video, its sliders, portrait mode, the results."""
    actions, ok, session = page.actions, page.ok, page.session
    with gr.Tab("Apply", id="apply") as apply_tab:
        with gr.Row():
            apply_look = gr.Dropdown(label="Look", choices=actions.look_choices(),
                                     elem_id="apply-look", scale=3)
            look_zip = gr.File(label="…or upload a look (NAME.look zipped)", file_count="single",
                               elem_id="look-zip", scale=2)
        apply_files = gr.File(label="Photos or a video", file_count="multiple", elem_id="apply-files")
        with gr.Row():
            strength = gr.Slider(0, 1, value=1, step=0.05, label="Strength", elem_id="strength")
            keep_colour = gr.Checkbox(label="Keep my colours (texture/tone only)", elem_id="keep-colour")
            apply_btn = gr.Button("Apply", variant="primary", elem_id="apply-run")
        adjusted = gr.State({})  # the sliders the user moved: name -> value
        with gr.Accordion("Look settings: a preset look's colour, vignette, tint and grain, as in a photo editor",
                          open=True, elem_id="look-settings"):
            def setting_sliders(settings: dict[str, tuple[float, float, float]]) -> None:
                for layer, items in setting_rows(settings):
                    gr.Markdown(f"**{layer.replace('_', ' ').capitalize()}**")
                    for row in items:
                        with gr.Row():
                            for name, (value, low, high) in row:
                                slider = gr.Slider(low, high, value=value, step=slider_step(low, high),
                                                   label=name.split(".", 1)[1].replace("_", " "),
                                                   interactive=True,
                                                   elem_id="setting-" + name.replace(".", "-"))
                                # change, not release: keys and the number box move it too; while
                                # it is dragged only the last value waits its turn
                                slider.change(_moved(name), [slider, adjusted, apply_look, apply_files,
                                                             strength, keep_colour, session],
                                              [adjusted, compare], show_progress="minimal",
                                              trigger_mode="always_last")

            @gr.render(inputs=apply_look)
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
                setting_sliders(everyday)
                if advanced:
                    with gr.Accordion("Advanced: the learnt parameters themselves", open=False,
                                      elem_id="settings-advanced"):
                        setting_sliders(advanced)

            with gr.Row():
                adjust_name = gr.Textbox(label="Save the look with these sliders as", elem_id="adjust-name",
                                         placeholder="mylook-softer", scale=3)
                adjust_save = gr.Button("Save as new look", elem_id="adjust-save", scale=1)
        portrait_on, person_s, background_s, skin_s, faces_s = portrait_controls()
        apply_msg = gr.Markdown(elem_id="apply-status")
        compare = gr.ImageSlider(label="Before | after (drag)", type="filepath", elem_id="apply-compare")
        with gr.Row():
            gallery = gr.Gallery(label="Results", columns=4, height=320, object_fit="contain", elem_id="apply-gallery")
            video_out = gr.Video(label="Video result", elem_id="apply-video", visible=False)
        mask_view = gr.Image(label="Masks: person (blue), skin (red)", type="filepath", interactive=False,
                             elem_id="apply-mask", visible=False, height=360)
        apply_download = gr.File(label="Download", elem_id="apply-download")

        def _moved(name: str) -> Callable[..., tuple[dict, Any]]:
            @ok
            def on_moved(value, moved, look_name, files, s, kc, token, request: gr.Request):
                moved = {**moved, name: float(value)}
                pair = actions.preview(look_name, files, settings=moved, strength=s, keep_colour=kc,
                                       owner=owner_of(token, request))
                return moved, (list(pair) if pair else gr.skip())

            return on_moved

        apply_look.change(lambda: {}, None, adjusted, show_progress="hidden")

        @ok
        def on_save(look_name, moved, new_name):
            saved = actions.save_adjusted(look_name, moved, new_name)
            gr.Info(f"saved look {saved}", duration=4)
            return f"saved **{saved}**: {look_name} with {len(moved)} setting(s) changed", page.dropdowns(False, saved)

        adjust_save.click(on_save, [apply_look, adjusted, adjust_name], [apply_msg, apply_look])

        @ok
        def on_apply(look_name, files, s, kc, portrait_mode, ps, bs, skin, keep_faces, moved, token,
                     request: gr.Request, progress=gr.Progress()):
            total = max(1, len(files or []))
            done = []

            def on_file(src: Path, dst: Path) -> None:
                done.append(dst)
                progress(len(done) / total, desc=f"{src.name} done")

            portrait = ({"person_strength": ps, "background_strength": bs, "protect_skin": skin,
                         "protect_faces": keep_faces} if portrait_mode else None)
            res = actions.apply(look_name, files, strength=s, keep_colour=kc, on_file=on_file,
                                portrait=portrait, settings=moved, owner=owner_of(token, request))
            stills = [str(p) for p in res.outputs if p != res.video]
            return (res.message, list(res.compare) if res.compare else None, stills,
                    gr.update(value=str(res.video) if res.video else None, visible=res.video is not None),
                    gr.update(value=str(res.mask) if res.mask else None, visible=res.mask is not None),
                    str(res.download))

        apply_btn.click(on_apply, [apply_look, apply_files, strength, keep_colour, portrait_on, person_s,
                                   background_s, skin_s, faces_s, adjusted, session],
                        [apply_msg, compare, gallery, video_out, mask_view, apply_download],
                        concurrency_id="work")

    @ok
    def on_zip(file):
        if file is None:
            return gr.skip()
        name_ = actions.import_look(file)
        generator = name_ in actions.look_choices(generators=True)
        gr.Info(f"look {name_} added" + (" (it makes new images: use it in Generate)" if generator else ""),
                duration=4)
        return page.dropdowns(False, name_)

    look_zip.upload(on_zip, look_zip, apply_look)
    return apply_tab, apply_look
