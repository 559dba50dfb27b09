"""The IO shell of a render: submit one graph, follow it to the end, download its outputs, write the manifest.

Order of a run: ``/system_stats`` -> websocket with our own ``client_id`` (opened BEFORE the submit,
so a fast or cached run is still seen) -> online validation against the graph's node classes, read
live from ``/object_info/{class}`` -> ``POST /prompt`` with our own ``prompt_id`` (known even if the
answer is lost) -> the full live ``/object_info`` for the manifest is fetched on a thread, overlapping
the render (:mod:`live_schema`), while the :mod:`completion` state machine decides every next step
(read the socket, poll, reconnect, cancel our prompt) -> outputs via ``/view`` -> ``manifest.json``.
Every wait has a deadline. Failures raise a :class:`RunError` subclass after the manifest is written
with ``status`` = the error kind; Ctrl-C removes only our prompt, then re-raises.
The manifest is written as plain JSON (no pydantic on the render path, issue 7);
``RunResult.manifest`` / ``.outputs`` validate it into the :mod:`manifest_models` on first access.
"""

from __future__ import annotations

import contextlib
import functools
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import ComfyreelError
from comfyreel.compiler.graph import Graph
from comfyreel.runner import completion as c
from comfyreel.runner import http, outputs, rejection
from comfyreel.runner.errors import (
    Interrupted,
    OutputError,
    PreflightFailed,
    PromptRejected,
    RunError,
    ServerUnavailable,
    UserCancelled,
)
from comfyreel.runner.follow import Follower
from comfyreel.runner.graph_ops import bust_cache, output_nodes, seeds_of
from comfyreel.runner.live_schema import LiveSchema, fetch_nodes
from comfyreel.runner.manifest import GRAPH_NAME, SCHEMA_VERSION, atomic_write_text, write_manifest_data
from comfyreel.runner.options import RunOptions, run_clock
from comfyreel.runner.outcome import raise_for_state
from comfyreel.runner.run_records import FileRecord, RunResult, recipe_record, server_record
from comfyreel.runner.timing import TimingRecorder, VramPeak
from comfyreel.runner.uploads import Uploaded, graph_inputs, renamed, upload_inputs
from comfyreel.runner.ws import WsClient

EventSink = Callable[[dict[str, Any]], None]
SCHEMA_WAIT_S = 10.0  # longest a finished render waits for the background /object_info (manifest only)


