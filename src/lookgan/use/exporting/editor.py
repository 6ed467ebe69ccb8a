"""What every editor export (Lightroom, RawTherapee, darktable) starts from: the look's colour LUT, its editor
layers (vignette, grain) when its kind has them, and the list of what the editor will not get."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ...core.errors import InputError, LutFileError
from ...kinds.capabilities import ApplyOptions, EditorLayers, HasEditorLayers
from ...kinds.look import Look, as_restyler
from ...ops.color import srgb_to_linear


@dataclass
class EditorLook:
    lut: torch.Tensor
    layers: EditorLayers | None
    missing: list[str] = field(default_factory=list)
    """What the editor's file will not carry (said in the file's notes and in the export report)."""


def editor_look(look: Look, options: ApplyOptions, report: dict[str, Any]) -> EditorLook:
    """The colour LUT (``report`` gets the kind's fidelity figures), the editor layers and what no editor slider
    can carry."""
    restyler = as_restyler(look)
    lut = restyler.as_lut(options, report=report)
    layers = restyler.editor_layers(options) if isinstance(restyler, HasEditorLayers) else None
    missing = list(layers.not_mapped) if layers else ([report["not_in_lut"]] if "not_in_lut" in report else [])
    return EditorLook(lut=lut, layers=layers, missing=missing)


def record_missing(report: dict[str, Any], missing: list[str]) -> None:
    """``report["not_in_lut"]``: what the written files leave out (absent when they carry everything)."""
    if missing:
        report["not_in_lut"] = "; ".join(missing)
    else:
        report.pop("not_in_lut", None)


def grey_linear(value: float) -> float:
    """Linear light of an sRGB grey ``value`` (0..1): editors' vignettes scale linear light."""
    return float(srgb_to_linear(torch.tensor(value, dtype=torch.float64)))


def check_suffix(out: Path, suffix: str, what: str) -> None:
    if out.suffix.lower() != suffix:
        raise InputError(f"--out {out}: {what} ends in {suffix} (e.g. {out.with_suffix(suffix).name})")


def read_text(path: Path, what: str) -> str:
    """A LUT file's text, or a :class:`LutFileError` that names the file and what is wrong with it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LutFileError(f"{path} does not exist; check the path") from None
    except UnicodeDecodeError:
        raise LutFileError(f"{path} is not a text {what} file (it holds binary data)") from None
