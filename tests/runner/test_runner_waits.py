"""Waits that must hold their promise: slow answers, a refused websocket, an interrupt that is ours alone."""

from __future__ import annotations

import time

import pytest
import requests
from comfyreel.fake.server import FakeComfyUI
from comfyreel.runner import http as rhttp
from comfyreel.runner.errors import RunTimeout
from comfyreel.runner.session import RunOptions, run_graph
from runner_graphs import image_graph

FAST = dict(poll_s=0.2, fast_poll_s=0.1, lost_after_s=1.0, finish_grace_s=15.0, silence_timeout_s=30.0)


@pytest.fixture
def fake(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.01) as server:
        yield server


def run(fake, graph, tmp_path, events=None, **kw):
    return run_graph(
        graph,
        server_url=fake.url,
        out_dir=tmp_path / "runs",
        options=RunOptions(**{**FAST, "timeout_s": 90.0, **kw}),
        on_event=None if events is None else events.append,
    )


def test_a_slow_history_answer_is_not_an_unreachable_server(fake, tmp_path):
    """Every /history answer takes longer than both the read timeout and the unreachable threshold."""

    def slow(body):
        time.sleep(1.5)  # blocks the whole fake, like a real server busy holding the GIL
        return body

    fake.faults.json_replace_routes = {"/history": slow}
    result = run(fake, image_graph(), tmp_path, read_timeout_s=0.5, unreachable_s=0.5)
    assert result.manifest.status == "success" and len(result.outputs) == 2


def test_refused_websocket_falls_back_to_polling_and_says_so_once(fake, tmp_path):
    fake.faults.ws_refuse_status = 502  # a proxy without websocket support
    events: list[dict] = []
    result = run(fake, image_graph(), tmp_path, events)
    assert len(result.outputs) == 2
    warnings = [e["message"] for e in events if e["event"] == "warning"]
    assert len(warnings) == 1 and "websocket" in warnings[0] and "polling" in warnings[0]
    assert not any(e["event"] in ("ws_lost", "reconnected") for e in events)  # no reconnect storm


def _version(version: str):
    def replace(body):
        body["system"]["comfyui_version"] = version
        return body

    return {"/system_stats": replace}


@pytest.mark.parametrize(("version", "scoped"), [("0.3.56", False), ("0.3.57", True), ("0.8.0", True)])
def test_interrupt_is_scoped_only_from_0_3_57(version, scoped):
    stats = {"system": {"comfyui_version": version}}
    assert rhttp.interrupt_is_scoped(stats) is scoped
    assert rhttp.interrupt_is_scoped({"system": {}}) is False  # unknown: assume the old behaviour
    assert rhttp.interrupt_is_scoped({"system": {}}, private=True) is True  # a server we launched


def test_old_server_running_prompt_is_never_interrupted_globally(fake, tmp_path):
    fake.faults.json_replace_routes = _version("0.3.56")
    fake.faults.hang_node = "1"
    events: list[dict] = []
    with pytest.raises(RunTimeout) as info:
        run(fake, image_graph(color=5), tmp_path, events, silence_timeout_s=1.0, timeout_s=2.0)
    assert fake.interrupts == []  # nothing sent: 0.3.56 would stop whatever runs, maybe another's job
    assert "left to finish" in info.value.message and "removed from the server" not in info.value.message
    warned = [e for e in events if e["event"] == "warning" and "cannot interrupt one prompt" in e["message"]]
    assert len(warned) == 1
    (running,) = fake.queue()["running"]
    requests.post(fake.url + "/interrupt", json={"prompt_id": running}, timeout=5)
    assert fake.wait_idle(10)


def test_empty_prompt_id_is_never_sent_to_interrupt(fake):
    server = rhttp.Server(fake.url)
    server.interrupt_scoped = True
    assert rhttp.interrupt(server, "") is False  # "" is a global interrupt on a real server
    assert fake.interrupts == []


def test_timeout_bounds_a_slow_download_and_names_the_file(fake, tmp_path):
    fake.faults.view_bytes_per_s = 40  # each ~600-byte PNG would take ~15 s
    with pytest.raises(RunTimeout) as info:
        run(fake, image_graph(), tmp_path, timeout_s=2.0)
    assert "while downloading 'img_00001_.png' (node 2)" in info.value.message
    assert info.value.exit_code == 10
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not list(run_dir.rglob("*.part")) and not list(run_dir.rglob(".*"))
    from comfyreel.runner.manifest import Manifest

    m = Manifest.load(run_dir)
    assert m.status == "timeout" and m.outputs == []


def test_poll_reads_the_queue_before_the_history(monkeypatch):
    """The prompt finishes between the two reads of a poll: it must be seen, never as absent.

    Queue first: running, then in history. History first would read "not there yet", then "not
    queued any more", an absence that declares a finished prompt lost.
    """
    from comfyreel.compiler.graph import Graph
    from comfyreel.runner import follow
    from comfyreel.runner import protocol as p
    from comfyreel.runner.timing import VramPeak

    server = {"done": False}
    entry = p.parse_history(
        {"pid": {"status": {"status_str": "success", "completed": True}, "outputs": {}}}, "pid"
    )

    def queue(_server, read_s=None):
        snapshot = p.QueueSnapshot(running=() if server["done"] else ("pid",), pending=())
        server["done"] = True  # the prompt finishes right after this read
        return snapshot

    def history(_server, prompt_id, read_s=None):
        done = server["done"]
        server["done"] = True
        return entry if done else None

    monkeypatch.setattr(follow.http, "queue", queue)
    monkeypatch.setattr(follow.http, "history", history)
    monkeypatch.setattr(follow.http, "system_stats", lambda _server: {})
    monkeypatch.setattr(follow.http, "jobs_supported", lambda _server: False)
    f = follow.Follower(
        None, None, "pid", Graph.from_data({}), lambda *a, **k: None, VramPeak(), time.monotonic
    )
    poll = f.poll()
    assert poll.history is not None or poll.running
