"""The one lazy boundary: the front (CLI, web page, kind metadata) reaches the heavy side only through
:mod:`lookgan.api`, loaded here on first use.

Importing torch alone takes about 2 s on these machines; ``lookgan --help``, ``train KIND --help`` and the web
page's first paint need none of it. So the front imports torch-free modules only (this ``core`` layer; a test
checks it) and holds :data:`api`, a stand-in that imports :mod:`lookgan.api` the first time one of its names is
used. ``lookgan.train`` and the other public names of the package root go the same way (PEP 562).
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable

HEAVY = "lookgan.api"


class LazyModule:
    """A module imported the first time one of its names is used (then it is an ordinary attribute read)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<{self._name}, {'loaded' if self._module is not None else 'loaded on first use'}>"


#: :mod:`lookgan.api`, for the front: ``api.apply(...)`` imports the heavy side on first use.
api: Any = LazyModule(HEAVY)


def lazy_exports(names: list[str], namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` (PEP 562) for a package whose public ``names`` live in :mod:`lookgan.api`."""

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(api, name)
            namespace[name] = value  # later lookups skip this function
            return value
        raise AttributeError(f"module {namespace.get('__name__')!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
