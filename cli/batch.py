"""CLI command ``batch``: render every variant of the given recipes across several ComfyUI servers.

The batch folder (``--out``) gets one run folder per job (``NAME@key=value,...``), ``batch.json``,
``junit.xml`` and ``index.html`` (the contact sheet). Exit 0 when every job rendered (or was already
rendered), 1 when some failed; usage errors 2, no server reachable 3.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from comfyreel.cli import Commands, add_command, add_set_option, at_least


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "batch", batch_command)
    cmd.add_argument("recipes", nargs="+", metavar="RECIPE", type=Path, help="Recipe files.")
    cmd.add_argument(
        "--server", dest="servers", metavar="URL", action="append", help="A ComfyUI to use (repeatable)."
    )
    cmd.add_argument("--out", type=Path, default=Path("batch"), help="The batch folder.")
    cmd.add_argument("--resume", action="store_true", help="Finish an interrupted batch in --out.")
    cmd.add_argument(
        "--per-server", type=at_least(1), default=2, help="At most this many jobs queued on one server."
    )
    cmd.add_argument("--timeout", type=float, default=3600.0, help="Total deadline per job, seconds.")
    cmd.add_argument(
        "--silence-timeout", type=float, default=600.0, help="Give a job up after this long without progress."
    )
    cmd.add_argument("--header", metavar="'Name: value'", action="append", help="HTTP header (repeatable).")
    cmd.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="local: in-process; ray: Ray tasks."
    )
    cmd.add_argument(
        "--ray-address", metavar="ADDR", help="Ray cluster to join (default: start a local one)."
    )
    add_set_option(cmd)
    cmd.add_argument("--json", dest="as_json", action="store_true", help="NDJSON events on stdout.")


def batch_command(
    recipes: list[Path],
    servers: list[str] | None = None,
    out: Path = Path("batch"),
    resume: bool = False,
    per_server: int = 2,
    timeout: float = 3600.0,
    silence_timeout: float = 600.0,
    header: list[str] | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    sets: list[str] | None = None,
    as_json: bool = False,
) -> int:
    """Render every variant of the recipes across the servers; write the batch summary and contact sheet."""
    from comfyreel.batch.dispatch import BatchOptions
    from comfyreel.batch.jobs import make_jobs
    from comfyreel.batch.progress import reporter
    from comfyreel.batch.sheet import write_sheet
    from comfyreel.batch.summary import summary, write_junit, write_summary
    from comfyreel.cli.run import _headers
    from comfyreel.compiler.errors import UsageError
    from comfyreel.runner.session import RunOptions

    if not servers:
        raise UsageError("give at least one --server URL")
    if timeout <= 0 or silence_timeout <= 0:
        raise UsageError("--timeout and --silence-timeout must be positive")
    if ray_address and engine != "ray":
        raise UsageError("--ray-address needs --engine ray")
    jobs = make_jobs(recipes, sets or [])
    options = BatchOptions(
        per_server=per_server,
        resume=resume,
        run=RunOptions(timeout_s=timeout, silence_timeout_s=silence_timeout),
    )
    headers = _headers(header or [])
    on_event, close = reporter(as_json=as_json)
    started = time.monotonic()
    try:
        if engine == "ray":
            from comfyreel.batch.ray_engine import run_ray

            outcomes, states = run_ray(jobs, servers, out, options, headers, ray_address, on_event)
        else:
            from comfyreel.batch.dispatch import Dispatcher
            from comfyreel.batch.fleet import ServerState

            states = [ServerState(url, headers=headers) for url in servers]
            outcomes = Dispatcher(jobs, states, out, options, on_event).run()
    finally:
        close()
    data = summary(outcomes, states, time.monotonic() - started)
    write_summary(out, data)
    write_junit(out, outcomes)
    sheet = write_sheet(outcomes, out)
    counts = data["counts"]
    if as_json:
        sys.stdout.write(f'{{"event": "summary", "counts": {_json(counts)}, "sheet": "{sheet}"}}\n')
    else:
        sys.stderr.write(
            f"batch: {counts['success']} rendered, {counts['skipped']} already done, "
            f"{counts['failed']} failed; contact sheet {sheet}\n"
        )
    return 1 if counts["failed"] else 0


def _json(data: object) -> str:
    import json

    return json.dumps(data)
