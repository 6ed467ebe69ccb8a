"""``lookgan`` command line: each subcommand parses flags, calls one plain function from :mod:`lookgan.api`
and prints. Exit codes: 0 ok, 2 bad input or usage (the message names the file and the fix), 1 anything else,
130/143 when Ctrl-C/SIGTERM stopped training (after saving a checkpoint).

Written with click directly: typer (named in the design notes) now vendors a private copy of click and pulls in
pydantic and rich, and mapping exit codes needs click's exception types, which are a stable public API in click.
"""
from __future__ import annotations

import sys
import traceback
import warnings

import click

from ..core.errors import LookganError
from . import making, train, using  # noqa: F401  (registers the commands on the group)
from .common import app, show_warning

__all__ = ["COMMANDS", "app", "main"]


#: CLI command -> the library function it calls, as "module:function" (a test keeps this map and the registered
#: commands in sync, and checks that each function exists).
COMMANDS: dict[str, str] = {"train": "lookgan:train", "apply": "lookgan:apply", "adjust": "lookgan:adjust",
                            "export": "lookgan:export",
                            "eval": "lookgan:evaluate", "generate": "lookgan:generate", "info": "lookgan:info",
                            "demo": "lookgan:demo", "ui": "lookgan.ui:launch"}


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map outcomes to exit codes (0 ok, 2 input/usage, 1 other)."""
    warnings.showwarning = show_warning
    try:
        rv = app.main(args=argv, prog_name="lookgan", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.UsageError as e:
        e.show()
        return 2
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except LookganError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except Exception:  # a bug: show the traceback so it can be reported
        traceback.print_exc()
        print("error: unexpected failure (above); please report it with the command you ran", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
