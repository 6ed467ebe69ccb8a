"""``lookgan apply``, ``export``, ``eval`` and ``info``: the commands that use a look."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..core import extras
from ..core.errors import InputError
from ..core.options import X264_PRESETS
from .common import PathArg, api, app, keep_colour_option, parse_settings, strength_option


@app.command("apply")
@click.argument("look", type=PathArg)
@click.argument("inputs", type=PathArg, nargs=-1, required=True)
@click.option("--out", type=PathArg, required=True, help="Folder for the results (same file names).")
@strength_option
@keep_colour_option
@click.option("--tile", type=int, default=512, show_default=True,
              help="Translator looks: tile side for large photos (memory grows with its square; no seams).")
@click.option("--backend", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
              help="onnx: run the look's ONNX graph in onnxruntime (LOOK may be an exported .onnx file; whole "
                   "photos in one pass; needs: pip install 'lookgan[onnx]').")
@click.option("--skip-existing/--redo-existing", default=None,
              help="Leave outputs that already exist (restart a big batch) [default: on under torchrun].")
@click.option("--manifest/--no-manifest", default=None,
              help="Write OUT/manifest.json: every input, its output and status [default: on under torchrun].")
@click.option("--video-preset", type=click.Choice(X264_PRESETS), default="medium", show_default=True,
              help="Videos: the H.264 encoder's speed (CRF 18 either way); on a 2-core laptop encoding is most of "
                   "the time, and veryfast makes the whole run about 1.6-1.7x faster.")
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
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Change one of the look's settings for this run (repeatable; `lookgan info LOOK` lists them, "
                   "e.g. --set grain.midtones=0 --set overlay.opacity_out=0.3).")
def apply_cmd(look: Path, inputs: tuple[Path, ...], out: Path, strength: float, keep_colour: bool, tile: int,
              backend: str, skip_existing: bool | None, manifest: bool | None, video_preset: str,
              person_strength: float | None,
              background_strength: float | None, protect_skin: float, protect_faces: float,
              settings: tuple[str, ...]) -> None:
    """Apply LOOK to photos, folders of photos or videos (INPUTS), at full resolution.

    Photos keep their size, format, EXIF and colour profile; videos (mp4, mov, mkv, ...) keep their frame rate
    and audio (needs: pip install 'lookgan[video]'). Colour looks change colours through a LUT (strength and
    keep-colour inside it); translator looks (cyclegan, cut, fastcut) run their generator over the photo in
    tiles that share the whole image's normalisation, so any size works without seams.

    Under `torchrun --nproc_per_node N -m lookgan apply ...` the files are shared out between the N processes.
    """

    portrait = api.PortraitOptions.from_flags(person_strength, background_strength, protect_skin, protect_faces)
    files = api.apply(look, list(inputs), out=out, strength=strength, keep_colour=keep_colour, tile=tile,
                      portrait=portrait, batch=api.BatchOptions(backend=backend, skip_existing=skip_existing,
                                                                manifest=manifest, video_preset=video_preset),
                      settings=parse_settings(settings))
    world = api.world_from_env()
    if world.main:
        on = f" (this process's share of {world.size})" if world.distributed else ""
        click.echo(f"wrote {len(files)} file(s) to {out}{on}")


@app.command("export")
@click.argument("look", type=PathArg)
@click.option("--format", "fmt", type=click.Choice(["cube", "hald", "ffmpeg", "xmp", "pp3", "dtstyle", "onnx", "all"]),
              default="cube",
              show_default=True,
              help="cube: .cube text LUT for editors (Resolve, Premiere, Photoshop, ffmpeg lut3d); hald: HaldCLUT "
                   "PNG (ffmpeg haldclut, darktable, RawTherapee); ffmpeg: a filter script plus its .cube that "
                   "applies the whole look in ffmpeg (a preset's vignette and grain too); xmp: a zip with a "
                   "Lightroom/Camera Raw profile (the colour) and preset (vignette, grain); pp3: a RawTherapee "
                   "profile (Film Simulation HaldCLUT + vignette); dtstyle: a darktable style (lut3d + vignette + "
                   "grain); all: every format into the folder OUT with a "
                   "README.txt naming each file's program; onnx: the whole look as "
                   "an ONNX model for apps (any kind; needs: pip install 'lookgan[onnx]').")
@click.option("--out", type=PathArg, required=True,
              help="File to write (look.cube, look.png, look.ffmpeg, look.zip for xmp, look.pp3, look.dtstyle, "
                   "look.onnx), "
                   "or a folder for --format all.")
@click.option("--size", type=int, help="cube: points per axis [default: the look's, 33]; hald: level [default: 6].")
@click.option("--for", "for_image", type=PathArg,
              help="Adaptive looks: export the LUT chosen for this image instead of the average one.")
@strength_option
@keep_colour_option
def export_cmd(look: Path, fmt: str, out: Path, size: int | None, for_image: Path | None, strength: float,
               keep_colour: bool) -> None:
    """Export LOOK as a .cube or HaldCLUT file that editors and ffmpeg read, an ffmpeg filter script, or an ONNX
    model.

    ffmpeg: OUT is a filter script and OUT.cube its colour LUT (named in the script by absolute path: keep them
    together). A preset look's vignette/gradient overlay and film grain are in the script (grain changes every
    video frame); in a .cube or HaldCLUT only its colour part is.

    ONNX: images are float32 NCHW RGB in 0..1 in and out (translators: sides multiples of 4); generator looks
    take z (N, z_dim) standard normal. The model's metadata says which. Translator looks (cyclegan, cut, fastcut) are distilled: a LUT is fitted to what the generator does to the
    colours of its training photos (or --for IMAGE), and the PSNR between generator and LUT says how much of
    the look a LUT can carry.
    """
    report: dict[str, Any] = {}
    path = api.export(look, format=fmt, out=out, size=size, for_image=for_image, strength=strength,
                      keep_colour=keep_colour, report=report)
    if "lut_psnr" in report:
        verdict = ("the look is mostly colour: the LUT carries it" if report["lut_psnr"] >= 30 else
                   "the look is largely texture: the LUT carries only its colour part")
        click.echo(f"distilled over {report['n_photos']} photo(s): LUT vs generator PSNR {report['lut_psnr']:.1f} dB "
                   f"(photo vs generator {report['change_psnr']:.1f} dB); {verdict}")
    if "resampled" in report:
        click.echo(f"note: the colour table was {report['resampled']}")
    if "approximated" in report:
        click.echo(f"note: {report['approximated']} (within 1.4 ΔE2000 on our benchmark film look)")
    if "not_in_lut" in report:
        carriers = "--format onnx carries" if fmt == "ffmpeg" else "--format ffmpeg or onnx carry"
        click.echo(f"note: {report['not_in_lut']} are not in a {fmt} file; {carriers} them")
    hints = {"cube": f"ffmpeg: -vf lut3d={path}", "hald": f"ffmpeg: -i IN -i {path} -lavfi haldclut OUT",
             "ffmpeg": f"with {report.get('lut')}; run: ffmpeg -i IN -filter_complex_script {path} OUT "
                       f"(ffmpeg 7.1+: -/filter_complex {path})",
             "xmp": "Lightroom: File > Import Profiles & Presets; see README.txt inside",
             "pp3": f"RawTherapee: load it as a processing profile; rawtherapee-cli -p {path} -c PHOTO",
             "dtstyle": f"darktable: lighttable > styles > import {path}; put {path.with_suffix('.cube').name} "
                        "in darktable's 3D lut root folder",
             "all": f"see {path}/README.txt",
             "onnx": f"try: lookgan apply {path} PHOTO --out DIR --backend onnx"}
    click.echo(f"wrote {path}  ({hints[fmt]})")


def _print_metrics(metrics: dict[str, Any]) -> None:

    for key, (label, _) in api.METRIC_MEANINGS.items():
        if metrics.get(key) is None:
            continue
        before = f"  (before the look: {api.format_value(metrics[key + '_before'])})" if key + "_before" in metrics else ""
        click.echo(f"  {label:24s} {key:22s} {api.format_value(metrics[key]):>10s}{before}")
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
@strength_option
@keep_colour_option
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
@click.argument("look", type=PathArg, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
@click.option("--deps", is_flag=True,
              help="Instead: list lookgan's optional extras (ui, onnx, faces, video, heic, tensorboard), their "
                   "versions, whether each imports, pip's conflicts, and what a missing or broken one turns off.")
def info_cmd(look: Path | None, as_json: bool, deps: bool) -> None:
    """Show what LOOK is, how it was trained and on what (or, with --deps, what this installation can do)."""
    if deps:
        click.echo(extras.report())  # imports every installed extra: only when asked
        return
    if look is None:
        raise click.UsageError("give a LOOK folder (or --deps)")
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
        if d.get("colour_prior"):
            click.echo(f"  feed        {api.verdict(d['colour_prior'])}")
        if d.get("colour_stage"):
            click.echo(f"  colour      {d['colour_stage']['why']}")
    click.echo(f"  parameters  {data['parameters']:,}")
    click.echo(f"  config      {json.dumps(data['config'])}")
    if data["metrics"]:
        click.echo(f"  metrics     {json.dumps(data['metrics'])}")
    click.echo(f"  versions    {', '.join(f'{k} {v}' for k, v in data['versions'].items())}")
    click.echo(f"  checkpoints {', '.join(data['checkpoints']) or 'none'}")
    if data["settings"]:
        click.echo("  settings    (change with: lookgan apply --set NAME=VALUE, or save with lookgan adjust)")
        expert = set(data.get("expert_layers", ()))
        shown = False
        for name, (value, low, high) in data["settings"].items():
            if name.split(".", 1)[0] in expert and not shown:
                click.echo("    advanced: the learnt parameters themselves")
                shown = True
            click.echo(f"    {name:24s} {value:9.4f}   [{low:g} .. {high:g}]")


@app.command("adjust")
@click.argument("look", type=PathArg)
@click.option("--set", "settings", multiple=True, required=True, metavar="NAME=VALUE",
              help="A setting to change (repeatable); `lookgan info LOOK` lists them with their ranges.")
@click.option("--out", type=PathArg, required=True, help="The new look folder (e.g. softer.look).")
@click.option("--overwrite", is_flag=True, help="Replace an existing look in --out.")
def adjust_cmd(look: Path, settings: tuple[str, ...], out: Path, overwrite: bool) -> None:
    """Save LOOK with some of its settings changed as a new look (the original stays as it is)."""
    path = api.adjust(look, parse_settings(settings), out=out, overwrite=overwrite)
    click.echo(f"look:        {path}  (try: lookgan info {path})")
