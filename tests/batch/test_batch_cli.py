"""`comfyreel batch` end to end: an interrupted batch resumed, the summary files, the sheet in a browser."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from batch_helpers import PLAIN, SWEEP, prompt_ids, write_recipe
from comfyreel.cli import main


def _finished(out: Path) -> int:
    count = 0
    for manifest in out.glob("*/manifest.json"):
        with contextlib.suppress(ValueError):  # a manifest being written right now
            count += json.loads(manifest.read_text()).get("status") == "success"
    return count


def test_resume_after_an_interrupted_batch_renders_only_what_was_missing(engine, fleet, tmp_path):
    fakes = fleet(2, node_delay_s=0.1)
    recipe = write_recipe(tmp_path, PLAIN, "plain.yaml")
    out = tmp_path / "out"
    args = ["batch", str(recipe), "--set", "seed=1..6", "--out", str(out), "--per-server", "1"]
    if engine == "ray":  # the killed driver joins the test's cluster; so does the resumed batch
        args += ["--engine", "ray", "--ray-address", "auto"]
    for fake in fakes:
        args += ["--server", fake.url]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from comfyreel.cli import run; run()", *args], stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 240  # a Ray driver joins the cluster first
        while _finished(out) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: nothing cleaned up, renders left on the servers
        proc.wait()
    done_before = _finished(out)
    assert 2 <= done_before < 6
    assert main([*args, "--resume", "--json"]) == 0
    summary = json.loads((out / "batch.json").read_text())
    assert summary["counts"]["failed"] == 0
    assert summary["counts"]["skipped"] == done_before
    assert summary["counts"]["success"] == 6 - done_before
    sent = [pid for fake in fakes for pid in prompt_ids(fake)]
    assert len(sent) == len(set(sent)) == 6  # every job queued exactly once, across both runs
    assert _finished(out) == 6


def test_batch_cli_writes_summary_junit_and_sheet(fleet, tmp_path, capsys):
    fakes = fleet(3)
    recipe = write_recipe(tmp_path, SWEEP, "sweep.yaml")
    out = tmp_path / "out"
    args = ["batch", str(recipe), "--out", str(out), "--json"]
    for fake in fakes:
        args += ["--server", fake.url]
    assert main(args) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["state"] for e in events if e["event"] == "job"].count("done") == 6
    assert events[-1]["event"] == "summary" and events[-1]["counts"]["success"] == 6
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite.get("tests") == "6" and suite.get("failures") == "0"
    summary = json.loads((out / "batch.json").read_text())
    assert {s["url"] for s in summary["servers"]} == {f.url for f in fakes}
    assert sum(s["done"] for s in summary["servers"]) == 6


def test_batch_usage_errors(tmp_path, capsys):
    recipe = write_recipe(tmp_path, PLAIN, "plain.yaml")
    assert main(["batch", str(recipe)]) == 2
    assert "--server" in capsys.readouterr().err
    assert main(["batch", str(recipe), "--server", "http://127.0.0.1:9", "--set", "sed=1"]) == 1
    assert "did you mean 'seed'" in capsys.readouterr().err


def test_batch_with_no_server_up_exits_3(tmp_path, capsys):
    recipe = write_recipe(tmp_path, PLAIN, "plain.yaml")
    assert main(["batch", str(recipe), "--server", "http://127.0.0.1:9", "--out", str(tmp_path / "o")]) == 3
    assert "no server of the batch answered" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
def test_contact_sheet_renders_in_headless_chromium(fleet, tmp_path):
    fakes = fleet(3)
    out = tmp_path / "out"
    args = ["batch", str(write_recipe(tmp_path, SWEEP, "sweep.yaml")), "--out", str(out)]
    for fake in fakes:
        args += ["--server", fake.url]
    assert main(args) == 0
    shot = tmp_path / "sheet.png"
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={home / 'profile'}",
            "--window-size=900,700",
            f"--screenshot={shot}",
            (out / "index.html").as_uri(),
        ],
        check=True,
        timeout=120,
        capture_output=True,
        env={**os.environ, "HOME": str(home)},
    )
    if os.environ.get("COMFYREEL_KEEP_SHEET"):
        shutil.copy(shot, os.environ["COMFYREEL_KEEP_SHEET"])
    import av
    import numpy as np

    with av.open(str(shot)) as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert image.shape[:2] == (700, 900)
    # the keyframes are drawn: the fake's frames are colourful, the page itself is grey on white
    saturation = image.max(axis=2).astype(int) - image.min(axis=2).astype(int)
    assert (saturation > 60).mean() > 0.05, "no keyframe pixels in the screenshot"
    assert np.unique(image.reshape(-1, 3), axis=0).shape[0] > 500
