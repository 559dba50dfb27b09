"""CLI commands: ``compare`` (two files), ``check`` (a run dir vs goldens), ``rerun`` (a manifest).

Exit codes: 0 match, 1 regression / missing golden, 2 unreadable input or bad usage.
Everything heavy (PyAV, torch, jinja2, the runner) is imported inside the command bodies.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from comfyreel.cli import Commands, Exit, add_command

_DEVICE_HELP = (
    "where the metrics run: numpy (default, no torch needed), or with the torch extra "
    "cpu, cuda[:N], or auto (cuda when torch sees a GPU, else numpy)."
)
_TOL_HELP = "Override a tolerance, KEY=VALUE (repeatable), e.g. min_ssim=0.8 or frame_count_delta=1."


def _emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _print(lines: list[str]) -> None:
    sys.stdout.write("\n".join(lines) + "\n")


def compare(
    actual: Path,
    golden: Path,
    as_json: bool = False,
    tolerance: list[str] | None = None,
    per_frame: bool = False,
    device: str | None = None,
) -> None:
    """Compare ACTUAL with GOLDEN: exit 0 within tolerance, 1 on a regression, 2 if unreadable."""
    from comfyreel.checks.compare import compare_files
    from comfyreel.checks.tolerances import Tolerances, parse_overrides
    from comfyreel.runner.errors import CheckError

    tol = Tolerances.from_dict(parse_overrides(tolerance), where="--tolerance")
    try:
        result = compare_files(actual, golden, tol, device=device)
    except CheckError as exc:
        if as_json:
            _emit_json({"ok": False, "actual": str(actual), "golden": str(golden), "error": exc.to_dict()})
            raise Exit(exc.exit_code) from None
        raise
    if as_json:
        _emit_json(result.to_dict(per_frame=per_frame))
    else:
        _print(result.summary_lines())
    raise Exit(0 if result.ok else 1)


def check(
    run_dirs: list[Path],
    golden: Path,
    update_golden: bool = False,
    junit: Path | None = None,
    html: Path | None = None,
    as_json: bool = False,
    tolerance: list[str] | None = None,
    device: str | None = None,
) -> None:
    """Check RUN_DIR(s) against goldens: exit 0 pass, 1 regression or missing golden, 2 unreadable."""
    from comfyreel.checks.check_run import check_run, refuse_shared_goldens
    from comfyreel.checks.tolerances import parse_overrides
    from comfyreel.runner.manifest import Manifest

    overrides = parse_overrides(tolerance)
    refuse_shared_goldens({run_dir: Manifest.load(run_dir) for run_dir in run_dirs})
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
        from comfyreel.checks.junit import write_junit

        write_junit(results, junit)
    if html is not None:
        from comfyreel.checks.html import write_html

        write_html(results, html)
    if as_json:
        _emit_json({"ok": all(r.ok for r in results), "runs": [r.to_dict() for r in results]})
    else:
        for r in results:
            _print(r.summary_lines())
        for label, path in (("junit", junit), ("html", html)):
            if path is not None:
                sys.stdout.write(f"{label} report: {path}\n")
    raise Exit(max((r.exit_code for r in results), default=0))


def rerun(
    manifest: Path, server: str | None = None, out: Path = Path("runs"), timeout: float | None = None
) -> None:
    """Re-submit a run's exact graph.json (after checking its sha256 against the manifest)."""
    from comfyreel.checks.rerun import rerun_manifest

    result = rerun_manifest(manifest, server_url=server, out_dir=out, timeout_s=timeout)
    sys.stdout.write(f"rerun written to {result.run_dir}\n")


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "compare", compare)
    cmd.add_argument("actual", type=Path, help="The rendered file (video, audio or image).")
    cmd.add_argument("golden", type=Path, help="The golden file to compare against.")
    cmd.add_argument("--json", dest="as_json", action="store_true", help="Print the comparison as JSON.")
    cmd.add_argument("--tolerance", "-t", action="append", help=_TOL_HELP)
    cmd.add_argument("--per-frame", action="store_true", help="Include per-frame SSIM/PSNR in --json.")
    cmd.add_argument("--device", help=_DEVICE_HELP)
    cmd = add_command(commands, "check", check)
    cmd.add_argument(
        "run_dirs",
        metavar="RUN_DIR",
        type=Path,
        nargs="+",
        help="Run directories written by `comfyreel run`.",
    )
    cmd.add_argument("--golden", "-g", type=Path, required=True, help="Goldens root: <root>/<recipe name>/.")
    cmd.add_argument(
        "--update-golden",
        action="store_true",
        help="Make these outputs the goldens (atomic; shows old → new).",
    )
    cmd.add_argument("--junit", type=Path, help="Write a JUnit XML report here.")
    cmd.add_argument("--html", type=Path, help="Write a self-contained HTML report here.")
    cmd.add_argument("--json", dest="as_json", action="store_true", help="Print the result as JSON.")
    cmd.add_argument("--tolerance", "-t", action="append", help=_TOL_HELP)
    cmd.add_argument("--device", help=_DEVICE_HELP)
    cmd = add_command(commands, "rerun", rerun)
    cmd.add_argument("manifest", type=Path, help="A run's manifest.json (or its run directory).")
    cmd.add_argument("--server", help="ComfyUI URL (default: the manifest's).")
    cmd.add_argument("--out", type=Path, default=Path("runs"), help="Where the new run directory goes.")
    cmd.add_argument("--timeout", type=float, help="Total deadline in seconds.")
