"""A self-contained HTML report: sections of text, tables and pictures, written next to its images.

Kept deliberately plain (no scripts, no external assets) so it opens anywhere, offline, and can be attached
to an issue. Image paths are stored relative to the report.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ...core.io import atomic_write_bytes

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}tr.best td{font-weight:bold}
figure{display:inline-block;margin:.4em;vertical-align:top;text-align:center}figure img{max-width:100%}
figcaption{font-size:.85em;color:#555}.row{display:flex;gap:.5em;flex-wrap:wrap}.row figure{flex:1;min-width:150px}
.note{color:#555;font-size:.9em}
"""


@dataclass
class Section:
    """One titled part of a report: paragraphs, then a table, then rows of captioned pictures."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: tuple[Sequence[str], Sequence[Sequence[object]]] | None = None
    """(header, rows); a row whose first cell starts with '*' is highlighted (the '*' is dropped)."""
    figure_rows: list[list[tuple[Path, str]]] = field(default_factory=list)
    """Rows of (image path, caption)."""


def _cell(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        first = str(row[0])
        best = first.startswith("*")
        cells = [first[1:] if best else first, *row[1:]]
        out.append(f"<tr{' class=best' if best else ''}>" + "".join(f"<td>{_cell(c)}</td>" for c in cells) + "</tr>")
    return "".join(out) + "</table>"


def write_report(path: str | Path, title: str, sections: Sequence[Section], *, intro: str = "") -> Path:
    """Write ``sections`` as one HTML page at ``path`` (atomically); returns the path."""
    path = Path(path)
    parts = [f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    if intro:
        parts.append(f"<p>{html.escape(intro)}</p>")
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        if s.table is not None:
            parts.append(_table(*s.table))
        for row in s.figure_rows:
            figs = []
            for img, caption in row:
                rel = os.path.relpath(Path(img).resolve(), path.parent.resolve())
                figs.append(f"<figure><img src=\"{html.escape(Path(rel).as_posix())}\" loading=lazy>"
                            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
            parts.append(f"<div class=row>{''.join(figs)}</div>")
    parts.append("<p class=note>Made by lookgan.</p></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, "\n".join(parts).encode("utf-8"))
    return path
