"""Show a run's event stream: a Rich progress bar for people, NDJSON lines for machines (``--json``).

Both read the same events that ``session.run_graph(on_event=...)`` emits (dicts with ``event`` and
``t``). This is the only runner module that imports Rich, and only when a bar is actually shown.
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
    """The reporter for ``--json`` (NDJSON on *stream*/stdout) or a Rich bar on stderr."""
    if as_json:
        return JsonReporter(stream)
    return RichReporter(node_count=node_count)
