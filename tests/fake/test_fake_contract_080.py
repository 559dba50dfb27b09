"""Contract tests for version="0.8.0": the jobs API, create_time and features, as recorded."""

from __future__ import annotations

import time

import requests
from fake_trace_tools import client, load_graph, load_trace, recorded_http, recorded_ws, shape

V = "0.8.0"


def _jobs_responses(trace: list[dict]) -> list[dict]:
    return [e for e in trace if e["kind"] == "http" and e["path"].startswith("/api/jobs")]


def _keys_by_status(jobs: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for job in jobs:
        found.setdefault(job["status"], set()).update(job)
    return found


def test_jobs_api_matches_recording(fake_080):
    url = fake_080.url
    shapes_trace = load_trace("shapes", V)
    with client(url, "jobs-test") as c:
        ok_id = c.submit(load_graph("success_image")).json()["prompt_id"]
        c.until_terminal(ok_id)
        fake_080.faults.fail_node = "CheckpointLoaderSimple"
        failed_graph = recorded_http(load_trace("execution_error", V), "POST", "/prompt")[0]["request_json"][
            "prompt"
        ]
        failed_id = c.submit(failed_graph).json()["prompt_id"]
        c.until_terminal(failed_id)
        fake_080.faults.fail_node = None
        fake_080.faults.hang_node = "1"
        hung_id = c.submit(load_graph("cached_rerun_2")).json()["prompt_id"]
        c.until(lambda m: m["type"] == "executing" and m["data"].get("node") == "1")
        pending_id = c.submit(load_graph("partial_200_2")).json()["prompt_id"]
        live = requests.get(f"{url}/api/jobs", params={"status": "in_progress,pending"}, timeout=5).json()
        assert [(j["id"], j["status"]) for j in live["jobs"]] == [
            (pending_id, "pending"),
            (hung_id, "in_progress"),
        ]
        assert set(live["jobs"][0]) == {"id", "status", "priority", "create_time", "outputs_count"}
        assert requests.get(f"{url}/api/jobs/{pending_id}", timeout=5).json()["status"] == "pending"
        fake_080.faults.hang_node = None  # the pending prompt must not hang too
        c.post("/interrupt")
        c.until_terminal(hung_id)
        c.until_terminal(pending_id)
    recorded_lists = [
        e["response_json"]["jobs"]
        for e in _jobs_responses(shapes_trace)
        if e["status"] == 200 and "jobs" in e.get("response_json", {})
    ]
    recorded_keys = _keys_by_status([j for jobs in recorded_lists for j in jobs])
    mine = requests.get(f"{url}/api/jobs", timeout=5).json()
    assert set(mine) == {"jobs", "pagination"}
    assert mine["pagination"] == {"offset": 0, "limit": None, "total": 4, "has_more": False}
    by_id = {j["id"]: j for j in mine["jobs"]}
    assert set(by_id[ok_id]) == recorded_keys["completed"]
    assert by_id[ok_id]["preview_output"]["mediaType"] == "images"
    assert by_id[failed_id]["status"] == by_id[hung_id]["status"] == "failed"
    assert "execution_error" in by_id[failed_id] and "execution_error" not in by_id[hung_id]
    assert set(by_id[failed_id]) == recorded_keys["failed"]
    assert set(by_id[hung_id]) == recorded_keys["failed"] - {"execution_error"}
    assert [j["id"] for j in mine["jobs"]] == [pending_id, hung_id, failed_id, ok_id]  # newest first
    page = requests.get(f"{url}/api/jobs", params={"limit": 2, "offset": 1}, timeout=5).json()
    assert [j["id"] for j in page["jobs"]] == [hung_id, failed_id]
    assert page["pagination"] == {"offset": 1, "limit": 2, "total": 4, "has_more": True}
    recorded_single = next(
        e for e in _jobs_responses(shapes_trace) if e["path"].count("/") == 3 and e["status"] == 200
    )["response_json"]
    single = requests.get(f"{url}/api/jobs/{ok_id}", timeout=5).json()
    for key in ("execution_status", "preview_output"):
        assert shape(single[key]) == shape(recorded_single[key]), key
    assert set(single["workflow"]) == set(recorded_single["workflow"])
    assert set(single) == set(recorded_single)
    assert single["workflow"]["prompt"] == load_graph("success_image")


def test_jobs_api_errors_match_recording(fake_080):
    for event in _jobs_responses(load_trace("shapes", V)):
        if event["status"] != 400 and "no-such" not in event["path"]:
            continue
        answer = requests.get(fake_080.url + event["path"], params=event.get("query"), timeout=5)
        assert answer.status_code == event["status"], event
        assert answer.json() == event["response_json"]
    assert requests.get(f"{fake_080.url}/jobs", timeout=5).status_code == 404
    assert (
        requests.get(f"{fake_080.url}/api/jobs", params={"workflow_id": "x"}, timeout=5).json()["jobs"] == []
    )


def test_080_features_create_time_and_status_shapes(fake_080):
    trace = load_trace("shapes", V)
    features = recorded_http(trace, "GET", "/features")[0]["response_json"]
    assert requests.get(f"{fake_080.url}/features", timeout=5).json() == features
    assert requests.get(f"{fake_080.url}/global_subgraphs", timeout=5).json() == {}
    stats = requests.get(f"{fake_080.url}/system_stats", timeout=5).json()
    assert stats["system"]["os"] == "linux" and stats["system"]["comfyui_version"] == "0.8.0"
    with client(fake_080.url, "ct") as c:
        c.ws.send('{"type": "feature_flags", "data": {"supports_preview_metadata": true}}')
        assert c.recv() == recorded_ws(trace, "A")[1]
        before = int(time.time() * 1000)
        prompt_id = c.submit(load_graph("success_image")).json()["prompt_id"]
        c.until_terminal(prompt_id)
    extra = c.get(f"/history/{prompt_id}").json()[prompt_id]["prompt"][3]
    assert set(extra) == {"client_id", "create_time"} and extra["create_time"] >= before


def test_jobs_api_is_absent_on_0364(comfy_fake):
    assert requests.get(f"{comfy_fake.url}/api/jobs", timeout=5).status_code == 404
    assert requests.get(f"{comfy_fake.url}/global_subgraphs", timeout=5).status_code == 404
