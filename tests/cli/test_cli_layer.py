"""The argparse CLI layer: command table, help, usage errors, exit codes, and light imports."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
from comfyreel import cli
from comfyreel.cli import COMMAND_MODULES, COMMAND_OWNERS, build_parser, main
from comfyreel.compiler.errors import InputError


def _registered(module: str) -> list[str]:
    import argparse

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    importlib.import_module(f"comfyreel.cli.{module}").register(commands)
    return list(commands.choices)


def test_owner_table_matches_what_modules_register() -> None:
    owners = {name: module for module in COMMAND_MODULES for name in _registered(module)}
    assert owners == COMMAND_OWNERS


def test_root_help_lists_every_command(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: comfyreel")
    for name in COMMAND_OWNERS:
        assert f"\n    {name}" in out


@pytest.mark.parametrize("command", sorted(COMMAND_OWNERS))
def test_every_command_has_help(command, capsys) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: comfyreel {command}")


def test_no_arguments_prints_help_and_exits_2(capsys) -> None:
    assert main([]) == 2
    assert "usage: comfyreel" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "invalid choice: 'nope'"),
        (["validate"], "the following arguments are required: RECIPE|GRAPH.json"),
        (["validate", "g.json", "--bogus"], "unrecognized arguments: --bogus"),
        (["validate", "g.json", "--obj", "x.json"], "unrecognized arguments: --obj x.json"),
        (["validate", "g.json", "--timeout", "soon"], "invalid float value: 'soon'"),
        (["reliability", "--runs", "0"], "0 is not in the range x>=1"),
        (["check", "run"], "the following arguments are required: --golden/-g"),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv, message, capsys) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_defaults_and_required_show_in_help(capsys) -> None:
    main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "[default: runs]" in out and "[default: 3600.0]" in out and "--header 'Name: value'" in out
    main(["check", "--help"])
    assert "[required]" in capsys.readouterr().out


def test_errors_interrupts_and_exit_codes(monkeypatch, capsys) -> None:
    def boom(**_: object) -> None:
        raise InputError("cannot read", anchor="x.json", hint="check the path")

    def interrupted(**_: object) -> None:
        raise KeyboardInterrupt

    def leaves(**_: object) -> None:
        raise cli.Exit(5)

    for handler, code in ((boom, 2), (interrupted, 130), (leaves, 5)):
        parser = build_parser("version")
        parser._subparsers._group_actions[0].choices["version"].set_defaults(_comfyreel_handler=handler)
        monkeypatch.setattr(cli, "build_parser", lambda command=None, p=parser: p)
        assert main(["version"]) == code
    err = capsys.readouterr().err
    assert "error: x.json: cannot read\n  hint: check the path\n" in err and "interrupted" in err


def test_validate_imports_only_what_a_graph_needs(tmp_path) -> None:
    graph = tmp_path / "g.json"
    empty = {"width": 64, "height": 64, "batch_size": 1, "color": 0}
    graph.write_text(
        json.dumps(
            {
                "1": {"class_type": "EmptyImage", "inputs": empty},
                "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "t"}},
            }
        )
    )
    code = (
        "import contextlib, io, sys, json\n"
        "from comfyreel.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['validate', {str(graph)!r}])\n"
        "print(json.dumps([rc, sorted({m.split('.')[0] for m in sys.modules})]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rc, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert rc == 0
    heavy = {"typer", "click", "pydantic", "jinja2", "yaml", "requests", "rich", "av", "torch", "numpy"}
    assert not set(loaded) & heavy, sorted(set(loaded) & heavy)


def test_version_flag_prints_the_installed_version(capsys) -> None:
    from importlib.metadata import version

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == version("comfyreel")


def test_a_bad_sub_command_argument_prints_that_command_usage(capsys) -> None:
    assert cli.main(["validate", "--bogus", "x.json"]) == 2
    err = capsys.readouterr().err
    assert "usage: comfyreel validate" in err and "unrecognized arguments: --bogus" in err
