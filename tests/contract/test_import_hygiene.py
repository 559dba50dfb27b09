"""Import hygiene: the compiler stays pure/offline and the CLI starts without heavy imports.

Checked deterministically in fresh interpreters (``sys.modules``), never with timings.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY_FOR_COMPILER = ("requests", "websocket", "av", "rich", "torch", "aiohttp", "typer")
HEAVY_FOR_CLI_START = ("av", "torch", "requests", "websocket", "aiohttp", "jinja2", "numpy")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize(
    "module",
    [
        "comfyreel.compiler",
        "comfyreel.compiler.graph",
        "comfyreel.compiler.findings",
        "comfyreel.compiler.errors",
    ],
)
def test_compiler_imports_nothing_online_or_heavy(module: str) -> None:
    loaded = _top_level(_modules_after(f"import {module}"))
    assert not loaded & set(HEAVY_FOR_COMPILER), sorted(loaded & set(HEAVY_FOR_COMPILER))


def test_cli_help_imports_no_heavy_module() -> None:
    code = (
        "import contextlib, io\n"
        "from comfyreel.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])"
    )
    loaded = _top_level(_modules_after(code))
    assert not loaded & set(HEAVY_FOR_CLI_START), sorted(loaded & set(HEAVY_FOR_CLI_START))
