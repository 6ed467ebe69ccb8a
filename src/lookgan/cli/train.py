"""``lookgan train KIND``: one command per kind, built from what the kind declares.

The options every kind shares are declared once here (:func:`shared_options`); a kind adds its own on its class
(:attr:`lookgan.kinds.base.Method.options`, see :mod:`lookgan.core.options`), so ``lookgan train lut --help``
shows lut's, and a plugin kind gets flags without touching lookgan. Everything comes from the kinds' catalogue
(:mod:`lookgan.core.catalogue`, cached), so help and usage errors stay instant; torch loads when training starts.
"""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from ..core.catalogue import KindInfo, describe, kind_names, kinds_help
from ..core.errors import InputError
from ..core.options import KindOption, options_values
from .common import PathArg, TqdmProgress, api, app

_RUN_HELP = """Progress, sample grids (NAME.look/samples/) and a loss plot (NAME.look/loss.png) are written while
it trains. Ctrl-C or SIGTERM saves a checkpoint first; --resume continues exactly where it stopped."""

_TRAIN_HELP = f"""Learn a look of KIND from the images in STYLE_DIR and write it to --out.

STYLE_DIR may be one photo for kinds that learn from a single reference (lut). {_RUN_HELP} `lookgan train KIND
--help` lists that kind's own options.
"""


class _KindsGroup(click.Group):
    """``train``: its subcommands are the installed kinds (names from the entry points, options from the
    catalogue), built when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return kind_names()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in kind_names():
            raise click.UsageError(f"unknown look kind {name!r}; choose one of: {', '.join(kind_names())}")
        return kind_command(describe(name))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        formatter.write(kinds_help().replace("\b\n", "") + "\n")


@app.group("train", cls=_KindsGroup, help=_TRAIN_HELP, subcommand_metavar="KIND STYLE_DIR --out NAME.look ...")
def train_cmd() -> None:
    pass


def shared_options(info: KindInfo) -> list[click.Parameter]:
    """The ``train`` options every kind has. ``--photos``, ``--pairs``, ``--from-cube`` and ``--size`` are
    hidden from the help of kinds that cannot use them (and refused with the reason if given)."""
    size_default = f"[default: {info.size}]" if info.size else "(this kind has no size to set)"
    return [
        click.Argument(["style_dir"], type=PathArg, required=False),
        click.Option(["--out"], type=PathArg, required=True,
                     help="The look folder to write, e.g. mylook.look (checkpoints go inside)."),
        click.Option(["--photos"], type=PathArg, hidden=not info.needs_photos,
                     help="Your own photos: the photos the look will restyle (unpaired)."),
        click.Option(["--pairs"], type=PathArg, hidden=not info.accepts_pairs,
                     help="BEFORE images; STYLE_DIR then holds their edited versions, matched by file name."),
        click.Option(["--from-cube", "--from-xmp", "from_cube"], type=PathArg, hidden=not info.imports_luts,
                     help="Make a look from a .cube (3D, 1D or shaper + 3D), a HaldCLUT image or a Lightroom/Camera "
                          "Raw profile .xmp with an RGB table (no training)."),
        click.Option(["--steps"], type=int, help="Total training steps [default: from --config, else 2000]."),
        click.Option(["--minutes"], type=float,
                     help="Stop after this many minutes (whichever of steps/minutes comes first)."),
        click.Option(["--size"], type=int, hidden=info.size is None,
                     help=f"Training image size in pixels {size_default}."),
        click.Option(["--batch"], type=int, help="Images per step [default: the kind's, e.g. 16; lut 8; "
                                                 "translators 1]."),
        click.Option(["--seed"], type=int, help="Random seed: same seed and data, same run [default: 0]."),
        click.Option(["--resume"], is_flag=True, help="Continue from the newest valid checkpoint in --out."),
        click.Option(["--overwrite"], is_flag=True, help="Replace an existing look in --out instead of refusing."),
        click.Option(["--device"], help="cpu or cuda [default: cpu]."),
        click.Option(["--amp"], type=click.Choice(["none", "bf16", "auto"]),
                     help="Precision: bf16 autocast (1.6-1.9x the steps on a CPU with native bf16; weights, losses "
                          "and checkpoints stay float32), none (float32) or auto (bf16 where the CPU or GPU has it "
                          "natively) [default: the kind's measured choice: docs, Speed]."),
        click.Option(["--config"], type=PathArg, help="YAML file with 'method:' and 'train:' sections (see configs/)."),
        click.Option(["--dry-run"], is_flag=True, help="Check the inputs, then stop before training."),
    ]


def _kind_option(option: KindOption) -> click.Option:
    types = {"int": int, "float": float, "str": str, "choice": click.Choice(list(option.choices))}
    if option.type == "flag":
        return click.Option([option.flag, option.dest], is_flag=True, help=option.help)
    return click.Option([option.flag, option.dest], type=types[option.type], help=option.help)


def kind_command(info: KindInfo) -> click.Command:
    """``lookgan train KIND``: STYLE_DIR and --out, the kind's own options, then those every kind shares."""
    own = [_kind_option(o) for o in info.options]
    common = shared_options(info)
    clash = [o.flag for o, p in zip(info.options, own) if p.name in {c.name for c in common}]
    if clash:
        raise InputError(f"look kind {info.name!r} declares {', '.join(clash)}, which every kind has already; "
                         "rename it in the kind's options")

    def callback(**values: Any) -> None:
        given = {o.dest: values.pop(o.dest) for o in info.options}
        _train(info.name, method_options=options_values(info.options, given), **values)

    return click.Command(info.name, params=[*common[:2], *own, *common[2:]], callback=callback,
                         help=_kind_help(info), short_help=info.learns)


