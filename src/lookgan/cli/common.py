"""What every ``lookgan`` command shares: the click group, the library imported on first use, progress bars
and warnings. The commands are in :mod:`.making` (train, generate, demo, ui) and :mod:`.using` (apply, export,
eval, info); :mod:`lookgan.cli` is the entry point.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..core.lazy import api

__all__ = ["PathArg", "TqdmProgress", "api", "app", "keep_colour_option", "parse_settings", "show_warning",
           "strength_option"]


def show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    from tqdm.auto import tqdm

    tqdm.write(f"warning: {message}", file=sys.stderr)


class TqdmProgress:
    """Progress bar for training: step, losses, it/s and ETA. When the time budget (``--minutes``) ends the run
    before the step budget, the bar's total is the step the run will reach, so its ETA is the time left (tqdm's
    own would count to the step budget: "24:12" left on a 4-minute run)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, p: Any) -> None:
        from tqdm.auto import tqdm

        if self.bar is None:
            self.bar = tqdm(total=p.total, initial=p.step - 1, desc="training", unit="step", dynamic_ncols=True,
                            mininterval=0.1 if sys.stderr.isatty() else 10.0)  # short logs when not a terminal
        if p.eta_s is not None and p.steps_per_s > 0:
            reached = min(p.total, p.step + round(p.eta_s * p.steps_per_s))
            if reached != self.bar.total:
                self.bar.total = reached
        self.bar.update(p.step - self.bar.n)
        self.bar.set_postfix({k: f"{v:.3f}" for k, v in p.losses.items()}, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


PathArg = click.Path(path_type=Path)

#: ``--strength`` and ``--keep-colour``, declared once for every command that applies a look (apply, export,
#: eval): the meaning is :class:`lookgan.kinds.capabilities.ApplyOptions`'.
strength_option = click.option("--strength", type=float, default=1.0, show_default=True,
                               help="0 = unchanged, 1 = the full look; blends inside the LUT (up to 2 exaggerates).")
keep_colour_option = click.option("--keep-colour", "--keep-color", "keep_colour", is_flag=True,
                                  help="Apply only the look's tone change; keep each pixel's own colour.")


def parse_settings(items: tuple[str, ...]) -> dict[str, float]:
    """``("grain.midtones=0.02", ...)`` -> ``{"grain.midtones": 0.02}``; a usage error names a malformed one."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: write NAME=NUMBER, e.g. grain.midtones=0.02", param_hint="--set")
    return out


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

