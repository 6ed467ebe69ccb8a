"""Registry of look kinds: ``@register("dcgan")`` on a method class, ``get_method("dcgan")``, ``list_kinds()``.

A registry instead of file-name magic (timm, stylegan3): a new method is one decorated class, and the CLI's
``train KIND`` choices, ``info`` and look loading all read this one table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .methods.base import Method

_KINDS: dict[str, type["Method"]] = {}
T = TypeVar("T")


def register(kind: str) -> Callable[[T], T]:
    """Class decorator: make a :class:`~lookgan.methods.base.Method` subclass available as ``kind``."""

    def deco(cls: T) -> T:
        if kind in _KINDS and _KINDS[kind] is not cls:
            raise ValueError(f"look kind {kind!r} is registered twice ({_KINDS[kind].__name__}, {cls.__name__})")
        cls.kind = kind  # type: ignore[attr-defined]
        _KINDS[kind] = cls  # type: ignore[assignment]
        return cls

    return deco


def _load_builtin_methods() -> None:
    # Importing the package registers every built-in method; done lazily to keep `import lookgan` light.
    from . import methods  # noqa: F401


def list_kinds() -> list[str]:
    """Names of all registered look kinds, sorted."""
    _load_builtin_methods()
    return sorted(_KINDS)


def get_method(kind: str) -> type["Method"]:
    """The method class registered as ``kind``; an :class:`InputError` listing the known kinds otherwise."""
    _load_builtin_methods()
    try:
        return _KINDS[kind]
    except KeyError:
        raise InputError(f"unknown look kind {kind!r}; choose one of: {', '.join(sorted(_KINDS))}") from None
