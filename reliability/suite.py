"""The scenario registry and :func:`run_suite`: run the chosen scenarios, time them, return tallies.

CI-sized defaults keep the whole suite within a couple of minutes on 2 cores; ``runs`` overrides
every fault scenario (fuzz scenarios get ``FUZZ_FACTOR`` x runs cases, so ``--runs 1000`` means
10,000 fuzzed recipes).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from comfyreel.reliability import scenarios_faults, scenarios_input, scenarios_load, scenarios_security
from comfyreel.reliability.harness import Tally

FUZZ_FACTOR = 10


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[int, int, Path], Tally]
    ci_runs: int  # CI-sized default
    fuzz: bool = False  # runs are cheap cases: --runs N gives N x FUZZ_FACTOR

    def runs_for(self, runs: int | None) -> int:
        if runs is None:
            return self.ci_runs
        return runs * FUZZ_FACTOR if self.fuzz else runs


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("ws-drop", scenarios_faults.ws_drop, 30),
        Scenario("server-restart", scenarios_faults.restart, 8),
        Scenario("late-history", scenarios_faults.late_history, 40),
        Scenario("node-errors", scenarios_faults.node_errors, 12),
        Scenario("oom", scenarios_faults.oom, 12),
        Scenario("hang", scenarios_load.hang, 6),
        Scenario("concurrent", scenarios_load.concurrent, 60),
        Scenario("slow-view", scenarios_load.slow_view, 12),
        Scenario("recipe-fuzz", scenarios_input.recipe_fuzz, 1000, fuzz=True),
        Scenario("template-injection", scenarios_input.template_injection, 200, fuzz=True),
        Scenario(
            "hostile-server", scenarios_security.hostile_server, len(scenarios_security.hostile_variants())
        ),
        Scenario("credentials", scenarios_security.credentials, len(scenarios_security.CREDENTIAL_VARIANTS)),
    )
}


def run_suite(
    names: Iterable[str] | None = None,
    *,
    runs: int | None = None,
    seed: int = 0,
    work: Path | None = None,
    on_done: Callable[[Tally], None] | None = None,
) -> list[Tally]:
    """Run *names* (all when None) and return one Tally per scenario, in registry order.

    *work* holds the fake servers' files and the run folders (a temporary folder, removed after,
    when None). *on_done* is called after each scenario (progress output).
    """
    chosen = list(SCENARIOS) if names is None else list(dict.fromkeys(names))
    unknown = [n for n in chosen if n not in SCENARIOS]
    if unknown:
        raise KeyError(", ".join(unknown))
    tallies: list[Tally] = []
    with tempfile.TemporaryDirectory(prefix="comfyreel-reliability-") as tmp:
        root = Path(work) if work is not None else Path(tmp)
        for name in chosen:
            scenario = SCENARIOS[name]
            start = time.monotonic()
            tally = scenario.run(scenario.runs_for(runs), seed, root / name)
            tally.seconds = time.monotonic() - start
            tallies.append(tally)
            if on_done is not None:
                on_done(tally)
    return tallies
