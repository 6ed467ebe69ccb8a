"""``lookgan train``, ``generate``, ``demo`` and ``ui``: the commands that make looks and images."""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from ..core.catalogue import kinds_help
from ..core.errors import InputError
from ..core.registry import get_method
from ..prior import verdict
from .common import PathArg, TqdmProgress, api, app


class _TrainCommand(click.Command):
    """``train``, whose help lists the installed kinds: described only when the help is shown (that loads the
    kinds, and torch), so every other command starts at once."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.help = (self.help or "").replace("{kinds}", kinds_help())
        super().format_help_text(ctx, formatter)


_TRAIN_HELP = """Learn a look of KIND from the images in STYLE_DIR and write it to --out.

{kinds}

STYLE_DIR may be one photo for kinds that learn from a single reference (lut). Progress, sample grids
(NAME.look/samples/) and a loss plot (NAME.look/loss.png) are written while it trains. Ctrl-C or SIGTERM saves
a checkpoint first; --resume continues exactly where it stopped.
"""


@app.command("train", help=_TRAIN_HELP, cls=_TrainCommand)
@click.argument("kind")
@click.argument("style_dir", type=PathArg, required=False)
@click.option("--out", type=PathArg, required=True, help="The look folder to write, e.g. mylook.look (checkpoints go inside).")
@click.option("--photos", type=PathArg, help="Your own photos (lut, reinhard, ot, cyclegan, cut, fastcut: the photos "
              "the look will restyle).")
@click.option("--pairs", type=PathArg, help="lut: BEFORE images; STYLE_DIR then holds their edited versions, "
              "matched by file name.")
@click.option("--global", "global_lut", is_flag=True, help="lut: learn one fixed LUT instead of an image-adaptive one.")
@click.option("--per-region", is_flag=True, help="lut from ONE reference photo (STYLE_DIR is a file): match person "
              "and background separately (faces extra; measured worse than whole pictures on our portraits).")
@click.option("--from-cube", "--from-xmp", "from_cube", type=PathArg,
              help="lut: make a look from a .cube (3D, 1D or shaper + 3D), a HaldCLUT image or a Lightroom/Camera "
                   "Raw profile .xmp with an RGB table (no training).")
@click.option("--steps", type=int, help="Total training steps [default: from --config, else 2000].")
@click.option("--minutes", type=float, help="Stop after this many minutes (whichever of steps/minutes comes first).")
@click.option("--size", type=int, help="Training image size in pixels (dcgan: 32, 64 or 128 [default: 64]; "
              "translators: crop side, a multiple of 4 [default: 128]).")
@click.option("--batch", type=int, help="Images per step [default: 16; lut 8; translators 1].")
@click.option("--seed", type=int, help="Random seed: same seed and data, same run [default: 0].")
@click.option("--resume", is_flag=True, help="Continue from the newest valid checkpoint in --out.")
@click.option("--overwrite", is_flag=True, help="Replace an existing look in --out instead of refusing.")
@click.option("--device", help="cpu or cuda [default: cpu].")
@click.option("--amp", type=click.Choice(["none", "bf16", "auto"]), help="Precision: bf16 autocast (1.6-1.9x the "
              "steps on a CPU with native bf16; weights, losses and checkpoints stay float32), none (float32) or "
              "auto (bf16 where the CPU or GPU has it natively) [default: the kind's measured choice: README, "
              "Speed].")
@click.option("--config", type=PathArg, help="YAML file with 'method:' and 'train:' sections (see configs/).")
@click.option("--dry-run", is_flag=True, help="Check the inputs, then stop before training.")
def train_cmd(kind: str, style_dir: Path | None, out: Path, photos: Path | None, pairs: Path | None,
              global_lut: bool, per_region: bool, from_cube: Path | None, steps: int | None, minutes: float | None,
              size: int | None,
              batch: int | None, seed: int | None, resume: bool, overwrite: bool, device: str | None,
              amp: str | None, config: Path | None, dry_run: bool) -> None:
    if from_cube is not None:
        path = api.import_lut(from_cube, out=out, overwrite=overwrite, kind=kind)
        click.echo(f"look:        {path}  (from {from_cube}; try: lookgan apply {path} PHOTO --out DIR)")
        return
    if style_dir is None:
        raise InputError("STYLE_DIR is missing: give the folder of images in the look you want to learn")
    if dry_run:
        from ..data.dataset import ImageFolder  # loads torch: only --dry-run needs it here

        get_method(kind)
        folders = [("style images", style_dir)] + [(w, f) for w, f in (("photos", photos), ("before images", pairs))
                                                    if f is not None]
        counts = [f"{len(ImageFolder(f, load_size=32, what=w, progress=False))} readable {w} in {f}" for w, f in folders]
        click.echo(f"ok: {'; '.join(counts)}; {kind} would train into {out}")
        return
    progress = TqdmProgress()
    try:
        result = api.train(kind, style_dir, out=out, photos=photos, pairs=pairs, steps=steps, minutes=minutes,
                           size=size, batch=batch, seed=seed, resume=resume, overwrite=overwrite, device=device,
                           amp=amp, config=config, method_options=({"adaptive": False, "n_luts": 1} if global_lut else {})
                           | ({"per_region": True} if per_region else {}) or None,
                           progress_fn=progress)
    finally:
        progress.close()
    from ..training.distributed import world_from_env  # loads torch (training did already)

    world = world_from_env()
    if world.main:
        _report(result, kind, style_dir, out, world.size)
    if result.stopped == "signal":
        sys.exit(128 + int(result.signal or signal.SIGINT))


def _look_data(look: Path) -> dict[str, Any]:
    """The ``data`` section of a look's look.json, or nothing when there is no (readable) look yet."""
    try:
        return json.loads((Path(look) / "look.json").read_text()).get("data", {})
    except (OSError, ValueError, AttributeError):
        return {}


