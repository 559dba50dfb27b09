"""Input media against a real ComfyUI (set COMFYUI_URL): upload, skip on same bytes, the server's name.

Verified on ComfyUI 0.8.0 and 0.3.64 (CPU). Each test makes fresh random media, so reruns never
find an earlier run's file on the server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from comfyreel.checks.synth import pattern_frames, tone, write_audio, write_image, write_video
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inputs import input_file
from comfyreel.runner.session import RunOptions, run_graph

URL = os.environ.get("COMFYUI_URL")
pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not URL, reason="set COMFYUI_URL to a running ComfyUI to run these tests"),
]
OPTIONS = RunOptions(timeout_s=300)


def _entry(path: Path, kind: str) -> dict:
    item = input_file(path, kind, kind)  # type: ignore[arg-type]
    return {"path": str(item.path), "name": item.name, "sha256": item.sha256, "kind": kind}


def _seed() -> int:
    return int.from_bytes(os.urandom(4), "big")


def _graph(entry: dict) -> Graph:
    prefix = "comfyreel_real_media"
    if entry["kind"] == "image":
        nodes = {
            "1": {"class_type": "LoadImage", "inputs": {"image": entry["name"]}},
            "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
        }
    elif entry["kind"] == "video":
        nodes = {
            "1": {"class_type": "LoadVideo", "inputs": {"file": entry["name"]}},
            "3": {"class_type": "GetVideoComponents", "inputs": {"video": ["1", 0]}},
            "2": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": prefix}},
        }
    else:
        nodes = {
            "1": {"class_type": "LoadAudio", "inputs": {"audio": entry["name"]}},
            "2": {"class_type": "SaveAudio", "inputs": {"audio": ["1", 0], "filename_prefix": prefix}},
        }
    return Graph(nodes, source="real-media.json", meta={"inputs": [entry]})


def _media(tmp_path: Path, kind: str) -> Path:
    seed = _seed()
    if kind == "image":
        return write_image(tmp_path / "start.png", pattern_frames(1, 48, 32, seed=seed)[0])
    if kind == "video":
        return write_video(tmp_path / "control.mp4", pattern_frames(5, 64, 64, seed=seed))
    return write_audio(tmp_path / "voice.wav", tone(0.5, seed=seed, freq=200 + seed % 500))


@pytest.mark.parametrize("kind", ["image", "video", "audio"])
def test_upload_then_skip_on_the_same_bytes(tmp_path, kind):
    entry = _entry(_media(tmp_path, kind), kind)
    first = run_graph(_graph(entry), server_url=URL, out_dir=tmp_path / "runs", options=OPTIONS)
    assert first.data["status"] == "success" and first.files
    assert first.data["inputs"][0]["uploaded"] is True
    assert first.data["inputs"][0]["server_name"] == entry["name"]
    second = run_graph(_graph(entry), server_url=URL, out_dir=tmp_path / "runs", options=OPTIONS)
    assert second.data["inputs"][0]["uploaded"] is False  # the server had these bytes: not sent again


def test_the_name_the_server_returns_is_used(tmp_path):
    entry = _entry(_media(tmp_path, "image"), "image")
    filename = entry["name"].split("/", 1)[1]
    squatter = requests.post(
        f"{URL}/upload/image",
        files={"image": (filename, b"someone else's bytes")},
        data={"subfolder": "comfyreel", "type": "input"},
        timeout=30,
    )
    assert squatter.json() == {"name": filename, "subfolder": "comfyreel", "type": "input"}
    result = run_graph(_graph(entry), server_url=URL, out_dir=tmp_path / "runs", options=OPTIONS)
    stem, ext = entry["name"].rsplit(".", 1)
    assert result.data["inputs"][0]["server_name"] == f"{stem} (1).{ext}"  # ComfyUI's collision name
    assert result.data["status"] == "success" and result.files
