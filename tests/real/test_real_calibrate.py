"""calibrate, the recorded argv and flag warnings against a real ComfyUI (COMFYUI_URL); skipped otherwise."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from comfyreel.checks.calibrate import calibrate_recipe
from comfyreel.checks.check_run import check_run
from comfyreel.runner.session import RunOptions, run_graph
from test_real_runner import _graph

URL = os.environ.get("COMFYUI_URL")
pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not URL, reason="set COMFYUI_URL to a running ComfyUI to run these tests"),
]


def test_real_calibrate_records_flags_and_check_names_missing_ones(tmp_path: Path) -> None:
    graph = tmp_path / "real.json"
    graph.write_text(_graph().to_json())
    cal = calibrate_recipe(
        graph, server_url=str(URL), golden_root=tmp_path / "g", out_dir=tmp_path / "runs", renders=2
    )
    assert cal.pairs == 2 and cal.keys["min_ssim"].noise == 1.0  # EmptyImage: the same pixels
    meta = json.loads(next((tmp_path / "g").glob("*/golden.json")).read_text())
    argv = meta["provenance"]["server"]["flags"]
    assert isinstance(argv, list) and "--listen" in argv  # the server's own command line
    again = run_graph(_graph(), server_url=str(URL), out_dir=tmp_path / "more", options=RunOptions())
    rc = check_run(again.run_dir, tmp_path / "g")
    assert rc.ok
    if "--deterministic" not in argv:
        assert any("without --deterministic" in w for w in rc.warnings)