def run_recipe(
    recipe_path: str | Path,
    *,
    server_url: str,
    out_dir: str | Path,
    options: RunOptions | None = None,
    on_event: EventSink | None = None,
    sets: Sequence[str] = (),
    strict: bool = False,
) -> RunResult:
    """Load and compile a recipe (``--set`` overrides; ``strict``: warnings are errors), then run it."""
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.errors import UsageError
    from comfyreel.compiler.variants import load_variants

    variants = load_variants(recipe_path, sets, strict=strict)
    if len(variants) > 1:
        raise UsageError(
            f"{recipe_path} has {len(variants)} variants ({variants[0].name}, ...): one run renders one",
            hint="render them all with `comfyreel batch`, or pin one with --set KEY=VALUE",
        )
    loaded = variants[0]
    graph = compile_recipe(loaded)
    return run_graph(
        graph, server_url=server_url, out_dir=out_dir, options=options, loaded=loaded, on_event=on_event
    )


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
        self.server = http.Server(server_url, headers=options.headers, timeout=(5.0, options.read_timeout_s))
        self.client_id = uuid.uuid4().hex
        self.prompt_id = options.prompt_id or str(uuid.uuid4())
        self.clock = run_clock
        self.t0 = self.clock()
        self.sink = on_event
        self.timing = TimingRecorder({n: str(node.get("class_type")) for n, node in graph.nodes.items()})
        self.vram = VramPeak()
        self.stats: dict[str, Any] = {}
        self.live: LiveSchema | None = None
        self.schema_ref: dict[str, Any] | None = None  # manifest "object_info"
        self.custom_nodes: list[str] = []
        self.output_nodes: list[str] = []
        self.cached: list[str] = []
        self.files: list[FileRecord] = []  # appended as each download finishes
        self.ui_outputs: dict[str, dict[str, Any]] = {}  # what output nodes showed besides files
        self.bust_token: str | None = None
        self.uploads: list[Uploaded] = []  # input media, in graph order (manifest "inputs")
        self.history_ts: tuple[int, int] | None = None
        self.run_dir = self._make_run_dir(out_dir)
        self.ws: WsClient | None = None
        self.submitted = False  # POST /prompt was (maybe) sent
        self.settled = False  # our prompt is finished on the server or was removed by us
        self.finished = False  # the server has a terminal /history entry for our prompt
        self.cancel_note = ""  # what cancelling did to our prompt on the server (for messages)

    # -- events -------------------------------------------------------------------------------
    def emit(self, event: str, **data: Any) -> None:
        record = {"event": event, "t": round(self.clock() - self.t0, 6), **data}
        self.timing(record)
        if event == "cached":
            self.cached = sorted(set(self.cached) | set(data.get("nodes", [])))
        if self.sink is not None:
            self.sink(record)

    def _make_run_dir(self, out_dir: Path) -> Path:
        if self.options.run_dir is not None:
            run_dir = Path(self.options.run_dir)
            try:
                run_dir.mkdir(parents=True, exist_ok=False)
            except OSError as exc:
                raise OutputError(f"cannot create the run folder {run_dir}: {exc.strerror}") from None
            return run_dir
        stem = (
            self.options.run_name
            or self.graph.meta.get("recipe_name")
            or Path(self.graph.source or "graph").stem
        )
        stem = re.sub(r"[^A-Za-z0-9_.@=,+~-]", "_", str(stem))[:120] or "run"
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
        self.server.interrupt_scoped = http.interrupt_is_scoped(
            self.stats, private=self.options.launch_flags is not None
        )
        self.ws = WsClient(
            self.server.base, self.client_id, headers=self.server.auth_headers(), public=self.server.url
        )
        try:
            self.ws.connect()  # BEFORE the POST: a fast or fully cached run must not finish unseen
        except ServerUnavailable as exc:  # HTTP works (system_stats answered): a proxy without websockets
            self.ws.disabled = True
            self.emit("warning", message=f"{exc.message}; following the prompt by polling /history instead")
        media = graph_inputs(self.graph)
        if media:  # before validation and submit: the server checks LoadImage & co. files exist
            anchor = str(self.loaded.source) if self.loaded is not None else self.graph.source or "<graph>"
            self.uploads = upload_inputs(self.server, media, anchor=anchor, emit=self.emit)
        if self.options.validate_online and not self.options.attach:
            from comfyreel.compiler.validate import ensure_valid

            classes = (node.get("class_type") for node in self.graph.nodes.values() if isinstance(node, dict))
            schema = fetch_nodes(self.server, classes)  # live, and only what validation reads
            if schema is None:  # no per-class route on this server: read the whole schema first
                self.start_live()
                assert self.live is not None
                schema = self.live.wait()
                self._take_schema()
            self.output_nodes = output_nodes(self.graph, schema)
            self._preflight(schema)
            for finding in ensure_valid(self.graph, schema):  # errors raise GraphInvalid; the rest are notes
                self.emit("finding", **finding.to_dict())
        atomic_write_text(self.run_dir / GRAPH_NAME, self.graph.to_json())
        graph = renamed(self.graph, self.uploads)  # the names the server gave our files
        if self.options.bust_cache:
            self.bust_token = uuid.uuid4().hex[:16]
            return bust_cache(graph, self.bust_token)
        return graph

    def _preflight(self, schema: Any) -> None:
        """Stop with the doctor table when the server lacks node classes, model files or VRAM.

        Uses the ``/system_stats`` and per-class schema already read: no extra request.
        """
        from comfyreel.runner.preflight import check_graph

        report = check_graph(self.graph, schema, self.stats)
        if not report.ok:
            from comfyreel.compiler.validate import validate_graph

            errors = [f for f in validate_graph(self.graph, schema) if f.severity == "error"]
            raise PreflightFailed(report, findings=errors, anchor=self.graph.source)

    def start_live(self) -> None:
        """Fetch the full live /object_info on a thread, overlapping the render (see live_schema)."""
        if self.live is None:
            self.live = LiveSchema(self.server_url, self.options.headers or None).start()

    def _take_schema(self, wait: float = 0.0, give_up: bool = False) -> None:
        """Record the live /object_info (sha256, custom nodes, output nodes) if there within *wait* s.

        The render never needs it: a failed fetch, or one still running when *give_up* is set, only
        costs the manifest its ``object_info`` (a warning says so).
        """
        live = self.live
        if live is None or self.schema_ref is not None:
            return
        try:
            schema = live.wait(wait)
            if schema is None:  # still fetching
                if give_up:
                    self.live = None
                    self.emit(
                        "warning", message=f"live /object_info not recorded: no answer within {wait:g} s"
                    )
                return
        except ComfyreelError as exc:
            self.live = None
            self.emit("warning", message=f"live /object_info not recorded: {exc.message}")
            return
        self.schema_ref = {"source": live.source, "sha256": live.sha256}
        self.custom_nodes = live.custom_nodes
        self.output_nodes = output_nodes(self.graph, schema)

    def _expected_outputs(self) -> list[str]:
        """Output nodes by the live schema if read already, else by the pinned one (history's list wins)."""
        self._take_schema(wait=0)
        if self.schema_ref is not None or (self.options.validate_online and not self.options.attach):
            return self.output_nodes
        from comfyreel.compiler.object_info import ObjectInfo

        return output_nodes(self.graph, ObjectInfo.pinned())

    def submit(self, graph: Graph) -> None:
        assert self.ws is not None
        attached = {"attached": True} if self.options.attach else {}
        self.emit(
            "submitted",
            prompt_id=self.prompt_id,
            client_id=self.client_id,
            url=self.server.url,
            nodes=len(graph),
            **attached,
        )
        self.submitted = True
        if self.options.attach:  # already on the server: follow it, never queue it twice
            return
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
        """Best effort: delete our prompt if pending, interrupt it if running (ours only, never global)."""
        self.settled = True
        with contextlib.suppress(RunError):
            http.delete_from_queue(self.server, self.prompt_id)
        try:
            sent = http.interrupt(self.server, self.prompt_id)
        except RunError:
            sent = True  # it was tried
        self.cancel_note = "our prompt was removed from the server" if sent else self._unscoped_note()

    def _unscoped_note(self) -> str:
        version = (self.stats.get("system") or {}).get("comfyui_version") or "unknown"
        return (
            f"our prompt was removed if still queued; if running it was left to finish: ComfyUI "
            f"{version} cannot interrupt one prompt (0.3.57+ can), and a global interrupt could stop "
            "another client's job"
        )

    def follow(self) -> c.Completion:
        assert self.ws is not None
        machine = c.Completion(
            self.prompt_id,
            now=self.clock(),
            timeouts=self.options.timeouts(),
            expected_outputs=self._expected_outputs(),
        )
        follower = Follower(
            self.server, self.ws, self.prompt_id, self.graph, self.emit, self.vram, self.clock
        )
        follower.run(machine)
        self.settled = True
        self.finished = machine.history is not None and machine.state in (c.State.SUCCEEDED, c.State.FAILED)
        if machine.state in (c.State.TIMED_OUT, c.State.CANCELLED):
            self.cancel_note = (
                self._unscoped_note()
                if follower.interrupt_skipped
                else "our prompt was removed from the server"
            )
        return machine

    # -- outcome ------------------------------------------------------------------------------
    def finish(self, machine: c.Completion) -> None:
        left = (
            (self.server.deadline or 0) - self.clock() if self.server.deadline is not None else SCHEMA_WAIT_S
        )
        self._take_schema(wait=max(min(SCHEMA_WAIT_S, left), 0.0), give_up=True)  # long since there anyway
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
            self.ui_outputs = outputs.ui_records(entry.outputs)
            outputs.download_all(
                self.server,
                entry.outputs,
                self.run_dir,
                cached_nodes=self.cached,
                into=self.files,
                on_file=lambda f: self.emit(
                    "output", node=f.node_id, path=f.path, size=f.size, sha256=f.sha256, cached=f.cached
                ),
            )
            fallback = self.output_nodes if self.schema_ref is not None else list(machine.expected_outputs)
            expected = entry.outputs_to_execute if entry.outputs_to_execute is not None else fallback
            missing = outputs.missing_outputs(expected, self.files, self.ui_outputs)
            if missing:
                raise OutputError(
                    f"output node(s) {', '.join(missing)} produced nothing",
                    anchor=self.graph.anchor(missing[0]),
                    hint="the prompt succeeded but /history lists no file, text or other output of the node",
                    **common,
                )
            return
        raise_for_state(
            machine, self.graph, common, self.cancel_note or "our prompt was removed from the server"
        )

    def ctrl_c_note(self) -> str:
        """What Ctrl-C left on the server and on disk, true to the phase it came in."""
        if not self.submitted:
            return "nothing was submitted"
        if self.finished:
            return (
                f"the prompt had already finished on the server; {len(self.files)} output file(s) "
                "were downloaded before it and are listed in the manifest"
            )
        return self.cancel_note or "our prompt was removed from the server"

    # -- manifest -----------------------------------------------------------------------------
    def manifest(self, status: str, error: ComfyreelError | None) -> dict[str, Any]:
        """The manifest as JSON data, field for field as ``manifest_models.Manifest`` dumps it."""
        self._take_schema(wait=0.0 if status == "success" else 1.0, give_up=True)
        submitted = self.timing.submit_t  # seconds after t0; total_s counts from POST /prompt
        total = round(self.clock() - self.t0 - submitted, 6) if submitted is not None else None
        return {
            "schema_version": SCHEMA_VERSION,
            "comfyreel_version": _version(),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "status": status,
            "prompt_id": self.prompt_id,
            "client_id": self.client_id,
            "recipe": recipe_record(self.loaded, self.graph.meta),
            "graph": {"path": GRAPH_NAME, "sha256": self.graph.sha256()},
            "object_info": self.schema_ref,
            "server": server_record(
                self.server.url, self.stats, self.custom_nodes, self.options.launch_flags
            ),
            "seeds": seeds_of(self.graph),
            "cached_nodes": list(self.cached),
            "timings": self.timing.timings(total_s=total, history_ts=self.history_ts).to_dict(),
            "peak_vram_bytes": self.vram.peak,
            "inputs": [u.to_dict() for u in self.uploads],
            "outputs": [f.to_dict() for f in self.files],
            "ui_outputs": self.ui_outputs,
            "error": error.to_dict() if error is not None else None,
            "cache_bust": self.bust_token,
        }


