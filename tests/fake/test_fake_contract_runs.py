"""Contract tests: single-client runs on the fake have the recorded frame order, keys and bodies."""

from __future__ import annotations

from fake_trace_tools import (
    client,
    load_graph,
    load_trace,
    recorded_http,
    recorded_prompt_runs,
    recorded_ws,
    shape,
    types,
)


def _history_value(body: dict) -> dict:
    assert len(body) == 1
    return next(iter(body.values()))


def test_success_image_matches_recording(recorded_fake):
    trace = load_trace("success_image")
    graph = load_graph("success_image")
    with client(recorded_fake.url, "img-test") as c:
        assert shape(c.first) == shape(recorded_ws(trace, "A")[0])
        queue = c.get("/queue")
        assert queue.json() == recorded_http(trace, "GET", "/queue")[0]["response_json"]
        answer = c.submit(graph)
        recorded_post = recorded_http(trace, "POST", "/prompt")[0]
        assert answer.status_code == recorded_post["status"]
        assert answer.headers["Content-Type"] == recorded_post["content_type"]
        assert shape(answer.json()) == shape(recorded_post["response_json"])
        prompt_id = answer.json()["prompt_id"]
        frames = c.until_terminal(prompt_id)
    assert types(frames) == recorded_prompt_runs(recorded_ws(trace, "A"))[0]
    recorded_frames = recorded_ws(trace, "A")[1:]
    for mine, theirs in zip(frames, recorded_frames, strict=True):
        assert shape(mine) == shape(theirs), mine["type"]
    history = c.get(f"/history/{prompt_id}").json()
    recorded_history = recorded_http(trace, "GET", f"/history/{recorded_post['response_json']['prompt_id']}")[
        0
    ]
    assert shape(_history_value(history)) == shape(_history_value(recorded_history["response_json"]))
    entry = _history_value(history)
    assert entry["prompt"][4] == ["2"]
    assert entry["prompt"][3] == {"client_id": "img-test"}
    for recorded_view, image in zip(
        recorded_http(trace, "GET", "/view"), entry["outputs"]["2"]["images"], strict=True
    ):
        view = c.get("/view", **image)
        assert view.status_code == 200
        assert view.headers["Content-Type"] == recorded_view["content_type"]
        assert view.content[:16].hex() == recorded_view["response_head_hex"]


def test_success_video_matches_recording(recorded_fake):
    trace = load_trace("success_video")
    with client(recorded_fake.url, "vid-test") as c:
        runs = []
        for name in ("success_video", "success_video_auto"):
            prompt_id = c.submit(load_graph(name)).json()["prompt_id"]
            frames = c.until_terminal(prompt_id)
            runs.append(frames)
            executed = next(f for f in frames if f["type"] == "executed")
            assert set(executed["data"]["output"]) == {"images", "animated"}
            assert executed["data"]["output"]["animated"] == [True]
            assert executed["data"]["output"]["images"][0]["subfolder"] == "video"
            entry = _history_value(c.get(f"/history/{prompt_id}").json())
            assert entry["outputs"]["3"] == executed["data"]["output"]
            view = c.get("/view", **entry["outputs"]["3"]["images"][0])
            assert view.headers["Content-Type"] == "video/mp4"
            assert view.content[4:8] == b"ftyp"
    assert [types(r) for r in runs] == recorded_prompt_runs(recorded_ws(trace, "A"))
    names = [
        next(f for f in r if f["type"] == "executed")["data"]["output"]["images"][0]["filename"] for r in runs
    ]
    assert names == ["trace_video_00001_.mp4", "trace_video_auto_00001_.mp4"]


