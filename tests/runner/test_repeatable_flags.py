"""Repeatable regression renders: launch flags, the server's argv in the manifest (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from comfyreel.cli import main
from comfyreel.runner.launch import REPEATABLE_FLAGS, command, unrepeatable
from comfyreel.runner.manifest import Manifest
from comfyreel.runner.session import RunOptions, run_graph
from runner_graphs import sampler_graph
from test_launch_and_cli import comfy_dir  # noqa: F401  (fixture: a tiny ComfyUI folder)


def test_launch_adds_the_repeatable_flags(tmp_path: Path) -> None:
    argv = command(Path("/c"), 8000, tmp_path)
    for flag in ("--deterministic", "--disable-metadata", "--cache-none"):
        assert flag in argv
    assert "--fast" not in argv and set(REPEATABLE_FLAGS) <= set(argv)
    lru = command(Path("/c"), 8000, tmp_path, extra=["--cache-lru", "5"])
    assert "--cache-none" not in lru and "--cache-lru" in lru  # ComfyUI refuses two cache modes
    assert "--deterministic" in lru


def test_unrepeatable_names_each_flag() -> None:
    assert unrepeatable(list(REPEATABLE_FLAGS)) == []
    why = unrepeatable(["--fast", "--cache-none"])
    assert [w.split(" (")[0] for w in why] == [
        "without --deterministic",
        "with --fast",
        "without --disable-metadata",
    ]


def test_cli_launch_records_the_flags_and_warns_about_fast(comfy_dir, tmp_path, capsys) -> None:  # noqa: F811
    graph = tmp_path / "g.json"
    graph.write_text(sampler_graph(4).to_json())
    args = ["run", str(graph), "--launch", str(comfy_dir), "--out", str(tmp_path / "runs")]
    assert main([*args, "--launch-flag=--cache-lru", "--launch-flag=3"]) == 0
    assert "warning: ComfyUI launched" not in capsys.readouterr().err
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    flags = Manifest.load(run_dir).server.launch_flags or []
    assert "--deterministic" in flags and "--disable-metadata" in flags and "--cache-none" not in flags
    assert main([*args, "--launch-flag=--fast"]) == 0
    assert "warning: ComfyUI launched with --fast" in capsys.readouterr().err


def test_the_manifest_records_the_servers_argv(comfy_fake, tmp_path: Path) -> None:
    result = run_graph(sampler_graph(2), server_url=comfy_fake.url, out_dir=tmp_path, options=RunOptions())
    argv = result.manifest.server.argv
    assert argv and argv[0] == "comfyreel-fake-server"
    assert "--deterministic" in argv and "--disable-metadata" in argv
    data = json.loads((result.run_dir / "manifest.json").read_text())
    assert data["server"]["argv"] == argv
