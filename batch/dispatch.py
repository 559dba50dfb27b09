"""The in-process dispatcher: every job of a batch, spread over the servers that can render it.

- A job goes only to a server whose own ``/object_info`` validates its graph (nodes and model files),
  the least busy by that server's ``/queue`` (all clients' jobs), never more than ``per_server`` of
  ours queued on one server. Each job runs on a thread of its own through ``runner.run_graph``
  (websocket + polls, deadlines, downloads, manifest) into ``OUT/<job name>/``.
- A job that is lost, unreachable or timed out moves to another server (``max_attempts``); a
  validation error, a rejected prompt, a node error or an out-of-memory is final (OOM keeps the
  runner's LTX hints plus the profile hint).
- Never twice: the prompt_id is derived from the job's identity. With ``resume`` a run folder whose
  manifest says success is skipped, and every other job's prompt_id is looked up on the servers
  (``/history``, ``/queue``, ``/api/jobs``): a queued or finished render is followed, not re-queued.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyreel.batch.fleet import ServerState
from comfyreel.batch.jobs import Job
from comfyreel.compiler.errors import ComfyreelError, UsageError
from comfyreel.runner.errors import JobLost, OutOfMemory, ProtocolError, RunTimeout, ServerUnavailable
from comfyreel.runner.session import RunOptions, run_graph

MOVABLE = (ServerUnavailable, JobLost, RunTimeout, ProtocolError)  # the server's fault: try another
PROFILE_HINT = "add `profile: rtx4060-8gb` to the recipe (or --set profile=rtx4060-8gb) to fit 8 GB"
EventSink = Callable[[dict[str, Any]], None]


@dataclass
class BatchOptions:
    per_server: int = 2  # at most this many of our jobs queued on one server
    resume: bool = False
    max_attempts: int = 3  # servers tried per job (lost / unreachable / timed out)
    no_server_s: float = 30.0  # fail the rest when no server can take a job for this long
    run: RunOptions = field(default_factory=RunOptions)


@dataclass
class Outcome:
    """How one job ended (a row of the summary)."""

    job: Job
    status: str  # success | skipped | failed
    server: str | None = None
    run_dir: str | None = None
    attempts: int = 0
    seconds: float = 0.0
    attached: bool = False  # followed a render already on the server (resume)
    outputs: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.job.name,
            "recipe": self.job.recipe,
            "variant": self.job.variant,
            "identity": self.job.identity,
            "prompt_id": self.job.prompt_id,
            "status": self.status,
            "server": self.server,
            "run_dir": self.run_dir,
            "attempts": self.attempts,
            "seconds": round(self.seconds, 3),
            "attached": self.attached,
            "outputs": self.outputs,
            "error": self.error,
        }


def completed_run(run_dir: Path, job: Job) -> list[str] | None:
    """The output paths of a finished run of *job* in *run_dir*, or None if it is not one."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("status") != "success" or manifest.get("graph", {}).get("sha256") != job.graph.sha256():
        return None
    return [str(o.get("path")) for o in manifest.get("outputs") or []]


