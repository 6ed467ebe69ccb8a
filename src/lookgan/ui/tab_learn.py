"""The Learn tab: the images and the kind; Start, Stop, Resume; live status, samples and losses.

Layout and glue only, as in :mod:`lookgan.ui.app`: the work is done by :class:`~lookgan.ui.actions.Actions`.
"""
from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, Callable

import gradio as gr

from ..core.catalogue import describe, kind_names
from .panels import owner_of
from .tabs import Page


def kind_text(kind: str) -> str:
    """One line on a kind for the page: what it learns, from what, and how long it takes here."""
    info = describe(kind)
    needs = ("learns from the images in the look **and** your own photos" if info.needs_photos
             else "learns from the images in the look alone and makes new ones")
    return f"**{kind}**: {info.learns}. It {needs}; default training here takes {info.time_here}."


def make_learn_tab(page: Page) -> tuple[Any, ...]:
    """The tab's layout, then its handlers (:func:`_wire`); returns (tab, status, kind, kind help)."""
    actions = page.actions
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
            # server answers); the descriptions arrive when the page loads (build_app's describe_kinds).
            kind = gr.Dropdown(choices=kind_names(), value="lut",
                               label="Look kind", elem_id="kind", scale=3)
            name = gr.Textbox(value="mylook", label="Name", elem_id="look-name", scale=1)
        kind_help = gr.Markdown()
        kind_options = gr.State({})  # the kind's own options as set here: dest -> value
        _kind_options(kind, kind_options)
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
        ui = SimpleNamespace(style_files=style_files, style_dir=style_dir, photo_files=photo_files,
                             photo_dir=photo_dir, kind=kind, name=name, kind_help=kind_help,
                             kind_options=kind_options, steps=steps,
                             minutes=minutes, size=size, resume=resume, status=status, sample=sample, losses=losses)
        _wire(page, ui, start=start, stop=stop, resume_cut=resume_cut)
    return learn_tab, status, kind, kind_help


def _kind_options(kind: Any, chosen: Any) -> None:
    """The chosen kind's own options (what ``lookgan train KIND --help`` lists, from the kind's class), drawn
    again when the kind changes; what is set goes into ``chosen`` (dest -> value). Options for a look from one
    reference photo are left out: the page learns from folders of images."""
    kind.change(lambda: {}, None, chosen, show_progress="hidden")

    @gr.render(inputs=kind)
    def draw(kind_name: str | None) -> None:
        options = [o for o in describe(kind_name).options if not o.reference_only] if kind_name else []
        if not options:
            return
        with gr.Row(elem_id="kind-options"):
            for option in options:
                field = _option_field(option)
                field.change(_set(option.dest), [field, chosen], chosen, show_progress="hidden")


def _option_field(option: Any) -> Any:
    """One input for a kind's option: a checkbox for a switch, a number, a text or a list of choices."""
    label, elem_id = f"{option.flag}: {option.help}", f"kind-option-{option.dest.replace('_', '-')}"
    if option.type == "flag":
        return gr.Checkbox(label=label, elem_id=elem_id)
    if option.type in ("int", "float"):
        return gr.Number(value=None, label=label, precision=0 if option.type == "int" else None, elem_id=elem_id)
    if option.type == "choice":
        return gr.Dropdown(choices=list(option.choices), value=None, label=label, elem_id=elem_id)
    return gr.Textbox(label=label, elem_id=elem_id)


def _set(dest: str) -> Callable[[Any, dict], dict]:
    def on_change(value: Any, chosen: dict) -> dict:
        empty = value is None or value is False or value == ""
        return {k: v for k, v in chosen.items() if k != dest} | ({} if empty else {dest: value})

    return on_change


def _wire(page: Page, ui: SimpleNamespace, *, start: Any, stop: Any, resume_cut: Any) -> None:
    """The Learn tab's handlers: start, resume what a killed server cut off, stop, and the 1 s status tick."""
    actions, ok, session = page.actions, page.ok, page.session
    ui.kind.change(kind_text, ui.kind, ui.kind_help)

    @ok
    def on_start(sf, sd, pf, pd_, k, n, st, mi, si, re_, opts, token, request: gr.Request):
        job = actions.start_training(kind=k, name=n, style_files=sf, style_dir=sd, photo_files=pf,
                                     photo_dir=pd_, steps=int(st or 0), minutes=float(mi or 0),
                                     size=int(si or 0), resume=bool(re_), options=opts,
                                     owner=owner_of(token, request))
        gr.Info(f"training {job.snapshot().name} started", duration=4)
        return actions.training_status()

    start.click(on_start, [ui.style_files, ui.style_dir, ui.photo_files, ui.photo_dir, ui.kind, ui.name, ui.steps,
                           ui.minutes, ui.size, ui.resume, ui.kind_options, session], ui.status)

    @ok
    def on_resume_cut(token, request: gr.Request):
        job = actions.resume_interrupted(owner_of(token, request))
        gr.Info(f"training {job.snapshot().name} resumed", duration=4)
        return actions.training_status(), ""

    resume_cut.click(on_resume_cut, session, [ui.status, page.notice])

    @ok
    def on_stop(token, request: gr.Request) -> None:
        gr.Info(actions.stop_training(owner_of(token, request)), duration=4)

    stop.click(on_stop, session, None)
    _live_status(page, ui)


def _live_status(page: Page, ui: SimpleNamespace) -> None:
    """Every second: the status line; the newest sample grid; the loss plot when it has new points (at most
    every 3 s while training runs)."""
    actions = page.actions
    timer = gr.Timer(1.0)
    shown = gr.State({"sample": None, "points": -1, "plotted": 0.0})

    def on_tick(seen: dict, token, request: gr.Request) -> tuple[Any, Any, Any, dict]:
        snap = actions.board.snapshot()
        text = actions.training_status(owner_of(token, request))
        if snap is None:
            return text, gr.skip(), gr.skip(), seen
        new_sample = str(snap.sample_path) if snap.sample_path else None
        img = new_sample if new_sample != seen["sample"] else gr.skip()
        seen = {**seen, "sample": new_sample}
        due = not snap.active or time.monotonic() - seen["plotted"] > 3.0
        plot: Any = gr.skip()
        if len(snap.history) != seen["points"] and due:
            path = actions.loss_plot()
            plot = str(path) if path else gr.skip()
            seen.update(points=len(snap.history), plotted=time.monotonic())
        return text, img, plot, seen

    timer.tick(on_tick, [shown, page.session], [ui.status, ui.sample, ui.losses, shown], show_progress="hidden")