def test_cached_rerun_matches_recording(recorded_fake):
    trace = load_trace("cached_rerun")
    recorded_runs = recorded_prompt_runs(recorded_ws(trace, "A"))
    recorded_cached = [m["data"]["nodes"] for m in recorded_ws(trace, "A") if m["type"] == "execution_cached"]
    with client(recorded_fake.url, "cache-test") as c:
        first_id = c.submit(load_graph("cached_rerun")).json()["prompt_id"]
        first = c.until_terminal(first_id)
        runs, cached = [], []
        for name in ("cached_rerun", "cached_rerun_2"):
            prompt_id = c.submit(load_graph(name)).json()["prompt_id"]
            frames = c.until_terminal(prompt_id)
            runs.append(types(frames))
            cached.append(next(f for f in frames if f["type"] == "execution_cached")["data"]["nodes"])
            if name == "cached_rerun":
                old = next(f for f in first if f["type"] == "executed")["data"]["output"]
                again = next(f for f in frames if f["type"] == "executed")["data"]["output"]
                assert again == old  # the cached output is re-sent with the old file names
                state = [f for f in frames if f["type"] == "progress_state"]
                assert [list(s["data"]["nodes"]) for s in state] == [["2"]]
    assert runs == recorded_runs
    assert cached == recorded_cached


def test_validation_errors_match_recording(recorded_fake):
    trace = load_trace("validation_errors")
    posts = recorded_http(trace, "POST", "/prompt")
    with client(recorded_fake.url, "val-test") as c:
        start = c.submit(load_graph("success_image")).json()["number"]
        c.until(lambda m: m["type"] == "executing" and m["data"]["node"] is None)
        for recorded in posts:
            body = dict(recorded["request_json"])
            body["client_id"] = "val-test"
            answer = c.post("/prompt", body)
            assert answer.status_code == recorded["status"] == 400
            mine, theirs = answer.json(), recorded["response_json"]
            assert mine["error"]["type"] == theirs["error"]["type"]
            assert mine["error"]["message"] == theirs["error"]["message"]
            assert set(mine["error"]) == set(theirs["error"])
            assert set(mine["node_errors"]) == set(theirs["node_errors"])
            for node_id, recorded_node in theirs["node_errors"].items():
                node = mine["node_errors"][node_id]
                assert node["class_type"] == recorded_node["class_type"]
                assert node["dependent_outputs"] == recorded_node["dependent_outputs"]
                got = [(e["type"], e["message"], sorted(e["extra_info"])) for e in node["errors"]]
                want = [(e["type"], e["message"], sorted(e["extra_info"])) for e in recorded_node["errors"]]
                assert got == want
                for e_mine, e_theirs in zip(node["errors"], recorded_node["errors"], strict=True):
                    if e_theirs["type"] != "exception_during_validation":
                        assert e_mine["details"] == e_theirs["details"]
                        assert e_mine["extra_info"] == e_theirs["extra_info"]
            if (
                theirs["error"]["type"] != "prompt_outputs_failed_validation"
                or not theirs["error"]["details"]
            ):
                assert mine["error"]["details"] == theirs["error"]["details"]
        assert c.drain(0.3) == []  # no websocket frame follows a rejection
        after = c.submit(load_graph("success_image")).json()["number"]
    assert after == start + 1 + len(posts)  # rejected posts consume `number` too
    assert c.get("/queue").json() == {"queue_running": [], "queue_pending": []}


def test_partial_200_runs_only_the_valid_output(recorded_fake):
    trace = load_trace("partial_200")
    posts = recorded_http(trace, "POST", "/prompt")
    with client(recorded_fake.url, "partial-test") as c:
        runs = []
        for recorded in posts:
            answer = c.post("/prompt", {**recorded["request_json"], "client_id": "partial-test"})
            assert answer.status_code == 200
            assert answer.json()["node_errors"] == recorded["response_json"]["node_errors"]
            prompt_id = answer.json()["prompt_id"]
            runs.append(types(c.until_terminal(prompt_id)))
            entry = _history_value(c.get(f"/history/{prompt_id}").json())
            assert entry["prompt"][4] == ["2"]
            assert list(entry["outputs"]) == ["2"]
            assert entry["status"]["status_str"] == "success"
    assert runs == recorded_prompt_runs(recorded_ws(trace, "A"))


