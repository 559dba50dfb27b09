"""The `comfyreel` command: a small argparse layer assembled from one module per command group.

Start-up matters (the CLI runs in CI loops; issue 7 wants ``validate`` ≥ 10× faster than comfy-cli's
whole process): this layer is the standard library's argparse, because importing Typer and its
pydantic-based parameter setup alone cost 60-90 ms per invocation. Every heavy import (pydantic
models, jinja2, requests, av, torch, rich.progress) happens inside command handlers, never at
module level.

Each module in :data:`COMMAND_MODULES` defines ``register(commands)`` and adds its commands with
:func:`add_command`; a handler is called with the parsed options as keyword arguments (named after
the ``dest`` of each argument) and returns an exit code (None means 0), or raises :class:`Exit`.
:func:`main` turns every :class:`ComfyreelError` into a message on stderr and its exit code: user
errors never print a traceback; real bugs still do. Usage errors exit 2 with argparse's message.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from comfyreel.compiler.errors import EXIT_INTERRUPTED, EXIT_USAGE, ComfyreelError

# Each module defines ``register(commands)``; order here is the order in --help.
COMMAND_MODULES = (
    "compile",
    "validate",
    "run",
    "batch",
    "check",
    "calibrate",
    "environment",
    "serve",
    "show",
    "info",
    "reliability",
)
#: Which module registers each command, so ``comfyreel CMD ...`` imports only that module
#: (``tests/cli/test_cli_layer.py`` checks this table against what the modules register).
COMMAND_OWNERS = {
    "compile": "compile",
    "schema": "compile",
    "validate": "validate",
    "list-rules": "validate",
    "run": "run",
    "demo": "run",
    "batch": "batch",
    "compare": "check",
    "check": "check",
    "rerun": "check",
    "calibrate": "calibrate",
    "doctor": "environment",
    "models": "environment",
    "snapshot": "environment",
    "fake-server": "serve",
    "show": "show",
    "import-template": "show",
    "version": "info",
    "reliability": "reliability",
}
PROG = "comfyreel"
HELP = "Reproducible, testable LTX-Video / LTX-2 renders in ComfyUI."
_HANDLER = "_comfyreel_handler"

Commands = Any  # argparse's private _SubParsersAction: what ``register`` receives


class Exit(Exception):  # named like the typer.Exit it replaces
    """Leave a command early with an exit code (after printing what it had to print)."""

    def __init__(self, exit_code: int = 0) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


def echo(message: object = "", *, nl: bool = True, err: bool = False) -> None:
    """Print to stdout (or stderr with ``err=True``); ``nl=False`` leaves out the newline."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{message}\n" if nl else str(message))
    stream.flush()


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= *minimum* (the error names the range)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not in the range x>={minimum}")
        return value

    return parse


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """``--set key=value`` (repeatable): override a recipe field; ``key=A..B`` makes one variant per value."""
    parser.add_argument(
        "--set",
        dest="sets",
        metavar="KEY=VALUE",
        action="append",
        help="Override a recipe field (dotted: loras.0.strength=0.7); seed=1..8 sweeps (repeatable).",
    )


def _width() -> int:
    """Terminal width as ``shutil.get_terminal_size`` reads it (without importing shutil: 2 ms)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(columns - 2, 40)


class _Formatter(argparse.HelpFormatter):
    """argparse's layout, plus ``[default: X]`` / ``[required]`` after an option's help."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=_width())

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.help is argparse.SUPPRESS:
            return action.help
        text = (action.help or "").replace("%", "%%")
        if action.required and action.option_strings:
            return f"{text}  [required]"
        default = action.default
        if action.option_strings and default not in (None, False, [], argparse.SUPPRESS):
            return f"{text}  [default: {str(default).replace('%', '%%')}]"
        return text


def add_command(
    commands: Commands, name: str, handler: Callable[..., int | None], doc: str | None = None
) -> argparse.ArgumentParser:
    """A sub-command *name* run by *handler*; its help is *doc* (default: the handler's docstring)."""
    text = " ".join((doc or handler.__doc__ or "").split())
    parser = commands.add_parser(
        name,
        help=text.replace("%", "%%"),
        description=text,
        formatter_class=_Formatter,
        allow_abbrev=False,  # as before (click): --obj is not --object-info
    )
    parser.set_defaults(**{_HANDLER: handler})
    return parser


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line: every module's commands, or only those of the module owning *command*."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=HELP, formatter_class=_Formatter, allow_abbrev=False
    )
    parser.add_argument(  # handled in main() before parsing; here for --help
        "--version", dest="_show_version", action="store_true", help="Print the comfyreel version and exit."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    owner = COMMAND_OWNERS.get(command or "")
    for name in (owner,) if owner else COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(commands)
    return parser


def print_error(exc: ComfyreelError) -> None:
    """One clear block on stderr: where, what, and the fix."""
    where = f"{exc.anchor}: " if exc.anchor else ""
    sys.stderr.write(f"error: {where}{exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"  hint: {exc.hint}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI in-process and return the exit code (tests call this directly)."""
    args_list = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(args_list[0] if args_list else None)
    if not args_list:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args_list[0] == "--version":
        args_list = ["version", *args_list[1:]]
        parser = build_parser("version")
    try:
        namespace, extra = parser.parse_known_args(args_list)
        if extra:  # a sub-command's stray argument: that command's usage, not the top-level one
            _owning_parser(parser, args_list[0]).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help (0) or a usage error (2, message already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args = vars(namespace)
    args.pop("_show_version", None)
    handler = args.pop(_HANDLER, None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        result = handler(**args)
    except ComfyreelError as exc:
        print_error(exc)
        return exc.exit_code
    except Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt as exc:  # a run says what it left behind (runner.errors.UserCancelled)
        error = getattr(exc, "error", None)
        sys.stderr.write(f"interrupted: {error.message}\n" if error is not None else "interrupted\n")
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else 0


def _owning_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The sub-command parser for *command* (the top-level parser when there is none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
