"""Smoke test of the fake ComfyUI: a video graph runs end to end over real HTTP + websocket."""

from __future__ import annotations

import json

import requests
import websocket

VIDEO_GRAPH = {
    "1": {
        "class_type": "EmptyImage",
        "inputs": {"width": 64, "height": 64, "batch_size": 9, "color": 3368652},
    },
    "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 0], "fps": 8.0}},
    "3": {
        "class_type": "SaveVideo",
        "inputs": {"video": ["2", 0], "filename_prefix": "video/smoke", "format": "mp4", "codec": "h264"},
    },
}


def test_video_prompt_runs_and_serves_an_mp4(comfy_fake):
    ws = websocket.create_connection(f"{comfy_fake.ws_url}?clientId=smoke", timeout=10)
    try:
        first = json.loads(ws.recv())
        assert first == {
            "type": "status",
            "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "smoke"},
        }
        answer = requests.post(
            f"{comfy_fake.url}/prompt", json={"prompt": VIDEO_GRAPH, "client_id": "smoke"}, timeout=10
        )
        assert answer.status_code == 200
        prompt_id = answer.json()["prompt_id"]
        types = []
        while True:
            msg = json.loads(ws.recv())
            types.append(msg["type"])
            if msg["type"] == "executing" and msg["data"]["node"] is None:
                assert msg["data"]["prompt_id"] == prompt_id
                break
    finally:
        ws.close()
    assert types[:4] == ["status", "status", "execution_start", "execution_cached"]
    assert types[-3:] == ["execution_success", "status", "executing"]
    history = requests.get(f"{comfy_fake.url}/history/{prompt_id}", timeout=10).json()
    out = history[prompt_id]["outputs"]["3"]
    assert out["animated"] == [True]
    assert out["images"][0] == {"filename": "smoke_00001_.mp4", "subfolder": "video", "type": "output"}
    view = requests.get(f"{comfy_fake.url}/view", params=out["images"][0], timeout=10)
    assert view.status_code == 200
    assert view.headers["Content-Type"] == "video/mp4"
    assert view.content[4:8] == b"ftyp"
