"""The suite can fail: with a bug planted in the runner, the matching scenario misses its target."""

from __future__ import annotations

import logging

from comfyreel.reliability import scenarios_faults, scenarios_load, scenarios_security
from comfyreel.runner import http as rhttp
from comfyreel.runner import session as rsession


def test_dropped_output_is_counted_lost(monkeypatch, tmp_path):
    real = rsession.outputs.download_all

    def drop_last(*args, **kwargs):
        files = real(*args, **kwargs)  # the run's own list (into=): drop its last record
        files.pop()
        return files

    monkeypatch.setattr(rsession.outputs, "download_all", drop_last)
    tally = scenarios_faults.late_history(3, 1, tmp_path)
    assert not tally.ok and tally.lost == 3 and tally.value == 3


def test_global_interrupt_is_a_foreign_interrupt(monkeypatch, tmp_path):
    def global_interrupt(server, prompt_id):
        server.session.post(server.base + "/interrupt", json={}, timeout=5)

    monkeypatch.setattr(rsession.http, "interrupt", global_interrupt)
    tally = scenarios_load.hang(1, 1, tmp_path)
    assert not tally.ok and tally.value >= 1


def test_logged_url_is_a_leak(monkeypatch, tmp_path):
    real_init = rhttp.Server.__init__

    def chatty_init(self, url, **kwargs):
        logging.getLogger("chatty").debug("connecting to %s", url)
        real_init(self, url, **kwargs)

    monkeypatch.setattr(rhttp.Server, "__init__", chatty_init)
    tally = scenarios_security.credentials(2, 1, tmp_path)
    assert not tally.ok and tally.value == 2 and "leaked" in tally.failures[0]


def test_wrong_exception_class_fails_oom(monkeypatch, tmp_path):
    from comfyreel.runner import outcome as routcome  # OOM_PATTERN moved here from session.py

    monkeypatch.setattr(routcome, "OOM_PATTERN", routcome.re.compile("never matches this"))
    tally = scenarios_faults.oom(3, 1, tmp_path)
    assert not tally.ok and tally.value == 2  # runs 0 and 1 are OOM, run 2 is the control
