"""Show a run's event stream: a Rich bar on a terminal, plain lines in a log, NDJSON for ``--json``.

All three read the same events that ``session.run_graph(on_event=...)`` emits (dicts with ``event``
and ``t``). This is the only runner module that imports Rich, and only when a bar is actually shown:
when stderr is not a terminal (CI logs, pipes) plain lines are written instead, which also saves
the ~30-50 ms that importing ``rich.progress`` costs a ``comfyreel run`` process (issue 7).
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any


class JsonReporter:
    """One JSON object per line, flushed at once (a CI log or ``jq`` reads them as they come)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: dict[str, Any]) -> None:
        self.stream.write(json.dumps(event, default=str, sort_keys=False) + "\n")
        self.stream.flush()

    def close(self) -> None:
        pass


class LineReporter:
    """One plain line per notable event on stderr (submitted, each node, cached, warnings, outputs, done)."""

    def __init__(self, stream: IO[str] | None = None, *, node_count: int | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.nodes_total = node_count
        self.nodes_done = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        text = None
        if kind == "submitted":
            self.nodes_total = self.nodes_total or event.get("nodes")
            text = f"submitted prompt {event.get('prompt_id')} ({self.nodes_total} nodes)"
        elif kind == "cached" and event.get("nodes"):
            self.nodes_done += len(event["nodes"])
            text = f"cached {len(event['nodes'])} node(s)"
        elif kind == "node":
            self.nodes_done += 1
            label = event.get("title") or event.get("class_type") or ""
            text = f"[{self.nodes_done}/{self.nodes_total or '?'}] node {event.get('node')} {label}".rstrip()
        elif kind in ("ws_lost", "reconnected", "warning", "cancel"):
            text = f"{kind}: {event.get('message') or event.get('reason') or ''}".rstrip(": ")
        elif kind == "output":
            text = f"output {event.get('path')} ({event.get('size')} bytes)"
        elif kind == "done":
            text = f"done in {float(event.get('t') or 0):.2f} s"
        if text is not None:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        pass


class RichReporter:
    """A bar per run: which node runs (title and class), sampler steps, cached nodes, reconnects."""

    def __init__(self, console: Any = None, *, node_count: int | None = None, get_time: Any = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
            get_time=get_time,
        )
        self.nodes_total = node_count
        self.nodes_done = 0
        self.node_task: Any = None
        self.step_task: Any = None
        self.progress.start()

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "submitted":
            self.nodes_total = self.nodes_total or event.get("nodes")
            self.node_task = self.progress.add_task("queued", total=self.nodes_total or 1)
        elif kind == "cached" and event.get("nodes"):
            self.nodes_done += len(event["nodes"])
            self._update(f"cached {len(event['nodes'])} node(s)")
        elif kind == "node":
            self.nodes_done += 1
            self._update(f"node {event.get('node')} {event.get('title') or event.get('class_type') or ''}")
            if self.step_task is not None:
                self.progress.remove_task(self.step_task)
                self.step_task = None
        elif kind == "progress":
            total = float(event.get("max") or 1)
            if self.step_task is None:
                self.step_task = self.progress.add_task("  steps", total=total)
            self.progress.update(self.step_task, completed=float(event.get("value") or 0), total=total)
        elif kind in ("ws_lost", "reconnected", "warning", "cancel"):
            text = f"{kind}: {event.get('message') or event.get('reason') or ''}".rstrip(": ")
            self.console.print(text, markup=False, highlight=False)
        elif kind == "output":
            self.console.print(
                f"output {event.get('path')} ({event.get('size')} bytes)", markup=False, highlight=False
            )
        elif kind == "done":
            self._update("done", finished=True)

    def _update(self, text: str, finished: bool = False) -> None:
        if self.node_task is None:
            self.node_task = self.progress.add_task(text, total=self.nodes_total or 1)
        total = max(self.nodes_total or 1, self.nodes_done)
        done = total if finished else min(self.nodes_done, total)
        self.progress.update(self.node_task, description=text, completed=done, total=total)

    def close(self) -> None:
        self.progress.stop()


def reporter(*, as_json: bool, node_count: int | None = None, stream: IO[str] | None = None) -> Any:
    """NDJSON on *stream*/stdout for ``--json``; else a Rich bar on a terminal stderr, else plain lines."""
    if as_json:
        return JsonReporter(stream)
    if _is_terminal(sys.stderr):
        return RichReporter(node_count=node_count)
    return LineReporter(node_count=node_count)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
