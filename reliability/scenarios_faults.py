"""Fault scenarios against one fake server: websocket drops, restarts, late history, rejections, OOM.

Each function takes ``(runs, seed, work)`` and returns a :class:`Tally`. A run "passes" when the
runner did exactly the right thing (the right files, or the right error class with its details);
"lost" counts runs whose outputs (or whose loss) went unreported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from comfyreel.fake import OOM_EXCEPTION_TYPE, OOM_MESSAGE, FakeComfyUI
from comfyreel.reliability.graphs import chain_graph, image_graph, partial_graph, sampler_graph
from comfyreel.reliability.harness import (
    FAST,
    Hung,
    Tally,
    attempt,
    bounded,
    rng_for,
    run_files,
    server_files,
)
from comfyreel.runner.errors import ExecutionFailed, JobLost, OutOfMemory, OutputError, PromptRejected
from comfyreel.runner.manifest import Manifest
from comfyreel.runner.session import RunOptions, run_graph

NODE_DELAY_S = 0.002
RUN_DEADLINE_S = 30.0
TARGET = "100% passed, 0 lost, 0 hung"


def fast(**overrides: Any) -> RunOptions:
    return RunOptions(**{**FAST, **overrides})  # type: ignore[arg-type]


def _fake(work: Path, name: str, **kw: Any) -> FakeComfyUI:
    return FakeComfyUI(work / name / "srv", node_delay_s=NODE_DELAY_S, **kw)


def render(fake: FakeComfyUI, out: Path, graph: Any, **kw: Any) -> Callable[[], Any]:
    """One run of *graph* on *fake* with the fast options, for :func:`attempt` to call."""
    return lambda: run_graph(graph, server_url=fake.url, out_dir=out, options=fast(), **kw)


def _same_files(fake: FakeComfyUI, result: Any) -> bool:
    expected = server_files(fake, result.manifest.prompt_id)
    return bool(expected) and run_files(result) == expected


def ws_drop(runs: int, seed: int, work: Path) -> Tally:
    """The websocket is dropped after a random number of frames (once or on every socket; sometimes
    reconnecting is refused so only polling is left); the run still returns the server's exact files."""
    tally = Tally("ws-drop", "runs without a drop", TARGET + ", every run hit by a drop")
    rng = rng_for(tally.name, seed)
    with _fake(work, tally.name) as fake:
        for i in range(runs):
            fake.faults.clear()
            n = rng.randint(2, 8)
            # a chain of n ImageInverts sends ~3 frames per node: drop well before the end
            fake.faults.ws_drop_after = rng.randint(1, 2 * n + 2)
            fake.faults.ws_drop_once = rng.random() < 0.7
            refuse = rng.random() < 0.3
            events: list[dict[str, Any]] = []

            def on_event(event: dict[str, Any], refuse: bool = refuse, events: list = events) -> None:
                events.append(event)
                if refuse and event["event"] == "ws_lost":
                    fake.faults.ws_refuse_status = 502  # no reconnect: polling only

            faults = fake.faults
            how = f"run {i}: drop after {faults.ws_drop_after}, once={faults.ws_drop_once}, refuse={refuse}"
            graph = chain_graph(n, prefix=f"d{i}", color=seed * 7919 + i)
            got = attempt(
                tally,
                how,
                render(fake, work / tally.name / "runs", graph, on_event=on_event),
                RUN_DEADLINE_S,
                lost=(JobLost, OutputError),
            )
            if got is None:
                continue
            if not any(e["event"] == "ws_lost" for e in events):
                tally.value += 1
            if _same_files(fake, got.value):
                tally.passed += 1
            else:
                tally.lost += 1
                tally.fail(f"{how}: outputs differ from the server's files")
    return tally


