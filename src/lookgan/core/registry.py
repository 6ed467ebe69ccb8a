"""Registry of look kinds: each kind is one class, found through the ``lookgan.kinds`` entry-point group.

The built-in kinds are declared in lookgan's own ``pyproject.toml`` exactly as a plugin package declares its own::

    [project.entry-points."lookgan.kinds"]
    lut = "lookgan.kinds.colour.method:LUTGAN"
    mykind = "my_package.kind:MyKind"      # in the plugin's pyproject

so no list of kinds is kept by hand anywhere, and an installed package adds a kind without touching lookgan
(timm's and stylegan3's registries, with Python's plugin convention for the discovery). A kind's module is
imported only when that kind is asked for: ``lookgan --help`` and ``lookgan ui`` start without torch.

:func:`register` adds a class in-process (notebooks, tests) under the same rules.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable, TypeVar

from .errors import InputError

#: A kind's class (a :class:`lookgan.kinds.base.Method` subclass; not imported here, so that the registry
#: loads no kind and no torch).
Method = Any

GROUP = "lookgan.kinds"
_LOADED: dict[str, type[Method]] = {}
_REGISTERED: dict[str, type[Method]] = {}
_WARNED: set[str] = set()
T = TypeVar("T")


def register(kind: str) -> Callable[[T], T]:
    """Class decorator: make a :class:`~lookgan.kinds.base.Method` subclass available as ``kind`` in this
    process (an installed package declares an entry point in the ``lookgan.kinds`` group instead)."""

    def deco(cls: T) -> T:
        known = _REGISTERED.get(kind) or _LOADED.get(kind)
        if known is not None and known is not cls:
            raise ValueError(f"look kind {kind!r} is registered twice ({known.__name__}, {cls.__name__})")
        cls.kind = kind  # type: ignore[attr-defined]
        _REGISTERED[kind] = cls  # type: ignore[assignment]
        return cls

    return deco


def _source_entry_points() -> dict[str, str]:
    """The built-in kinds read from ``pyproject.toml`` beside the source, for a checkout used without being
    installed (``torch.hub.load`` from a clone, ``PYTHONPATH=src``): name -> ``module:Class``."""
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    try:
        import tomllib  # Python 3.11+; on 3.10 a checkout must be installed (pip install -e .) to list its kinds
    except ModuleNotFoundError:
        return {}
    if not pyproject.is_file():
        return {}
    with pyproject.open("rb") as f:
        return dict(tomllib.load(f).get("project", {}).get("entry-points", {}).get(GROUP, {}))


def _entry_points() -> dict[str, str]:
    """Every declared kind: name -> ``module:Class`` (installed packages; this checkout's own when lookgan
    itself is not installed)."""
    from importlib import metadata  # ~20 ms (email parsing): only when kinds are listed, not for `lookgan --help`

    declared: dict[str, str] = {}
    for ep in metadata.entry_points(group=GROUP):
        if declared.get(ep.name, ep.value) != ep.value and ep.name not in _WARNED:
            _WARNED.add(ep.name)
            warnings.warn(f"look kind {ep.name!r} is declared twice ({declared[ep.name]} and {ep.value}); using "
                          f"{declared[ep.name]}: uninstall one of the two packages", stacklevel=3)
        declared.setdefault(ep.name, ep.value)
    try:
        metadata.distribution("lookgan")
    except metadata.PackageNotFoundError:
        declared = {**_source_entry_points(), **declared}
    return declared


def _load(name: str, value: str) -> type[Method]:
    module_name, _, attr = value.partition(":")
    try:
        obj: object = __import__(module_name, fromlist=["_"])
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise InputError(f"look kind {name!r} is declared as {value!r} (entry point group {GROUP}) but cannot be "
                         f"loaded: {e}; reinstall the package that provides it") from e
    cls = obj
    cls.kind = name  # type: ignore[attr-defined]
    return cls  # type: ignore[return-value]


def declared_kinds() -> dict[str, str]:
    """Every kind declared by an installed package (name -> ``module:Class``) and every kind registered in this
    process (name -> ``<registered>``); imports no kind."""
    return {**_entry_points(), **{k: "<registered>" for k in _REGISTERED}}


def list_kinds() -> list[str]:
    """Names of all available look kinds, sorted (no kind module is imported)."""
    return sorted(declared_kinds())


def get_method(kind: str) -> type[Method]:
    """The class of look kind ``kind``; an :class:`InputError` listing the known kinds otherwise."""
    if kind in _REGISTERED:
        return _REGISTERED[kind]
    if kind not in _LOADED:
        declared = _entry_points()
        if kind not in declared:
            raise InputError(f"unknown look kind {kind!r}; choose one of: {', '.join(list_kinds())}")
        _LOADED[kind] = _load(kind, declared[kind])
    return _LOADED[kind]
