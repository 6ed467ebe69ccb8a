"""Looks as ffmpeg filter scripts (``lookgan export --format ffmpeg``): a ``.cube`` beside a filter graph that
applies the whole look where the kind can say how (:class:`~lookgan.kinds.capabilities.FfmpegFilters`: a preset's
overlay and grain), else its LUT alone.

Use: ``ffmpeg -i IN -filter_complex_script LOOK.ffmpeg OUT`` (ffmpeg 7.1 and later: ``-/filter_complex LOOK.ffmpeg``).
The script names its .cube by absolute path, because ffmpeg opens it relative to where ffmpeg runs; keep them
together and export again if you move them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ...core.errors import InputError
from ...core.io import atomic_write_bytes
from ...kinds.capabilities import ApplyOptions, FfmpegFilters
from ...kinds.look import Look, as_restyler
from .cube import write_cube


def lut3d_filter(path: str | Path) -> str:
    """The ``lut3d`` filter for the .cube at ``path``, quoted for a filter graph (two levels of ffmpeg escaping:
    the graph strips the quotes, the filter's options then need ``:`` and ``\\`` escaped)."""
    text = str(Path(path).resolve())
    if "'" in text:
        raise InputError(f"{text}: ffmpeg filter scripts cannot name a file whose path holds a quote (')"
                         "; export to a folder without one")
    text = text.replace("\\", "\\\\").replace(":", "\\:")
    return f"lut3d=file='{text}':interp=trilinear"


def export_ffmpeg(look: Look, out: str | Path, *, options: ApplyOptions = ApplyOptions(),
                  report: dict[str, Any] | None = None) -> Path:
    """Write ``out`` (the filter script) and ``out`` with suffix ``.cube`` (its colour LUT); return the script.
    ``report`` receives ``lut`` (the .cube's path) and, when ffmpeg gets only the colour, ``not_in_lut``."""
    out = Path(out)
    if out.suffix.lower() == ".cube":
        raise InputError(f"--out {out}: give the filter script a name of its own (e.g. {out.stem}.ffmpeg); "
                         "the .cube is written beside it")
    runtime = as_restyler(look)
    report = {} if report is None else report
    lut = runtime.as_lut(options, report=report)
    out.parent.mkdir(parents=True, exist_ok=True)
    cube = write_cube(lut, out.with_suffix(".cube"), title=look.path.stem)
    lut3d = lut3d_filter(cube)
    if isinstance(runtime, FfmpegFilters):
        report.pop("not_in_lut", None)  # ffmpeg gets all of it, unless the graph says otherwise
        graph = runtime.ffmpeg_filters(options, lut3d=lut3d, report=report)
    else:
        graph = lut3d
    atomic_write_bytes(out, (graph + "\n").encode())
    report["lut"] = str(cube)
    return out