def restart(runs: int, seed: int, work: Path) -> Tally:
    """The server restarts mid-run (queue and history forgotten; sometimes refusing connections for
    up to 1.5 s) under the runner's DEFAULT timings: the run must end as JobLost (exit 9, manifest
    status "lost") within 5 s of the restart."""
    tally = Tally("server-restart", "max lost-detection s", TARGET + ", lost reported <= 5 s")
    tally.limit = 5.0
    rng = rng_for(tally.name, seed)
    plans = []
    for i in range(runs):
        n = rng.randint(2, 6)
        nodes = [str(10 + k) for k in range(n)]
        hang = rng.choice(nodes)
        trigger = rng.choice(["started", *nodes[: nodes.index(hang) + 1]])
        down = rng.choice([0.0, 0.0, 0.5, 1.5])  # seconds the port refuses connections while restarting
        plans.append((i, n, hang, trigger, down))
    workers = max(1, min(8, runs))
    lock = threading.Lock()

    def worker(slot: int) -> None:
        with _fake(work, f"{tally.name}-{slot}") as fake:
            for i, n, hang, trigger, down in plans[slot::workers]:
                outcome = _restart_once(
                    fake, work / tally.name / f"runs-{i}", n, hang, trigger, seed * 7919 + i, down
                )
                with lock:
                    _count_restart(
                        tally, f"run {i}: hang {hang}, restart at {trigger}, down {down} s", outcome
                    )

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker, slot) for slot in range(workers)]:
            future.result()
    return tally


def _restart_once(
    fake: FakeComfyUI, out: Path, n: int, hang: str, trigger: str, color: int, down: float
) -> Any:
    fake.faults.clear()
    fake.faults.hang_node = hang
    restarted: dict[str, float] = {}

    def on_event(event: dict[str, Any]) -> None:
        hit = (event["event"] == "started" and trigger == "started") or (
            event["event"] == "node" and event.get("node") == trigger
        )
        if hit and not restarted:
            restarted["at"] = time.monotonic()
            threading.Thread(target=fake.restart, args=(down,), daemon=True).start()

    try:
        result = bounded(
            lambda: run_graph(
                chain_graph(n, prefix="r", color=color),
                server_url=fake.url,
                out_dir=out,
                options=RunOptions(),
                on_event=on_event,
            ),
            RUN_DEADLINE_S,
        )
    except BaseException as exc:
        return exc, time.monotonic() - restarted.get("at", time.monotonic()), out
    return result, None, out


def _count_restart(tally: Tally, how: str, outcome: tuple[Any, float | None, Path]) -> None:
    tally.runs += 1
    exc, detect_s, out = outcome
    if isinstance(exc, Hung):
        tally.hung += 1
        tally.fail(f"{how}: {exc}")
        return
    if not isinstance(exc, BaseException):
        tally.lost += 1  # "succeeded" although the server forgot the job
        tally.fail(f"{how}: returned success after a restart")
        return
    if not isinstance(exc, JobLost):
        tally.fail(f"{how}: {type(exc).__name__}: {exc}")
        return
    assert detect_s is not None
    tally.value = max(tally.value, round(detect_s, 3))
    (run_dir,) = out.iterdir()
    status = Manifest.load(run_dir).status
    if exc.exit_code == 9 and status == "lost" and detect_s <= tally.limit:
        tally.passed += 1
    else:
        tally.fail(f"{how}: exit {exc.exit_code}, manifest {status!r}, after {detect_s:.2f} s")


def late_history(runs: int, seed: int, work: Path) -> Tally:
    """/history is written up to 0.4 s after execution_success: never a false "no outputs"."""
    tally = Tally("late-history", "false no-outputs", TARGET + ", 0 false no-outputs")
    rng = rng_for(tally.name, seed)
    with _fake(work, tally.name) as fake:
        for i in range(runs):
            fake.faults.clear()
            fake.faults.history_delay_s = round(rng.uniform(0.0, 0.4), 3)
            fake.faults.ws_silent = rng.random() < 0.1  # sometimes only polling sees the end
            graph = image_graph(color=seed * 7919 + i, batch=rng.randint(1, 2), prefix=f"h{i}")
            how = f"run {i}: history {fake.faults.history_delay_s} s late"
            got = attempt(
                tally,
                how,
                render(fake, work / tally.name / "runs", graph),
                RUN_DEADLINE_S,
                expected=(OutputError, JobLost),
            )
            if got is None:
                continue
            if got.error is None and _same_files(fake, got.value):
                tally.passed += 1
            else:  # a false "no outputs" (or wrong files): the outputs went unreported
                tally.value += 1
                tally.lost += 1
                err = got.error
                tally.fail(
                    f"{how}: {type(err).__name__}: {err}"
                    if err
                    else f"{how}: outputs differ from the server's files"
                )
    return tally


