"""Unit tests of the fake's validation, catalog and execution order (no sockets)."""

from __future__ import annotations

import time

import requests
from comfyreel.fake.catalog import DEFAULT_MODELS, Catalog
from comfyreel.fake.graphs import execution_order
from comfyreel.fake.validation import validate_prompt

CATALOG = Catalog()
IMG = {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}


def save(src: str, prefix: str = "p") -> dict:
    return {"class_type": "SaveImage", "inputs": {"images": [src, 0], "filename_prefix": prefix}}


def test_model_combos_are_filled_from_the_installed_models():
    spec = CATALOG.input_spec("CheckpointLoaderSimple", "ckpt_name")
    assert spec[0] == DEFAULT_MODELS["checkpoints"]
    v3 = CATALOG.input_spec("LatentUpscaleModelLoader", "model_name")
    assert v3[1]["options"] == DEFAULT_MODELS["latent_upscale_models"]
    assert CATALOG.input_spec("LoadImage", "image")[0] == []  # user files, not models
    flat = Catalog(models=["only.safetensors"])
    assert flat.input_spec("LoraLoaderModelOnly", "lora_name")[0] == ["only.safetensors"]
    assert flat.input_spec("CheckpointLoaderSimple", "ckpt_name")[0] == ["only.safetensors"]


def test_each_loader_lists_the_folder_comfyui_reads():
    """nodes.py ControlNetLoader/StyleModelLoader/GLIGENLoader/... call
    ``folder_paths.get_filename_list("controlnet")`` & co.: a checkpoint is never a controlnet. The
    fake and the offline validator share one table (compiler/inventory.py ``folder_for``)."""
    installed = {
        "checkpoints": ["ckpt.safetensors"],
        "controlnet": ["cn.safetensors"],
        "t2i_adapter": ["adapter.safetensors"],
        "style_models": ["style.safetensors"],
        "audio_encoders": ["wav2vec.safetensors"],
        "clip": ["legacy-te.safetensors"],
        "text_encoders": ["te.safetensors"],
    }
    catalog = Catalog(models=installed)
    assert catalog.input_spec("ControlNetLoader", "control_net_name")[0] == [
        "cn.safetensors",
        "adapter.safetensors",
    ]
    assert catalog.input_spec("StyleModelLoader", "style_model_name")[0] == ["style.safetensors"]
    assert _options(catalog, "AudioEncoderLoader", "audio_encoder_name") == ["wav2vec.safetensors"]
    assert catalog.input_spec("CLIPLoader", "clip_name")[0] == ["te.safetensors", "legacy-te.safetensors"]
    assert _options(catalog, "LTXAVTextEncoderLoader", "ckpt_name") == ["ckpt.safetensors"]


def _options(catalog: Catalog, node: str, name: str) -> list[str]:
    spec = catalog.input_spec(node, name)
    return spec[1]["options"] if spec[0] == "COMBO" else spec[0]


def test_unknown_inputs_are_ignored_and_hidden_inputs_not_required():
    prompt = {"1": {**IMG, "inputs": {**IMG["inputs"], "not_an_input": 5}}, "2": save("1")}
    verdict = validate_prompt(prompt, CATALOG)
    assert verdict.ok and verdict.node_errors == {}


def test_inner_exception_lands_on_the_upstream_node():
    prompt = {
        "1": {
            "class_type": "ImageScale",
            "inputs": {
                "image": ["42", 0],
                "upscale_method": "area",
                "width": 4,
                "height": 4,
                "crop": "disabled",
            },
        },
        "2": save("1"),
    }
    verdict = validate_prompt(prompt, CATALOG)
    assert not verdict.ok
    error = verdict.node_errors["1"]["errors"][0]
    assert (error["type"], error["message"]) == (
        "exception_during_validation",
        "Exception when validating inner node",
    )
    assert error["extra_info"]["linked_node"] == ["1", 0]
    assert verdict.node_errors["1"]["dependent_outputs"] == ["2"]


def test_v3_combo_error_echoes_the_v3_spec():
    prompt = {
        "1": IMG,
        "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 0], "fps": 8.0}},
        "3": {
            "class_type": "SaveVideo",
            "inputs": {"video": ["2", 0], "filename_prefix": "v", "format": "webm", "codec": "auto"},
        },
    }
    verdict = validate_prompt(prompt, CATALOG)
    error = verdict.node_errors["3"]["errors"][0]
    assert error["type"] == "value_not_in_list"
    assert error["extra_info"]["input_config"][0] == "COMBO"
    assert verdict.error["details"].startswith("Value not in list: format: 'webm' not in")


def test_partial_execution_targets_and_good_outputs():
    prompt = {"1": IMG, "2": save("1"), "3": save("1", "q")}
    assert sorted(validate_prompt(prompt, CATALOG).good_outputs) == ["2", "3"]
    assert validate_prompt(prompt, CATALOG, ["3"]).good_outputs == ["3"]


