"""CLI command ``reliability``: run the fault and bad-input suite against the embedded fake server.

Prints one row per scenario (runs, passed, lost, hung, the scenario's own metric) and exits 1 when
any scenario misses its target. The default is CI-sized; ``--runs 1000`` is the soak run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from comfyreel.cli import Commands, add_command, at_least


def register(commands: Commands) -> None:
    """Add this module's command."""
    cmd = add_command(commands, "reliability", reliability_command)
    cmd.add_argument(
        "--runs",
        type=at_least(1),
        help="Runs per fault scenario (fuzz scenarios: 10x this many cases). Default: CI-sized.",
    )
    cmd.add_argument(
        "--scenario", metavar="NAME", action="append", help="Run only this scenario (repeatable)."
    )
    cmd.add_argument("--json", dest="as_json", action="store_true", help="Print the results as JSON.")
    cmd.add_argument("--seed", type=int, default=0, help="Seed of the random faults (replayable).")
    cmd.add_argument(
        "--work", type=Path, help="Keep the fake servers' files and run folders here (default: temp)."
    )
    cmd.add_argument("--list", dest="list_only", action="store_true", help="List the scenarios and exit.")


def reliability_command(
    runs: int | None = None,
    scenario: list[str] | None = None,
    as_json: bool = False,
    seed: int = 0,
    work: Path | None = None,
    list_only: bool = False,
) -> int:
    """Prove the runner survives faults and bad input: a table of runs, passed, lost, hung."""
    from comfyreel.compiler.errors import UsageError
    from comfyreel.reliability import table
    from comfyreel.reliability.suite import SCENARIOS, run_suite

    if list_only:
        for s in SCENARIOS.values():
            doc = (s.run.__doc__ or "").split("\n\n")[0].replace("\n", " ")
            sys.stdout.write(f"{s.name:20} {s.ci_runs:5} runs  {' '.join(doc.split())}\n")
        return 0
    unknown = [n for n in scenario or [] if n not in SCENARIOS]
    if unknown:
        raise UsageError(
            f"unknown scenario {unknown[0]!r}",
            hint=f"choose from: {', '.join(SCENARIOS)}",
        )

    def progress(tally: object) -> None:
        if not as_json:
            name = getattr(tally, "name", "?")
            sys.stderr.write(f"  {name}: {'ok' if getattr(tally, 'ok', False) else 'MISSED'}\n")

    tallies = run_suite(scenario or None, runs=runs, seed=seed, work=work, on_done=progress)
    if as_json:
        sys.stdout.write(table.to_json(tallies, seed=seed) + "\n")
    else:
        sys.stdout.write(table.render(tallies) + "\n")
    return 0 if all(t.ok for t in tallies) else 1