def test_execution_error_via_fail_node_matches_recording(recorded_fake):
    trace = load_trace("execution_error")
    recorded_error = next(m for m in recorded_ws(trace, "A") if m["type"] == "execution_error")["data"]
    faults = recorded_fake.faults
    faults.fail_node = "CheckpointLoaderSimple"
    faults.fail_exception_type = recorded_error["exception_type"]
    faults.fail_message = "Error while deserializing header: header too large"
    graph = recorded_http(trace, "POST", "/prompt")[0]["request_json"]["prompt"]
    with client(recorded_fake.url, "exerr-test") as c:
        runs = []
        for _ in range(2):  # a failure is not cached: the resubmit fails again
            prompt_id = c.submit(graph).json()["prompt_id"]
            frames = c.until_terminal(prompt_id)
            runs.append(types(frames))
            error = next(f for f in frames if f["type"] == "execution_error")["data"]
            assert set(error) == set(recorded_error)
            assert error["exception_message"] == recorded_error["exception_message"]
            assert (error["node_id"], error["node_type"], error["executed"]) == (
                "1",
                "CheckpointLoaderSimple",
                [],
            )
            assert error["current_inputs"] == recorded_error["current_inputs"]
            assert sorted(error["current_outputs"]) == sorted(recorded_error["current_outputs"])
            entry = _history_value(c.get(f"/history/{prompt_id}").json())
            assert (entry["outputs"], entry["meta"]) == ({}, {})
            assert entry["status"]["status_str"] == "error"
            assert entry["status"]["completed"] is False
            assert [m[0] for m in entry["status"]["messages"]] == [
                "execution_start",
                "execution_cached",
                "execution_error",
            ]
    assert runs == recorded_prompt_runs(recorded_ws(trace, "A"))


def test_prompt_options_match_recording(slow_fake):
    trace = load_trace("prompt_options")
    posts = recorded_http(trace, "POST", "/prompt")
    with client(slow_fake.url, "opts-test") as c:
        first = c.post("/prompt", {**posts[0]["request_json"], "client_id": "opts-test"}).json()
        assert first["prompt_id"] == "my-own-prompt-id-0001"
        c.until_terminal(first["prompt_id"])
        entry = _history_value(c.get("/history/my-own-prompt-id-0001").json())
        assert entry["prompt"][3] == {**posts[0]["request_json"]["extra_data"], "client_id": "opts-test"}
        again = c.post("/prompt", {**posts[1]["request_json"], "client_id": "opts-test"}).json()
        c.until_terminal(again["prompt_id"])
        entry = _history_value(c.get("/history/my-own-prompt-id-0001").json())
        assert entry["prompt"][0] == again["number"]  # re-using a prompt_id overwrites its history
        slow = c.post("/prompt", {**posts[2]["request_json"], "client_id": "opts-test"}).json()
        c.until(lambda m: m["type"] == "execution_start")
        numbers = [
            c.post("/prompt", {**p["request_json"], "client_id": "opts-test"}).json() for p in posts[3:]
        ]
        assert numbers[1]["number"] == -(numbers[0]["number"] + 1)  # front=true: negative
        assert numbers[2]["number"] == -1000.0 and isinstance(numbers[2]["number"], float)
        queue = c.get("/queue").json()
        recorded_queue = recorded_http(trace, "GET", "/queue")[0]["response_json"]
        assert [p[0] for p in queue["queue_pending"]] == [
            numbers[2]["number"],
            numbers[0]["number"],
            numbers[1]["number"],
        ]
        assert [len(p) for p in queue["queue_pending"]] == [len(p) for p in recorded_queue["queue_pending"]]
        c.until_terminal(slow["prompt_id"])
        order = [c.until(lambda m: m["type"] == "execution_start")[-1]["data"]["prompt_id"] for _ in range(3)]
    assert order == [numbers[2]["prompt_id"], numbers[1]["prompt_id"], numbers[0]["prompt_id"]]
