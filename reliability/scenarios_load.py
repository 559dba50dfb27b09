"""Fault scenarios about waiting and sharing: a hanging node, ten runners on one server, slow or cut /view.

Same contract as :mod:`scenarios_faults`: ``(runs, seed, work) -> Tally``.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import uuid
from pathlib import Path
from typing import Any

import requests
from comfyreel.fake import FakeComfyUI
from comfyreel.reliability.graphs import chain_graph, image_graph, sampler_graph
from comfyreel.reliability.harness import (
    Hung,
    Tally,
    attempt,
    bounded,
    rng_for,
    run_files,
    server_files,
    wait_for,
)
from comfyreel.reliability.scenarios_faults import NODE_DELAY_S, RUN_DEADLINE_S, TARGET, fast, render
from comfyreel.runner.errors import JobLost, OutputError, RunTimeout
from comfyreel.runner.manifest import OUTPUTS_DIR
from comfyreel.runner.session import run_graph


def hang(runs: int, seed: int, work: Path) -> Tally:
    """A node hangs (every third run uninterruptibly for a while): the silence timeout fires,
    ``/interrupt`` carries OUR prompt_id only, and another client's job queued on the same server
    still completes (asserted on the server's records)."""
    tally = Tally("hang", "foreign interrupts", TARGET + ", 0 interrupts of another client's job")
    rng = rng_for(tally.name, seed)
    with FakeComfyUI(work / tally.name / "srv", node_delay_s=NODE_DELAY_S) as fake:
        for i in range(runs):
            fake.faults.clear()
            n = rng.randint(2, 6)
            fake.faults.hang_node = str(10 + rng.randrange(n))
            silence = round(rng.uniform(0.3, 0.6), 2)
            if i % 3 == 2:  # an uninterruptible kernel: the interrupt is noticed at the next node
                fake.faults.hang_ignores_interrupt = True
                fake.faults.hang_s = round(silence + rng.uniform(0.5, 1.0), 2)  # outlasts the silence timeout
            stuck = f" (uninterruptible {fake.faults.hang_s} s)" if fake.faults.hang_s else ""
            how = f"run {i}: hang at {fake.faults.hang_node}{stuck}, silence {silence} s"
            got = attempt(
                tally,
                how,
                lambda n=n, s=silence, c=seed * 7919 + i: _hang_once(fake, work, n, s, c),
                RUN_DEADLINE_S,
                on_hung=lambda: _unhang(fake),
            )
            if got is None:
                continue
            foreign, problem = got.value
            tally.value += foreign
            if problem:
                tally.fail(f"{how}: {problem}")
            else:
                tally.passed += 1
    return tally


def _unhang(fake: FakeComfyUI) -> None:
    fake.faults.hang_node = None
    fake.wait_idle(10)


def _hang_once(fake: FakeComfyUI, work: Path, n: int, silence: float, color: int) -> tuple[int, str]:
    seen = len(fake.interrupts)
    other_id = str(uuid.uuid4())
    box: dict[str, BaseException] = {}

    def ours() -> None:
        try:
            run_graph(
                chain_graph(n, prefix="hang", color=color),
                server_url=fake.url,
                out_dir=work / "hang" / "runs",
                options=fast(silence_timeout_s=silence),
            )
        except BaseException as exc:
            box["exc"] = exc

    thread = threading.Thread(target=ours, daemon=True)
    thread.start()
    if not wait_for(lambda: bool(fake.queue()["running"]), 10):
        thread.join(RUN_DEADLINE_S)
        return 0, f"our prompt never ran ({box.get('exc')!r})"
    body = {
        "prompt": image_graph(color=color, prefix="other").canonical(),
        "client_id": "someone-else",
        "prompt_id": other_id,
    }
    requests.post(fake.url + "/prompt", json=body, timeout=5).raise_for_status()
    thread.join(RUN_DEADLINE_S)
    if thread.is_alive():
        raise Hung("our run did not return")
    exc = box.get("exc")
    ours_id = getattr(exc, "prompt_id", None)
    records = fake.interrupts[seen:]
    foreign = sum(1 for r in records if r.requested != ours_id or (r.applied and r.running != ours_id))
    fake.faults.hang_node = None
    finished = wait_for(lambda: other_id in fake.history(), 10)
    status = (fake.history(other_id).get(other_id) or {}).get("status", {}).get("status_str")
    if not isinstance(exc, RunTimeout) or exc.exit_code != 10:
        return foreign, f"expected RunTimeout, got {exc!r}"
    if not records:
        return foreign, "no /interrupt was sent"
    if foreign:
        return foreign, f"{foreign} interrupt(s) not for our prompt"
    if not finished or status != "success":
        return foreign, f"the other client's job ended {status!r}"
    return 0, ""


def concurrent(runs: int, seed: int, work: Path) -> Tally:
    """10 runner threads share one server for *runs* jobs; each job has its own node ids, seed and
    prefix, so a foreign event or file is detectable: 0 crossed events, 0 lost outputs."""
    tally = Tally("concurrent", "crossed events", TARGET + ", 0 crossed events")
    jobs: queue.Queue[int] = queue.Queue()
    for j in range(runs):
        jobs.put(j)
    lock = threading.Lock()
    with FakeComfyUI(work / tally.name / "srv", node_delay_s=NODE_DELAY_S / 2) as fake:

        def runner() -> None:
            while True:
                try:
                    j = jobs.get_nowait()
                except queue.Empty:
                    return
                verdict = _concurrent_once(fake, work, j, seed)
                with lock:
                    tally.runs += 1
                    kind, crossed, text = verdict
                    tally.value += crossed
                    if kind == "passed":
                        tally.passed += 1
                    else:
                        tally.lost += kind == "lost"
                        tally.hung += kind == "hung"
                        tally.fail(f"job {j}: {text}")

        threads = [threading.Thread(target=runner, daemon=True) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(RUN_DEADLINE_S * (runs // 10 + 2))
    return tally


def _concurrent_once(fake: FakeComfyUI, work: Path, j: int, seed: int) -> tuple[str, int, str]:
    base = 100 * (j + 1)
    job_seed = seed * 100_003 + j
    graph = sampler_graph(job_seed, prefix=f"j{j}", base=base)
    events: list[dict[str, Any]] = []
    try:
        result = bounded(
            lambda: run_graph(
                graph,
                server_url=fake.url,
                out_dir=work / "concurrent" / f"runs-{j % 10}",
                options=fast(),
                on_event=events.append,
            ),
            RUN_DEADLINE_S,
        )
    except Hung as exc:
        return "hung", 0, str(exc)
    except (JobLost, OutputError) as exc:
        return "lost", 0, f"{type(exc).__name__}: {exc.message}"
    except Exception as exc:
        return "failed", 0, f"{type(exc).__name__}: {exc}"
    ours = set(graph.nodes)
    crossed = sum(1 for e in events if "node" in e and e["node"] is not None and e["node"] not in ours)
    crossed += sum(1 for f in result.outputs if not f.filename.startswith(f"j{j}_") or f.node_id not in ours)
    if result.manifest.seeds != {f"{base + 5}.seed": job_seed}:
        crossed += 1
    if crossed:
        return "failed", crossed, f"{crossed} foreign event(s) or file(s)"
    if not result.outputs or run_files(result) != server_files(fake, result.manifest.prompt_id):
        return "lost", 0, "outputs differ from the server's files"
    return "passed", 0, ""


def slow_view(runs: int, seed: int, work: Path) -> Tally:
    """``/view`` is throttled (must succeed, exact bytes) or cut short while announcing the full
    Content-Length (must be a clear OutputError): never a truncated file that looks complete."""
    tally = Tally("slow-view", "truncated files kept", TARGET + ", 0 truncated or .part files left")
    rng = rng_for(tally.name, seed)
    with FakeComfyUI(work / tally.name / "srv", node_delay_s=NODE_DELAY_S) as fake:
        for i in range(runs):
            fake.faults.clear()
            cut = i % 2 == 1
            out = work / tally.name / f"runs-{i}"
            graph = image_graph(color=seed * 7919 + i, batch=rng.randint(1, 3), prefix=f"v{i}")
            if cut:
                fake.faults.view_truncate_after = rng.randint(0, 60)
            else:
                fake.faults.view_bytes_per_s = rng.choice([2_000.0, 20_000.0, 200_000.0])
            how = f"run {i}: " + (f"cut after {fake.faults.view_truncate_after} B" if cut else "throttled")
            got = attempt(
                tally,
                how,
                render(fake, out, graph),
                RUN_DEADLINE_S,
                expected=(OutputError,),
            )
            if got is None:
                continue
            result, error = got.value, got.error
            kept = _bad_files(fake, out)
            tally.value += kept
            if kept:
                tally.fail(f"{how}: {kept} truncated or partial file(s) left")
            elif (cut and _clear(error)) or (not cut and result is not None and _exact(fake, result)):
                tally.passed += 1
            else:
                tally.lost += result is not None or not cut
                tally.fail(f"{how}: {'no clear error' if cut else 'wrong files'} ({error!r})")
    return tally


def _clear(error: OutputError | None) -> bool:
    """A cut download must end in an OutputError that says it was incomplete or failed."""
    return error is not None and ("incomplete" in error.message or "failed" in error.message)


def _exact(fake: FakeComfyUI, result: Any) -> bool:
    return run_files(result) == server_files(fake, result.manifest.prompt_id)


def _bad_files(fake: FakeComfyUI, out: Path) -> int:
    """Files under outputs/ that are partial (``.part``) or differ from every file the server wrote."""
    good = {h for entry in fake.history() for hs in server_files(fake, entry).values() for h in hs}
    bad = 0
    for path in out.glob(f"*/{OUTPUTS_DIR}/*"):
        if path.name.endswith(".part") or not path.is_file():
            bad += 1
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() not in good:
            bad += 1
    return bad
