"""Where the fake used to differ from a real ComfyUI 0.3.64: each test states the real behaviour, cites
the source (file:function of Comfy-Org/ComfyUI 0.3.64) and, where marked, what a live 0.3.64 and
0.8.0 server answered; the old fake failed every one of them."""

from __future__ import annotations

import json
import struct
import time

import requests
from comfyreel.fake import FakeComfyUI
from fake_trace_tools import client, types

CKPT = "ltx-video-2b-v0.9.safetensors"
IMG = {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 8, "batch_size": 3, "color": 7}}


def _save(src: str, prefix: str = "p", class_type: str = "SaveImage") -> dict:
    return {"class_type": class_type, "inputs": {"images": [src, 0], "filename_prefix": prefix}}


def _history(url: str, prompt_id: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(f"{url}/history/{prompt_id}", timeout=5).json()
        if body:
            return body[prompt_id]
        time.sleep(0.02)
    raise AssertionError(f"{prompt_id} never reached the history")


def _run(fake: FakeComfyUI, graph: dict, client_id: str = "parity") -> tuple[list[dict], dict]:
    with client(fake.url, client_id) as c:
        answer = c.submit(graph)
        assert answer.status_code == 200, answer.text
        prompt_id = answer.json()["prompt_id"]
        frames = c.until_terminal(prompt_id)
    return frames, _history(fake.url, prompt_id)


# -- /interrupt (server.py post_interrupt) ----------------------------------------------------------
def test_empty_prompt_id_is_a_global_interrupt(comfy_fake):
    """``if prompt_id:`` — an empty id is falsy, so the server interrupts whatever runs (a live 0.3.64
    logged "Global interrupt (no prompt_id specified)" for ``{"prompt_id": ""}``)."""
    comfy_fake.faults.hang_node = "1"
    with client(comfy_fake.url, "someone") as c:
        prompt_id = c.submit({"1": IMG, "2": _save("1")}).json()["prompt_id"]
        c.until(lambda m: m["type"] == "executing" and m["data"].get("node") == "1")
        answer = requests.post(comfy_fake.url + "/interrupt", json={"prompt_id": ""}, timeout=5)
        assert answer.status_code == 200
        frames = c.until_terminal(prompt_id)
    assert "execution_interrupted" in types(frames)
    assert [(r.requested, r.running, r.applied) for r in comfy_fake.interrupts] == [(None, prompt_id, True)]


def test_non_object_interrupt_body_is_a_500(comfy_fake):
    """``json_data.get('prompt_id')`` raises on a list, number, string or null: aiohttp answers 500
    (live 0.3.64 and 0.8.0 alike) and nothing is interrupted."""
    for body in ("[]", "5", '"x"', "null"):
        answer = requests.post(
            comfy_fake.url + "/interrupt", data=body, headers={"Content-Type": "application/json"}, timeout=5
        )
        assert answer.status_code == 500, body
        assert answer.text == "500 Internal Server Error\n\nServer got itself in trouble"
    assert comfy_fake.interrupts == []
    assert requests.post(comfy_fake.url + "/interrupt", data="{oops", timeout=5).status_code == 200  # -> {}


# -- validation (execution.py validate_inputs) -------------------------------------------------------
def test_integer_link_id_is_rejected(comfy_fake):
    """``prompt[o_id]`` with ``o_id = 1`` (an int) is a KeyError: HTTP 400, exception_during_validation
    on the output node (live 0.3.64 and 0.8.0 gave exactly this body)."""
    graph = {"1": IMG, "2": {**_save("1"), "inputs": {"images": [1, 0], "filename_prefix": "p"}}}
    answer = requests.post(comfy_fake.url + "/prompt", json={"prompt": graph}, timeout=5)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert body["error"]["details"] == "Exception when validating node: 1"
    (error,) = body["node_errors"]["2"]["errors"]
    assert (error["type"], error["details"], error["extra_info"]["exception_type"]) == (
        "exception_during_validation",
        "1",
        "KeyError",
    )
    assert body["node_errors"]["2"]["dependent_outputs"] == ["2"]
    assert comfy_fake.queue() == {"running": [], "pending": []}


# -- history (execution.py execute_async / PromptQueue.task_done) ----------------------------------
def test_failed_prompt_keeps_the_outputs_of_finished_nodes(comfy_fake):
    """history_result is built from the ui cache after the loop, error or not: an output node that
    finished before the failure keeps its files in /history (and they exist on disk)."""
    comfy_fake.faults.fail_node = "4"
    graph = {
        "1": IMG,
        "2": _save("1", "first"),
        "3": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "4": _save("3", "second"),
    }
    frames, entry = _run(comfy_fake, graph)
    error = next(f["data"] for f in frames if f["type"] == "execution_error")
    assert error["node_id"] == "4" and "2" in error["executed"]
    assert entry["status"]["status_str"] == "error"
    assert list(entry["outputs"]) == ["2"]
    files = [i["filename"] for i in entry["outputs"]["2"]["images"]]
    assert files == ["first_00001_.png", "first_00002_.png", "first_00003_.png"]
    assert all((comfy_fake.output_dir / name).is_file() for name in files)
    assert entry["meta"]["2"]["node_id"] == "2"


def test_history_is_pruned_at_its_maximum_size(tmp_path):
    """``if len(self.history) > MAXIMUM_HISTORY_SIZE: self.history.pop(next(iter(self.history)))``
    before each store: the oldest entries go, at most max_size + 1 stay."""
    with FakeComfyUI(tmp_path / "out", max_history=2) as fake:
        ids = [_run(fake, {"1": {**IMG, "inputs": {**IMG["inputs"], "color": c}}, "2": _save("1")})[1]
               for c in range(5)]  # fmt: skip
        kept = requests.get(fake.url + "/history", timeout=5).json()
    finished = [entry["prompt"][1] for entry in ids]
    assert list(kept) == finished[-3:]
    assert all(pid not in kept for pid in finished[:2])


# -- caching (comfy_execution/caching.py get_immediate_node_signature, execution.py IsChangedCache) --
def test_cache_key_includes_the_loaded_files_hash(comfy_fake):
    """LoadImage.IS_CHANGED is the sha256 of its file and is part of the cache key: the same graph
    after the file changed under the same name runs again instead of answering from the cache."""
    from comfyreel.fake import media

    input_dir = comfy_fake.output_dir.with_name(comfy_fake.output_dir.name + "-input")
    media.write_png(input_dir / "face.png", "one", 16, 16, 0)
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "face.png"}},
        "2": _save("1", "loaded"),
    }
    first, _ = _run(comfy_fake, graph)
    again, _ = _run(comfy_fake, graph)
    media.write_png(input_dir / "face.png", "two", 16, 16, 0)
    changed, entry = _run(comfy_fake, graph)

    def cached(frames: list[dict]) -> list[str]:
        return next(f["data"]["nodes"] for f in frames if f["type"] == "execution_cached")

    assert (cached(first), cached(again), cached(changed)) == ([], ["1", "2"], [])
    assert entry["outputs"]["2"]["images"][0]["filename"] == "loaded_00002_.png"


