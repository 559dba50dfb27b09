"""CLI command ``calibrate``: render a recipe N times, measure the re-render noise, write tolerances.

Exit codes as for ``run`` (the renders) and ``check`` (2 for bad input). Heavy imports happen inside.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from comfyreel.cli import Commands, add_command, at_least


def calibrate(
    recipe: Path,
    server: str,
    renders: int = 3,
    golden: Path = Path("goldens"),
    out: Path = Path("runs"),
    margin: float = 2.0,
    timeout: float = 3600.0,
    as_json: bool = False,
) -> int:
    """Render RECIPE N times (cache busted), measure each metric's noise, write the golden's tolerances."""
    from comfyreel.checks.calibrate import calibrate_recipe
    from comfyreel.compiler.errors import UsageError
    from comfyreel.runner.session import RunOptions

    if timeout <= 0:
        raise UsageError("--timeout must be positive", anchor="--timeout")

    def progress(i: int, n: int, run_dir: Path) -> None:
        sys.stderr.write(f"render {i}/{n}: {run_dir}\n")

    cal = calibrate_recipe(
        recipe,
        server_url=server,
        golden_root=golden,
        out_dir=out,
        renders=renders,
        margin=margin,
        options=RunOptions(timeout_s=timeout),
        on_render=progress,
    )
    if as_json:
        sys.stdout.write(json.dumps(cal.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(cal.summary_lines()) + "\n")
    return 0


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "calibrate", calibrate)
    cmd.add_argument("recipe", type=Path, metavar="RECIPE|GRAPH.json", help="The recipe or graph to render.")
    cmd.add_argument("--server", metavar="URL", required=True, help="ComfyUI to render on.")
    cmd.add_argument("--renders", type=at_least(2), default=3, help="How many renders (≥ 2).")
    cmd.add_argument("--golden", "-g", type=Path, default=Path("goldens"), help="Goldens root.")
    cmd.add_argument("--out", type=Path, default=Path("runs"), help="Folder for the run folders.")
    cmd.add_argument(
        "--margin", type=float, default=2.0, help="Threshold = this many times the measured noise (≥ 1)."
    )
    cmd.add_argument("--timeout", type=float, default=3600.0, help="Total deadline per render, seconds.")
    cmd.add_argument("--json", dest="as_json", action="store_true", help="Print the result as JSON.")
