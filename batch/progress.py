"""Batch progress: a Rich live table per server on a terminal, plain lines otherwise, or NDJSON events."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any


class Progress:
    """Counts jobs done / running / failed per server and an ETA from the mean job time."""

    def __init__(self, total: int = 0) -> None:
        self.total = total
        self.servers: dict[str, dict[str, int]] = {}
        self.finished = 0
        self.seconds: list[float] = []
        self.t0 = time.monotonic()

    def update(self, event: dict[str, Any]) -> None:
        if event.get("event") == "batch":
            self.total = int(event.get("jobs", self.total))
            self.finished = self.total - int(event.get("pending", 0))
        if event.get("event") == "server":
            self.servers.setdefault(str(event["url"]), {"done": 0, "running": 0, "failed": 0})
        if event.get("event") != "job" or not event.get("server"):
            return
        row = self.servers.setdefault(str(event["server"]), {"done": 0, "running": 0, "failed": 0})
        state = event.get("state")
        if state == "running":
            row["running"] += 1
            return
        row["running"] = max(0, row["running"] - 1)
        if state in ("done", "failed"):
            row[state] += 1
            self.finished += 1
            if state == "done":
                self.seconds.append(float(event.get("seconds", 0.0)))

    def eta_s(self) -> float | None:
        """Remaining jobs x mean job time / jobs running now (None until one job finished)."""
        running = sum(r["running"] for r in self.servers.values())
        if not self.seconds or not running:
            return None
        return (self.total - self.finished) * (sum(self.seconds) / len(self.seconds)) / running

    def line(self, event: dict[str, Any]) -> str | None:
        if event.get("event") == "server" and not event.get("up"):
            return f"server {event['url']} is down: {event.get('error')}"
        if event.get("event") != "job":
            return None
        where = f" on {event['server']}" if event.get("server") else ""
        extra = f" ({event['message']})" if event.get("message") else ""
        if event.get("state") == "retry":
            extra = f" ({event.get('reason')}: moving to another server)"
        return f"[{self.finished}/{self.total}] {event.get('state')} {event.get('name')}{where}{extra}"

    def table(self) -> Any:
        from rich.table import Table

        eta = self.eta_s()
        title = f"{self.finished}/{self.total} jobs" + (f", ETA {eta:.0f} s" if eta is not None else "")
        table = Table(title=title)
        for column in ("server", "done", "running", "failed"):
            table.add_column(column)
        for url, row in self.servers.items():
            table.add_row(url, str(row["done"]), str(row["running"]), str(row["failed"]))
        return table


def reporter(
    *, as_json: bool, terminal: bool | None = None
) -> tuple[Callable[[dict[str, Any]], None], Callable[[], None]]:
    """``(on_event, close)``: NDJSON on stdout, a Rich live table on a terminal, else lines on stderr."""
    progress = Progress()
    if as_json:

        def emit_json(event: dict[str, Any]) -> None:
            sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
            sys.stdout.flush()

        return emit_json, lambda: None
    if terminal is None:
        terminal = sys.stderr.isatty()
    if not terminal:

        def emit_line(event: dict[str, Any]) -> None:
            progress.update(event)
            text = progress.line(event)
            if text:
                sys.stderr.write(text + "\n")

        return emit_line, lambda: None
    from rich.console import Console
    from rich.live import Live

    live = Live(progress.table(), console=Console(stderr=True), refresh_per_second=4)
    live.start()

    def emit_live(event: dict[str, Any]) -> None:
        progress.update(event)
        live.update(progress.table())

    return emit_live, live.stop
