"""CLI commands: ``compare`` (two files), ``check`` (a run dir vs goldens), ``rerun`` (a manifest).

Exit codes: 0 match, 1 regression / missing golden, 2 unreadable input or bad usage.
Everything heavy (PyAV, torch, jinja2, the runner) is imported inside the command bodies.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

_TOL_HELP = "Override a tolerance, KEY=VALUE (repeatable), e.g. min_ssim=0.8 or frame_count_delta=1."


def _emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _print(lines: list[str]) -> None:
    sys.stdout.write("\n".join(lines) + "\n")


def compare(
    actual: Annotated[Path, typer.Argument(help="The rendered file (video, audio or image).")],
    golden: Annotated[Path, typer.Argument(help="The golden file to compare against.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    tolerance: Annotated[list[str] | None, typer.Option("--tolerance", "-t", help=_TOL_HELP)] = None,
    per_frame: Annotated[
        bool, typer.Option("--per-frame", help="Include per-frame SSIM/PSNR in --json.")
    ] = False,
    device: Annotated[
        str | None, typer.Option("--device", help="torch device for the metrics (cpu, cuda).")
    ] = None,
) -> None:
    """Compare ACTUAL with GOLDEN: exit 0 within tolerance, 1 on a regression, 2 if unreadable."""
    from comfyreel.runner.check.compare import compare_files
    from comfyreel.runner.check.tolerances import Tolerances, parse_overrides
    from comfyreel.runner.errors import CheckError

    tol = Tolerances.from_dict(parse_overrides(tolerance), where="--tolerance")
    try:
        result = compare_files(actual, golden, tol, device=device)
    except CheckError as exc:
        if as_json:
            _emit_json({"ok": False, "actual": str(actual), "golden": str(golden), "error": exc.to_dict()})
            raise typer.Exit(exc.exit_code) from None
        raise
    if as_json:
        _emit_json(result.to_dict(per_frame=per_frame))
    else:
        _print(result.summary_lines())
    raise typer.Exit(0 if result.ok else 1)


def check(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories written by `comfyreel run`.")],
    golden: Annotated[Path, typer.Option("--golden", "-g", help="Goldens root: <root>/<recipe-stem>/.")],
    update_golden: Annotated[
        bool,
        typer.Option("--update-golden", help="Make these outputs the goldens (atomic; shows old → new)."),
    ] = False,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report here.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    tolerance: Annotated[list[str] | None, typer.Option("--tolerance", "-t", help=_TOL_HELP)] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="torch device for the metrics (cpu, cuda).")
    ] = None,
) -> None:
    """Check RUN_DIR(s) against goldens: exit 0 pass, 1 regression or missing golden, 2 unreadable."""
    from comfyreel.runner.check.check_run import check_run
    from comfyreel.runner.check.tolerances import parse_overrides

    overrides = parse_overrides(tolerance)
    results = [
        check_run(
            run_dir,
            golden,
            update=update_golden,
            overrides=overrides,
            collect_images=html is not None,
            device=device,
        )
        for run_dir in run_dirs
    ]
    if junit is not None:
        from comfyreel.runner.check.junit import write_junit

        write_junit(results, junit)
    if html is not None:
        from comfyreel.runner.check.html import write_html

        write_html(results, html)
    if as_json:
        _emit_json({"ok": all(r.ok for r in results), "runs": [r.to_dict() for r in results]})
    else:
        for r in results:
            _print(r.summary_lines())
        for label, path in (("junit", junit), ("html", html)):
            if path is not None:
                sys.stdout.write(f"{label} report: {path}\n")
    raise typer.Exit(max((r.exit_code for r in results), default=0))


def rerun(
    manifest: Annotated[Path, typer.Argument(help="A run's manifest.json (or its run directory).")],
    server: Annotated[
        str | None, typer.Option("--server", help="ComfyUI URL (default: the manifest's).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Where the new run directory goes.")] = Path("runs"),
    timeout: Annotated[float | None, typer.Option("--timeout", help="Total deadline in seconds.")] = None,
) -> None:
    """Re-submit a run's exact graph.json (after checking its sha256 against the manifest)."""
    from comfyreel.runner.check.rerun import rerun_manifest

    result = rerun_manifest(manifest, server_url=server, out_dir=out, timeout_s=timeout)
    sys.stdout.write(f"rerun written to {result.run_dir}\n")


def register(app: typer.Typer) -> None:
    """Add this module's commands to *app*."""
    app.command("compare")(compare)
    app.command("check")(check)
    app.command("rerun")(rerun)
