"""``lookgan`` command line: each subcommand parses flags, calls one plain function from :mod:`lookgan.api`
and prints. Exit codes: 0 ok, 2 bad input or usage (the message names the file and the fix), 1 anything else,
130/143 when Ctrl-C/SIGTERM stopped training (after saving a checkpoint).

Written with click directly: typer (named in the design notes) now vendors a private copy of click and pulls in
pydantic and rich, and mapping exit codes needs click's exception types, which are a stable public API in click.
"""
from __future__ import annotations

import json
import signal
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import click

from .errors import InputError, LookganError
from .kinds import kinds_help
from .registry import get_method


class _LazyApi:
    """:mod:`lookgan.api`, imported on first use: ``lookgan ui`` and ``--help`` start without paying for torch,
    which only the commands that compute need."""

    def __getattr__(self, name: str) -> Any:
        from . import api as real

        return getattr(real, name)


api: Any = _LazyApi()


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    from tqdm.auto import tqdm

    tqdm.write(f"warning: {message}", file=sys.stderr)


class _TqdmProgress:
    """Progress bar for training: step, losses, it/s and ETA (tqdm works it out)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, p: Any) -> None:
        from tqdm.auto import tqdm

        if self.bar is None:
            self.bar = tqdm(total=p.total, initial=p.step - 1, desc="training", unit="step", dynamic_ncols=True,
                            mininterval=0.1 if sys.stderr.isatty() else 10.0)  # short logs when not a terminal
        self.bar.update(p.step - self.bar.n)
        self.bar.set_postfix({k: f"{v:.3f}" for k, v in p.losses.items()}, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


PathArg = click.Path(path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="lookgan", prog_name="lookgan")
def app() -> None:
    """Learn a visual look from a few photos with GANs, then apply, export and generate in it.

    \b
    Typical use:
      lookgan train lut feed/ --photos mine/ --out grade.look       a colour grade
      lookgan apply grade.look holiday/ --out graded/ --strength 0.8
      lookgan train cut paintings/ --photos mine/ --out paint.look  a texture style
      lookgan train fastgan feed/ --out new.look --minutes 20        new images in the look
      lookgan generate new.look -n 16 --out new/ --grid --nearest
      lookgan eval grade.look --photos held/ --out report.html
    Exit codes: 0 ok, 2 bad input or usage, 1 other error, 130/143 training interrupted (checkpoint saved).
    """


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
@click.option("--from-cube", type=PathArg, help="lut: make a look from a .cube or HaldCLUT file (no training).")
@click.option("--steps", type=int, help="Total training steps [default: from --config, else 2000].")
@click.option("--minutes", type=float, help="Stop after this many minutes (whichever of steps/minutes comes first).")
@click.option("--size", type=int, help="Training image size in pixels (dcgan: 32, 64 or 128 [default: 64]; "
              "translators: crop side, a multiple of 4 [default: 128]).")
@click.option("--batch", type=int, help="Images per step [default: 16; lut 8; translators 1].")
@click.option("--seed", type=int, help="Random seed: same seed and data, same run [default: 0].")
@click.option("--resume", is_flag=True, help="Continue from the newest valid checkpoint in --out.")
@click.option("--overwrite", is_flag=True, help="Replace an existing look in --out instead of refusing.")
@click.option("--device", help="cpu or cuda [default: cpu].")
@click.option("--config", type=PathArg, help="YAML file with 'method:' and 'train:' sections (see configs/).")
@click.option("--dry-run", is_flag=True, help="Check the inputs, then stop before training.")
def train_cmd(kind: str, style_dir: Path | None, out: Path, photos: Path | None, pairs: Path | None,
              global_lut: bool, per_region: bool, from_cube: Path | None, steps: int | None, minutes: float | None,
              size: int | None,
              batch: int | None, seed: int | None, resume: bool, overwrite: bool, device: str | None,
              config: Path | None, dry_run: bool) -> None:
    if from_cube is not None:
        path = api.import_lut(from_cube, out=out, overwrite=overwrite, kind=kind)
        click.echo(f"look:        {path}  (from {from_cube}; try: lookgan apply {path} PHOTO --out DIR)")
        return
    if style_dir is None:
        raise InputError("STYLE_DIR is missing: give the folder of images in the look you want to learn")
    if dry_run:
        from .data.dataset import ImageFolder  # loads torch: only --dry-run needs it here

        get_method(kind)
        folders = [("style images", style_dir)] + [(w, f) for w, f in (("photos", photos), ("before images", pairs))
                                                    if f is not None]
        counts = [f"{len(ImageFolder(f, load_size=32, what=w, progress=False))} readable {w} in {f}" for w, f in folders]
        click.echo(f"ok: {'; '.join(counts)}; {kind} would train into {out}")
        return
    progress = _TqdmProgress()
    try:
        result = api.train(kind, style_dir, out=out, photos=photos, pairs=pairs, steps=steps, minutes=minutes,
                           size=size, batch=batch, seed=seed, resume=resume, overwrite=overwrite, device=device,
                           config=config, method_options=({"adaptive": False, "n_luts": 1} if global_lut else {})
                           | ({"per_region": True} if per_region else {}) or None,
                           progress_fn=progress)
    finally:
        progress.close()
    from .distributed import world_from_env  # loads torch (training did already)

    world = world_from_env()
    if world.main:
        _report(result, kind, style_dir, out, world.size)
    if result.stopped == "signal":
        sys.exit(128 + int(result.signal or signal.SIGINT))


def _report(result: Any, kind: str, style_dir: Path, out: Path, processes: int) -> None:
    """What a finished run prints (rank 0 only under torchrun)."""
    why = {"done": "finished", "minutes": "time budget reached", "signal": "interrupted", "abort": "stopped"}
    on = f" on {processes} processes" if processes > 1 else ""
    click.echo(f"{why[result.stopped]} at step {result.step} after {result.elapsed_s:.0f} s{on}")
    click.echo(f"look:        {result.look}")
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


@app.command("apply")
@click.argument("look", type=PathArg)
@click.argument("inputs", type=PathArg, nargs=-1, required=True)
@click.option("--out", type=PathArg, required=True, help="Folder for the results (same file names).")
@click.option("--strength", type=float, default=1.0, show_default=True,
              help="0 = unchanged, 1 = the full look; blends inside the LUT (up to 2 exaggerates).")
@click.option("--keep-colour", "--keep-color", "keep_colour", is_flag=True,
              help="Apply only the look's tone change; keep each pixel's own colour.")
@click.option("--tile", type=int, default=512, show_default=True,
              help="Translator looks: tile side for large photos (memory grows with its square; no seams).")
@click.option("--backend", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
              help="onnx: run the look's ONNX graph in onnxruntime (LOOK may be an exported .onnx file; whole "
                   "photos in one pass; needs: pip install 'lookgan[onnx]').")
@click.option("--skip-existing/--redo-existing", default=None,
              help="Leave outputs that already exist (restart a big batch) [default: on under torchrun].")
@click.option("--manifest/--no-manifest", default=None,
              help="Write OUT/manifest.json: every input, its output and status [default: on under torchrun].")
@click.option("--person-strength", type=click.FloatRange(0, 1),
              help="Portraits: strength of the look on people (0..1) [default: --strength]; needs the faces extra.")
@click.option("--background-strength", type=click.FloatRange(0, 1),
              help="Portraits: strength of the look on the background (0..1) [default: --strength].")
@click.option("--protect-skin", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Portraits: blend the original skin hue and chroma back by this much (keeps skin natural under "
                   "strong grades; lightness follows the look).")
@click.option("--protect-faces", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Portraits, texture looks: keep face shapes (each face keeps its own detail under the look's "
                   "colours) by this much.")
def apply_cmd(look: Path, inputs: tuple[Path, ...], out: Path, strength: float, keep_colour: bool, tile: int,
              backend: str, skip_existing: bool | None, manifest: bool | None, person_strength: float | None,
              background_strength: float | None, protect_skin: float, protect_faces: float) -> None:
    """Apply LOOK to photos, folders of photos or videos (INPUTS), at full resolution.

    Photos keep their size, format, EXIF and colour profile; videos (mp4, mov, mkv, ...) keep their frame rate
    and audio (needs: pip install 'lookgan[video]'). Colour looks change colours through a LUT (strength and
    keep-colour inside it); translator looks (cyclegan, cut, fastcut) run their generator over the photo in
    tiles that share the whole image's normalisation, so any size works without seams.

    Under `torchrun --nproc_per_node N -m lookgan apply ...` the files are shared out between the N processes.
    """
    from .distributed import world_from_env  # loads torch

    portrait = api.PortraitOptions.from_flags(person_strength, background_strength, protect_skin, protect_faces)
    files = api.apply(look, list(inputs), out=out, strength=strength, keep_colour=keep_colour, tile=tile,
                      portrait=portrait, batch=api.BatchOptions(backend=backend, skip_existing=skip_existing,
                                                                manifest=manifest))
    world = world_from_env()
    if world.main:
        on = f" (this process's share of {world.size})" if world.distributed else ""
        click.echo(f"wrote {len(files)} file(s) to {out}{on}")


@app.command("export")
@click.argument("look", type=PathArg)
@click.option("--format", "fmt", type=click.Choice(["cube", "hald", "onnx"]), default="cube", show_default=True,
              help="cube: .cube text LUT for editors (Resolve, Premiere, Photoshop, ffmpeg lut3d); hald: HaldCLUT "
                   "PNG (ffmpeg haldclut, darktable, RawTherapee); onnx: the whole look as an ONNX model for apps "
                   "(any kind; needs: pip install 'lookgan[onnx]').")
@click.option("--out", type=PathArg, required=True, help="File to write (e.g. look.cube or look.png).")
@click.option("--size", type=int, help="cube: points per axis [default: the look's, 33]; hald: level [default: 6].")
@click.option("--for", "for_image", type=PathArg,
              help="Adaptive looks: export the LUT chosen for this image instead of the average one.")
@click.option("--strength", type=float, default=1.0, show_default=True, help="As in apply.")
@click.option("--keep-colour", "--keep-color", "keep_colour", is_flag=True, help="As in apply.")
def export_cmd(look: Path, fmt: str, out: Path, size: int | None, for_image: Path | None, strength: float,
               keep_colour: bool) -> None:
    """Export LOOK as a .cube or HaldCLUT file that editors and ffmpeg read, or as an ONNX model.

    ONNX: images are float32 NCHW RGB in 0..1 in and out (translators: sides multiples of 4); generator looks
    take z (N, z_dim) standard normal. The model's metadata says which. Translator looks (cyclegan, cut, fastcut) are distilled: a LUT is fitted to what the generator does to the
    colours of its training photos (or --for IMAGE), and the PSNR between generator and LUT says how much of
    the look a LUT can carry.
    """
    report: dict[str, Any] = {}
    path = api.export(look, format=fmt, out=out, size=size, for_image=for_image, strength=strength,
                      keep_colour=keep_colour, report=report)
    if report:
        verdict = ("the look is mostly colour: the LUT carries it" if report["lut_psnr"] >= 30 else
                   "the look is largely texture: the LUT carries only its colour part")
        click.echo(f"distilled over {report['n_photos']} photo(s): LUT vs generator PSNR {report['lut_psnr']:.1f} dB "
                   f"(photo vs generator {report['change_psnr']:.1f} dB); {verdict}")
    hints = {"cube": f"ffmpeg: -vf lut3d={path}", "hald": f"ffmpeg: -i IN -i {path} -lavfi haldclut OUT",
             "onnx": f"try: lookgan apply {path} PHOTO --out DIR --backend onnx"}
    click.echo(f"wrote {path}  ({hints[fmt]})")


def _print_metrics(metrics: dict[str, Any]) -> None:
    from .eval.look_report import METRIC_MEANINGS, format_value  # loads torch

    for key, (label, _) in METRIC_MEANINGS.items():
        if metrics.get(key) is None:
            continue
        before = f"  (before the look: {format_value(metrics[key + '_before'])})" if key + "_before" in metrics else ""
        click.echo(f"  {label:24s} {key:22s} {format_value(metrics[key]):>10s}{before}")
    reasons: dict[str, list[str]] = {}
    for name, why in (metrics.get("skipped") or {}).items():
        reasons.setdefault(why, []).append(name)
    for why, names in reasons.items():
        click.echo(f"  not measured: {', '.join(names)}: {why}")


@app.command("eval")
@click.argument("look", type=PathArg, required=False)
@click.option("--photos", type=PathArg, help="Photos to apply the look to (ideally not used in training).")
@click.option("--style", type=PathArg, help="Images in the look, to compare the results with as a set [default: "
              "the look's training images, when that folder still exists].")
@click.option("--truth", type=PathArg, help="True versions of --photos (matched by file name): adds ΔE2000, "
              "PSNR, SSIM.")
@click.option("--held", type=PathArg, help="Generator looks: real images the generator never saw (the fair "
              "reference for SWD/FID and the copying check).")
@click.option("--sets", nargs=2, type=PathArg, help="Compare two folders A B directly (no look): SWD, colour "
              "distance, FID/KID.")
@click.option("--out", type=PathArg, help="Write the HTML report here (pictures go to <name>_files/ beside it).")
@click.option("--json", "json_path", type=PathArg, help="Also write the metrics as JSON (flat names).")
@click.option("-n", "--generate", "n_generate", type=int, help="Generator looks: images to generate [default: 64].")
@click.option("--size", type=int, default=128, show_default=True, help="Side of the square crops the set metrics "
              "compare.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds SWD directions, KID subsets, latents.")
@click.option("--inception", type=PathArg, help="FID Inception weights (pt_inception-2015-12-05-6726825d.pth) for "
              "FID/KID [default: $LOOKGAN_INCEPTION, then the user cache].")
@click.option("--download-inception", is_flag=True, help="Allow downloading those weights (95 MB, checksum "
              "verified) when they are not found.")
@click.option("--faces/--no-faces", default=None, help="Face metrics (MediaPipe, extra 'faces') [default: where "
              "installed].")
@click.option("--strength", type=float, default=1.0, show_default=True, help="As in apply.")
@click.option("--keep-colour", "--keep-color", "keep_colour", is_flag=True, help="As in apply.")
def eval_cmd(look: Path | None, photos: Path | None, style: Path | None, truth: Path | None, held: Path | None,
             sets: tuple[Path, Path] | None, out: Path | None, json_path: Path | None, n_generate: int | None,
             size: int, seed: int, inception: Path | None, download_inception: bool, faces: bool | None,
             strength: float, keep_colour: bool) -> None:
    """Measure LOOK honestly, with numbers and pictures; or compare two folders with --sets A B.

    \b
    Colour looks:    lookgan eval my.look --photos held/ [--style feed/] [--truth held_graded/] --out report.html
    Generator looks: lookgan eval my.look --style train/ [--held unseen/] --out report.html
    Two folders:     lookgan eval --sets generated/ real/ --json m.json

    \b
    Metrics that need no pretrained weights are always measured: SWD (texture/structure, x1e3), colour
    distance (Lab), content kept (SSIM structure), ΔE2000/PSNR/SSIM against --truth, copying (generators).
    FID/KID need the standard FID Inception weights (--inception); face landmark shift needs the 'faces'
    extra. Whatever is not measured is named, with the reason.
    """
    if sets:
        if look is not None or photos or truth or held or style:
            raise InputError("--sets compares two folders on its own; drop LOOK and --photos/--style/--truth/--held")
        m = api.compare_sets(*sets, json_path=json_path, size=size, seed=seed, inception=inception,
                             download_inception=download_inception)
        click.echo(f"{m['n_images']} vs {m['n_images_b']} image(s), {size}-px crops:")
    else:
        if look is None:
            raise InputError("give a LOOK to evaluate, or --sets A_DIR B_DIR to compare two folders")
        m = api.evaluate(look, photos=photos, style=style, truth=truth, held=held, out=out, json_path=json_path,
                         strength=strength, keep_colour=keep_colour, n_generate=n_generate, size=size, seed=seed,
                         inception=inception, download_inception=download_inception, faces=faces)
        click.echo(f"{m['kind']} look {look}: {m['n_images']} image(s)")
    _print_metrics(m)
    if m.get("report"):
        click.echo(f"report:  {m['report']}")
    if json_path:
        click.echo(f"metrics: {json_path}")


@app.command("info")
@click.argument("look", type=PathArg)
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
def info_cmd(look: Path, as_json: bool) -> None:
    """Show what LOOK is, how it was trained and on what."""
    data = api.info(look)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    d = data["data"]
    click.echo(f"{data['name']}  ({data['kind']})  {data['path']}")
    click.echo(f"  created     {data['created']}")
    if d.get("imported_from"):
        click.echo(f"  imported    from {d['imported_from']} (no training)")
    else:
        click.echo(f"  trained     {data['steps']} steps, batch {data['train'].get('batch')}, "
                   f"seed {data['train'].get('seed')}")
        click.echo(f"  data        {d.get('n_images')} images from {d.get('folder')} ({d.get('n_skipped', 0)} skipped)")
        if d.get("photos"):
            p = d["photos"]
            click.echo(f"  photos      {p.get('n_images')} images from {p.get('folder')}")
    click.echo(f"  parameters  {data['parameters']:,}")
    click.echo(f"  config      {json.dumps(data['config'])}")
    if data["metrics"]:
        click.echo(f"  metrics     {json.dumps(data['metrics'])}")
    click.echo(f"  versions    {', '.join(f'{k} {v}' for k, v in data['versions'].items())}")
    click.echo(f"  checkpoints {', '.join(data['checkpoints']) or 'none'}")


@app.command("demo")
@click.option("--out", type=PathArg, default=Path("demo-out"), show_default=True, help="Folder for the demo's looks and pictures.")
@click.option("--kind", type=click.Choice(["lut", "dcgan"]), default="lut", show_default=True,
              help="lut: learn a film look and compare it with baselines (report.html); dcgan: generate faces.")
@click.option("--minutes", type=float, help="Training budget in minutes [default: 4 for lut, 3 for dcgan].")
@click.option("--steps", type=int, help="Training steps at most [default: 3000].")
def demo_cmd(out: Path, kind: str, minutes: float | None, steps: int | None) -> None:
    """Run the built-in demo on images shipped with lookgan (no downloads).

    The default learns a film colour grade from 40 bundled photos, scores it against the true grade on 14
    held-out photos beside two classical baselines, exports a .cube and writes OUT/report.html.
    """
    from .demos import DEMOS  # loads torch

    progress = _TqdmProgress()
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
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
def ui_cmd(host: str, port: int, workdir: Path, looks: tuple[Path, ...], auth: str | None, max_upload_mb: float,
           open_browser: bool) -> None:
    """Serve the web app (needs the ui extra: pip install 'lookgan[ui]').

    Learn a look from uploaded images (training runs in the background with live samples and losses; Stop
    saves a checkpoint, Resume continues), apply it to photos and videos with a before/after slider, generate
    new images, export .cube/HaldCLUT, and read an evaluation report. It listens on this computer only unless
    --host says otherwise, makes no outbound connection, and Ctrl-C stops it (a running training saves first).
    """
    from . import ui

    click.echo(f"lookgan ui: work folder {workdir.expanduser()}; Ctrl-C to stop")
    ui.launch(host, port, workdir=workdir, looks=list(looks), auth=auth, max_upload_mb=max_upload_mb,
              open_browser=open_browser)


#: CLI command -> the library function it calls, as "module:function" (a test keeps this map and the registered
#: commands in sync, and checks that each function exists).
COMMANDS: dict[str, str] = {"train": "lookgan:train", "apply": "lookgan:apply", "export": "lookgan:export",
                            "eval": "lookgan:evaluate", "generate": "lookgan:generate", "info": "lookgan:info",
                            "demo": "lookgan:demo", "ui": "lookgan.ui:launch"}


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map outcomes to exit codes (0 ok, 2 input/usage, 1 other)."""
    warnings.showwarning = _show_warning
    try:
        rv = app.main(args=argv, prog_name="lookgan", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.UsageError as e:
        e.show()
        return 2
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except LookganError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except Exception:  # a bug: show the traceback so it can be reported
        traceback.print_exc()
        print("error: unexpected failure (above); please report it with the command you ran", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