def node_errors(runs: int, seed: int, work: Path) -> Tally:
    """HTTP 200 with node_errors fails unless allowed (then only valid outputs run); HTTP 400 gives
    structured findings (node id, input, rule, anchor)."""
    tally = Tally("node-errors", "unstructured rejections", TARGET + ", every finding names node+input")
    rng = rng_for(tally.name, seed)
    with _fake(work, tally.name) as fake:
        for i in range(runs):
            fake.faults.clear()
            variant = ("partial-refused", "partial-allowed", "http-400")[i % 3]
            color = seed * 7919 + i
            how = f"run {i}: {variant}"
            got = attempt(
                tally,
                how,
                lambda v=variant, c=color: _node_errors_once(fake, work, v, c, rng),
                RUN_DEADLINE_S,
            )
            if got is None:
                continue
            ok = got.value
            if ok is True:
                tally.passed += 1
            else:
                tally.value += ok == "unstructured"
                tally.fail(f"{how}: {ok}")
    return tally


def _node_errors_once(fake: FakeComfyUI, work: Path, variant: str, color: int, rng: Any) -> bool | str:
    out = work / "node-errors" / "runs"
    if variant == "partial-allowed":
        result = run_graph(
            partial_graph(color),
            server_url=fake.url,
            out_dir=out,
            options=fast(validate_online=False, allow_partial=True),
        )
        return (
            True if {f.node_id for f in result.outputs} == {"2"} and _same_files(fake, result) else "outputs"
        )
    if variant == "partial-refused":
        graph = partial_graph(color)
        field = "width"
    else:
        graph = image_graph(color=color)
        field = rng.choice(["width", "height", "batch_size"])
        graph.nodes["1"]["inputs"][field] = rng.choice([99999, 1 << 20, -5])
    try:
        run_graph(graph, server_url=fake.url, out_dir=out, options=fast(validate_online=False))
    except PromptRejected as exc:
        bad = "3" if variant == "partial-refused" else "1"
        if exc.exit_code != 5 or bool(exc.details.get("partial")) != (variant == "partial-refused"):
            return f"exit {exc.exit_code}, partial={exc.details.get('partial')}"
        findings = exc.findings
        if not findings or any(
            f.node_id != bad
            or f.input != field
            or not f.rule
            or f"{bad}(EmptyImage):{field}" not in f.anchor()
            for f in findings
        ):
            return "unstructured"
        return True
    return "accepted a graph with node errors"


OOM_FORMS = (
    (OOM_EXCEPTION_TYPE, OOM_MESSAGE),
    ("torch.cuda.OutOfMemoryError", "CUDA out of memory. Tried to allocate 1.50 GiB."),
    ("RuntimeError", "Allocation on device 0 would exceed allowed memory. (out of memory)"),
    ("RuntimeError", "CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported"),
)
NOT_OOM = (
    ("RuntimeError", "mat1 and mat2 shapes cannot be multiplied (1x768 and 4096x3072)"),
    ("ValueError", "Expected more than 1 value per channel when training"),
)


def oom(runs: int, seed: int, work: Path) -> Tally:
    """A node raises a CUDA out-of-memory error (four real wordings) -> OutOfMemory (exit 7) with LTX
    hints; other errors (control runs) -> ExecutionFailed, never called OOM."""
    tally = Tally("oom", "misclassified", TARGET + ", 0 misclassified")
    rng = rng_for(tally.name, seed)
    with _fake(work, tally.name) as fake:
        for i in range(runs):
            fake.faults.clear()
            is_oom = i % 3 != 2
            etype, message = rng.choice(OOM_FORMS if is_oom else NOT_OOM)
            fake.faults.fail_node = rng.choice(["5", "KSampler", "6", "VAEDecode"])
            fake.faults.fail_exception_type, fake.faults.fail_message = etype, message
            graph = sampler_graph(seed * 7919 + i, prefix=f"o{i}")
            how = f"run {i}: {etype} at {fake.faults.fail_node}"
            got = attempt(
                tally,
                how,
                render(fake, work / tally.name / "runs", graph),
                RUN_DEADLINE_S,
                expected=(ExecutionFailed,),
            )
            if got is None:
                continue
            exc = got.error
            if not isinstance(exc, ExecutionFailed):
                tally.fail(f"{how}: succeeded although the node failed")
                continue
            right = isinstance(exc, OutOfMemory) == is_oom
            hinted = not is_oom or all(w in (exc.hint or "") for w in ("frames", "resolution", "tiled"))
            named = exc.details.get("node_id") in ("5", "6") and exc.exit_code == (7 if is_oom else 6)
            if right and hinted and named:
                tally.passed += 1
            else:
                tally.value += not right
                tally.fail(f"{how}: {type(exc).__name__} exit {exc.exit_code}, hint={exc.hint!r}")
    return tally