# -- UI outputs (comfy_extras/nodes_images.py, nodes_preview_any.py, nodes_load_3d.py; nodes.py) -----
def test_save_animated_webp_is_one_animated_file(comfy_fake):
    """SaveAnimatedWEBP saves every frame into ONE .webp and reports ``animated: [frames != 1]``;
    SaveAnimatedPNG one .png with ``animated: [true]``."""
    graph = {
        "1": IMG,
        "2": {**_save("1", "anim", "SaveAnimatedWEBP"), "inputs": {**_save("1", "anim")["inputs"],
              "fps": 6.0, "lossless": False, "quality": 80, "method": "default"}},
        "3": {**_save("1", "apng", "SaveAnimatedPNG"), "inputs": {**_save("1", "apng")["inputs"],
              "fps": 6.0, "compress_level": 4}},
    }  # fmt: skip
    _frames, entry = _run(comfy_fake, graph)
    webp, apng = entry["outputs"]["2"], entry["outputs"]["3"]
    assert webp == {"images": [{"filename": "anim_00001_.webp", "subfolder": "", "type": "output"}],
                    "animated": [True]}  # fmt: skip
    assert apng == {"images": [{"filename": "apng_00001_.png", "subfolder": "", "type": "output"}],
                    "animated": [True]}  # fmt: skip
    data = (comfy_fake.output_dir / "anim_00001_.webp").read_bytes()
    assert data[:4] == b"RIFF" and data[8:16] == b"WEBPVP8X" and b"ANMF" in data  # animation frames
    png = (comfy_fake.output_dir / "apng_00001_.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"acTL" in png and b"fcTL" in png  # an APNG
    assert not list(comfy_fake.output_dir.glob("anim_*.png"))


def test_single_frame_webp_is_not_animated(comfy_fake):
    graph = {
        "1": {**IMG, "inputs": {**IMG["inputs"], "batch_size": 1}},
        "2": {"class_type": "SaveAnimatedWEBP", "inputs": {"images": ["1", 0], "filename_prefix": "one",
              "fps": 6.0, "lossless": True, "quality": 80, "method": "default"}},
    }  # fmt: skip
    assert _run(comfy_fake, graph)[1]["outputs"]["2"]["animated"] == [False]


def test_text_latent_and_3d_outputs(comfy_fake):
    """Not every UI output is an image: PreviewAny shows ``text: [str]`` (no file), SaveLatent writes
    ``latents/<prefix>_00001_.latent`` (safetensors) under ``latents``, Preview3D reports
    ``result: [model_file, camera_info]``."""
    graph = {
        "1": IMG,
        "2": _save("1", "pic"),
        "3": {"class_type": "PrimitiveString", "inputs": {"value": "hello everyone"}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["3", 0]}},
        "5": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        "6": {"class_type": "VAEEncode", "inputs": {"pixels": ["1", 0], "vae": ["7", 2]}},
        "7": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CKPT}},
        "8": {"class_type": "SaveLatent", "inputs": {"samples": ["6", 0], "filename_prefix": "latents/x"}},
        "9": {"class_type": "Preview3D", "inputs": {"model_file": "mesh/x.glb"}},
    }
    frames, entry = _run(comfy_fake, graph)
    executed = {f["data"]["node"]: f["data"]["output"] for f in frames if f["type"] == "executed"}
    outputs = entry["outputs"]
    assert outputs["4"] == executed["4"] == {"text": ["hello everyone"]}
    assert outputs["5"] == {"text": ["<EmptyImage output 0>"]}
    assert outputs["8"] == {"latents": [{"filename": "x_00001_.latent", "subfolder": "latents",
                                         "type": "output"}]}  # fmt: skip
    assert outputs["9"] == {"result": ["mesh/x.glb", None]}
    latent = (comfy_fake.output_dir / "latents" / "x_00001_.latent").read_bytes()
    (size,) = struct.unpack("<Q", latent[:8])
    header = json.loads(latent[8 : 8 + size])
    assert header["latent_tensor"]["shape"] == [1, 4, 4, 4] and "latent_format_version_0" in header
    view = requests.get(
        comfy_fake.url + "/view",
        params={"filename": "x_00001_.latent", "subfolder": "latents", "type": "output"},
        timeout=5,
    )
    assert view.status_code == 200 and view.content == latent