def _report(result: Any, kind: str, style_dir: Path, out: Path, processes: int) -> None:
    """What a finished run prints (rank 0 only under torchrun)."""
    why = {"done": "finished", "minutes": "time budget reached", "signal": "interrupted", "abort": "stopped"}
    on = f" on {processes} processes" if processes > 1 else ""
    click.echo(f"{why[result.stopped]} at step {result.step} after {result.elapsed_s:.0f} s{on}")
    click.echo(f"look:        {result.look}")
    note = _look_data(result.look).get("colour_prior")
    if note:
        click.echo(f"feed:        {verdict(note)}")
    if result.sample_path:
        click.echo(f"samples:     {result.sample_path}")
    if result.loss_plot:
        click.echo(f"loss plot:   {result.loss_plot}")
    click.echo(f"checkpoint:  {result.checkpoint}")
    if result.stopped in ("signal", "minutes", "abort"):
        click.echo(f"continue with: lookgan train {kind} {style_dir} --out {out} --resume")


@app.command("generate")
@click.argument("look", type=PathArg)
@click.option("-n", "--n", "n", type=int, default=16, show_default=True, help="How many images to write.")
@click.option("--out", type=PathArg, required=True, help="Folder for the images (created if needed).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same look and seed, same images.")
@click.option("--truncation", type=float, help="Redraw latents beyond +-T: lower T, more typical images (e.g. 0.7).")
@click.option("--grid", is_flag=True, help="Also write grid.png, one contact sheet of all images.")
@click.option("--interpolate", type=int, metavar="FRAMES",
              help="Also write a looping walk between random latents with this many frames (interpolation.gif).")
@click.option("--animation", type=click.Choice(["gif", "mp4"]), default="gif", show_default=True,
              help="Format of --interpolate (mp4 needs the video extra).")
@click.option("--nearest", is_flag=True, help="Also write nearest.png: each image beside its nearest training "
              "image, to see that the look makes new images rather than copies.")
@click.option("--style", type=PathArg, help="The training images for --nearest [default: the look's own folder].")
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
def generate_cmd(look: Path, n: int, out: Path, seed: int, truncation: float | None, grid: bool,
                 interpolate: int | None, animation: str, nearest: bool, style: Path | None, device: str) -> None:
    """Generate N new images in the look LOOK (a dcgan or fastgan look).

    Same look, seed and truncation: the same images, on any machine.
    """
    files = api.generate(look, n, out=out, seed=seed, truncation=truncation, grid=grid, interpolate=interpolate,
                         animation=animation, nearest=nearest, style=style, device=device)
    click.echo(f"wrote {n} image(s) to {out}")
    for extra in files[n:]:
        click.echo(f"  {extra}")


@app.command("demo")
@click.option("--out", type=PathArg, default=Path("demo-out"), show_default=True, help="Folder for the demo's looks and pictures.")
@click.option("--kind", type=click.Choice(["lut", "preset", "dcgan"]), default="lut", show_default=True,
              help="lut: learn a film look and compare it with baselines (report.html); preset: learn a filter "
                   "with a gradient, a vignette and film grain beside a global LUT; dcgan: generate faces.")
