"""CLI commands: ``run`` (render a recipe or graph on a server and download its outputs) and ``demo``.

``run`` attaches to ``--server URL`` (optional ``--header`` / ``user:pass@`` auth) or starts a local
ComfyUI with ``--launch DIR``. Progress goes to stderr (a Rich bar) or, with ``--json``, one NDJSON
event per line on stdout. The exit code comes from the error class (runner/errors.py); Ctrl-C removes
only our own prompt from the server and exits 130. ``demo`` runs the seed recipe on the embedded fake.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

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


def _execute(target: str, server_url: str, out: Path, options: Any, as_json: bool) -> int:
    """Run and report; returns 0 or raises the run's ComfyreelError."""
    from comfyreel.compiler.graph import Graph
    from comfyreel.runner.progress import reporter
    from comfyreel.runner.session import run_graph, run_recipe

    path = Path(target)
    is_graph = path.suffix.lower() == ".json"
    node_count = None
    graph = None
    if is_graph:
        graph = Graph.load(path)
        node_count = len(graph)
    report = reporter(as_json=as_json, node_count=node_count)
    try:
        if graph is not None:
            result = run_graph(graph, server_url=server_url, out_dir=out, options=options, on_event=report)
        else:
            result = run_recipe(path, server_url=server_url, out_dir=out, options=options, on_event=report)
    except BaseException:
        report.close()  # the error itself (with its findings) is printed by main()
        raise
    report.close()
    if not as_json:
        sys.stderr.write(f"run folder: {result.run_dir}\n")
        for f in result.outputs:
            sys.stdout.write(f"{result.run_dir / f.path}\n")
    return 0


def register(app: typer.Typer) -> None:
    """Add this module's commands to *app*."""

    @app.command("run")
    def run_command(
        target: Annotated[
            str, typer.Argument(metavar="RECIPE|GRAPH.json", help="A recipe or an API-format graph.")
        ],
        server: Annotated[
            str | None, typer.Option("--server", metavar="URL", help="ComfyUI to attach to.")
        ] = None,
        launch: Annotated[
            Path | None,
            typer.Option("--launch", metavar="COMFYUI_DIR", help="Start this ComfyUI for the run."),
        ] = None,
        out: Annotated[Path, typer.Option("--out", help="Folder for run folders.")] = Path("runs"),
        timeout: Annotated[float, typer.Option("--timeout", help="Total deadline in seconds.")] = 3600.0,
        silence_timeout: Annotated[
            float, typer.Option("--silence-timeout", help="Give up after this many seconds without progress.")
        ] = 600.0,
        allow_partial: Annotated[
            bool, typer.Option("--allow-partial", help="Accept HTTP 200 with node_errors (partial run).")
        ] = False,
        bust_cache: Annotated[
            bool, typer.Option("--bust-cache", help="Force every node to execute again.")
        ] = False,
        header: Annotated[
            list[str] | None,
            typer.Option("--header", metavar="'Name: value'", help="HTTP header (repeatable)."),
        ] = None,
        no_validate: Annotated[
            bool, typer.Option("--no-validate", help="Skip validation against the live /object_info.")
        ] = False,
        profile: Annotated[
            str,
            typer.Option("--profile", help="Launch flags profile for --launch (rtx4060-8gb adds --novram)."),
        ] = "rtx4060-8gb",
        launch_python: Annotated[
            str | None, typer.Option("--launch-python", help="Python of ComfyUI's own venv for --launch.")
        ] = None,
        launch_flag: Annotated[
            list[str] | None,
            typer.Option("--launch-flag", help="Extra ComfyUI flag for --launch (repeatable)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="NDJSON events on stdout.")] = False,
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
            return _execute(target, server, out, options, as_json)
        from datetime import datetime, timezone

        from comfyreel.runner.launch import launched

        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        with launched(
            launch,
            out / f".comfyui-{stamp}",
            profile=profile,
            extra_flags=launch_flag or [],
            python=launch_python,
        ) as local:
            for line in local.import_errors:
                sys.stderr.write(f"warning: ComfyUI: {line}\n")
            options.launch_flags = local.flags
            return _execute(target, local.url, out, options, as_json)

    @app.command("demo")
    def demo_command(
        out: Annotated[Path, typer.Option("--out", help="Folder for the run folder.")] = Path("runs"),
        as_json: Annotated[bool, typer.Option("--json", help="NDJSON events on stdout.")] = False,
    ) -> int:
        """Render the seed recipe (LTX-2 'hello everyone', 768x768, 49 frames) on the embedded fake."""
        from importlib.resources import files

        from comfyreel.runner.fake import FakeComfyUI
        from comfyreel.runner.session import RunOptions

        recipe = files("comfyreel.recipes").joinpath(SEED_RECIPE)
        with FakeComfyUI(node_delay_s=0.01, step_delay_s=0.0) as fake:
            code = _execute(str(recipe), fake.url, out, RunOptions(), as_json)
        if not as_json:
            sys.stderr.write(
                "demo: rendered on the embedded fake ComfyUI (deterministic test media, no GPU)\n"
            )
        return code