class Dispatcher:
    """Run *jobs* on *servers* into *out*; :meth:`run` returns one Outcome per job, in job order."""

    def __init__(
        self,
        jobs: list[Job],
        servers: list[ServerState],
        out: Path,
        options: BatchOptions | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self.jobs, self.servers, self.out = jobs, servers, Path(out)
        self.options = options or BatchOptions()
        self.sink = on_event
        self.outcomes: dict[str, Outcome] = {}
        self.attempts: dict[str, int] = {}
        self.excluded: dict[str, set[str]] = {}
        self.attach_to: dict[str, ServerState] = {}
        self.results: queue.Queue[tuple[Job, ServerState, bool, Any, float]] = queue.Queue()
        self.t0 = time.monotonic()

    def emit(self, event: str, **data: Any) -> None:
        if self.sink is not None:
            self.sink({"event": event, "t": round(time.monotonic() - self.t0, 3), **data})

    # -- before the first submit -----------------------------------------------------------------
    def _settle_folders(self) -> list[Job]:
        """Skip finished runs (resume); refuse to overwrite runs without --resume."""
        pending = []
        for job in self.jobs:
            run_dir = self.out / job.name
            if not run_dir.exists():
                pending.append(job)
                continue
            if not self.options.resume:
                raise UsageError(
                    f"{self.out} already holds a run of {job.name}",
                    hint="add --resume to finish that batch, or choose another --out",
                )
            outputs = completed_run(run_dir, job)
            if outputs is not None:
                self.outcomes[job.name] = Outcome(job, "skipped", run_dir=str(run_dir), outputs=outputs)
                self.emit("job", name=job.name, state="skipped")
            else:
                shutil.rmtree(run_dir)  # an unfinished run of ours: render it again
                pending.append(job)
        return pending

    def _ask_servers(self, pending: list[Job]) -> None:
        """Resume: find renders already queued or finished on a server (by prompt_id)."""
        for job in pending:
            for server in self.servers:
                if not server.up():
                    continue
                try:
                    where = server.where_is(job.prompt_id)
                    if where == "failed":
                        server.forget(job.prompt_id)
                except ComfyreelError as exc:
                    server.mark_down(exc.message)
                    continue
                if where in ("done", "queued"):
                    self.attach_to[job.name] = server
                    break

    # -- placing ----------------------------------------------------------------------------------
    def _eligible(self, job: Job) -> list[ServerState]:
        return [s for s in self.servers if s.schema is not None and not s.problems(job)]

    def _pick(self, job: Job) -> ServerState | None:
        attached = self.attach_to.get(job.name)
        if attached is not None:
            return attached if attached.up() else None
        best, best_key = None, None
        excluded = self.excluded.get(job.name, set())
        for index, server in enumerate(self.servers):
            if server.inflight >= self.options.per_server or server.url in excluded:
                continue
            if server.schema is None or server.problems(job) or not server.up():
                continue
            key = (max(server.queue_length(), server.inflight), server.inflight, index)
            if server.error is None and (best_key is None or key < best_key):
                best, best_key = server, key
        return best

    def _start(self, job: Job, server: ServerState) -> None:
        attach = self.attach_to.pop(job.name, None) is not None
        server.inflight += 1
        server.queue_len += 1
        self.attempts[job.name] = self.attempts.get(job.name, 0) + 1
        self.emit("job", name=job.name, state="running", server=server.url, attached=attach)
        options = dataclasses.replace(
            self.options.run,
            prompt_id=job.prompt_id,
            run_dir=self.out / job.name,
            attach=attach,
            validate_online=False,  # validated against this server's schema already
            headers=dict(server.headers),
        )
        thread = threading.Thread(
            target=self._work, args=(job, server, attach, options), name=f"batch-{job.name}", daemon=True
        )
        thread.start()

    def _work(self, job: Job, server: ServerState, attach: bool, options: RunOptions) -> None:
        started = time.monotonic()
        try:
            result: Any = self.render(job, server, options)
        except BaseException as exc:  # handed to the dispatcher thread, which decides
            result = exc
        self.results.put((job, server, attach, result, time.monotonic() - started))

    def render(self, job: Job, server: ServerState, options: RunOptions) -> list[str]:
        """Render *job* on *server* (here, in this process); the output paths in its run folder."""
        result = run_graph(
            job.graph, server_url=server.full_url, out_dir=self.out, options=options, loaded=job.loaded
        )
        return [f.path for f in result.files]

    # -- outcomes ---------------------------------------------------------------------------------
    def _finish(self, job: Job, server: ServerState, attach: bool, result: Any, seconds: float) -> Job | None:
        """Record *result*; returns the job when it should be tried again elsewhere."""
        server.inflight -= 1
        common = {"server": server.url, "attempts": self.attempts[job.name], "seconds": seconds}
        run_dir = str(self.out / job.name)
        if not isinstance(result, BaseException):
            server.done += 1
            outputs = list(result)
            self.outcomes[job.name] = Outcome(
                job, "success", run_dir=run_dir, attached=attach, outputs=outputs, **common
            )
            self.emit("job", name=job.name, state="done", **common)
            return None
        if isinstance(result, MOVABLE):
            if isinstance(result, ServerUnavailable):
                server.mark_down(result.message)
            self.excluded.setdefault(job.name, set()).add(server.url)
            others = [s for s in self._eligible(job) if s.url not in self.excluded[job.name]]
            if self.attempts[job.name] < self.options.max_attempts and others:
                self.emit("job", name=job.name, state="retry", reason=result.kind, **common)
                shutil.rmtree(self.out / job.name, ignore_errors=True)
                return job
        if not isinstance(result, ComfyreelError):
            raise result
        error = result.to_dict()
        if isinstance(result, OutOfMemory) and job.loaded is not None and job.loaded.recipe.profile is None:
            error["hint"] = f"{error.get('hint') or ''}; {PROFILE_HINT}".lstrip("; ")
        server.failed += 1
        self.outcomes[job.name] = Outcome(job, "failed", run_dir=run_dir, error=error, **common)
        self.emit("job", name=job.name, state="failed", error=result.kind, message=result.message, **common)
        return None

    def _fail(self, job: Job, message: str, kind: str, **extra: Any) -> None:
        error = {"error": kind, "message": message, **extra}
        self.outcomes[job.name] = Outcome(job, "failed", attempts=self.attempts.get(job.name, 0), error=error)
        self.emit("job", name=job.name, state="failed", error=kind, message=message)

    def _unplaceable(self, pending: list[Job]) -> list[Job]:
        """Fail jobs no server with a schema can render (validation errors are never retried)."""
        keep = []
        with_schema = [s for s in self.servers if s.schema is not None]
        for job in pending:
            if not with_schema or self._eligible(job) or job.name in self.attach_to:
                keep.append(job)
                continue
            findings = with_schema[0].problems(job)
            text = "; ".join(f"{f.node_id}({f.class_type}): {f.message}" for f in findings[:3])
            self._fail(
                job,
                f"no server can render it: {text}",
                "graph_invalid",
                findings=[f.to_dict() for f in findings],
                servers={s.url: len(s.problems(job)) for s in with_schema},
            )
        return keep

    # -- the loop ---------------------------------------------------------------------------------
    def run(self) -> list[Outcome]:
        pending = self._settle_folders()
        threads = [threading.Thread(target=s.load_schema, daemon=True) for s in self.servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for server in self.servers:
            self.emit("server", url=server.url, up=server.error is None, error=server.error)
        if pending and all(s.schema is None for s in self.servers):
            raise ServerUnavailable(
                "no server of the batch answered: " + "; ".join(f"{s.url}: {s.error}" for s in self.servers),
                hint="start ComfyUI on each --server URL, or remove the dead ones",
            )
        if self.options.resume and pending:
            self._ask_servers(pending)
        self.emit("batch", jobs=len(self.jobs), pending=len(pending), servers=len(self.servers))
        waiting = deque(self._unplaceable(pending))
        running = 0
        stuck_since: float | None = None
        while waiting or running:
            running += self._fill(waiting)
            if waiting and not running:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > self.options.no_server_s:
                    for job in waiting:
                        reasons = "; ".join(f"{s.url}: {s.error}" for s in self.servers if s.error)
                        self._fail(job, f"no server could take it ({reasons or 'none eligible'})", "server")
                    break
                time.sleep(0.2)
                continue
            stuck_since = None
            try:
                item = self.results.get(timeout=0.5)
            except queue.Empty:
                continue
            while True:
                running -= 1
                again = self._finish(*item)
                if again is not None:
                    waiting.appendleft(again)
                try:
                    item = self.results.get_nowait()
                except queue.Empty:
                    break
        for server in self.servers:
            server.close()
        return [self.outcomes[job.name] for job in self.jobs]

    def _fill(self, waiting: deque[Job]) -> int:
        """Start every waiting job some server has room for; returns how many started."""
        started = 0
        for job in list(waiting):
            if all(s.inflight >= self.options.per_server for s in self.servers):
                break  # every server is full (a down one is probed by _pick, at most every few s)
            server = self._pick(job)
            if server is not None:
                waiting.remove(job)
                self._start(job, server)
                started += 1
        return started
