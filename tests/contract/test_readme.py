"""README promises kept in sync with the code: the two first commands, the rules and exit-code tables."""

from __future__ import annotations

import re
from pathlib import Path

from comfyreel.compiler import errors as compile_errors
from comfyreel.compiler.rules import rules_markdown
from comfyreel.runner import errors as run_errors

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_setup_and_test_commands_and_ci_runs_the_test_command() -> None:
    block = re.search(r"```bash\n(.+?)\n(.+?)\n```", README, re.S)
    assert block is not None and README.index(block.group(0)) < 50
    setup, tests = block.group(1), block.group(2)
    # a plain install: no torch, so the command works whichever torch wheel pip would pick
    assert "torch" not in setup and setup.rstrip().endswith("comfyreel demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = next(part.strip() for part in setup.split("&&") if "pip install" in part)
    assert install.replace("pip install", "python -m pip install -q") in ci
    test_command = tests.split("&&")[-1].strip()
    assert test_command.startswith("python -m pytest")
    assert test_command in ci


def test_rules_table_is_the_registry() -> None:
    table = re.search(r"<!-- rules-table.*?-->\n(.*?)<!-- /rules-table -->", README, re.S)
    assert table is not None
    assert table.group(1) == rules_markdown()


def test_every_exit_code_is_documented() -> None:
    documented = {int(code): text for code, text in re.findall(r"^\| (\d+) \| (.+) \|$", README, re.M)}
    for module in (compile_errors, run_errors):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, compile_errors.ComfyreelError):
                assert obj.exit_code in documented, obj
                if obj.exit_code >= 3 and obj is not run_errors.RunError:
                    assert f"`{obj.__name__}`" in documented[obj.exit_code], obj
