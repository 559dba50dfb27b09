"""Security scenarios against the fake: hostile server answers, and credentials that must never leak.

Same contract as :mod:`scenarios_faults`: ``(runs, seed, work) -> Tally``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import ComfyreelError
from comfyreel.fake import EVIL_FILENAMES, FakeComfyUI
from comfyreel.reliability.graphs import image_graph
from comfyreel.reliability.harness import Tally, attempt, rng_for, run_files, server_files
from comfyreel.reliability.scenarios_faults import NODE_DELAY_S, RUN_DEADLINE_S, fast
from comfyreel.runner.errors import OutputError, RunError
from comfyreel.runner.session import run_graph

HUGE_BODY_BYTES = 8 * 1024 * 1024
ROUTES = ("/history", "/queue", "/prompt", "/system_stats", "/object_info", "/api/jobs", "/view")


def _each_entry(change: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A /history body transform applied to every entry (``{}`` while running stays ``{}``)."""
    return lambda body: {k: change(v) for k, v in body.items()} if isinstance(body, dict) else body


def _with(**values: Any) -> Callable[[Any], Any]:
    return lambda body: {**body, **values} if isinstance(body, dict) else body


#: Hostile JSON *shapes* per route (served through ``Faults.json_replace_routes``).
SHAPES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "history-status-str": ("/history", _each_entry(lambda e: {**e, "status": "x"})),
    "history-outputs-list": ("/history", _each_entry(lambda e: {**e, "outputs": [1]})),
    "history-entry-list": ("/history", _each_entry(lambda e: [e])),
    "history-messages-int": ("/history", _each_entry(lambda e: {**e, "status": {"messages": 5}})),
    "history-images-str": ("/history", _each_entry(lambda e: {**e, "outputs": {"2": {"images": "x"}}})),
    "history-filename-int": (
        "/history",
        _each_entry(lambda e: {**e, "outputs": {"2": {"images": [{"filename": 5}]}}}),
    ),
    "queue-not-lists": ("/queue", lambda body: {"queue_running": "x", "queue_pending": 5}),
    "queue-odd-items": ("/queue", lambda body: {"queue_running": [[1, {"a": 1}]], "queue_pending": [[None]]}),
    "prompt-id-int": ("/prompt", _with(prompt_id=5)),
    "prompt-node-errors-str": ("/prompt", _with(node_errors="bad")),
    "system-str": ("/system_stats", _with(system="x")),
    "devices-str": ("/system_stats", _with(devices="x")),
    "object-info-node-str": ("/object_info", _with(SaveImage="x")),
    "object-info-list": ("/object_info", lambda body: list(body) if isinstance(body, dict) else body),
    "jobs-str": ("/api/jobs", lambda body: "x"),
}


def hostile_variants() -> list[tuple[str, str | None]]:
    """(fault, route or evil name) pairs: every hostile answer the fake can give."""
    variants: list[tuple[str, str | None]] = []
    for route in ROUTES:
        variants += [("malformed", route), ("wrong-types", route), ("status-500", route)]
        if route != "/view":  # a huge 200 body *is* the file: nothing on the wire says it is wrong
            variants.append(("huge", route))
    variants += [("evil-name", name) for name in EVIL_FILENAMES]
    variants += [("unknown-frames", None), ("status-404", "/view")]
    variants += [("shape", name) for name in SHAPES]
    return variants


def _apply(fake: FakeComfyUI, kind: str, arg: str | None) -> None:
    faults = fake.faults
    faults.clear()
    faults.huge_body_bytes = HUGE_BODY_BYTES
    if kind == "malformed":
        faults.malformed_json_routes = {str(arg)}
    elif kind == "wrong-types":
        faults.wrong_types_routes = {str(arg)}
    elif kind == "huge":
        faults.huge_body_routes = {str(arg)}
    elif kind.startswith("status-"):
        faults.http_status_routes = {str(arg): int(kind.split("-")[1])}
    elif kind == "evil-name":
        faults.evil_filenames = (str(arg),)
    elif kind == "shape":
        route, change = SHAPES[str(arg)]
        faults.json_replace_routes = {route: change}
    elif kind == "unknown-frames":
        faults.ws_inject_unknown = True


def _files(root: Path, skip: tuple[Path, ...]) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and not any(p.is_relative_to(s) for s in skip)}


def hostile_server(runs: int, seed: int, work: Path) -> Tally:
    """Malformed JSON, wrong types, huge bodies, error statuses on every route, unknown websocket
    frames and evil output names (``..``, absolute, NUL, backslash, empty): the run succeeds with
    the right files or ends in a clear RunError; evil names are always refused; nothing is written
    outside the run folder."""
    tally = Tally(
        "hostile-server", "files outside run dir", "100% passed, 0 hung, 0 tracebacks, 0 stray files"
    )
    rng = rng_for(tally.name, seed)
    variants = hostile_variants()
    rng.shuffle(variants)
    root = work / tally.name
    with FakeComfyUI(root / "srv", node_delay_s=NODE_DELAY_S) as fake:
        servers = (
            fake.output_dir,
            fake.output_dir.with_name("srv-temp"),
            fake.output_dir.with_name("srv-input"),
        )
        for i in range(runs):
            kind, arg = variants[i % len(variants)]
            _apply(fake, kind, arg)
            out = root / f"runs-{i}"
            before = _files(root, (*servers, out))
            how = f"run {i}: {kind} {arg!r}"
            got = attempt(
                tally,
                how,
                lambda o=out, c=seed * 7919 + i: run_graph(
                    image_graph(color=c),
                    server_url=fake.url,
                    out_dir=o,
                    options=fast(timeout_s=4.0, finish_grace_s=2.0, silence_timeout_s=4.0),
                ),
                RUN_DEADLINE_S,
                expected=(BaseException,),
            )
            if got is None:
                continue
            result, error = got.value, got.error
            stray = _files(root, (*servers, out)) - before
            tally.value += len(stray)
            verdict = _hostile_verdict(fake, kind, result, error)
            if stray:
                tally.fail(f"{how}: wrote outside the run folder: {sorted(map(str, stray))[:2]}")
            elif verdict:
                tally.fail(f"{how}: {verdict}")
            else:
                tally.passed += 1
    return tally


