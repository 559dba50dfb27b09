"""The servers of a batch: what each can render, how busy it is, and whether it is up.

What a server can render is decided by the online validation (``compiler.validate`` against the
server's own ``/object_info``): a graph with an ``unknown-node`` or a model file the server does not
list (``combo-value`` / ``model-missing``) never goes there. How busy it is comes from its own
``/queue`` (every client's jobs, not only ours), read at most every ``queue_ttl_s``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from comfyreel.batch.jobs import Job
from comfyreel.compiler.errors import ComfyreelError
from comfyreel.runner import http

QUEUE_TTL_S = 0.5  # a /queue answer is fresh enough for this long
PROBE_AFTER_S = 3.0  # a server that failed is asked again (GET /system_stats) after this long


@dataclass
class ServerState:
    """One ComfyUI of the fleet (its URL is credential-free; the full URL stays private)."""

    full_url: str
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""
    schema: Any = None  # ObjectInfo, read once
    error: str | None = None  # why it is down (None: up)
    down_since: float | None = None
    inflight: int = 0  # our jobs on it now
    queue_len: int = 0  # running + pending on the server (all clients), as last read
    queue_read_at: float = -1e9
    done: int = 0
    failed: int = 0
    fits: dict[str, list[Any]] = field(default_factory=dict)  # graph sha -> error findings

    def __post_init__(self) -> None:
        self.url = http.public_url(self.full_url)
        self.lock = threading.Lock()
        self._session: http.Server | None = None

    # -- HTTP -------------------------------------------------------------------------------------
    def session(self) -> http.Server:
        if self._session is None:
            self._session = http.Server(self.full_url, headers=self.headers, timeout=(2.0, 10.0))
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def load_schema(self) -> None:
        """Read /object_info once; a server that cannot answer is down (with the reason)."""
        from comfyreel.runner.schema_fetch import fetch_object_info

        try:
            self.schema = fetch_object_info(self.full_url, headers=self.headers, timeout=30)
        except ComfyreelError as exc:
            self.mark_down(exc.message)

    def mark_down(self, reason: str) -> None:
        self.error, self.down_since = reason, time.monotonic()
        self.close()

    def up(self) -> bool:
        """True when usable; a server down for PROBE_AFTER_S is asked again (/system_stats)."""
        if self.error is None:
            return True
        if self.down_since is not None and time.monotonic() - self.down_since < PROBE_AFTER_S:
            return False
        try:
            http.system_stats(self.session())
            if self.schema is None:
                self.error = None
                self.load_schema()
                return self.error is None
        except ComfyreelError as exc:
            self.mark_down(exc.message)
            return False
        self.error, self.down_since = None, None
        return True

    def queue_length(self) -> int:
        now = time.monotonic()
        if now - self.queue_read_at >= QUEUE_TTL_S:
            try:
                snap = http.queue(self.session())
                self.queue_len = len(snap.running) + len(snap.pending)
            except ComfyreelError as exc:
                self.mark_down(exc.message)
            self.queue_read_at = now
        return self.queue_len

    def where_is(self, prompt_id: str) -> str | None:
        """Ask the server about a prompt: "done", "failed", "queued" or None (unknown to it)."""
        server = self.session()
        entry = http.history(server, prompt_id)
        if entry is not None:
            return "done" if entry.status_str in (None, "success") else "failed"
        snap = http.queue(server)
        if prompt_id in snap.running or prompt_id in snap.pending:
            return "queued"
        if http.jobs_supported(server):
            status = http.job_status(server, prompt_id)
            if status in ("pending", "in_progress"):
                return "queued"
            if status == "completed":
                return "done"
        return None

    def forget(self, prompt_id: str) -> None:
        """Delete our own failed history entry, so the same prompt_id can be queued again."""
        server = self.session()
        with http.translating(server, "POST /history"):
            server.session.post(
                server.base + "/history", json={"delete": [prompt_id]}, timeout=server.timeout
            )

    # -- capability ---------------------------------------------------------------------------------
    def problems(self, job: Job) -> list[Any]:
        """Error findings of *job*'s graph against this server's schema (empty: it can render it)."""
        if self.schema is None:
            return []
        key = job.graph.sha256()
        found = self.fits.get(key)
        if found is None:
            from comfyreel.compiler.validate import validate_graph

            found = [f for f in validate_graph(job.graph, self.schema) if f.severity == "error"]
            self.fits[key] = found
        return found