def _kind_help(info: KindInfo) -> str:
    inputs = ["the images in STYLE_DIR"]
    if info.needs_photos:
        inputs.append("your own photos in --photos (unpaired)")
    if info.accepts_pairs:
        inputs[-1] += " or the before images in --pairs"
    lines = [f"{info.learns[:1].upper()}{info.learns[1:]} (default training: {info.time_here} on a 2-core CPU).",
             f"Learns a {info.name} look from {' and '.join(inputs)}, and writes it to --out."
             + (" STYLE_DIR may be ONE reference photo instead." if info.from_one_photo else "")
             + (" --from-cube makes one from a LUT file instead." if info.imports_luts else ""),
             _RUN_HELP]
    if info.options:
        lines.append(f"This kind's own options: {', '.join(o.flag for o in info.options)} (listed after --out).")
    return "\n\n".join(lines)


def _train(kind: str, *, style_dir: Path | None, out: Path, photos: Path | None, pairs: Path | None,
           from_cube: Path | None, steps: int | None, minutes: float | None, size: int | None, batch: int | None,
           seed: int | None, resume: bool, overwrite: bool, device: str | None, amp: str | None,
           config: Path | None, dry_run: bool, method_options: dict[str, Any]) -> None:
    if from_cube is not None:
        path = api.import_lut(from_cube, out=out, overwrite=overwrite, kind=kind)
        click.echo(f"look:        {path}  (from {from_cube}; try: lookgan apply {path} PHOTO --out DIR)")
        return
    if style_dir is None:
        raise InputError("STYLE_DIR is missing: give the folder of images in the look you want to learn")
    if dry_run:
        folders = [("style images", style_dir)] + [(w, f) for w, f in (("photos", photos), ("before images", pairs))
                                                    if f is not None]
        counts = [f"{api.count_images(f, what=w)} readable {w} in {f}" for w, f in folders]
        click.echo(f"ok: {'; '.join(counts)}; {kind} would train into {out}")
        return
    progress = TqdmProgress()
    try:
        result = api.train(kind, style_dir, out=out, photos=photos, pairs=pairs, steps=steps, minutes=minutes,
                           size=size, batch=batch, seed=seed, resume=resume, overwrite=overwrite, device=device,
                           amp=amp, config=config, method_options=method_options or None, progress_fn=progress)
    finally:
        progress.close()
    world = api.world_from_env()
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
    if result.step == 0 and result.checkpoint is None:  # fitted in one go (a baseline, or lut without its GAN)
        click.echo(f"fitted in {result.elapsed_s:.0f} s{on} (no training steps)")
    else:
        click.echo(f"{why[result.stopped]} at step {result.step} after {result.elapsed_s:.0f} s{on}")
    click.echo(f"look:        {result.look}")
    data = _look_data(result.look)
    if data.get("colour_prior"):
        click.echo(f"feed:        {api.verdict(data['colour_prior'])}")
    if data.get("colour_stage"):
        click.echo(f"colour:      {data['colour_stage']['why']}")
    if result.sample_path:
        click.echo(f"samples:     {result.sample_path}")
    if result.loss_plot:
        click.echo(f"loss plot:   {result.loss_plot}")
    click.echo(f"checkpoint:  {result.checkpoint}")
    if result.stopped in ("signal", "minutes", "abort"):
        click.echo(f"continue with: lookgan train {kind} {style_dir} --out {out} --resume")
