"""Fault switches of the fake: each one does what its comment says, and the server survives it."""

from __future__ import annotations

import json
import time

import pytest
import requests
import websocket
from comfyreel.fake import EVIL_FILENAMES, OOM_EXCEPTION_TYPE, FakeComfyUI, Faults
from fake_graphs import ltx_graph
from fake_trace_tools import client, types

IMAGE = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 2, "color": 255}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "faults"}},
}


def _graph(color: int) -> dict:
    return {**IMAGE, "1": {**IMAGE["1"], "inputs": {**IMAGE["1"]["inputs"], "color": color}}}


def _wait_history(url: str, prompt_id: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(f"{url}/history/{prompt_id}", timeout=5).json()
        if body:
            return body[prompt_id]
        time.sleep(0.02)
    raise AssertionError("history never appeared")


def test_ws_drop_after_n_frames_once(comfy_fake):
    comfy_fake.faults.ws_drop_after = 3
    with client(comfy_fake.url, "drop") as c:
        prompt_id = c.submit(_graph(1)).json()["prompt_id"]
        received = 1  # the first status
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            while True:
                c.ws.settimeout(5)
                frame = c.ws.recv()
                if not frame:
                    raise ConnectionError("closed")
                received += 1
        assert received == 3
    assert comfy_fake.faults.ws_drop_after is None  # once: the switch reset itself
    _wait_history(comfy_fake.url, prompt_id)
    with client(comfy_fake.url, "drop") as again:
        prompt_id = again.submit(_graph(2)).json()["prompt_id"]
        assert types(again.until_terminal(prompt_id))[-1] == "executing"


def test_history_delay_hides_the_entry_for_a_while(comfy_fake):
    comfy_fake.faults.history_delay_s = 0.5
    with client(comfy_fake.url, "late") as c:
        prompt_id = c.submit(_graph(3)).json()["prompt_id"]
        assert "execution_success" in types(c.until_terminal(prompt_id))
        assert c.get(f"/history/{prompt_id}").json() == {}
        assert c.get("/queue").json() == {"queue_running": [], "queue_pending": []}
    assert _wait_history(comfy_fake.url, prompt_id)["status"]["status_str"] == "success"


def test_oom_preset_fails_the_sampler_like_torch(comfy_fake):
    comfy_fake.faults.oom("SamplerCustom")
    with client(comfy_fake.url, "oom") as c:
        prompt_id = c.submit(ltx_graph(audio=False)).json()["prompt_id"]
        frames = c.until_terminal(prompt_id)
    error = next(f for f in frames if f["type"] == "execution_error")["data"]
    assert error["node_type"] == "SamplerCustom" and error["node_id"] == "10"
    assert error["exception_type"] == OOM_EXCEPTION_TYPE == "torch.OutOfMemoryError"
    assert error["exception_message"].startswith("CUDA out of memory. Tried to allocate")
    assert "This error means you ran out of memory on your GPU" in error["exception_message"]
    assert "10" not in error["executed"] and "1" in error["executed"]


def test_fail_node_by_id_with_custom_exception(comfy_fake):
    comfy_fake.faults.fail_node = "2"
    comfy_fake.faults.fail_exception_type = "ValueError"
    comfy_fake.faults.fail_message = "boom"
    with client(comfy_fake.url, "fail") as c:
        frames = c.until_terminal(c.submit(_graph(4)).json()["prompt_id"])
    error = next(f for f in frames if f["type"] == "execution_error")["data"]
    assert (error["node_id"], error["exception_type"], error["exception_message"]) == (
        "2",
        "ValueError",
        "boom\n",
    )


def test_hang_until_interrupted(comfy_fake):
    comfy_fake.faults.hang_node = "EmptyImage"
    with client(comfy_fake.url, "hang") as c:
        prompt_id = c.submit(_graph(5)).json()["prompt_id"]
        c.until(lambda m: m["type"] == "executing" and m["data"].get("node") == "1")
        assert c.recv(0.3) is None  # hanging: nothing more arrives
        c.post("/interrupt", {"prompt_id": prompt_id})
        frames = c.until_terminal(prompt_id)
    assert types(frames) == ["execution_interrupted", "status", "executing"]
    assert frames[0]["data"]["node_id"] == "1"


def test_hang_for_a_while_then_finish(comfy_fake):
    comfy_fake.faults.hang_node = "1"
    comfy_fake.faults.hang_s = 0.2
    with client(comfy_fake.url, "pause") as c:
        assert "execution_success" in types(c.until_terminal(c.submit(_graph(6)).json()["prompt_id"]))


def test_uninterruptible_hang_stops_at_the_next_node(comfy_fake):
    comfy_fake.faults.hang_node = "1"
    comfy_fake.faults.hang_s = 0.3
    comfy_fake.faults.hang_ignores_interrupt = True
    with client(comfy_fake.url, "stubborn") as c:
        prompt_id = c.submit(_graph(7)).json()["prompt_id"]
        c.until(lambda m: m["type"] == "executing" and m["data"].get("node") == "1")
        c.post("/interrupt")
        frames = c.until_terminal(prompt_id)
    interrupted = next(f for f in frames if f["type"] == "execution_interrupted")["data"]
    assert (interrupted["node_id"], interrupted["executed"]) == ("2", ["1"])


def test_sampler_progress_events(comfy_fake):
    with client(comfy_fake.url, "steps") as c:
        frames = c.until_terminal(c.submit(ltx_graph(audio=False)).json()["prompt_id"])
    progress = [f["data"] for f in frames if f["type"] == "progress"]
    assert [(p["value"], p["max"], p["node"]) for p in progress] == [(1, 3, "10"), (2, 3, "10"), (3, 3, "10")]
    assert set(progress[0]) == {"value", "max", "prompt_id", "node"}
    states = [
        f["data"]["nodes"]["10"]
        for f in frames
        if f["type"] == "progress_state" and "10" in f["data"]["nodes"]
    ]
    running = [(s["value"], s["max"]) for s in states if s["state"] == "running"]
    assert running == [(0.0, 1.0), (1.0, 3.0), (2.0, 3.0), (3.0, 3.0)]
    assert (states[-1]["value"], states[-1]["state"]) == (1.0, "finished")


def test_vram_drops_while_sampling_and_free_unloads(tmp_path):
    with FakeComfyUI(tmp_path / "o", step_delay_s=0.1) as fake:
        total = requests.get(f"{fake.url}/system_stats", timeout=5).json()["devices"][0]["vram_total"]
        requests.post(f"{fake.url}/prompt", json={"prompt": ltx_graph(audio=False)}, timeout=5)
        lowest = total
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and fake.queue()["running"] + fake.queue()["pending"]:
            lowest = min(
                lowest, requests.get(f"{fake.url}/system_stats", timeout=5).json()["devices"][0]["vram_free"]
            )
            time.sleep(0.02)
        assert fake.wait_idle(10)
        assert lowest < total
        assert fake.peak_vram_used > 0
        assert requests.post(f"{fake.url}/free", json={"unload_models": True}, timeout=5).status_code == 200
        assert requests.get(f"{fake.url}/system_stats", timeout=5).json()["devices"][0]["vram_free"] == total


def test_slow_and_truncated_view(comfy_fake):
    with client(comfy_fake.url, "view") as c:
        prompt_id = c.submit(_graph(8)).json()["prompt_id"]
        c.until_terminal(prompt_id)
    image = _wait_history(comfy_fake.url, prompt_id)["outputs"]["2"]["images"][0]
    full = requests.get(f"{comfy_fake.url}/view", params=image, timeout=5).content
    comfy_fake.faults.view_bytes_per_s = 20_000
    assert requests.get(f"{comfy_fake.url}/view", params=image, timeout=5).content == full
    comfy_fake.faults.view_bytes_per_s = None
    comfy_fake.faults.view_truncate_after = 10
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(f"{comfy_fake.url}/view", params=image, timeout=5).content  # noqa: B018


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"filename": "../x.png", "type": "output"}, 400),
        ({"filename": "/etc/passwd", "type": "output"}, 400),
        ({"filename": "x.png", "subfolder": "../..", "type": "output"}, 403),
        ({"filename": "x.png", "type": "nope"}, 400),
        ({"filename": "missing.png", "type": "output"}, 404),
    ],
)
def test_view_refuses_traversal(comfy_fake, params, status):
    assert requests.get(f"{comfy_fake.url}/view", params=params, timeout=5).status_code == status