@click.option("--minutes", type=float,
              help="Training budget in minutes [default: 4 for lut and preset, 3 for dcgan].")
@click.option("--steps", type=int, help="Training steps at most [default: 3000].")
def demo_cmd(out: Path, kind: str, minutes: float | None, steps: int | None) -> None:
    """Run the built-in demo on images shipped with lookgan (no downloads).

    The default learns a film colour grade from 40 bundled photos, scores it against the true grade on 14
    held-out photos beside two classical baselines, exports a .cube and writes OUT/report.html.
    """
    from ..use.demos import DEMOS  # loads torch

    progress = TqdmProgress()
    click.echo(f"lookgan demo: {DEMOS[kind][0]} on {api.torch_device_name()}")
    try:
        res = api.demo(out, kind=kind, minutes=minutes, steps=steps, progress_fn=progress)
    finally:
        progress.close()
    click.echo(f"trained {res['steps']} steps; the demo took {res['elapsed_s']:.0f} s")
    for line in res["summary"]:
        click.echo(line)


@app.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. 0.0.0.0 lets every machine that can reach this one use the app.")
@click.option("--port", type=int, default=7860, show_default=True, help="Port to listen on.")
@click.option("--workdir", type=PathArg, default=Path("~/.lookgan/ui"), show_default=True,
              help="Folder for the app's looks, uploads and results: the only files it serves.")
@click.option("--looks", "looks", type=PathArg, multiple=True,
              help="Also offer the .look folders inside this folder (repeatable).")
@click.option("--auth", metavar="USER:PASS", help="Ask for this user name and password.")
@click.option("--max-upload-mb", type=float, default=200, show_default=True,
              help="Refuse uploads larger than this (each file).")
@click.option("--max-request-mb", type=float, default=2000, show_default=True,
              help="Refuse requests whose files add up to more than this.")
@click.option("--max-photos", type=int, default=500, show_default=True,
              help="Most photos in one request (bigger batches: `lookgan apply` on a folder).")
@click.option("--max-session-mb", type=float, default=5000, show_default=True,
              help="Most each browser may keep on the server (uploads staged and results).")
@click.option("--max-megapixels", type=float, default=None,
              help="Refuse photos with more pixels than this, from their header, before decoding "
                   "[default: 180].")
@click.option("--max-queue", type=int, default=32, show_default=True,
              help="Requests that may wait for their turn; more get \"the app is busy\".")
@click.option("--checkpoint-minutes", type=float, default=5.0, show_default=True,
              help="Training started from the page saves a checkpoint at least this often: the most a killed "
                   "server loses.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
def ui_cmd(host: str, port: int, workdir: Path, looks: tuple[Path, ...], auth: str | None, max_upload_mb: float,
           max_request_mb: float, max_photos: int, max_session_mb: float, max_megapixels: float | None,
           max_queue: int, checkpoint_minutes: float, open_browser: bool) -> None:
    """Serve the web app (needs the ui extra: pip install 'lookgan[ui]').

    Learn a look from uploaded images (training runs in the background with live samples and losses; Stop
    saves a checkpoint, Resume continues), apply it to photos and videos with a before/after slider, generate
    new images, export .cube/HaldCLUT, and read an evaluation report. It listens on this computer only unless
    --host says otherwise, makes no outbound connection, and Ctrl-C stops it (a running training saves first).

    Several people can share it: each browser has its own uploads and results (My results), the looks are
    shared, one look trains at a time, two requests run at once and the others wait in a queue. A server
    that was killed tells the page, when it is back, what it cut off; training resumes from the page.
    """
    from .. import ui  # gradio: the ui extra, only for this command

    pixels = {"max_pixels": int(max_megapixels * 1e6)} if max_megapixels else {}
    limits = ui.Limits(max_upload_mb=max_upload_mb, max_request_mb=max_request_mb, max_files=max_photos,
                    max_session_mb=max_session_mb, **pixels)
    click.echo(f"lookgan ui: work folder {workdir.expanduser()}; Ctrl-C to stop")
    try:
        ui.launch(host, port, workdir=workdir, looks=list(looks), auth=auth, limits=limits, max_queue=max_queue,
                  checkpoint_minutes=checkpoint_minutes, open_browser=open_browser)
    finally:  # stopped and cleaned up: the process exits now, whatever a library's threads think
        ui.exit_guard()
    click.echo("lookgan ui: stopped")
