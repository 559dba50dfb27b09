"""The IO shell of a render: submit one graph, follow it to the end, download its outputs, write the manifest.

Order of a run: ``/system_stats`` -> live ``/object_info`` (+ online validation) -> websocket with our
own ``client_id`` (opened BEFORE the submit, so a fast or cached run is still seen) -> ``POST /prompt``
with our own ``prompt_id`` (known even if the answer is lost) -> the :mod:`completion` state machine
decides every next step (read the socket, poll, reconnect, cancel our prompt) -> outputs via ``/view``
-> ``manifest.json``. Every wait has a deadline. Failures raise a :class:`RunError` subclass after the
manifest is written with ``status`` = the error kind; Ctrl-C removes only our prompt, then re-raises.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import ComfyreelError
from comfyreel.compiler.graph import Graph, is_link
from comfyreel.runner import completion as c
from comfyreel.runner import http, outputs, rejection
from comfyreel.runner import protocol as p
from comfyreel.runner.errors import (
    ExecutionFailed,
    Interrupted,
    JobLost,
    OutOfMemory,
    OutputError,
    PromptRejected,
    RunError,
    RunTimeout,
    ServerUnavailable,
)
from comfyreel.runner.manifest import (
    GRAPH_NAME,
    GraphRef,
    Manifest,
    ObjectInfoRef,
    OutputFile,
    RecipeRef,
    ServerInfo,
    atomic_write_text,
)
from comfyreel.runner.timing import TimingRecorder, VramPeak
from comfyreel.runner.ws import WsClient, WsClosed

EventSink = Callable[[dict[str, Any]], None]
BUST_INPUT = "comfyreel_cache_bust"
SEED_INPUTS = ("seed", "noise_seed")
OOM_PATTERN = re.compile(r"out of memory|OutOfMemory|Allocation on device", re.IGNORECASE)
OOM_HINT = (
    "the GPU ran out of memory. For LTX on small cards: fewer frames (8n+1, e.g. 49 -> 33), a lower "
    "resolution (multiples of 32, e.g. 768 -> 512), a tiled VAE decode, the text encoder offloaded to "
    "the CPU, or the rtx4060-8gb profile; launch ComfyUI with --novram (comfyreel run --launch does)"
)


def run_clock() -> float:
    """Seconds on a clock that keeps counting while the machine sleeps (CLOCK_BOOTTIME on Linux).

    ``time.monotonic`` stops during a laptop suspend, so a deadline on it can stretch without bound
    (comfy-cli's ``run --wait`` hung 40+ minutes after a sleep: Comfy-Org/comfy-cli#877).
    """
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return time.clock_gettime(boottime)
    return time.monotonic()


@dataclass
class RunOptions:
    timeout_s: float = 3600.0  # total deadline from submit
    silence_timeout_s: float = 600.0  # no event and no change in polls
    allow_partial: bool = False  # accept HTTP 200 with node_errors (only the valid outputs run)
    bust_cache: bool = False  # force re-execution of every node (see bust_cache())
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"Authorization": "Bearer ..."}
    validate_online: bool = True  # validate against the live /object_info before submitting
    launch_flags: list[str] | None = None  # recorded in the manifest when comfyreel launched ComfyUI
    poll_s: float = 2.0
    fast_poll_s: float = 0.5
    lost_after_s: float = 3.0
    finish_grace_s: float = 30.0
    unreachable_s: float = 30.0
    run_name: str | None = None  # run folder prefix (default: recipe name or graph file stem)

    def timeouts(self) -> c.Timeouts:
        return c.Timeouts(
            total_s=self.timeout_s,
            silence_s=self.silence_timeout_s,
            poll_s=self.poll_s,
            fast_poll_s=self.fast_poll_s,
            lost_after_s=self.lost_after_s,
            finish_grace_s=min(self.finish_grace_s, self.timeout_s),
            unreachable_s=self.unreachable_s,
        )


@dataclass
class RunResult:
    run_dir: Path
    manifest: Manifest
    outputs: list[OutputFile]


def run_recipe(
    recipe_path: str | Path,
    *,
    server_url: str,
    out_dir: str | Path,
    options: RunOptions | None = None,
    on_event: EventSink | None = None,
) -> RunResult:
    """Load and compile a recipe, then :func:`run_graph` it."""
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.loader import load_recipe

    loaded = load_recipe(recipe_path)
    graph = compile_recipe(loaded)
    return run_graph(
        graph, server_url=server_url, out_dir=out_dir, options=options, loaded=loaded, on_event=on_event
    )


def bust_cache(graph: Graph, token: str) -> Graph:
    """A copy whose root nodes (no link inputs) carry an extra input ``comfyreel_cache_bust: token``.

    ComfyUI caches a node's outputs by its input *signature*, which includes every input in the
    prompt (known or not) and the signatures of all ancestors; unknown inputs are ignored by
    validation and never passed to the node. Changing a root's signature therefore re-executes
    every node downstream: a real render, unlike ``POST /free`` (frees memory, keeps the cache) or a
    new ``filename_prefix`` (re-runs only the save node).
    """
    nodes = json.loads(json.dumps(graph.nodes))
    for node in nodes.values():
        inputs = node.setdefault("inputs", {})
        if isinstance(inputs, dict) and not any(is_link(v) for v in inputs.values()):
            inputs[BUST_INPUT] = token
    return Graph(nodes=nodes, source=graph.source, meta=dict(graph.meta))


def seeds_of(graph: Graph) -> dict[str, int]:
    return {
        f"{node_id}.{name}": value
        for node_id, node in graph
        for name, value in (node.get("inputs") or {}).items()
        if name in SEED_INPUTS and isinstance(value, int) and not isinstance(value, bool)
    }


def _emit_message(emit: Callable[..., None], msg: p.Message, prompt_id: str, graph: Graph) -> None:
    if p.message_prompt_id(msg) != prompt_id:
        return
    if isinstance(msg, p.ExecutionStart):
        emit("started", timestamp=msg.timestamp)
    elif isinstance(msg, p.ExecutionCached):
        emit("cached", nodes=list(msg.nodes))
    elif isinstance(msg, p.Executing) and msg.node is not None:
        node = graph.nodes.get(msg.node, {})
        emit("node", node=msg.node, class_type=node.get("class_type"), title=graph.title(msg.node))
    elif isinstance(msg, p.Progress):
        emit("progress", node=msg.node, value=msg.value, max=msg.max)
    elif isinstance(msg, p.Executed):
        emit("executed", node=msg.node)
    elif isinstance(msg, p.ExecutionSuccess):
        emit("ended", how="success", timestamp=msg.timestamp)
    elif isinstance(msg, p.ExecutionError):
        emit("ended", how="error", timestamp=msg.timestamp, node=msg.node_id)
    elif isinstance(msg, p.ExecutionInterrupted):
        emit("ended", how="interrupted", timestamp=msg.timestamp, node=msg.node_id)


class _Run:
    """State of one run_graph call (kept on an object so the manifest can be written on any exit)."""

    def __init__(
        self,
        graph: Graph,
        server_url: str,
        out_dir: Path,
        options: RunOptions,
        loaded: Any,
        on_event: EventSink | None,
    ) -> None:
        self.graph, self.options, self.loaded = graph, options, loaded
        self.server_url = server_url  # may hold credentials: never logged, only passed on
        self.server = http.Server(server_url, headers=options.headers)
        self.client_id = uuid.uuid4().hex
        self.prompt_id = str(uuid.uuid4())
        self.clock = run_clock
        self.t0 = self.clock()
        self.sink = on_event
        self.timing = TimingRecorder({n: str(node.get("class_type")) for n, node in graph.nodes.items()})
        self.vram = VramPeak()
        self.stats: dict[str, Any] = {}
        self.schema_ref: ObjectInfoRef | None = None
        self.custom_nodes: list[str] = []
        self.output_nodes: list[str] = []
        self.cached: list[str] = []
        self.files: list[OutputFile] = []
        self.bust_token: str | None = None
        self.history_ts: tuple[int, int] | None = None
        self.run_dir = self._make_run_dir(out_dir)
        self.ws: WsClient | None = None
        self.submitted = False  # POST /prompt was (maybe) sent
        self.settled = False  # our prompt is finished on the server or was removed by us

    # -- events -------------------------------------------------------------------------------
    def emit(self, event: str, **data: Any) -> None:
        record = {"event": event, "t": round(self.clock() - self.t0, 6), **data}
        self.timing(record)
        if event == "cached":
            self.cached = sorted(set(self.cached) | set(data.get("nodes", [])))
        if self.sink is not None:
            self.sink(record)

    def _make_run_dir(self, out_dir: Path) -> Path:
        stem = (
            self.options.run_name
            or self.graph.meta.get("recipe_name")
            or Path(self.graph.source or "graph").stem
        )
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", str(stem))[:60] or "run"
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        run_dir = Path(out_dir) / f"{stem}-{stamp}-{self.prompt_id[:8]}"
        try:
            run_dir.mkdir(parents=True, exist_ok=False)
        except OSError as exc:
            raise OutputError(f"cannot create the run folder {run_dir}: {exc.strerror}") from None
        return run_dir

    # -- phases -------------------------------------------------------------------------------
    def prepare(self) -> Graph:
        self.stats = http.system_stats(self.server)
        self.vram.sample(self.stats)
        schema = self._object_info()
        if self.options.validate_online and schema is not None:
            from comfyreel.compiler.validate import ensure_valid

            for finding in ensure_valid(self.graph, schema):  # errors raise GraphInvalid; the rest are notes
                self.emit("finding", **finding.to_dict())
        if schema is not None:
            self.output_nodes = [
                n
                for n, node in self.graph
                if (s := schema.get(node.get("class_type"))) is not None and s.output_node
            ]
        atomic_write_text(self.run_dir / GRAPH_NAME, self.graph.to_json())
        if self.options.bust_cache:
            self.bust_token = uuid.uuid4().hex[:16]
            return bust_cache(self.graph, self.bust_token)
        return self.graph

    def _object_info(self) -> Any:
        from comfyreel.compiler.object_info import ObjectInfo

        try:
            from comfyreel.runner.schema_fetch import fetch_object_info  # helper B's module, when present
        except ImportError:
            fetch_object_info = None
        if fetch_object_info is not None:
            schema = fetch_object_info(self.server_url, headers=self.options.headers or None)
            raw = schema.raw
        else:
            raw = http.object_info(self.server)
            blob = json.dumps(raw, sort_keys=True).encode()
            schema = ObjectInfo.from_data(
                raw,
                source=f"{self.server.url}/object_info",
                sha256=hashlib.sha256(blob).hexdigest(),
                live=True,
            )
        self.schema_ref = ObjectInfoRef(source=f"{self.server.url}/object_info", sha256=schema.sha256)
        modules = {
            ".".join(str(entry.get("python_module")).split(".")[:2])
            for entry in raw.values()
            if isinstance(entry, dict) and str(entry.get("python_module", "")).startswith("custom_nodes.")
        }
        self.custom_nodes = sorted(modules)
        return schema

    def submit(self, graph: Graph) -> None:
        self.ws = WsClient(
            self.server.base, self.client_id, headers=self.server.auth_headers(), public=self.server.url
        )
        self.ws.connect()  # BEFORE the POST: a fast or fully cached run must not finish unseen
        self.emit(
            "submitted",
            prompt_id=self.prompt_id,
            client_id=self.client_id,
            url=self.server.url,
            nodes=len(graph),
        )
        self.submitted = True
        try:
            accepted = http.post_prompt(
                self.server, graph.canonical(), client_id=self.client_id, prompt_id=self.prompt_id
            )
        except PromptRejected as exc:
            self.settled = True  # nothing was queued
            raise rejection.rejected(
                exc.details.get("body"),
                self.graph,
                url=self.server.url,
                prompt_id=None,
                client_id=self.client_id,
            ) from None
        except ServerUnavailable as exc:
            if not exc.details.get("maybe_sent"):
                raise
            self.emit("warning", message="the answer to POST /prompt was lost; following our prompt_id")
            return
        if accepted.prompt_id != self.prompt_id:  # a server that ignores client-chosen ids
            self.prompt_id = accepted.prompt_id
        if accepted.node_errors:
            exc = rejection.rejected(
                {"node_errors": accepted.node_errors},
                self.graph,
                url=self.server.url,
                prompt_id=self.prompt_id,
                client_id=self.client_id,
                partial=True,
            )
            if not self.options.allow_partial:
                self._remove_own_prompt()
                raise exc
            self.emit("warning", message="partial submission accepted", findings=exc.details["findings"])

    def _remove_own_prompt(self) -> None:
        """Best effort: delete our prompt if pending, interrupt it if running (ours only)."""
        self.settled = True
        for call in (http.delete_from_queue, http.interrupt):
            with contextlib.suppress(RunError):
                call(self.server, self.prompt_id)

    def follow(self) -> c.Completion:
        machine = c.Completion(
            self.prompt_id,
            now=self.clock(),
            timeouts=self.options.timeouts(),
            expected_outputs=self.output_nodes,
        )
        jobs_api: bool | None = None
        state = machine.state
        while True:
            try:
                decision = machine.decide(self.clock())
                while decision.action is not c.Action.DONE:
                    decision = self._step(machine, decision, jobs_api)
                    if jobs_api is None and decision.action is c.Action.POLL:
                        jobs_api = self._jobs_supported()
                    if machine.state is not state:
                        state = machine.state
                        self.emit("state", state=state.value, reason=machine.reason)
                self.settled = True
                return machine
            except KeyboardInterrupt:
                if machine.state is c.State.CANCELLING or machine.done:
                    raise
                machine.feed(c.CancelRequested(self.clock()))
                self.emit("state", state=machine.state.value, reason=machine.reason)

    def _jobs_supported(self) -> bool:
        try:
            return http.jobs_supported(self.server)
        except RunError:
            return False

    def _step(self, machine: c.Completion, d: c.Decision, jobs_api: bool | None) -> c.Decision:
        assert self.ws is not None
        now = self.clock
        if d.action is c.Action.WAIT:
            timeout = max(0.0, (d.wake_at or now()) - now())
            if not self.ws.connected:
                time.sleep(min(timeout, 0.25))
                return machine.feed(c.Tick(now()))
            try:
                msg = self.ws.recv(min(timeout, 1.0))
            except WsClosed:
                self.emit("ws_lost")
                return machine.feed(c.WsLost(now()))
            if msg is None:
                return machine.feed(c.Tick(now()))
            _emit_message(self.emit, msg, self.prompt_id, self.graph)
            return machine.feed(c.WsMessage(msg, now()))
        if d.action is c.Action.POLL:
            try:
                return machine.feed(self._poll(jobs_api))
            except ServerUnavailable as exc:
                return machine.feed(c.PollFailed(now(), exc.message))
        if d.action is c.Action.RECONNECT:
            try:
                self.ws.reconnect()  # closes the old socket first
            except ServerUnavailable:
                return machine.feed(c.WsLost(now()))
            self.emit("reconnected")
            return machine.feed(c.WsConnected(now()))
        call = http.interrupt if d.action is c.Action.INTERRUPT else http.delete_from_queue
        with contextlib.suppress(RunError):
            call(self.server, self.prompt_id)
        self.emit("cancel", action=d.action.value, reason=d.reason)
        return machine.feed(c.CancelSent(now(), d.action))

    def _poll(self, jobs_api: bool | None) -> c.Poll:
        q = http.queue(
            self.server
        )  # queue first, then history: a prompt finishing in between is not "absent"
        entry = http.history(self.server, self.prompt_id)
        job = None
        running, pending = self.prompt_id in q.running, self.prompt_id in q.pending
        if entry is None and not running and not pending and jobs_api:
            job = http.job_status(self.server, self.prompt_id)
        if running:
            with contextlib.suppress(RunError):
                self.vram.sample(http.system_stats(self.server))
        return c.Poll(self.clock(), history=entry, running=running, pending=pending, job=job)

    # -- outcome ------------------------------------------------------------------------------
    def finish(self, machine: c.Completion) -> None:
        entry = machine.history
        if entry is not None:
            self.cached = sorted(set(self.cached) | set(entry.cached_nodes))
            start, end = entry.message("execution_start"), None
            for kind in ("execution_success", "execution_error", "execution_interrupted"):
                end = end or entry.message(kind)
            if (
                start
                and end
                and isinstance(start.get("timestamp"), int)
                and isinstance(end.get("timestamp"), int)
            ):
                self.history_ts = (start["timestamp"], end["timestamp"])
        state = machine.state
        common = {"url": self.server.url, "prompt_id": self.prompt_id, "client_id": self.client_id}
        if state is c.State.SUCCEEDED and entry is not None:
            self.files = outputs.download_all(
                self.server, entry.outputs, self.run_dir, cached_nodes=self.cached
            )
            for f in self.files:
                self.emit(
                    "output", node=f.node_id, path=f.path, size=f.size, sha256=f.sha256, cached=f.cached
                )
            expected = entry.outputs_to_execute if entry.outputs_to_execute is not None else self.output_nodes
            missing = outputs.missing_outputs(expected, self.files)
            if missing:
                raise OutputError(
                    f"output node(s) {', '.join(missing)} produced no files",
                    anchor=f"{self.graph.source or '<graph>'}:{missing[0]}({self.graph.title(missing[0])})",
                    hint="the node ran but reported nothing under images/videos/gifs/audio",
                    **common,
                )
            return
        if state is c.State.SUCCEEDED:
            state = c.State.LOST
        if state is c.State.FAILED:
            raise self._execution_failed(machine.error or {}, common)
        if state is c.State.INTERRUPTED:
            node = (machine.interrupted or {}).get("node_id")
            raise Interrupted(
                f"the prompt was interrupted on the server (node {node}), not by this run",
                hint="someone pressed Cancel or sent a global /interrupt; run again",
                **common,
            )
        if state is c.State.TIMED_OUT:
            raise RunTimeout(
                f"{machine.reason}; our prompt was removed from the server",
                hint="raise --silence-timeout / --timeout if the render is just slow",
                **common,
            )
        if state is c.State.CANCELLED:
            raise KeyboardInterrupt
        if state is c.State.UNREACHABLE:
            raise ServerUnavailable(machine.reason, hint="is the server still running?", **common)
        raise JobLost(machine.reason, hint="the server restarted or dropped the prompt; run again", **common)

    def _execution_failed(self, err: dict[str, Any], common: dict[str, Any]) -> ExecutionFailed:
        node_id = err.get("node_id")
        class_type = err.get("node_type")
        etype, emsg = (
            str(err.get("exception_type") or "Error"),
            str(err.get("exception_message") or "").strip(),
        )
        tail = [line.rstrip() for line in (err.get("traceback") or [])][-4:]
        details = {
            "node_id": node_id,
            "class_type": class_type,
            "exception_type": etype,
            "exception_message": emsg,
            "traceback_tail": tail,
            "current_inputs": {k: "<redacted>" for k in (err.get("current_inputs") or {})},
        }
        anchor = (
            f"{self.graph.source or '<graph>'}:{node_id}({self.graph.title(node_id) if node_id else '?'})"
        )
        first = emsg.splitlines()[0] if emsg else ""
        if OOM_PATTERN.search(etype) or OOM_PATTERN.search(emsg):
            return OutOfMemory(
                f"node {node_id} ({class_type}) ran out of memory: {etype}: {first}",
                anchor=anchor,
                hint=OOM_HINT,
                details=details,
                **common,
            )
        return ExecutionFailed(
            f"node {node_id} ({class_type}) failed: {etype}: {first}",
            anchor=anchor,
            hint="see the traceback tail in the manifest (error.details)",
            details=details,
            **common,
        )

    # -- manifest -----------------------------------------------------------------------------
    def manifest(self, status: str, error: ComfyreelError | None) -> Manifest:
        system = self.stats.get("system") or {}
        loaded = self.loaded
        recipe = None
        if loaded is not None:
            recipe = RecipeRef(
                path=str(loaded.source),
                name=self.graph.meta.get("recipe_name"),
                model=self.graph.meta.get("model"),
                sha256=loaded.sha256,
                text=loaded.text,
            )
        total = round(self.clock() - self.t0, 6)
        return Manifest(
            comfyreel_version=_version(),
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            status=status,
            prompt_id=self.prompt_id,
            client_id=self.client_id,
            recipe=recipe,
            graph=GraphRef(sha256=self.graph.sha256()),
            object_info=self.schema_ref,
            server=ServerInfo(
                url=self.server.url,
                comfyui_version=system.get("comfyui_version"),
                python_version=system.get("python_version"),
                pytorch_version=system.get("pytorch_version"),
                os=system.get("os"),
                devices=list(self.stats.get("devices") or []),
                custom_nodes=self.custom_nodes,
                launch_flags=self.options.launch_flags,
            ),
            seeds=seeds_of(self.graph),
            cached_nodes=self.cached,
            timings=self.timing.timings(total_s=total, history_ts=self.history_ts),
            peak_vram_bytes=self.vram.peak,
            outputs=self.files,
            error=error.to_dict() if error is not None else None,
            cache_bust=self.bust_token,
        )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("comfyreel")
    except PackageNotFoundError:
        return "0.0.0"


def run_graph(
    graph: Graph,
    *,
    server_url: str,
    out_dir: str | Path,
    options: RunOptions | None = None,
    loaded: Any = None,
    on_event: EventSink | None = None,
) -> RunResult:
    """Render *graph* on the server; returns the run folder, manifest and downloaded outputs."""
    options = options or RunOptions()
    run = _Run(graph, server_url, Path(out_dir), options, loaded, on_event)
    try:
        submitted = run.prepare()
        run.submit(submitted)
        machine = run.follow()
        run.finish(machine)
    except ComfyreelError as exc:
        if run.submitted and not run.settled:  # e.g. a ProtocolError while following: do not leave it running
            run._remove_own_prompt()
        run.manifest(exc.kind, exc).write(run.run_dir)
        run.emit("error", **exc.to_dict(), run_dir=str(run.run_dir))
        raise
    except KeyboardInterrupt:
        if run.submitted and not run.settled:
            run._remove_own_prompt()
        err = Interrupted(
            "cancelled by the user (Ctrl-C); our prompt was removed from the server",
            url=run.server.url,
            prompt_id=run.prompt_id,
            client_id=run.client_id,
        )
        run.manifest(err.kind, err).write(run.run_dir)
        raise
    finally:
        if run.ws is not None:
            run.ws.close()
        run.server.close()
    manifest = run.manifest("success", None)
    manifest.write(run.run_dir)
    run.emit("done", status="success", run_dir=str(run.run_dir), outputs=[f.path for f in run.files])
    return RunResult(run.run_dir, manifest, run.files)
