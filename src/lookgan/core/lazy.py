"""Lazy public names for packages (PEP 562), so that importing a package does not import torch.

``lookgan`` and ``lookgan.data`` re-export functions from submodules that need torch; loading them on first
use keeps ``lookgan --help`` and ``lookgan ui`` quick to start (torch alone takes about 2 s to import here).
"""
from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, exports: dict[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose names map to the submodule defining them."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(f".{exports[name]}", package), name)
            namespace[name] = value  # later lookups skip this function
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
