"""CLI command ``reliability``: run the fault and bad-input suite against the embedded fake server.

Prints one row per scenario (runs, passed, lost, hung, the scenario's own metric) and exits 1 when
any scenario misses its target. The default is CI-sized; ``--runs 1000`` is the soak run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this module's command to *app*."""

    @app.command("reliability")
    def reliability_command(
        runs: Annotated[
            int | None,
            typer.Option(
                "--runs",
                min=1,
                help="Runs per fault scenario (fuzz scenarios: 10x this many cases). Default: CI-sized.",
            ),
        ] = None,
        scenario: Annotated[
            list[str] | None,
            typer.Option("--scenario", metavar="NAME", help="Run only this scenario (repeatable)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the random faults (replayable).")] = 0,
        work: Annotated[
            Path | None,
            typer.Option("--work", help="Keep the fake servers' files and run folders here (default: temp)."),
        ] = None,
        list_only: Annotated[bool, typer.Option("--list", help="List the scenarios and exit.")] = False,
    ) -> int:
        """Prove the runner survives faults and bad input: a table of runs, passed, lost, hung."""
        from comfyreel.compiler.errors import UsageError
        from comfyreel.runner.reliability import table
        from comfyreel.runner.reliability.suite import SCENARIOS, run_suite

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
