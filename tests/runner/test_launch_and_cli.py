"""`launch.py` against a tiny fake "ComfyUI dir", and the `run`/`demo` CLI in-process via main()."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import requests
from comfyreel.cli import main
from comfyreel.fake.server import FakeComfyUI
from comfyreel.runner.errors import ServerUnavailable
from comfyreel.runner.launch import PROFILE_FLAGS, launch
from comfyreel.runner.manifest import Manifest
from runner_graphs import image_graph, sampler_graph

FAKE_MAIN = textwrap.dedent(
    """
    import argparse, signal, sys, threading
    from comfyreel.fake.server import FakeComfyUI

    p = argparse.ArgumentParser()
    p.add_argument("--listen"); p.add_argument("--port", type=int)
    p.add_argument("--output-directory"); p.add_argument("--temp-directory")
    p.add_argument("--disable-auto-launch", action="store_true")
    p.add_argument("--novram", action="store_true")
    for flag in ("--deterministic", "--disable-metadata", "--cache-none"):  # ComfyUI's own flags
        p.add_argument(flag, action="store_true")
    p.add_argument("--cache-lru", type=int); p.add_argument("--fast", nargs="*")
    args = p.parse_args()
    assert args.listen == "127.0.0.1" and args.disable_auto_launch
    print("Cannot import /x/custom_nodes/broken module for custom nodes: No module named 'cv3'", flush=True)
    print("   0.0 seconds (IMPORT FAILED): /x/custom_nodes/broken", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    with FakeComfyUI(args.output_directory, port=args.port, node_delay_s=0.01):
        print("To see the GUI go to: http://127.0.0.1:%d" % args.port, flush=True)
        stop.wait(120)
    """
)


@pytest.fixture
def comfy_dir(tmp_path) -> Path:
    folder = tmp_path / "ComfyUI"
    folder.mkdir()
    (folder / "main.py").write_text(FAKE_MAIN)
    return folder


def test_launch_ready_scan_and_stop(comfy_dir, tmp_path):
    server = launch(comfy_dir, tmp_path / "run", profile="rtx4060-8gb", deadline_s=60)
    try:
        assert requests.get(server.url + "/system_stats", timeout=5).status_code == 200
        assert "--novram" in server.flags and "--disable-auto-launch" in server.flags
        assert server.flags[server.flags.index("--output-directory") + 1] == str(
            tmp_path / "run" / "comfy-out"
        )
        assert len(server.import_errors) == 2
    finally:
        code = server.stop()
    assert code is not None and server.process.poll() is not None


def test_launch_process_dies_early(tmp_path):
    folder = tmp_path / "Broken"
    folder.mkdir()
    (folder / "main.py").write_text("import sys\nprint('Traceback: torch not found')\nsys.exit(3)\n")
    with pytest.raises(ServerUnavailable) as info:
        launch(folder, tmp_path / "run", deadline_s=60)
    assert "code 3" in info.value.message and "torch not found" in info.value.hint


def test_launch_needs_main_py(tmp_path):
    with pytest.raises(ServerUnavailable):
        launch(tmp_path, tmp_path / "run")


def test_profile_flags_documented():
    import comfyreel.runner.launch as mod

    assert PROFILE_FLAGS["rtx4060-8gb"] == ("--novram",) and "12047" in (mod.__doc__ or "")


# -- CLI -----------------------------------------------------------------------------------------
@pytest.fixture
def fake(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.01) as server:
        yield server


def _graph_file(tmp_path, graph) -> Path:
    path = tmp_path / "g.json"
    path.write_text(graph.to_json())
    return path


def test_cli_run_json_ndjson(fake, tmp_path, capsys):
    code = main(
        [
            "run",
            str(_graph_file(tmp_path, image_graph())),
            "--server",
            fake.url,
            "--out",
            str(tmp_path / "runs"),
            "--json",
            "--silence-timeout",
            "30",
        ]
    )
    out = capsys.readouterr().out
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert events[0]["event"] == "submitted" and events[-1]["event"] == "done"
    assert [e["path"] for e in events if e["event"] == "output"] == ["outputs/2-0.png", "outputs/2-1.png"]


@pytest.mark.parametrize(
    ("setup", "extra", "code"),
    [
        (lambda f: setattr(f.faults, "fail_node", "1"), [], 6),
        (lambda f: f.faults.oom("EmptyImage"), [], 7),
        (lambda f: None, ["--no-validate"], 5),
    ],
    ids=["execution-error", "oom", "rejected"],
)
def test_cli_run_exit_codes(fake, tmp_path, capsys, setup, extra, code):
    setup(fake)
    graph = image_graph()
    if code == 5:
        graph.nodes["1"]["inputs"]["width"] = 99999
    got = main(
        ["run", str(_graph_file(tmp_path, graph)), "--server", fake.url, "--out", str(tmp_path / "r"), *extra]
    )
    err = capsys.readouterr().err
    assert got == code
    assert "error:" in err and "Traceback" not in err
    if code == 5:
        assert "g.json#1(EmptyImage):width" in err
    if code == 7:
        assert "rtx4060-8gb" in err


def test_cli_run_json_error_event(fake, tmp_path, capsys):
    fake.faults.fail_node = "1"
    code = main(
        [
            "run",
            str(_graph_file(tmp_path, image_graph())),
            "--server",
            fake.url,
            "--out",
            str(tmp_path / "r"),
            "--json",
        ]
    )
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 6 and events[-1]["event"] == "error" and events[-1]["exit_code"] == 6


def test_cli_run_usage(tmp_path, capsys):
    assert main(["run", "x.json"]) == 2
    assert main(["run", "x.json", "--server", "http://a", "--launch", str(tmp_path)]) == 2
    assert main(["run", "x.json", "--server", "http://127.0.0.1:1", "--header", "bad"]) == 2


@pytest.mark.parametrize(
    ("extra", "novram"), [([], False), (["--profile", "rtx4060-8gb"], True)], ids=["no-profile", "profile"]
)
def test_cli_run_launch(comfy_dir, tmp_path, capsys, extra, novram):
    code = main(
        [
            "run",
            str(_graph_file(tmp_path, sampler_graph(4))),
            "--launch",
            str(comfy_dir),
            "--out",
            str(tmp_path / "runs"),
            *extra,
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "IMPORT FAILED" in captured.err
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    m = Manifest.load(run_dir)
    assert m.server.launch_flags is not None and m.seeds == {"5.seed": 4}
    assert ("--novram" in m.server.launch_flags) is novram  # only a profile asks for it


def test_cli_run_launch_takes_the_recipes_profile(comfy_dir, tmp_path, capsys):
    from importlib.resources import files

    recipe = files("comfyreel.recipes").joinpath("hello-wave-ltx2-8gb.yaml")  # profile: rtx4060-8gb
    argv = ["run", str(recipe), "--launch", str(comfy_dir), "--out", str(tmp_path / "runs"), "--no-validate"]
    assert main(argv) == 0, capsys.readouterr().err
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    assert "--novram" in (Manifest.load(run_dir).server.launch_flags or [])


SNAPPED = "name: snap\nmodel: ltx2-t2v\nprompt: a fox\nseconds: 4.3\nfps: 24\nwidth: 768\nheight: 512\n"


def test_cli_run_shows_recipe_warnings_and_keeps_them_in_the_manifest(fake, tmp_path, capsys):
    recipe = tmp_path / "snap.yaml"
    recipe.write_text(SNAPPED)
    assert main(["run", str(recipe), "--server", fake.url, "--out", str(tmp_path / "runs")]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "105 frames" in err
    (run_dir,) = (tmp_path / "runs").iterdir()
    (warning,) = Manifest.load(run_dir).recipe.warnings
    assert "105 frames" in warning and warning.startswith(f"{recipe}:4:")


def test_cli_run_strict_refuses_a_recipe_with_warnings(fake, tmp_path, capsys):
    recipe = tmp_path / "snap.yaml"
    recipe.write_text(SNAPPED)
    assert main(["run", str(recipe), "--server", fake.url, "--out", str(tmp_path / "r"), "--strict"]) == 1
    assert "105 frames" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # refused before anything was submitted or written


def test_cli_demo(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (video,) = captured.out.split()
    assert video.endswith(".mp4") and Path(video).stat().st_size > 0
    m = Manifest.load(Path(video).parent.parent)
    assert m.recipe and m.recipe.text and "hello everyone" in m.recipe.text and m.recipe.sha256


def test_cli_demo_json(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["outputs"][0].endswith(".mp4")


def test_a_run_on_the_fake_is_marked_fake_in_manifest_output_and_report(fake, tmp_path, capsys):
    from comfyreel.checks.html import write_html
    from comfyreel.fake.core import FAKE_ARGV0 as FAKES_OWN
    from comfyreel.runner.run_records import FAKE_ARGV0

    assert FAKES_OWN == FAKE_ARGV0  # the fake cannot import the runner: one literal, checked here
    graph = str(_graph_file(tmp_path, image_graph()))
    assert main(["run", graph, "--server", fake.url, "--out", str(tmp_path / "runs")]) == 0
    assert "fake ComfyUI" in capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    manifest = Manifest.load(run_dir)
    assert manifest.server.fake and "RTX 4060 Laptop" not in json.dumps(manifest.server.devices)
    from comfyreel.checks.check_run import check_run

    html = tmp_path / "r.html"
    write_html([check_run(run_dir, tmp_path / "goldens")], html)
    assert "FAKE ComfyUI" in html.read_text()


def test_a_real_servers_argv_is_not_fake():
    from comfyreel.runner.run_records import server_record

    for argv in (["main.py", "--listen"], "comfyreel-fake-server", {"0": 1}, None, []):
        assert server_record("http://x", {"system": {"argv": argv}}, [], None)["fake"] is False