def test_hostile_bodies(comfy_fake):
    faults = comfy_fake.faults
    faults.malformed_json_routes = {"/history"}
    answer = requests.get(f"{comfy_fake.url}/api/history", timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        answer.json()
    faults.wrong_types_routes = {"/prompt"}
    body = requests.post(f"{comfy_fake.url}/prompt", json={"prompt": _graph(9)}, timeout=5).json()
    assert (
        isinstance(body["number"], str) and isinstance(body["prompt_id"], list) and body["node_errors"] == []
    )
    faults.huge_body_routes = {"/queue"}
    faults.huge_body_bytes = 3 * 1024 * 1024
    assert len(requests.get(f"{comfy_fake.url}/queue", timeout=10).content) == 3 * 1024 * 1024
    faults.http_status_routes = {"/system_stats": 503}
    assert requests.get(f"{comfy_fake.url}/system_stats", timeout=5).status_code == 503
    faults.clear()
    assert requests.get(f"{comfy_fake.url}/system_stats", timeout=5).status_code == 200
    faults.http_status_routes = {"/api/queue": 502}  # "/api/x" and "/x" name the same route
    assert requests.get(f"{comfy_fake.url}/queue", timeout=5).status_code == 502
    faults.clear()


def test_unknown_ws_messages_are_injected(comfy_fake):
    comfy_fake.faults.ws_inject_unknown = True
    with client(comfy_fake.url, "junk") as c:
        prompt_id = c.submit(_graph(10)).json()["prompt_id"]
        seen, binary = [], 0
        c.ws.settimeout(5)
        while True:
            frame = c.ws.recv()
            if isinstance(frame, bytes):
                binary += 1
                continue
            msg = json.loads(frame)
            seen.append(msg["type"])
            if (
                msg["type"] == "executing"
                and msg["data"]["node"] is None
                and msg["data"]["prompt_id"] == prompt_id
            ):
                break
    assert "fake_unknown_event" in seen and binary > 0


def test_evil_filenames_in_executed_and_history(comfy_fake):
    comfy_fake.faults.evil_filenames = EVIL_FILENAMES
    with client(comfy_fake.url, "evil") as c:
        prompt_id = c.submit(_graph(11)).json()["prompt_id"]
        frames = c.until_terminal(prompt_id)
    executed = next(f for f in frames if f["type"] == "executed")["data"]["output"]["images"]
    assert [e["filename"] for e in executed] == list(EVIL_FILENAMES[:2])
    history = _wait_history(comfy_fake.url, prompt_id)["outputs"]["2"]["images"]
    assert [e["filename"] for e in history] == list(EVIL_FILENAMES[:2])
    assert (comfy_fake.output_dir / "faults_00001_.png").is_file()


def test_restart_forgets_everything_and_closes_sockets(comfy_fake):
    with client(comfy_fake.url, "restart") as c:
        prompt_id = c.submit(_graph(12)).json()["prompt_id"]
        c.until_terminal(prompt_id)
        comfy_fake.restart()
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            c.ws.settimeout(5)
            if not c.ws.recv():
                raise ConnectionError("closed")
    assert requests.get(f"{comfy_fake.url}/history", timeout=5).json() == {}
    assert (
        requests.post(f"{comfy_fake.url}/prompt", json={"prompt": _graph(13)}, timeout=5).json()["number"]
        == 0
    )
    comfy_fake.restart(down_s=0.3)
    assert requests.get(f"{comfy_fake.url}/queue", timeout=5).status_code == 200


def test_ws_refused_and_silent(comfy_fake):
    comfy_fake.faults.ws_refuse_status = 403
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(f"{comfy_fake.ws_url}?clientId=no", timeout=5)
    comfy_fake.faults.ws_refuse_status = None
    comfy_fake.faults.ws_silent = True
    ws = websocket.create_connection(f"{comfy_fake.ws_url}?clientId=quiet", timeout=5)
    try:
        prompt_id = requests.post(
            f"{comfy_fake.url}/prompt", json={"prompt": _graph(14), "client_id": "quiet"}, timeout=5
        ).json()["prompt_id"]
        _wait_history(comfy_fake.url, prompt_id)
        ws.settimeout(0.3)
        with pytest.raises(websocket.WebSocketTimeoutException):
            ws.recv()
    finally:
        ws.close()


def test_saving_outside_the_output_folder_fails_the_node(comfy_fake):
    graph = {**IMAGE, "2": {**IMAGE["2"], "inputs": {**IMAGE["2"]["inputs"], "filename_prefix": "../escape"}}}
    with client(comfy_fake.url, "escape") as c:
        frames = c.until_terminal(c.submit(graph).json()["prompt_id"])
    error = next(f for f in frames if f["type"] == "execution_error")["data"]
    assert "Saving image outside the output folder is not allowed" in error["exception_message"]
    assert not (comfy_fake.output_dir.parent / "escape_00001_.png").exists()


def test_custom_output_node_reports_under_its_key(tmp_path):
    vhs = {
        "input": {
            "required": {
                "images": ["IMAGE"],
                "frame_rate": ["FLOAT", {"default": 8.0, "min": 1.0}],
                "filename_prefix": ["STRING", {"default": "AnimateDiff"}],
            },
            "optional": {"audio": ["AUDIO"]},
        },
        "input_order": {"required": ["images", "frame_rate", "filename_prefix"], "optional": ["audio"]},
        "output": ["VHS_FILENAMES"],
        "output_is_list": [False],
        "output_name": ["Filenames"],
        "name": "VHS_VideoCombine",
        "display_name": "Video Combine",
        "description": "",
        "category": "VHS",
        "output_node": True,
        "python_module": "custom_nodes.vhs",
    }
    graph = {
        "1": IMAGE["1"],
        "2": {
            "class_type": "VHS_VideoCombine",
            "inputs": {"images": ["1", 0], "frame_rate": 8.0, "filename_prefix": "vhs"},
        },
    }
    with FakeComfyUI(tmp_path / "o", extra_nodes={"VHS_VideoCombine": vhs}, faults=Faults()) as fake:
        assert (
            "VHS_VideoCombine" in requests.get(f"{fake.url}/object_info/VHS_VideoCombine", timeout=5).json()
        )
        prompt_id = requests.post(f"{fake.url}/prompt", json={"prompt": graph}, timeout=5).json()["prompt_id"]
        outputs = _wait_history(fake.url, prompt_id)["outputs"]["2"]
    assert list(outputs) == ["gifs"]
    assert outputs["gifs"][0]["filename"] == "vhs_00001_.mp4"


def test_lost_answer_still_queues_the_prompt(comfy_fake):
    comfy_fake.faults.lose_answer_routes = {"/prompt"}
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            f"{comfy_fake.url}/prompt", json={"prompt": _graph(15), "prompt_id": "lost-1"}, timeout=5
        )
    comfy_fake.faults.clear()
    assert _wait_history(comfy_fake.url, "lost-1")["status"]["status_str"] == "success"


