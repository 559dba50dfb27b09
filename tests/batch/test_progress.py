"""Batch progress: per-server counts, ETA, plain lines and the Rich table, fed the dispatcher's events."""

from __future__ import annotations

import io

from comfyreel.batch.progress import Progress, reporter
from rich.console import Console

EVENTS = [
    {"event": "server", "url": "http://a", "up": True, "error": None},
    {"event": "server", "url": "http://b", "up": False, "error": "cannot connect"},
    {"event": "batch", "jobs": 4, "pending": 4, "servers": 2},
    {"event": "job", "name": "x@seed=1", "state": "running", "server": "http://a"},
    {"event": "job", "name": "x@seed=2", "state": "running", "server": "http://a"},
    {"event": "job", "name": "x@seed=1", "state": "done", "server": "http://a", "seconds": 2.0},
    {"event": "job", "name": "x@seed=2", "state": "failed", "server": "http://a", "message": "node 3 failed"},
    {"event": "job", "name": "x@seed=3", "state": "running", "server": "http://a"},
]


def test_counts_and_eta_per_server() -> None:
    progress = Progress()
    for event in EVENTS:
        progress.update(event)
    assert progress.servers["http://a"] == {"done": 1, "running": 1, "failed": 1}
    assert progress.finished == 2 and progress.total == 4
    assert progress.eta_s() == 2 * 2.0 / 1  # 2 jobs left x 2 s mean / 1 running
    console = Console(file=io.StringIO(), width=100)
    console.print(progress.table())
    text = console.file.getvalue()
    assert "2/4 jobs, ETA 4 s" in text and "http://a" in text


def test_plain_lines_when_not_a_terminal(capsys) -> None:
    on_event, close = reporter(as_json=False, terminal=False)
    for event in EVENTS:
        on_event(event)
    close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "server http://b is down: cannot connect"
    assert "[1/4] done x@seed=1 on http://a" in lines
    assert "[2/4] failed x@seed=2 on http://a (node 3 failed)" in lines
