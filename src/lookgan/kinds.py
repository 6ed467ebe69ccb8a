"""The look kinds for people choosing one (CLI help, web app): names at once, descriptions from the kinds.

A kind describes itself on its own class (``learns``, ``time_here``, ``needs_photos``, ``generates``), so a
plugin kind is described like a built-in one. Names come from the entry points without importing anything
(:func:`kind_names`: ``lookgan --help`` and the web app's first page stay quick); :func:`describe` and
:func:`catalogue` import the kinds' modules (and torch) and are used once something is shown in detail.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .registry import get_method, list_kinds


@dataclass(frozen=True)
class KindInfo:
    name: str
    learns: str
    """One sentence: what the look captures."""
    needs_photos: bool
    """Trains from the style images *and* your own photos (unpaired)."""
    generates: bool
    """Makes new images instead of restyling photos."""
    time_here: str
    """How long the default training takes on a 2-core CPU (measured; a GPU is much faster)."""


def kind_names() -> list[str]:
    """Every available kind (built-in and plugins), by name; imports no kind."""
    return list_kinds()


def describe(kind: str) -> KindInfo:
    """What ``kind`` learns, read from its class (an :class:`~lookgan.errors.InputError` for unknown kinds)."""
    cls = get_method(kind)
    doc = (cls.__doc__ or "").strip().splitlines()
    return KindInfo(name=kind, learns=cls.learns or (doc[0].rstrip(".") if doc else kind),
                    needs_photos=cls.needs_photos, generates=cls.generates, time_here=cls.time_here or "unknown")


def catalogue() -> list[KindInfo]:
    """:func:`describe` of every kind, by name."""
    return [describe(k) for k in kind_names()]


def kinds_help(width: int = 108) -> str:
    """The kinds as an aligned list (click's ``\\b`` keeps the lines as they are)."""
    lines = ["\b", "Kinds (default training time on a 2-core CPU):"]
    for k in catalogue():
        needs = "needs --photos" if k.needs_photos else "STYLE_DIR only"
        text = f"{k.learns} ({needs}; {k.time_here})"
        lines.extend(textwrap.wrap(text, width=width, initial_indent=f"  {k.name:9s} ", subsequent_indent=" " * 12))
    return "\n".join(lines)
