"""CLI commands: ``run`` (render a recipe or graph on a server and download its outputs) and ``demo``.

``run`` attaches to ``--server URL`` (optional ``--header`` / ``user:pass@`` auth) or starts a local
ComfyUI with ``--launch DIR``. Progress goes to stderr (a Rich bar) or, with ``--json``, one NDJSON
event per line on stdout. The exit code comes from the error class (runner/errors.py); Ctrl-C removes
only our own prompt from the server and exits 130. ``demo`` runs the seed recipe on the embedded fake.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from comfyreel.cli import Commands, add_command, add_set_option

SEED_RECIPE = "hello-wave-ltx2-8gb.yaml"


def _headers(values: list[str]) -> dict[str, str]:
    from comfyreel.compiler.errors import UsageError

    headers: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise UsageError(
                f"--header {name.strip() or '?'}: expected 'Name: value'",
                hint="e.g. --header 'Authorization: Bearer TOKEN'",
            )
        headers[name.strip()] = value.strip()
    return headers


def _execute(
    target: str,
    server_url: str,
    out: Path,
    options: Any,
    as_json: bool,
    sets: list[str] | None = None,
    strict: bool = False,
) -> int:
    """Run and report; returns 0 or raises the run's ComfyreelError."""
    from comfyreel.compiler.graph import Graph
    from comfyreel.runner.progress import reporter
    from comfyreel.runner.session import run_graph, run_recipe

    path = Path(target)
    is_graph = path.suffix.lower() == ".json"
    node_count = None
    graph = None
    if is_graph:
        if sets:
            from comfyreel.compiler.errors import UsageError

            raise UsageError("--set applies to recipes, not to API graphs", anchor=target)
        graph = Graph.load(path)
        node_count = len(graph)
    report = reporter(as_json=as_json, node_count=node_count)
    try:
        if graph is not None:
            result = run_graph(graph, server_url=server_url, out_dir=out, options=options, on_event=report)
        else:
            result = run_recipe(
                path,
                server_url=server_url,
                out_dir=out,
                options=options,
                on_event=report,
                sets=sets or (),
                strict=strict,
            )
    except BaseException:
        report.close()  # the error itself (with its findings) is printed by main()
        raise
    report.close()
    if not as_json:
        if (result.data.get("server") or {}).get("fake"):
            sys.stderr.write("note: rendered by comfyreel's fake ComfyUI (test media, no GPU)\n")
        sys.stderr.write(f"run folder: {result.run_dir}\n")
        for f in result.files:  # plain records: no pydantic on the CLI path
            sys.stdout.write(f"{result.run_dir / f.path}\n")
    return 0


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "run", run_command)
    cmd.add_argument("target", metavar="RECIPE|GRAPH.json", help="A recipe or an API-format graph.")
    cmd.add_argument("--server", metavar="URL", help="ComfyUI to attach to.")
    cmd.add_argument("--launch", metavar="COMFYUI_DIR", type=Path, help="Start this ComfyUI for the run.")
    cmd.add_argument("--out", type=Path, default=Path("runs"), help="Folder for run folders.")
    cmd.add_argument("--timeout", type=float, default=3600.0, help="Total deadline in seconds.")
    cmd.add_argument(
        "--silence-timeout",
        type=float,
        default=600.0,
        help="Give up after this many seconds without progress.",
    )
    cmd.add_argument(
        "--allow-partial", action="store_true", help="Accept HTTP 200 with node_errors (partial run)."
    )
    cmd.add_argument("--bust-cache", action="store_true", help="Force every node to execute again.")
    cmd.add_argument("--header", metavar="'Name: value'", action="append", help="HTTP header (repeatable).")
    cmd.add_argument(
        "--no-validate", action="store_true", help="Skip validation against the live /object_info."
    )
    cmd.add_argument(
        "--profile",
        help="Launch flags profile for --launch (rtx4060-8gb adds --novram); default: the recipe's profile.",
    )
    cmd.add_argument("--launch-python", help="Python of ComfyUI's own venv for --launch.")
    cmd.add_argument("--launch-flag", action="append", help="Extra ComfyUI flag for --launch (repeatable).")
    add_set_option(cmd)
    cmd.add_argument(
        "--strict", action="store_true", help="Treat recipe warnings (e.g. frames snapped to 8n+1) as errors."
    )
    cmd.add_argument("--json", dest="as_json", action="store_true", help="NDJSON events on stdout.")
    demo = add_command(commands, "demo", demo_command)
    demo.add_argument("--out", type=Path, default=Path("runs"), help="Folder for the run folder.")
    demo.add_argument("--json", dest="as_json", action="store_true", help="NDJSON events on stdout.")


def run_command(
    target: str,
    server: str | None = None,
    launch: Path | None = None,
    out: Path = Path("runs"),
    timeout: float = 3600.0,
    silence_timeout: float = 600.0,
    allow_partial: bool = False,
    bust_cache: bool = False,
    header: list[str] | None = None,
    no_validate: bool = False,
    profile: str | None = None,
    launch_python: str | None = None,
    launch_flag: list[str] | None = None,
    sets: list[str] | None = None,
    strict: bool = False,
    as_json: bool = False,
) -> int:
    """Render a recipe or graph on ComfyUI, download every output, write RUN/manifest.json."""
    from comfyreel.compiler.errors import UsageError
    from comfyreel.runner.session import RunOptions

    if (server is None) == (launch is None):
        raise UsageError("give exactly one of --server URL or --launch COMFYUI_DIR")
    if timeout <= 0 or silence_timeout <= 0:
        raise UsageError("--timeout and --silence-timeout must be positive")
    options = RunOptions(
        timeout_s=timeout,
        silence_timeout_s=silence_timeout,
        allow_partial=allow_partial,
        bust_cache=bust_cache,
        headers=_headers(header or []),
        validate_online=not no_validate,
    )
    if server is not None:
        return _execute(target, server, out, options, as_json, sets, strict)
    from datetime import datetime, timezone

    from comfyreel.runner.launch import launched

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if profile is None:
        profile = _recipe_profile(target, sets or [])
    with launched(
        launch,
        out / f".comfyui-{stamp}",
        profile=profile,
        extra_flags=launch_flag or [],
        python=launch_python,
    ) as local:
        for line in local.import_errors:
            sys.stderr.write(f"warning: ComfyUI: {line}\n")
        from comfyreel.runner.launch import unrepeatable

        for why in unrepeatable(local.flags):
            sys.stderr.write(f"warning: ComfyUI launched {why}: re-renders may not repeat\n")
        options.launch_flags = local.flags
        return _execute(target, local.url, out, options, as_json, sets, strict)


def _recipe_profile(target: str, sets: list[str]) -> str | None:
    """The profile a recipe names, ``--set`` applied (None for a graph, or a recipe without one)."""
    if Path(target).suffix.lower() == ".json":
        return None
    from comfyreel.compiler.variants import load_variants

    return load_variants(target, sets)[0].recipe.profile


def demo_command(out: Path = Path("runs"), as_json: bool = False) -> int:
    """Render the seed recipe (LTX-2 'hello everyone', 768x768, 49 frames) on the embedded fake."""
    from importlib.resources import files

    from comfyreel.fake import FakeComfyUI
    from comfyreel.runner.session import RunOptions

    recipe = files("comfyreel.recipes").joinpath(SEED_RECIPE)
    with FakeComfyUI(node_delay_s=0.01, step_delay_s=0.0) as fake:
        code = _execute(str(recipe), fake.url, out, RunOptions(), as_json)
    return code
