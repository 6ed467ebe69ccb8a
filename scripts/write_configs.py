"""Write ``configs/KIND.yaml`` for kinds that have none: every key of the kind's config at its default, the field's
docstring as the comment, and the kind's preferred training settings.

    python scripts/write_configs.py [KIND ...] [--overwrite]

Without kinds, every kind that has no file yet. The hand-written files are kept unless ``--overwrite``;
``tests/core/test_configs.py`` checks that every kind's file matches its defaults, so they cannot drift.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from lookgan.core.config import TrainConfig, to_dict
from lookgan.core.registry import get_method, list_kinds

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def field_docs(cls: type) -> dict[str, str]:
    """The first sentence of each field's docstring (the string right after it), through the class's bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__[:-1]):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body  # type: ignore[attr-defined]
        for node, nxt in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str)):
                text = re.sub(r":\w+:`~?([\w.]+)`", lambda m: m.group(1).rsplit(".", 1)[-1], nxt.value.value)
                docs[node.target.id] = " ".join(text.replace("``", "").split()).split(". ")[0].rstrip(".")
    return docs


def _line(key: str, value: Any, doc: str | None) -> str:
    text = yaml.safe_dump({key: value}, default_flow_style=True, width=10_000).strip()[1:-1]
    return f"  {text:30s} # {doc}" if doc else f"  {text}"


def config_yaml(kind: str) -> str:
    cls = get_method(kind)
    defaults = to_dict(cls.Config())
    docs = field_docs(cls.Config)
    train = {k: v for k, v in to_dict(TrainConfig(**cls.train_defaults)).items() if k in cls.train_defaults}
    photos = " --photos CONTENT_DIR" if cls.needs_photos else ""
    lines = [f"# lookgan train {kind} STYLE_DIR{photos} --out X.look --config configs/{kind}.yaml",
             f"# {kind}: {cls.learns}.",
             "# Every key is optional; command-line flags (--steps, --minutes, --batch, ...) override this file.",
             "# Written from the code's defaults by scripts/write_configs.py (tests/core/test_configs.py checks it).",
             "method:"]
    lines += [_line(k, v, docs.get(k)) for k, v in defaults.items()]
    if train:
        lines += ["train:"] + [_line(k, v, None) for k, v in train.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kinds", nargs="*")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    for kind in args.kinds or list_kinds():
        path = CONFIGS / f"{kind}.yaml"
        if path.exists() and not args.overwrite:
            continue
        assert dataclasses.is_dataclass(get_method(kind).Config), kind
        path.write_text(config_yaml(kind), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
