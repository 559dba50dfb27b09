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
from comfyreel.fake import FakeComfyUI
from fake_graphs import ltx_graph


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
        "import sys, hashlib; from pathlib import Path; from comfyreel.fake.media import write_mp4;"
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
