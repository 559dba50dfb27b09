"""A real ComfyUI accepts the compiled media recipes (issue 10), then fails only at a weight loader.

For the i2v, canny, depth, first/last-frame and audio recipes in recipes/: compile, upload every
input file with POST /upload/image (type input, subfolder comfyreel, the content-hash name),
POST /prompt, expect HTTP 200 with empty node_errors, then read /history until the prompt ends:
with 4 KiB dummy weights the first node to fail must be a weight loader. Runs when COMFYUI_URL is
set (e.g. ComfyUI 0.8.0 on the CPU, dummy files in its models folders for every name the graphs use).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.loader import load_recipe
from comfyreel.compiler.validate import ensure_valid
from comfyreel.runner.schema_fetch import fetch_object_info
from real_helpers import upload_inputs

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
MEDIA_RECIPES = ["ltx2-i2v", "ltx2-canny", "ltx2-depth", "ltx23-first-last", "ltx23-audio"]
LOADERS = {
    "CheckpointLoaderSimple",
    "LTXAVTextEncoderLoader",
    "LTXVAudioVAELoader",
    "LoraLoaderModelOnly",
    "LatentUpscaleModelLoader",
    "UNETLoader",
    "VAELoader",
}


@pytest.mark.real
@pytest.mark.parametrize("name", MEDIA_RECIPES)
def test_real_server_accepts_media_recipe_and_fails_at_a_loader(comfyui_url: str, name: str) -> None:
    graph = compile_recipe(load_recipe(RECIPES / f"{name}.yaml"))
    assert graph.meta["inputs"], "a media recipe lists its input files"
    ensure_valid(graph, fetch_object_info(comfyui_url))  # raises GraphInvalid on any error
    upload_inputs(comfyui_url, graph)
    prompt_id = str(uuid.uuid4())
    body = {"prompt": graph.canonical(), "client_id": uuid.uuid4().hex, "prompt_id": prompt_id}
    answer = requests.post(f"{comfyui_url}/prompt", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["node_errors"] == {}
    status = None
    for _ in range(600):  # the dummy weights fail within seconds; bounded, not timed
        entry = requests.get(f"{comfyui_url}/history/{prompt_id}", timeout=10).json().get(prompt_id)
        if entry and entry.get("status", {}).get("completed") is not None and entry["status"]["status_str"]:
            status = entry["status"]
            break
        time.sleep(0.5)
    assert status is not None, "the prompt did not finish"
    errors = [m[1] for m in status["messages"] if m[0] == "execution_error"]
    assert status["status_str"] == "error" and errors, status
    assert errors[0]["node_type"] in LOADERS, errors[0]