@functools.cache
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
    for warning in getattr(loaded, "warnings", ()):  # shown like compile shows them; kept in the manifest
        run.emit("warning", message=warning, source="recipe")
    try:
        submitted = run.prepare()
        run.submit(submitted)
        run.server.clock, run.server.deadline = run.clock, run.clock() + options.timeout_s
        run.start_live()
        machine = run.follow()
        run.finish(machine)
    except ComfyreelError as exc:
        if run.submitted and not run.settled:  # e.g. a ProtocolError while following: do not leave it running
            run._remove_own_prompt()
        write_manifest_data(run.run_dir, run.manifest(exc.kind, exc))
        run.emit("error", **exc.to_dict(), run_dir=str(run.run_dir))
        raise
    except KeyboardInterrupt:
        if run.submitted and not run.settled:
            run._remove_own_prompt()
        err = Interrupted(
            f"cancelled by the user (Ctrl-C); {run.ctrl_c_note()}",
            url=run.server.url,
            prompt_id=run.prompt_id,
            client_id=run.client_id,
        )
        write_manifest_data(run.run_dir, run.manifest(err.kind, err))
        run.emit("error", **err.to_dict(), run_dir=str(run.run_dir))
        raise UserCancelled(err) from None
    finally:
        if run.ws is not None:
            run.ws.close()
        run.server.close()
    data = run.manifest("success", None)
    write_manifest_data(run.run_dir, data)
    run.emit("done", status="success", run_dir=str(run.run_dir), outputs=[f.path for f in run.files])
    return RunResult(run.run_dir, data, run.files)
