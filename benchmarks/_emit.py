"""The one way every benchmark ends: write its figures as JSON (when asked) and print them as the last line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(result: Any, json_path: Path | None) -> None:
    """Write ``result`` to ``json_path`` (indented, folders created) when given; print it as one JSON line."""
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
