"""The CI-sized reliability suite: every scenario meets its target (100% passed, 0 lost, 0 hung and
its own metric), so a regression in the runner, the fake or the compiler fails CI."""

from __future__ import annotations

import os
import threading
import time

import pytest
from comfyreel.cli import main
from comfyreel.reliability import harness, suite, table

#: Runs per scenario in CI (smaller than the command's default, still every variant at least once).
CI_RUNS = {
    "ws-drop": 12,
    "server-restart": 4,
    "late-history": 15,
    "node-errors": 6,
    "oom": 6,
    "hang": 3,
    "concurrent": 30,
    "slow-view": 6,
    "recipe-fuzz": 400,
    "template-injection": 120,
    "hostile-server": len(suite.scenarios_security.hostile_variants()),
    "credentials": len(suite.scenarios_security.CREDENTIAL_VARIANTS),
}


def test_every_scenario_has_a_ci_size():
    assert set(CI_RUNS) == set(suite.SCENARIOS)


@pytest.mark.parametrize("name", list(suite.SCENARIOS))
def test_scenario_meets_target(name, tmp_path):
    scenario = suite.SCENARIOS[name]
    tally = scenario.run(CI_RUNS[name], 1, tmp_path)
    assert tally.runs == CI_RUNS[name]
    assert tally.ok, table.render([tally])
    assert (tally.passed, tally.lost, tally.hung) == (tally.runs, 0, 0)


def test_bounded_counts_a_hang_instead_of_waiting():
    start = time.monotonic()
    with pytest.raises(harness.Hung):
        harness.bounded(lambda: time.sleep(5), 0.2)
    assert time.monotonic() - start < 4
    assert harness.bounded(lambda: 42, 1) == 42
    with pytest.raises(ZeroDivisionError):
        harness.bounded(lambda: 1 / 0, 1)


def test_attempt_counts_each_outcome_once():
    tally = harness.Tally("x", "m", "t")
    release = threading.Event()
    unhung: list[bool] = []
    assert harness.attempt(tally, "ok", lambda: 42, 5).value == 42
    got = harness.attempt(tally, "expected", lambda: 1 / 0, 5, expected=(ZeroDivisionError,))
    assert isinstance(got.error, ZeroDivisionError)
    assert harness.attempt(tally, "lost", lambda: 1 / 0, 5, lost=(ArithmeticError,)) is None
    assert harness.attempt(tally, "other", lambda: {}["k"], 5, lost=(ArithmeticError,)) is None
    hung = harness.attempt(tally, "hung", release.wait, 0.05, on_hung=lambda: unhung.append(True))
    release.set()
    assert hung is None and unhung == [True]
    assert (tally.runs, tally.lost, tally.hung, tally.passed) == (5, 1, 1, 0)
    assert [f.split(":")[0] for f in tally.failures] == ["lost", "other", "hung"]


def test_tally_ok_needs_every_target():
    good = harness.Tally("x", "m", "t", runs=3, passed=3)
    assert good.ok
    for change in ({"passed": 2}, {"lost": 1}, {"hung": 1}, {"value": 1}, {"runs": 0, "passed": 0}):
        bad = harness.Tally("x", "m", "t", **{"runs": 3, "passed": 3, **change})
        assert not bad.ok, change
    assert harness.Tally("x", "m", "t", runs=1, passed=1, value=4.9, limit=5).ok


def test_table_lists_failures_of_missed_scenarios():
    missed = harness.Tally("broken", "crossed events", "0 crossed", runs=2, passed=1, value=1)
    missed.fail("job 7: 1 foreign event")
    text = table.render([harness.Tally("fine", "m", "t", runs=1, passed=1, seconds=0.5), missed])
    lines = text.splitlines()
    assert lines[0].split()[:5] == ["scenario", "runs", "passed", "lost", "hung"]
    assert "NO" in lines[3] and "yes" in lines[2]
    assert "1/2 scenarios met their target" in text and "job 7: 1 foreign event" in text


def _fake_scenario(ok: bool):
    def run(runs, seed, work):
        return harness.Tally("fake", "m", "t", runs=runs, passed=runs if ok else runs - 1)

    return suite.Scenario("fake", run, 3)


@pytest.mark.parametrize("ok", [True, False])
def test_command_exit_code_follows_targets(monkeypatch, capsys, ok):
    monkeypatch.setattr(suite, "SCENARIOS", {"fake": _fake_scenario(ok)})
    assert main(["reliability", "--scenario", "fake", "--runs", "2"]) == (0 if ok else 1)
    out = capsys.readouterr().out
    assert out.splitlines()[2].split()[:2] == ["fake", "2"]


def test_command_json_and_unknown_scenario(monkeypatch, capsys):
    import json

    monkeypatch.setattr(suite, "SCENARIOS", {"fake": _fake_scenario(True)})
    assert main(["reliability", "--json", "--seed", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["seed"] == 3 and data["scenarios"][0]["runs"] == 3
    assert main(["reliability", "--scenario", "nope"]) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err


def test_runs_override_scales_fuzz():
    assert suite.SCENARIOS["ws-drop"].runs_for(None) == suite.SCENARIOS["ws-drop"].ci_runs
    assert suite.SCENARIOS["ws-drop"].runs_for(1000) == 1000
    assert suite.SCENARIOS["recipe-fuzz"].runs_for(1000) == 10_000


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("COMFYREEL_RELIABILITY_RUNS"), reason="soak run: set COMFYREEL_RELIABILITY_RUNS=1000"
)
def test_soak_suite(tmp_path):
    """``COMFYREEL_RELIABILITY_RUNS=1000 pytest -m slow tests/reliability``: the long mode under pytest."""
    tallies = suite.run_suite(runs=int(os.environ["COMFYREEL_RELIABILITY_RUNS"]), seed=1, work=tmp_path)
    assert all(t.ok for t in tallies), table.render(tallies)
