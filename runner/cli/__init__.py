"""The `comfyreel` command: a Typer app assembled from one module per command group.

Start-up matters (the CLI runs in CI loops), so every heavy import (pydantic models, jinja2,
requests, av, torch, rich.progress) happens inside command bodies, never at module level.
:func:`main` turns every :class:`ComfyreelError` into a message on stderr and its exit code:
user errors never print a traceback; real bugs still do.
"""

from __future__ import annotations

import importlib
import sys

import typer
from comfyreel.compiler.errors import EXIT_INTERRUPTED, EXIT_USAGE, ComfyreelError

# Each module defines ``register(app)``; order here is the order in --help.
COMMAND_MODULES = ("compile", "validate", "run", "check", "serve", "show", "info", "reliability")

app = typer.Typer(
    name="comfyreel",
    help="Reproducible, testable LTX-Video / LTX-2 renders in ComfyUI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



@app.callback()
def _root() -> None:
    """Reproducible, testable LTX-Video / LTX-2 renders in ComfyUI."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}").register(app)


def print_error(exc: ComfyreelError) -> None:
    """One clear block on stderr: where, what, and the fix."""
    where = f"{exc.anchor}: " if exc.anchor else ""
    sys.stderr.write(f"error: {where}{exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"  hint: {exc.hint}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI in-process and return the exit code (tests call this directly)."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="comfyreel")
    except ComfyreelError as exc:
        print_error(exc)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # usage errors from the vendored click
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            sys.stderr.write(f"error: {exc}\n")
        return getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