def test_non_object_prompt_and_bad_class_type():
    assert validate_prompt([1, 2], CATALOG).error["type"] == "invalid_prompt"
    assert validate_prompt({"1": {"class_type": 5}}, CATALOG).error["type"] == "invalid_prompt"


def test_execution_order_runs_only_what_outputs_need():
    prompt = {
        "1": IMG,
        "2": save("1"),
        "9": {**IMG},
        "3": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
    }
    assert execution_order(prompt, ["2"], CATALOG, set()) == ["1", "2"]
    assert execution_order(prompt, ["2"], CATALOG, {"1"}) == ["2"]


def test_save_audio_reports_audio(comfy_fake):
    ckpt = "ltx-2-19b-dev-fp8.safetensors"
    prompt = {
        "1": {"class_type": "LTXVAudioVAELoader", "inputs": {"ckpt_name": ckpt}},
        "2": {
            "class_type": "LTXVEmptyLatentAudio",
            "inputs": {"audio_vae": ["1", 0], "frames_number": 25, "frame_rate": 25, "batch_size": 1},
        },
        "3": {"class_type": "LTXVAudioVAEDecode", "inputs": {"samples": ["2", 0], "audio_vae": ["1", 0]}},
        "4": {"class_type": "SaveAudio", "inputs": {"audio": ["3", 0], "filename_prefix": "audio/tone"}},
    }
    answer = requests.post(f"{comfy_fake.url}/prompt", json={"prompt": prompt}, timeout=5)
    assert answer.status_code == 200, answer.text
    prompt_id = answer.json()["prompt_id"]
    deadline = time.monotonic() + 10
    while not (body := requests.get(f"{comfy_fake.url}/history/{prompt_id}", timeout=5).json()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert body[prompt_id]["outputs"]["4"] == {
        "audio": [{"filename": "tone_00001_.flac", "subfolder": "audio", "type": "output"}]
    }
    assert (comfy_fake.output_dir / "audio" / "tone_00001_.flac").stat().st_size > 1000


def test_odd_prompt_bodies_answer_like_comfyui(comfy_fake):
    url = f"{comfy_fake.url}/prompt"
    assert requests.post(url, data="{not json", timeout=5).status_code == 500
    assert requests.post(url, data="5", timeout=5).status_code == 500
    listed = requests.post(url, json=["prompt"], timeout=5)
    assert listed.status_code == 400 and listed.json()["error"]["type"] == "no_prompt"
    ok = requests.post(url, json={"prompt": {"1": IMG, "2": save("1")}}, timeout=5).json()
    assert ok["number"] == 1  # the list body consumed number 0; the unparsable ones did not
    assert comfy_fake.prompts_seen[0] == ["prompt"]


def test_upload_image_then_image_to_video(comfy_fake):
    from comfyreel.fake.media import Pattern, png_bytes

    png = png_bytes(Pattern("upload", 40, 30).frame(0))
    up = requests.post(
        f"{comfy_fake.url}/upload/image", files={"image": ("start.png", png, "image/png")}, timeout=5
    )
    assert up.json() == {"name": "start.png", "subfolder": "", "type": "input"}
    other = requests.post(
        f"{comfy_fake.url}/upload/image", files={"image": ("start.png", b"x", "image/png")}, timeout=5
    )
    assert other.json()["name"] == "start (1).png"  # a different file under a taken name is renamed
    info = requests.get(f"{comfy_fake.url}/object_info/LoadImage", timeout=5).json()
    assert info["LoadImage"]["input"]["required"]["image"][0] == ["start (1).png", "start.png"]
    graph = {"1": {"class_type": "LoadImage", "inputs": {"image": "start.png"}}, "2": save("1", "loaded")}
    answer = requests.post(f"{comfy_fake.url}/prompt", json={"prompt": graph}, timeout=5)
    assert answer.status_code == 200
    comfy_fake.wait_idle(10)
    import av

    with av.open(str(comfy_fake.output_dir / "loaded_00001_.png")) as container:
        ctx = container.streams.video[0].codec_context
        assert (ctx.width, ctx.height) == (40, 30)  # LoadImage carries the uploaded file's size
    missing = {"1": {"class_type": "LoadImage", "inputs": {"image": "nope.png"}}, "2": save("1")}
    rejected = requests.post(f"{comfy_fake.url}/prompt", json={"prompt": missing}, timeout=5).json()
    assert rejected["node_errors"]["1"]["errors"][0]["type"] == "custom_validation_failed"
    evil = requests.post(
        f"{comfy_fake.url}/upload/image",
        files={"image": ("x.png", png)},
        data={"subfolder": "../.."},
        timeout=5,
    )
    assert evil.status_code == 400
