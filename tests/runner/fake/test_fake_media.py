"""The fake's media: real mp4/png files whose content is a deterministic function of the graph."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import requests
from comfyreel.runner.fake import FakeComfyUI


def ltx_graph(
    seed: int = 42,
    *,
    text: str = "a red fox in the snow",
    lora: float = 1.0,
    length: int = 17,
    width: int = 128,
    height: int = 96,
    fps: float = 24.0,
    audio: bool = True,
    upscale: bool = False,
) -> dict[str, Any]:
    """A small LTX-2-shaped API graph that validates against the pinned schema."""
    ckpt = "ltx-2-19b-dev-fp8.safetensors"
    graph: dict[str, Any] = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "2": {
            "class_type": "LoraLoaderModelOnly",
            "inputs": {
                "model": ["1", 0],
                "lora_name": "ltx-2-19b-distilled-lora-384.safetensors",
                "strength_model": lora,
            },
        },
        "3": {"class_type": "CLIPLoader", "inputs": {"clip_name": "t5xxl_fp16.safetensors", "type": "ltxv"}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["3", 0]}},
        "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["3", 0]}},
        "6": {
            "class_type": "LTXVConditioning",
            "inputs": {"positive": ["4", 0], "negative": ["5", 0], "frame_rate": fps},
        },
        "7": {
            "class_type": "EmptyLTXVLatentVideo",
            "inputs": {"width": width, "height": height, "length": length, "batch_size": 1},
        },
        "8": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "9": {
            "class_type": "LTXVScheduler",
            "inputs": {
                "steps": 3,
                "max_shift": 2.05,
                "base_shift": 0.95,
                "stretch": True,
                "terminal": 0.1,
                "latent": ["7", 0],
            },
        },
        "10": {
            "class_type": "SamplerCustom",
            "inputs": {
                "model": ["2", 0],
                "add_noise": True,
                "noise_seed": seed,
                "cfg": 3.0,
                "positive": ["6", 0],
                "negative": ["6", 1],
                "sampler": ["8", 0],
                "sigmas": ["9", 0],
                "latent_image": ["7", 0],
            },
        },
        "11": {"class_type": "VAEDecode", "inputs": {"samples": ["10", 0], "vae": ["1", 2]}},
        "15": {"class_type": "CreateVideo", "inputs": {"images": ["11", 0], "fps": fps}},
        "16": {
            "class_type": "SaveVideo",
            "inputs": {"video": ["15", 0], "filename_prefix": "video/ltx", "format": "auto", "codec": "auto"},
        },
    }
    if audio:
        graph["12"] = {"class_type": "LTXVAudioVAELoader", "inputs": {"ckpt_name": ckpt}}
        graph["13"] = {
            "class_type": "LTXVEmptyLatentAudio",
            "inputs": {
                "audio_vae": ["12", 0],
                "frames_number": length,
                "frame_rate": int(fps),
                "batch_size": 1,
            },
        }
        graph["14"] = {
            "class_type": "LTXVAudioVAEDecode",
            "inputs": {"samples": ["13", 0], "audio_vae": ["12", 0]},
        }
        graph["15"]["inputs"]["audio"] = ["14", 0]
    if upscale:
        graph["20"] = {
            "class_type": "LatentUpscaleModelLoader",
            "inputs": {"model_name": "ltx-2-spatial-upscaler-x2-1.0.safetensors"},
        }
        graph["21"] = {
            "class_type": "LTXVLatentUpsampler",
            "inputs": {"samples": ["10", 0], "upscale_model": ["20", 0], "vae": ["1", 2]},
        }
        graph["11"]["inputs"]["samples"] = ["21", 0]
    return graph


def render(fake: FakeComfyUI, graph: dict[str, Any]) -> Path:
    answer = requests.post(f"{fake.url}/prompt", json={"prompt": graph}, timeout=10)
    assert answer.status_code == 200, answer.text
    prompt_id = answer.json()["prompt_id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = requests.get(f"{fake.url}/history/{prompt_id}", timeout=10).json()
        if body:
            entry = body[prompt_id]
            assert entry["status"]["status_str"] == "success", entry["status"]
            image = entry["outputs"]["16"]["images"][0]
            return fake.output_dir / image["subfolder"] / image["filename"]
        time.sleep(0.02)
    raise AssertionError("render timed out")


def frames_of(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.int16)


@pytest.fixture
def two_fakes(tmp_path: Path):
    with FakeComfyUI(tmp_path / "a") as a, FakeComfyUI(tmp_path / "b") as b:
        yield a, b


def test_video_has_the_graph_geometry_fps_and_audio(comfy_fake):
    path = render(comfy_fake, ltx_graph(length=17, width=128, height=96, fps=24.0))
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (128, 96)
        assert video.average_rate == 24
        assert [s.type for s in container.streams] == ["video", "audio"]
    assert len(frames_of(path)) == 17


def test_no_audio_stream_unless_audio_is_wired(comfy_fake):
    path = render(comfy_fake, ltx_graph(audio=False, fps=12.0, length=9))
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["video"]
        assert container.streams.video[0].average_rate == 12
    assert len(frames_of(path)) == 9


def test_latent_upsampler_doubles_the_size(comfy_fake):
    path = render(comfy_fake, ltx_graph(width=64, height=64, length=9, upscale=True, audio=False))
    assert frames_of(path).shape[1:3] == (128, 128)


def test_same_graph_gives_identical_bytes_on_two_servers(two_fakes):
    a, b = two_fakes
    assert render(a, ltx_graph()).read_bytes() == render(b, ltx_graph()).read_bytes()


@pytest.mark.parametrize(
    "change",
    [{"seed": 43}, {"text": "a blue fox in the snow"}, {"lora": 0.5}],
    ids=["seed", "prompt", "lora-strength"],
)
def test_semantic_changes_change_the_frames(two_fakes, change):
    a, b = two_fakes
    base = frames_of(render(a, ltx_graph(audio=False)))
    changed = frames_of(render(b, ltx_graph(audio=False, **change)))
    assert base.shape == changed.shape
    assert np.abs(base - changed).mean() > 5.0


def test_swapped_lora_changes_the_frames(two_fakes):
    a, b = two_fakes
    graph = ltx_graph(audio=False)
    other = copy.deepcopy(graph)
    other["2"]["inputs"]["lora_name"] = "ltx-2-19b-lora-camera-control-dolly-left.safetensors"
    assert np.abs(frames_of(render(a, graph)) - frames_of(render(b, other))).mean() > 5.0


def test_file_name_prefix_does_not_change_the_frames(two_fakes):
    a, b = two_fakes
    graph = ltx_graph(audio=False)
    other = copy.deepcopy(graph)
    other["16"]["inputs"]["filename_prefix"] = "elsewhere/clip"
    assert np.array_equal(frames_of(render(a, graph)), frames_of(render(b, other)))


def test_frames_move_smoothly(comfy_fake):
    frames = frames_of(render(comfy_fake, ltx_graph(audio=False, length=9)))
    steps = [np.abs(frames[i + 1] - frames[i]).mean() for i in range(len(frames) - 1)]
    assert 0.1 < max(steps) < 20.0  # it moves, but like a video, not like noise


def test_counter_continues_after_existing_files(comfy_fake):
    first = render(comfy_fake, ltx_graph(audio=False, length=9))
    second = render(comfy_fake, ltx_graph(audio=False, length=9, seed=7))
    assert (first.name, second.name) == ("ltx_00001_.mp4", "ltx_00002_.mp4")
    assert first.parent.name == second.parent.name == "video"


def test_absurd_sizes_fail_like_a_gpu_instead_of_hanging(comfy_fake):
    graph = ltx_graph(width=16384, height=16384, length=16384, audio=False)
    answer = requests.post(f"{comfy_fake.url}/prompt", json={"prompt": graph}, timeout=10)
    prompt_id = answer.json()["prompt_id"]
    deadline = time.monotonic() + 10
    while not (body := requests.get(f"{comfy_fake.url}/history/{prompt_id}", timeout=5).json()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    error = body[prompt_id]["status"]["messages"][-1]
    assert error[0] == "execution_error" and error[1]["exception_type"] == "torch.OutOfMemoryError"


def test_media_bytes_do_not_depend_on_the_process(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, hashlib; from pathlib import Path; from comfyreel.runner.fake.media import write_mp4;"
        "p = Path(sys.argv[1]); write_mp4(p, 'empty', 32, 32, 3, 8.0, audio_key='x');"
        "print(hashlib.sha256(p.read_bytes()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / f"{seed}.mp4")],
            check=True,
            text=True,
            capture_output=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout
        for seed in (1, 2)
    }
    assert len(digests) == 1
