"""The root reads as the pipeline: each package imports only the stages before it.

recipes/templates -> compiler -> runner -> checks, with cli, fake, reliability and batch beside them.
Checked statically over every module's imports (including lazy ones inside functions).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> the comfyreel packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "compiler": {"templates", "recipes"},
    "runner": {"compiler", "templates", "recipes"},
    "checks": {"compiler", "runner", "fake", "templates", "recipes"},
    "fake": {"compiler", "templates", "recipes"},
    "batch": {"compiler", "runner", "checks", "templates", "recipes"},
}


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "comfyreel" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_earlier_stages(package: str) -> None:
    bad = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        extra = _imported_packages(path) - ALLOWED[package] - {package}
        if extra:
            bad[str(path.relative_to(ROOT))] = sorted(extra)
    assert not bad, f"imports against the pipeline direction: {bad}"


def test_layering_check_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from comfyreel.checks.compare import compare\n")
    assert _imported_packages(module) == {"checks"}