def test_jobs_api_counts_what_a_failed_prompt_kept(fake_080):
    """0.8.0 comfy_execution/jobs.py get_outputs_summary reads the history outputs whatever the
    status: a failed job counts the files its finished nodes kept (text is no item) and previews the
    first previewable output; an unpreviewable .latent counts but is not the preview."""
    fake_080.faults.fail_node = "9"
    graph = {
        "1": IMG,
        "6": {"class_type": "VAEEncode", "inputs": {"pixels": ["1", 0], "vae": ["7", 2]}},
        "7": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CKPT}},
        "8": {"class_type": "SaveLatent", "inputs": {"samples": ["6", 0], "filename_prefix": "latents/x"}},
        "2": _save("1", "kept"),
        "4": {"class_type": "PreviewAny", "inputs": {"source": "a note"}},
        "5": {"class_type": "VAEDecode", "inputs": {"samples": ["6", 0], "vae": ["7", 2]}},
        "9": _save("5", "never"),  # runs last (after SaveLatent) and fails
    }
    frames, entry = _run(fake_080, graph)
    assert "execution_error" in types(frames)
    assert set(entry["outputs"]) == {"2", "4", "8"}
    job = requests.get(f"{fake_080.url}/api/jobs/{entry['prompt'][1]}", timeout=5).json()
    assert job["status"] == "failed"
    assert job["outputs_count"] == 4  # three images + one latent; the text is not an item
    assert job["preview_output"] == {
        "filename": "kept_00001_.png",
        "subfolder": "",
        "type": "output",
        "nodeId": "2",
        "mediaType": "images",
    }
