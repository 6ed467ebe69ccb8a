"""The look kinds for people choosing one (CLI help, web app): names at once, descriptions from the kinds.

A kind describes itself on its own class (``learns``, ``time_here``, ``needs_photos``, ``generates``, its own
command-line ``options``), so a plugin kind is described like a built-in one. Names come from the entry points
without importing anything (:func:`kind_names`). Descriptions need the kinds' classes, and importing them means
importing torch (~1.5 s), so :func:`catalogue` keeps what it read in a small cache file (``kinds.json`` in
:func:`lookgan.core.io.cache_dir`) keyed by the declared kinds, the modification times of their source folders
and the shape of :class:`KindInfo`: ``lookgan train --help``, ``train KIND --help`` and the web app's kind list
stay instant, and a changed or newly installed kind is read again.
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import asdict, dataclass, fields, is_dataclass
from importlib.machinery import PathFinder
from pathlib import Path

from .io import atomic_write_json, cache_dir
from .options import KindOption
from .registry import declared_kinds, get_method, list_kinds

#: The kinds' base class (read for its modification time only: importing it loads torch).
_BASE = Path(__file__).resolve().parents[1] / "kinds" / "base.py"


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
    accepts_pairs: bool = False
    """Can learn from before/after pairs (``--pairs``)."""
    from_one_photo: bool = False
    """Can make a look from ONE reference photo (STYLE_DIR a file)."""
    imports_luts: bool = False
    """Can hold a LUT file as a look (``--from-cube``)."""
    size: int | None = None
    """Default training image size (``--size``), None when the kind has no size to set."""
    options: tuple[KindOption, ...] = ()
    """The kind's own ``train`` options."""

    def to_dict(self) -> dict:
        return {**asdict(self), "options": [o.to_dict() for o in self.options]}

    @classmethod
    def from_dict(cls, data: dict) -> "KindInfo":
        return cls(**{**data, "options": tuple(KindOption.from_dict(o) for o in data.get("options", ()))})


def kind_names() -> list[str]:
    """Every available kind (built-in and plugins), by name; imports no kind."""
    return list_kinds()


def _overrides(cls: type, name: str) -> bool:
    """Whether a kind's class implements ``name`` itself rather than keeping the base class's refusal."""
    return any(name in c.__dict__ for c in cls.__mro__ if c.__module__ != "lookgan.kinds.base")


def _read(kind: str) -> KindInfo:
    cls = get_method(kind)
    doc = (cls.__doc__ or "").strip().splitlines()
    config = getattr(cls, "Config", None)
    size = next((f.default for f in fields(config) if f.name == "size"), None) if is_dataclass(config) else None
    return KindInfo(name=kind, learns=cls.learns or (doc[0].rstrip(".") if doc else kind),
                    needs_photos=cls.needs_photos, generates=cls.generates, time_here=cls.time_here or "unknown",
                    accepts_pairs=cls.accepts_pairs, from_one_photo=_overrides(cls, "fit_reference"),
                    imports_luts=_overrides(cls, "from_lut"),
                    size=size if isinstance(size, int) else None, options=tuple(cls.options))


def _source_folder(value: str) -> Path | None:
    """The folder holding the module of ``module:Class``, found without importing the module or its packages."""
    path = None
    parts = value.partition(":")[0].split(".")
    for i, part in enumerate(parts):
        spec = PathFinder.find_spec(part, path)
        if spec is None:
            return None
        if i == len(parts) - 1:
            return Path(spec.origin).parent if spec.origin else None
        path = list(spec.submodule_search_locations or [])
    return None


def _fingerprint(declared: dict[str, str]) -> str | None:
    """What the cached descriptions depend on: the fields of :class:`KindInfo`, the base class every kind
    inherits its defaults from, and every declared kind with the newest source file beside it (a kind's class
    may inherit from its neighbours). None when a kind's source cannot be located (then nothing is cached)."""
    base = _BASE.stat().st_mtime_ns if _BASE.is_file() else 0
    parts = [",".join(f.name for f in fields(KindInfo)) + f"@{base}"]
    for name, value in sorted(declared.items()):
        folder = _source_folder(value) if value != "<registered>" else None
        if folder is None:
            return None
        newest = max((p.stat().st_mtime_ns for p in folder.glob("*.py")), default=0)
        parts.append(f"{name}={value}@{newest}")
    return "|".join(parts)


def catalogue() -> list[KindInfo]:
    """:func:`describe` of every kind, by name (from the cache when the kinds have not changed)."""
    declared = declared_kinds()
    key = _fingerprint(declared)
    cache = cache_dir() / "kinds.json"
    if key is not None:
        try:
            saved = json.loads(cache.read_text(encoding="utf-8"))
            if saved.get("fingerprint") == key:
                return [KindInfo.from_dict(k) for k in saved["kinds"]]
        except (OSError, ValueError, TypeError, KeyError):
            pass  # no cache yet, or one from another version: read the kinds
    infos = [_read(k) for k in sorted(declared)]
    if key is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(cache, {"fingerprint": key, "kinds": [i.to_dict() for i in infos]})
        except OSError:
            pass  # a read-only home: descriptions are read each time, nothing else changes
    return infos


def describe(kind: str) -> KindInfo:
    """What ``kind`` learns (an :class:`~lookgan.core.errors.InputError` listing the known kinds for unknown ones)."""
    for info in catalogue():
        if info.name == kind:
            return info
    return _read(kind)  # raises the unknown-kind error


def kinds_help(width: int = 108) -> str:
    """The kinds as an aligned list (click's ``\\b`` keeps the lines as they are)."""
    lines = ["\b", "Kinds (default training time on a 2-core CPU):"]
    for k in catalogue():
        needs = "needs --photos" if k.needs_photos else "STYLE_DIR only"
        text = f"{k.learns} ({needs}; {k.time_here})"
        lines.extend(textwrap.wrap(text, width=width, initial_indent=f"  {k.name:9s} ", subsequent_indent=" " * 12))
    return "\n".join(lines)
