"""lookgan's optional extras: which are installed, which import, what each enables, and one way to require one.

A feature that needs an extra calls :func:`require`: a missing extra gets "pip install 'lookgan[X]'", a broken one
(installed, but its import fails: usually a package another extra downgraded) gets the package, the error and
``lookgan info --deps``, never a traceback and never advice that would break something else. ``lookgan info
--deps`` prints :func:`report`: every extra, its packages' versions, whether it imports, ``pip check``'s
conflicts and the features each broken or missing extra turns off.
"""
from __future__ import annotations

import importlib
import importlib.metadata as metadata
import subprocess
import sys
from dataclasses import dataclass
from types import ModuleType

from .errors import InputError

#: extra -> (distribution names, modules to import, what it enables)
EXTRAS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "ui": (("gradio",), ("gradio",), "the web app (lookgan ui)"),
    "onnx": (("onnx", "onnxruntime", "onnxscript"), ("onnx", "onnxruntime", "onnxscript"),
             "export --format onnx, apply --backend onnx"),
    "faces": (("mediapipe",), ("mediapipe",),
              "portrait mode (--person-strength, --protect-skin/faces), eval's face metrics, --per-region"),
    "video": (("av",), ("av",), "video in apply, generate --interpolate ... --animation mp4"),
    "heic": (("pillow-heif",), ("pillow_heif",), "reading HEIC/HEIF photos"),
    "tensorboard": (("tensorboard",), ("tensorboard",), "train --tensorboard"),
}


@dataclass(frozen=True)
class ExtraStatus:
    name: str
    versions: dict[str, str | None]
    """Installed version of each of the extra's distributions (None: not installed)."""
    error: str | None
    """Why importing it failed, when its distributions are installed but an import does not work."""
    enables: str

    @property
    def installed(self) -> bool:
        return all(v is not None for v in self.versions.values())

    @property
    def works(self) -> bool:
        return self.installed and self.error is None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def status(name: str) -> ExtraStatus:
    """Whether extra ``name`` is installed and imports (importing its modules, which may take seconds)."""
    dists, modules, enables = EXTRAS[name]
    versions = {d: _version(d) for d in dists}
    error = None
    if all(v is not None for v in versions.values()):
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception as e:  # a broken install raises ImportError, AttributeError, RuntimeError, ...
                error = f"import {module}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                break
    return ExtraStatus(name=name, versions=versions, error=error, enables=enables)


def require(name: str, module: str | None = None) -> ModuleType:
    """Import ``module`` (default: the extra's first) for a feature that needs extra ``name``; a missing or
    broken extra becomes an :class:`InputError` saying which and what to run."""
    dists, modules, enables = EXTRAS[name]
    module = module or modules[0]
    try:
        return importlib.import_module(module)
    except Exception as e:
        missing = [d for d in dists if _version(d) is None]
        if missing:
            raise InputError(f"{enables} needs the {name} extra: pip install 'lookgan[{name}]'") from None
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f"the {name} extra is installed but broken: import {module} fails ({first}). Another "
                         "package probably changed one it depends on; `lookgan info --deps` lists the conflicts "
                         "and how to repair them") from None


def pip_conflicts() -> list[str]:
    """``pip check``'s lines about broken requirements (empty when the environment is consistent)."""
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [f"pip check could not run ({e})"]
    if out.returncode == 0:
        return []
    return [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]


def report() -> str:
    """``lookgan info --deps``: every extra, its versions and state, pip's conflicts, what to run."""
    lines = ["extra        state       packages"]
    advice = []
    for name in EXTRAS:
        s = status(name)
        packages = ", ".join(f"{d} {v or '-'}" for d, v in s.versions.items())
        state = "ok" if s.works else ("BROKEN" if s.installed else "missing")
        lines.append(f"{name:12s} {state:11s} {packages}")
        if s.error:
            lines.append(f"{'':25s}{s.error}")
            advice.append(f"{name} is broken, so these do not work: {s.enables}. Repair: "
                          f"pip install --force-reinstall 'lookgan[{name}]' (the bounds in lookgan's pyproject keep "
                          "every extra compatible with the others)")
        elif not s.installed:
            advice.append(f"without {name}: {s.enables}  (pip install 'lookgan[{name}]')")
    conflicts = pip_conflicts()
    lines += ["", "pip check: " + ("no conflicts" if not conflicts else "CONFLICTS")]
    lines += [f"  {c}" for c in conflicts]
    return "\n".join(lines + [""] + advice)
