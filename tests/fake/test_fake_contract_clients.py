"""Contract tests: interrupts, several clients, reconnects and duplicate ids behave as recorded."""

from __future__ import annotations

import json
import re
import time

import requests
from fake_trace_tools import (
    Client,
    client,
    load_trace,
    recorded_http,
    recorded_prompt_runs,
    recorded_ws,
    shape,
    types,
)


def _executing(prompt_id: str, node: str):
    def check(msg: dict) -> bool:
        data = msg.get("data") or {}
        return msg["type"] == "executing" and data.get("prompt_id") == prompt_id and data.get("node") == node

    return check


def _empty_200(response: requests.Response) -> None:
    assert response.status_code == 200
    assert response.content == b""
    assert "Content-Type" not in response.headers


def _wait_history(url: str, prompt_id: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(f"{url}/history/{prompt_id}", timeout=5).json()
        if body:
            return body[prompt_id]
        time.sleep(0.02)
    raise AssertionError(f"{prompt_id} never reached the history")


def test_interrupt_scenario_matches_recording(slow_fake):
    trace = load_trace("interrupt")
    posts = recorded_http(trace, "POST", "/prompt")
    recorded_interrupted = next(m for m in recorded_ws(trace, "A") if m["type"] == "execution_interrupted")
    with client(slow_fake.url, "intr-test") as c:
        ids = [
            c.post("/prompt", {**p["request_json"], "client_id": "intr-test"}).json()["prompt_id"]
            for p in posts
        ]
        p1, p2, p3, p4 = ids
        c.until(_executing(p1, "10"))
        _empty_200(c.post("/interrupt", {"prompt_id": p2}))  # pending: a no-op
        c.until(_executing(p1, "11"))
        _empty_200(c.post("/interrupt", {"prompt_id": p1}))  # running: stops at the next node
        run1 = c.until_terminal(p1)
        assert types(run1)[-4:] == ["executing", "execution_interrupted", "status", "executing"]
        interrupted = next(f for f in run1 if f["type"] == "execution_interrupted")["data"]
        assert set(interrupted) == set(recorded_interrupted["data"])
        # Cooperative, as recorded: the node running when the interrupt lands finishes, and the next
        # one is reported. On a loaded machine the request can land during node 12 instead of 11.
        blurs = ["10", "11", "12", "13"]
        assert interrupted["node_type"] == "ImageBlur" and interrupted["node_id"] in ("12", "13")
        done = blurs[: blurs.index(interrupted["node_id"])]
        assert sorted(interrupted["executed"]) == sorted(["1", *done])
        c.until(_executing(p2, "10"))
        _empty_200(c.post("/queue", {"delete": [p3]}))
        assert c.recv()["data"] == {"status": {"exec_info": {"queue_remaining": 2}}}
        queue = c.get("/queue").json()
        assert [q[1] for q in queue["queue_running"]] == [p2]
        assert [q[1] for q in queue["queue_pending"]] == [p4]
        _empty_200(c.post("/interrupt"))  # global: stops P2 only
        run2 = c.until_terminal(p2)
        assert "execution_interrupted" in types(run2)
        c.until(_executing(p4, "10"))
        _empty_200(c.post("/interrupt", {"prompt_id": "00000000-0000-0000-0000-000000000000"}))
        run4 = c.until_terminal(p4)
        assert types(run4)[-3:] == ["execution_success", "status", "executing"]
        _empty_200(c.post("/interrupt", {}))
        histories = [c.get(f"/history/{pid}").json() for pid in ids]
    recorded_runs = recorded_prompt_runs(recorded_ws(trace, "A"))
    assert types(run4)[-8:] == recorded_runs[-1][-8:]
    recorded_histories = [
        e["response_json"] for e in trace if e["kind"] == "http" and e["path"].startswith("/history/")
    ]
    for mine, theirs in zip(histories, recorded_histories, strict=True):
        assert shape(list(mine.values())) == shape(list(theirs.values()))
    assert histories[2] == {}
    for body in histories[:2]:
        entry = next(iter(body.values()))
        assert (entry["status"]["status_str"], entry["status"]["completed"], entry["outputs"]) == (
            "error",
            False,
            {},
        )
        assert entry["status"]["messages"][-1][0] == "execution_interrupted"
    log = [(r.requested, r.running, r.applied) for r in slow_fake.interrupts]
    assert log == [
        (p2, p1, False),
        (p1, p1, True),
        (None, p2, True),
        ("00000000-0000-0000-0000-000000000000", p4, False),
        (None, None, False),
    ]


def test_two_clients_see_only_their_events(recorded_fake):
    trace = load_trace("two_clients")
    assert {m["type"] for m in recorded_ws(trace, "B")} == {"status", "progress_state"}
    graph = recorded_http(trace, "POST", "/prompt")[0]["request_json"]["prompt"]
    failing = recorded_http(trace, "POST", "/prompt")[1]["request_json"]["prompt"]
    anonymous = recorded_http(trace, "POST", "/prompt")[2]["request_json"]
    assert "client_id" not in anonymous
    recorded_fake.faults.fail_node = "CheckpointLoaderSimple"
    with client(recorded_fake.url, "clientA") as a, client(recorded_fake.url, "clientB") as b:
        for g in (graph, failing):
            prompt_id = a.submit(g).json()["prompt_id"]
            a.until_terminal(prompt_id)
        time.sleep(0.1)
        assert {m["type"] for m in b.drain(0.2)} == {"status"}
        prompt_id = requests.post(f"{recorded_fake.url}/prompt", json=anonymous, timeout=10).json()[
            "prompt_id"
        ]
        _wait_history(recorded_fake.url, prompt_id)
        time.sleep(0.1)
        seen_a, seen_b = types(a.drain(0.2)), types(b.drain(0.2))
    assert set(seen_a) == set(seen_b) == {"status", "progress_state"}
    recorded_tail = [m["type"] for m in recorded_ws(trace, "A")][-6:]
    assert set(recorded_tail) == {"status", "progress_state"}


def test_same_client_id_reconnect_gets_current_node_then_live_events(slow_fake):
    trace = load_trace("ws_reconnect")
    recorded_a2 = recorded_ws(trace, "A2")
    body = recorded_http(trace, "POST", "/prompt")[0]["request_json"]
    a1 = Client(slow_fake.url, "recon-test")
    prompt_id = a1.post("/prompt", {**body, "client_id": "recon-test"}).json()["prompt_id"]
    a1.until(_executing(prompt_id, "11"))
    a1.close()
    deadline = time.monotonic() + 5
    while slow_fake.core.executor.last_node_id in ("1", "10", "11") and time.monotonic() < deadline:
        time.sleep(0.01)
    with client(slow_fake.url, "recon-test") as a2:
        assert shape(a2.first) == shape(recorded_a2[0])
        assert a2.first["data"]["sid"] == "recon-test"
        current = a2.recv()
        assert current["type"] == "executing"
        assert set(current["data"]) == set(recorded_a2[1]["data"]) == {"node"}
        rest = a2.until_terminal(prompt_id)
    assert "execution_start" not in types(rest)  # no replay
    assert types(rest)[-3:] == [t for t in (m["type"] for m in recorded_a2)][-3:]
    assert any(f["type"] == "executed" for f in rest)


def test_new_client_id_and_missing_client_id(slow_fake):
    trace = load_trace("ws_reconnect")
    body = recorded_http(trace, "POST", "/prompt")[1]["request_json"]
    with client(slow_fake.url, "recon2-test") as c1:
        prompt_id = c1.post("/prompt", {**body, "client_id": "recon2-test"}).json()["prompt_id"]
        c1.until(_executing(prompt_id, "11"))
    with client(slow_fake.url, "recon3-test") as c2:
        _wait_history(slow_fake.url, prompt_id)
        time.sleep(0.05)
        assert set(types(c2.drain(0.2))) <= {"status"}
    with client(slow_fake.url, None) as d:
        assert re.fullmatch(r"[0-9a-f]{32}", d.first["data"]["sid"])


def test_duplicate_client_id_newest_wins_and_closing_old_silences_new(recorded_fake):
    trace = load_trace("ws_duplicate_client_id")
    graph = recorded_http(trace, "POST", "/prompt")[0]["request_json"]["prompt"]
    a1 = Client(recorded_fake.url, "dup-test")
    with client(recorded_fake.url, "dup-test") as a2:
        prompt_id = a2.submit(graph).json()["prompt_id"]
        run = a2.until_terminal(prompt_id)
        assert types(run) == recorded_prompt_runs(recorded_ws(trace, "A2"))[0]
        assert a1.drain(0.2) == []
        a1.close()
        time.sleep(0.2)
        second = a2.submit(graph | {"1": {**graph["1"], "inputs": {**graph["1"]["inputs"], "color": 1}}})
        _wait_history(recorded_fake.url, second.json()["prompt_id"])
        assert a2.drain(0.3) == []  # unregistered: not even `status`


def test_shapes_match_recording(recorded_fake):
    trace = load_trace("shapes")
    url = recorded_fake.url
    with client(url, "shapes-test") as c:
        for name in ("success_image", "cached_rerun_2", "partial_200"):
            graph = json.loads((__import__("fake_trace_tools").TRACES / f"{name}.graph.json").read_text())
            c.until_terminal(c.submit(graph).json()["prompt_id"])
        c.ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        assert c.recv() == recorded_ws(trace, "A")[1]
    for event in trace:
        if event["kind"] != "http" or event["path"].startswith("/history"):
            continue
        answer = requests.get(url + event["path"], params=event.get("query"), timeout=10)
        assert answer.status_code == event["status"], event["path"]
        if "response_json" not in event:
            continue
        mine, theirs = answer.json(), event["response_json"]
        if event["path"] in ("/system_stats", "/api/system_stats"):
            assert shape(mine["system"]) == shape(theirs["system"])
            assert set(mine["devices"][0]) == set(theirs["devices"][0])
        elif event["path"] in ("/queue", "/api/queue", "/prompt"):
            assert shape(mine) == shape(theirs), event["path"]
        elif event["path"] in ("/features", "/models/checkpoints"):
            assert mine == theirs
        elif event["path"] == "/object_info/NoSuchNode":
            assert mine == {}
        elif event["path"].startswith("/object_info/"):
            node = event["path"].rsplit("/", 1)[1]
            assert set(mine) == {node}
            for key in ("input", "output", "output_node", "name", "category", "input_order"):
                assert key in mine[node]
        elif event["path"] in ("/models", "/embeddings", "/extensions"):
            assert isinstance(mine, list)
    everything = requests.get(f"{url}/history", timeout=10).json()
    ids = list(everything)
    assert len(ids) == 3
    assert list(requests.get(f"{url}/history", params={"max_items": 1}, timeout=10).json()) == ids[-1:]
    page = requests.get(f"{url}/history", params={"max_items": 2, "offset": 1}, timeout=10).json()
    assert list(page) == ids[1:3]
    assert requests.get(f"{url}/history/no-such-prompt-id", timeout=10).json() == {}


def test_binary_progress_text_goes_to_every_socket(recorded_fake):
    trace = load_trace("binary_text")
    recorded = [e for e in trace if e["kind"] == "ws_binary"]
    assert {e["ws"] for e in recorded} == {"A", "B"}
    body = recorded_http(trace, "POST", "/prompt")[0]["request_json"]
    with client(recorded_fake.url, "bin-a") as a, client(recorded_fake.url, "bin-b") as b:
        prompt_id = a.post("/prompt", {**body, "client_id": "bin-a"}).json()["prompt_id"]
        _wait_history(recorded_fake.url, prompt_id)
        time.sleep(0.1)
        for sock in (a, b):
            sock.ws.settimeout(0.5)
            frames = []
            try:
                while True:
                    frames.append(sock.ws.recv())
            except Exception:
                pass
            binary = [f for f in frames if isinstance(f, bytes)]
            assert len(binary) == 1 and len(binary[0]) == recorded[0]["length"]
            assert int.from_bytes(binary[0][:4], "big") == 3
            node_len = int.from_bytes(binary[0][4:8], "big")
            assert binary[0][8 : 8 + node_len].decode() == recorded[0]["text_node_id"]
            assert binary[0][8 + node_len :].decode() == recorded[0]["text"]


def test_ltxv_graph_executes_the_checkpoint_loader_first(recorded_fake):
    trace = load_trace("ltxv_graph")
    body = recorded_http(trace, "POST", "/prompt")[0]["request_json"]
    recorded_fake.faults.fail_node = "CheckpointLoaderSimple"
    with client(recorded_fake.url, "ltxv") as c:
        answer = c.post("/prompt", {**body, "client_id": "ltxv"})
        assert answer.status_code == 200 and answer.json()["node_errors"] == {}
        frames = c.until_terminal(answer.json()["prompt_id"])
    assert types(frames) == recorded_prompt_runs(recorded_ws(trace, "A"))[0]
    first = next(f for f in frames if f["type"] == "executing")["data"]["node"]
    assert first == "44"