def _hostile_verdict(fake: FakeComfyUI, kind: str, result: Any, error: BaseException | None) -> str:
    if kind == "evil-name":
        return (
            "" if isinstance(error, OutputError) and "unsafe" in error.message else f"not refused: {error!r}"
        )
    if error is None:
        same = run_files(result) == server_files(fake, result.manifest.prompt_id)
        return "" if same and result.outputs else "success with wrong files"
    if isinstance(error, RunError | ComfyreelError) and error.message:
        return ""
    return f"traceback: {type(error).__name__}: {str(error)[:200]}"


EXPECTED_EXIT = {  # variant -> exit code of `comfyreel run`
    "success-json": 0,
    "success-text": 0,
    "rejected": 5,
    "node-failed": 6,
    "server-down": 3,
    "hostile": 4,
    "validate": 0,  # `comfyreel validate --server` (live /object_info with the same credentials)
}
CREDENTIAL_VARIANTS = tuple(EXPECTED_EXIT)


def credentials(runs: int, seed: int, work: Path) -> Tally:
    """``comfyreel run`` (in-process CLI) with basic auth in the URL and secret headers, through
    success, rejection, failure, an unreachable server and a hostile answer: no secret (nor its
    base64 form) appears in any file of the run folder, stdout, stderr or any log record."""
    from comfyreel.cli import main
    from comfyreel.runner.launch import free_port

    tally = Tally("credentials", "secrets leaked", "100% passed, 0 hung, 0 leaks")
    rng = rng_for(tally.name, seed)
    root = work / tally.name
    with FakeComfyUI(root / "srv", node_delay_s=NODE_DELAY_S) as fake:
        for i in range(runs):
            variant = CREDENTIAL_VARIANTS[i % len(CREDENTIAL_VARIANTS)]
            token = secrets.token_hex(8) + str(rng.randrange(10**6))
            password, bearer, api_key = f"pw-{token}", f"TOK-{token}", f"KEY-{token}"
            basic = base64.b64encode(f"alice:{password}".encode()).decode()
            leaks = (token, password, bearer, api_key, basic)
            fake.faults.clear()
            graph = image_graph(color=seed * 7919 + i)
            args: list[str] = []
            if variant == "rejected":
                graph.nodes["1"]["inputs"]["width"] = 99999
                args.append("--no-validate")
            elif variant == "node-failed":
                fake.faults.fail_node = "1"
            elif variant == "hostile":
                fake.faults.malformed_json_routes = {"/history"}
            elif variant == "success-json":
                args.append("--json")
            port = free_port() if variant == "server-down" else fake.port
            url = f"http://alice:{password}@127.0.0.1:{port}"
            out = root / f"runs-{i}"
            out.mkdir(parents=True)
            target = out / "graph-in.json"
            target.write_text(graph.to_json(), encoding="utf-8")
            secret_headers = [
                "--header",
                f"Authorization: Bearer {bearer}",
                "--header",
                f"X-Api-Key: {api_key}",
            ]
            if variant == "validate":
                argv = ["validate", str(target), "--server", url, *secret_headers]
            else:
                argv = ["run", str(target), "--server", url, "--out", str(out), "--timeout", "20",
                        "--silence-timeout", "10", *secret_headers, *args]  # fmt: skip
            how = f"run {i}: {variant}"
            got = attempt(tally, how, lambda a=argv: _captured(main, a), RUN_DEADLINE_S)
            if got is None:  # hung, or a traceback out of the CLI
                continue
            code, captured = got.value
            files = [p for p in out.rglob("*") if p.is_file() and p != target]
            texts = [captured] + [p.read_bytes().decode("utf-8", "replace") for p in files]
            found = sorted({s for s in leaks for t in texts if s in t})
            tally.value += bool(found)
            expected = EXPECTED_EXIT[variant]
            if found:
                tally.fail(f"{how}: leaked {found}")
            elif not captured.strip() or (variant not in ("server-down", "validate") and not files):
                tally.fail(f"{how}: nothing captured to search (the check would be blind)")
            elif code != expected:
                tally.fail(f"{how}: exit {code}, expected {expected}: {captured[-300:]!r}")
            else:
                tally.passed += 1
    return tally


def _captured(main: Any, argv: list[str]) -> tuple[int, str]:
    """Run the CLI with stdout, stderr and every log record (DEBUG and up) captured as text."""
    stdout, stderr, logs = io.StringIO(), io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(argv)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    return code, "\n".join((stdout.getvalue(), stderr.getvalue(), logs.getvalue()))
