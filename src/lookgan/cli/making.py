"""``lookgan generate``, ``demo`` and ``ui``: the commands that make images and serve the app (``train`` is
:mod:`.train`)."""
from __future__ import annotations

from pathlib import Path

import click

from .common import PathArg, TqdmProgress, api, app


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
    progress = TqdmProgress()
    click.echo(f"lookgan demo: {api.DEMOS[kind][0]} on {api.torch_device_name()}")
    try:
        res = api.demo(out, kind=kind, minutes=minutes, steps=steps, progress_fn=progress)
    finally:
        progress.close()
    steps = f"trained {res['steps']} steps" if res["steps"] else "fitted in one go (no training steps)"
    click.echo(f"{steps}; the demo took {res['elapsed_s']:.0f} s")
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