def test_sampler_previews_follow_the_feature_flag(tmp_path):
    with FakeComfyUI(tmp_path / "o", previews=True) as fake:
        plain = websocket.create_connection(f"{fake.ws_url}?clientId=plain", timeout=5)
        meta = websocket.create_connection(f"{fake.ws_url}?clientId=meta", timeout=5)
        try:
            meta.recv()
            meta.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
            for ws, cid in ((plain, "plain"), (meta, "meta")):
                body = {"prompt": ltx_graph(audio=False, seed=len(cid)), "client_id": cid}
                prompt_id = requests.post(f"{fake.url}/prompt", json=body, timeout=5).json()["prompt_id"]
                _wait_history(fake.url, prompt_id)
                ws.settimeout(0.5)
                frames = []
                with pytest.raises(websocket.WebSocketTimeoutException):
                    while True:
                        frames.append(ws.recv())
                previews = [f for f in frames if isinstance(f, bytes)]
                assert len(previews) == 3  # one per step
                kind = int.from_bytes(previews[0][:4], "big")
                if cid == "plain":
                    assert (
                        kind == 1
                        and previews[0][4:8] == b"\x00\x00\x00\x02"
                        and previews[0][8:12] == b"\x89PNG"
                    )
                else:
                    size = int.from_bytes(previews[0][4:8], "big")
                    info = json.loads(previews[0][8 : 8 + size])
                    assert kind == 4 and info["image_type"] == "image/png" and info["node_id"] == "10"
                    assert previews[0][8 + size : 12 + size] == b"\x89PNG"
        finally:
            plain.close()
            meta.close()


def test_assigning_a_new_faults_object_reaches_the_running_server(comfy_fake):
    comfy_fake.faults = Faults(http_status_routes={"/queue": 503})
    assert requests.get(f"{comfy_fake.url}/queue", timeout=5).status_code == 503
    comfy_fake.faults = Faults()
    assert requests.get(f"{comfy_fake.url}/queue", timeout=5).status_code == 200
