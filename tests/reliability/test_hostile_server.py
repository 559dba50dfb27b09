"""A hostile server (malformed JSON, wrong types, huge bodies, unknown frames, evil file names, error
statuses) gets a clear RunError from the runner, never a traceback, and nothing is written outside
the run folder. The table-driven scenario is covered in test_suite.py; these pin single cases."""

from __future__ import annotations

import pytest
from comfyreel.fake import FakeComfyUI
from comfyreel.reliability.graphs import image_graph
from comfyreel.reliability.scenarios_faults import fast
from comfyreel.runner.errors import OutputError, ProtocolError, RunError
from comfyreel.runner.session import run_graph


@pytest.fixture
def fake(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.002) as server:
        yield server


def _run(fake, tmp_path):
    return run_graph(
        image_graph(), server_url=fake.url, out_dir=tmp_path / "runs", options=fast(timeout_s=20)
    )


def test_wrong_types_in_system_stats_is_a_protocol_error(fake, tmp_path):
    """Found by the suite: a list where a version string belongs leaked a pydantic ValidationError."""
    fake.faults.wrong_types_routes = {"/system_stats"}
    with pytest.raises(ProtocolError) as info:
        _run(fake, tmp_path)
    assert "system_stats" in info.value.message


@pytest.mark.parametrize("route", ["/history", "/queue", "/prompt", "/system_stats", "/object_info"])
@pytest.mark.parametrize("fault", ["malformed_json_routes", "wrong_types_routes", "http_status_routes"])
def test_hostile_answers_are_run_errors(fake, tmp_path, route, fault):
    if fault == "http_status_routes":
        fake.faults.http_status_routes = {route: 500}
    else:
        getattr(fake.faults, fault).add(route)
    try:
        _run(fake, tmp_path)
    except RunError as exc:
        assert exc.message and exc.exit_code >= 3
    outside = [p for p in tmp_path.rglob("*") if not str(p).startswith(str(tmp_path / "runs"))]
    assert all(str(p).startswith(str(tmp_path / "srv")) for p in outside)


def test_evil_filenames_write_nothing_outside(fake, tmp_path):
    from comfyreel.fake import EVIL_FILENAMES

    for name in EVIL_FILENAMES:
        fake.faults.evil_filenames = (name,)
        with pytest.raises(OutputError):
            _run(fake, tmp_path)
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / "runs" / "x.mp4").exists()
    for run_dir in (tmp_path / "runs").iterdir():
        assert not (run_dir / "outputs").exists() or not any((run_dir / "outputs").iterdir())


def test_fake_json_replace_routes_switch(fake):
    import requests

    fake.faults.json_replace_routes = {"/queue": lambda body: {"seen": sorted(body)}}
    assert requests.get(fake.url + "/queue", timeout=5).json() == {"seen": ["queue_pending", "queue_running"]}
    assert requests.get(fake.url + "/api/queue", timeout=5).json()["seen"]
    fake.faults.clear()
    assert "queue_running" in requests.get(fake.url + "/queue", timeout=5).json()


@pytest.mark.parametrize(
    "shape", ["history-status-str", "history-outputs-list", "queue-not-lists", "system-str"]
)
def test_hostile_shapes_are_run_errors(fake, tmp_path, shape):
    from comfyreel.reliability.scenarios_security import SHAPES

    route, change = SHAPES[shape]
    fake.faults.json_replace_routes = {route: change}
    with pytest.raises(RunError) as info:
        _run(fake, tmp_path)
    assert info.value.message
