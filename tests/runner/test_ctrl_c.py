"""Ctrl-C as a user presses it: a real SIGINT to a `comfyreel run` process, at several points of a run.

The fake ComfyUI runs in this process; the CLI runs in a subprocess and reports NDJSON events
(``--json``), which tell the test when to send the signal. No timing is asserted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from comfyreel.fake.server import FakeComfyUI
from comfyreel.runner.errors import PromptRejected
from comfyreel.runner.manifest import Manifest
from comfyreel.runner.session import RunOptions, run_graph
from runner_graphs import image_graph

WAIT_S = 60.0  # the longest any step of these tests may take on a loaded machine
CLI = "import sys; from comfyreel.cli import main; sys.exit(main())"


@pytest.fixture
def fake(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.01) as server:
        yield server


class Cli:
    """`comfyreel run GRAPH --json` in a subprocess; events are read on a thread."""

    def __init__(self, fake: FakeComfyUI, graph_path: Path, out: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CLI,
                "run",
                str(graph_path),
                "--server",
                fake.url,
                "--out",
                str(out),
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(ValueError):  # a line that is not an event
                self.events.put(json.loads(line))

    def wait_for(self, predicate) -> dict:
        end = time.monotonic() + WAIT_S
        while time.monotonic() < end:
            try:
                event = self.events.get(timeout=max(end - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if predicate(event):
                return event
        self.proc.kill()
        pytest.fail(
            f"the expected event never came; stderr: {self.proc.stderr.read() if self.proc.stderr else ''}"
        )

    def ctrl_c(self) -> tuple[int, str]:
        os.kill(self.proc.pid, signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, err


def _graph_file(tmp_path: Path, graph) -> Path:
    path = tmp_path / "image.json"
    path.write_text(json.dumps(graph.canonical()))
    return path


def _only_run(out: Path) -> Path:
    (run_dir,) = out.iterdir()
    return run_dir


def test_ctrl_c_while_running_interrupts_only_our_prompt(fake, tmp_path):
    fake.faults.hang_node = "1"
    cli = Cli(fake, _graph_file(tmp_path, image_graph(color=21)), tmp_path / "runs")
    submitted = cli.wait_for(lambda e: e["event"] == "submitted")
    end = time.monotonic() + WAIT_S
    while submitted["prompt_id"] not in fake.queue()["running"] and time.monotonic() < end:
        time.sleep(0.05)
    code, err = cli.ctrl_c()
    assert code == 130
    m = Manifest.load(_only_run(tmp_path / "runs"))
    assert m.status == "interrupted" and "removed from the server" in m.error["message"]
    assert [rec.requested for rec in fake.interrupts] == [submitted["prompt_id"]]  # ours, never global
    assert "removed from the server" in err
    assert fake.wait_idle(10)


def test_ctrl_c_during_downloads_keeps_finished_files_and_tells_the_truth(fake, tmp_path):
    fake.faults.view_bytes_per_s = 2000  # a ~600-byte PNG takes a fraction of a second
    graph = image_graph(color=22, batch=6)
    cli = Cli(fake, _graph_file(tmp_path, graph), tmp_path / "runs")
    first = cli.wait_for(lambda e: e["event"] == "output")
    fake.faults.view_bytes_per_s = 5  # the next download crawls: Ctrl-C lands in the middle of it
    code, err = cli.ctrl_c()
    assert code == 130
    run_dir = _only_run(tmp_path / "runs")
    m = Manifest.load(run_dir)
    assert m.status == "interrupted" and first["path"] in [o.path for o in m.outputs]
    assert 1 <= len(m.outputs) < 6
    for out in m.outputs:  # every listed file is on disk, whole
        assert hashlib.sha256((run_dir / out.path).read_bytes()).hexdigest() == out.sha256
    assert not [p for p in run_dir.rglob("*") if p.name.endswith(".part")]
    assert "already finished on the server" in m.error["message"]
    assert "removed" not in m.error["message"] and "removed" not in err
    assert fake.interrupts == []  # nothing to stop: the prompt had succeeded


def test_ctrl_c_before_submitting_submits_nothing(fake, tmp_path):
    reached = threading.Event()

    def slow_stats(body):
        reached.set()
        time.sleep(3)  # the CLI is waiting for /system_stats when Ctrl-C comes
        return body

    fake.faults.json_replace_routes = {"/system_stats": slow_stats}
    cli = Cli(fake, _graph_file(tmp_path, image_graph(color=23)), tmp_path / "runs")
    assert reached.wait(WAIT_S)
    code, _ = cli.ctrl_c()
    assert code == 130
    m = Manifest.load(_only_run(tmp_path / "runs"))
    assert m.status == "interrupted" and "nothing was submitted" in m.error["message"]
    assert fake.prompts_seen == [] and fake.interrupts == []


def test_cleanup_deletes_our_pending_prompt(fake, tmp_path):
    """HTTP 200 with node_errors while ours waits behind another job: cleanup removes it from the queue."""
    fake.faults.hang_node = "1"
    blocker = {"prompt": image_graph(color=9).canonical(), "client_id": "other", "prompt_id": "other-1"}
    requests.post(fake.url + "/prompt", json=blocker, timeout=5)
    graph = image_graph(color=24)
    graph.nodes["3"] = {
        "class_type": "EmptyImage",
        "inputs": {"width": 99999, "height": 8, "batch_size": 1, "color": 0},
    }
    graph.nodes["4"] = {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "bad"}}
    options = RunOptions(validate_online=False, timeout_s=60)
    with pytest.raises(PromptRejected) as info:
        run_graph(graph, server_url=fake.url, out_dir=tmp_path / "runs", options=options)
    ours = info.value.prompt_id
    assert ours and ours not in fake.queue()["pending"]  # deleted, not left to run after "other"
    assert all(rec.requested != "other-1" for rec in fake.interrupts)  # the other job untouched
    requests.post(fake.url + "/interrupt", json={"prompt_id": "other-1"}, timeout=5)
    assert fake.wait_idle(10)
