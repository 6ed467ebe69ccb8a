"""The package's shape, checked from its source with ``ast``: folders form named layers and import only
downward, no import cycles between modules or between folders (imports inside functions counted), a kind's
folder is imported only by itself (the rest goes through the registry and the capabilities), every import left
inside a function says why, kinds are never told apart by name or class outside their own folders, and no file
grows past what one reader holds in mind."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "lookgan"
MAX_LINES = 400

#: The layers, bottom first: a folder imports only folders of its own layer or below. ``core`` is torch-free (the
#: front of the one lazy boundary); ``kinds`` holds the contract (base, capabilities, look) and one folder per
#: family; the use side works through that contract; ``api`` is where the heavy side is imported; the front ends
#: sit on top. Root modules ``__init__``/``__main__`` name nothing heavy (``__init__`` maps names lazily).
LAYERS = (("core",), ("data", "ops", "losses", "prior"), ("kinds",), ("training",), ("use",), ("api",),
          ("cli", "ui"), ("__init__", "__main__"))
KINDS = SRC / PACKAGE / "kinds"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _resolve(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def _internal_imports(module: str, path: Path, mods: dict[str, Path]) -> list[tuple[ast.AST, set[str], bool]]:
    """(node, imported package modules, inside a function?) for every import of the package's own modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        targets = [t for t in targets if t == PACKAGE or t.startswith(PACKAGE + ".")]
        hit = {_resolve(t, mods) for t in targets} - {None, module}
        hit = {h for h in hit if not (h == PACKAGE and len(hit) > 1)}
        if not hit:
            continue
        p, in_function = parents.get(node), False
        while p is not None and not in_function:
            in_function = isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))
            p = parents.get(p)
        found.append((node, hit, in_function))  # type: ignore[arg-type]
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_counting_imports_inside_functions():
    mods = _modules()
    edges = {m: set().union(*[hit for _, hit, _ in _internal_imports(m, p, mods)] or [set()]) for m, p in mods.items()}
    assert _cycles(edges) == []


def _folder(module: str) -> str:
    """``lookgan.use.eval.content`` -> ``eval``; a module at the package root is a unit of its own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_folder_imports_a_folder_that_imports_it_back():
    """Folders form layers (eval may use exporting, never the other way round too): a cycle between two
    folders, even through different modules, means one of them holds something that belongs lower down."""
    mods = _modules()
    edges: dict[str, set[str]] = {}
    for m, p in mods.items():
        for _, hit, _ in _internal_imports(m, p, mods):
            edges.setdefault(_folder(m), set()).update(_folder(h) for h in hit if _folder(h) != _folder(m))
    assert _cycles(edges) == []


def test_folders_import_only_their_own_layer_or_below():
    rank = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}
    mods = _modules()
    unknown = {_folder(m) for m in mods} - set(rank) - {PACKAGE}
    assert not unknown, f"give these folders a layer in LAYERS: {sorted(unknown)}"
    upward = [f"{mods[m].relative_to(SRC)}:{node.lineno} -> {h}"  # type: ignore[attr-defined]
              for m, p in mods.items() for node, hit, _ in _internal_imports(m, p, mods) for h in hit
              if rank.get(_folder(h), -1) > rank.get(_folder(m), len(rank))]
    assert not upward, f"imports up the layers {LAYERS}: {upward}"


def test_core_is_torch_free():
    """``core`` is what the front imports before anything computes (the one lazy boundary): importing it loads
    no torch, numpy, safetensors, PIL or gradio (a function that needs torch, such as the device check, imports
    it when called, which only the heavy side does)."""
    heavy = {"torch", "numpy", "safetensors", "PIL", "gradio"}
    found = []
    for path in sorted((SRC / PACKAGE / "core").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level, where importing runs
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in heavy]
    assert not found, found


def _family(module: str) -> str | None:
    """``lookgan.kinds.preset.fit`` -> ``preset``; None outside a kind family's folder."""
    parts = module.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "kinds" else None


def test_a_kind_folder_is_imported_only_from_inside_it():
    """The registry loads a kind by the name in ``pyproject.toml``; everything else uses the capabilities."""
    mods = _modules()
    assert {p.parent.name for p in KINDS.glob("*/__init__.py")} == {"colour", "preset", "translator", "generator"}
    reach = [f"{mods[m].relative_to(SRC)}:{node.lineno} -> {h}"  # type: ignore[attr-defined]
             for m, p in mods.items() for node, hit, _ in _internal_imports(m, p, mods) for h in hit
             if _family(h) is not None and _family(h) != _family(m)]
    assert not reach, reach


def test_every_import_left_inside_a_function_says_why():
    mods = _modules()
    silent = []
    for m, path in mods.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, _, in_function in _internal_imports(m, path, mods):
            if in_function and "#" not in lines[node.lineno - 1]:  # type: ignore[attr-defined]
                silent.append(f"{path.relative_to(SRC)}:{node.lineno}")  # type: ignore[attr-defined]
    assert not silent, "imports inside functions need a one-line reason (or move them to the top): " + ", ".join(silent)


def _kind_names() -> set[str]:
    from lookgan.core.registry import list_kinds

    return set(list_kinds())


def _kind_modules() -> set[Path]:
    """Files that belong to the kinds themselves (where a kind may name itself and its networks)."""
    return set(KINDS.glob("*/*.py"))


@pytest.mark.parametrize("what", ["kind names", "model classes"])
def test_callers_never_tell_kinds_apart_by_name_or_class(what):
    """Outside the kinds' own folders and the registry, no ``x == "lut"`` / ``kind in ("ot", ...)`` and no
    ``isinstance(x, AdaptiveLUT)``: callers use what a look can do (lookgan.kinds.capabilities)."""
    names = _kind_names()
    model_classes = {node.name for f in _kind_modules()
                     for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))) if isinstance(node, ast.ClassDef)}
    found = []
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        if path in _kind_modules() or path.name == "registry.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if what == "kind names" and isinstance(node, ast.Compare):
                consts = [c for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
                bad = [c.value for c in consts if c.value in names]
            elif what == "model classes" and isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
                bad = [n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name) and n.id in model_classes]
            else:
                continue
            if bad:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {bad}")
    assert not found, found


def test_no_file_is_too_long_to_read():
    long = {str(p.relative_to(SRC)): n for p in (SRC / PACKAGE).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these (over {MAX_LINES} lines): {long}"
