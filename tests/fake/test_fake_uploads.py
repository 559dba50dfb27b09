"""The fake's /upload/image and loader validation follow ComfyUI's server.py and nodes (0.3.64, 0.8.0)."""

from __future__ import annotations

import pytest
import requests
from comfyreel.checks.synth import pattern_frames, tone, write_audio, write_image, write_video


def _up(fake, name, data, **fields):
    return requests.post(f"{fake.url}/upload/image", files={"image": (name, data)}, data=fields, timeout=10)


def test_upload_answers_and_names_like_comfyui(comfy_fake):
    first = _up(comfy_fake, "a.mp4", b"one", subfolder="comfyreel", type="input")
    assert first.status_code == 200
    assert first.json() == {"name": "a.mp4", "subfolder": "comfyreel", "type": "input"}
    same = _up(comfy_fake, "a.mp4", b"one", subfolder="comfyreel")  # same bytes: a duplicate, kept
    assert same.json() == {"name": "a.mp4", "subfolder": "comfyreel", "type": "input"}
    other = _up(comfy_fake, "a.mp4", b"two", subfolder="comfyreel")
    assert other.json()["name"] == "a (1).mp4"
    third = _up(comfy_fake, "a.mp4", b"three", subfolder="comfyreel")
    assert third.json()["name"] == "a (2).mp4"
    again = _up(comfy_fake, "a.mp4", b"two", subfolder="comfyreel")  # finds its bytes at "a (1)"
    assert again.json()["name"] == "a (1).mp4"
    forced = _up(comfy_fake, "a.mp4", b"four", subfolder="comfyreel", overwrite="true")
    assert forced.json()["name"] == "a.mp4"
    folder = comfy_fake.input_dir / "comfyreel"
    assert (folder / "a.mp4").read_bytes() == b"four" and (folder / "a (2).mp4").read_bytes() == b"three"
    assert [u.written for u in comfy_fake.uploads] == [True, False, True, True, False, True]


@pytest.mark.parametrize(
    ("fields", "filename", "status"),
    [
        ({"subfolder": "../.."}, "x.png", 400),  # outside the input folder
        ({"subfolder": "/etc"}, "x.png", 400),
        ({}, "../x.png", 400),
        ({"type": "models"}, "x.png", 500),  # ComfyUI's get_dir_by_type leaves the folder unbound
    ],
)
def test_upload_refusals(comfy_fake, fields, filename, status):
    assert _up(comfy_fake, filename, b"x", **fields).status_code == status
    assert comfy_fake.uploads == []


def test_upload_without_a_file_is_400(comfy_fake):
    answer = requests.post(f"{comfy_fake.url}/upload/image", data={"subfolder": "x"}, timeout=5)
    assert answer.status_code == 400


def _save_image(source: str, prefix: str) -> dict:
    return {"class_type": "SaveImage", "inputs": {"images": [source, 0], "filename_prefix": prefix}}


@pytest.mark.parametrize(
    ("class_type", "name", "kind"),
    [("LoadImage", "image", "image"), ("LoadVideo", "file", "video"), ("LoadAudio", "audio", "audio")],
)
def test_loaders_validate_against_the_input_folder(comfy_fake, class_type, name, kind):
    graph = {"1": {"class_type": class_type, "inputs": {name: "comfyreel/nope.bin"}}}
    if kind == "audio":
        graph["2"] = {"class_type": "SaveAudio", "inputs": {"audio": ["1", 0], "filename_prefix": "a"}}
    elif kind == "video":
        graph["2"] = {
            "class_type": "SaveVideo",
            "inputs": {"video": ["1", 0], "filename_prefix": "v", "format": "auto", "codec": "auto"},
        }
    else:
        graph["2"] = _save_image("1", "i")
    answer = requests.post(f"{comfy_fake.url}/prompt", json={"prompt": graph}, timeout=5)
    assert answer.status_code == 400
    error = answer.json()["node_errors"]["1"]["errors"][0]
    assert error == {
        "type": "custom_validation_failed",
        "message": "Custom validation failed for node",
        "details": f"{name} - Invalid {kind} file: comfyreel/nope.bin",
        "extra_info": {"input_name": name},
    }


def test_loader_lists_show_top_level_input_files_by_kind(comfy_fake, tmp_path):
    write_video(tmp_path / "clip.mp4", pattern_frames(3, 32, 32))
    write_audio(tmp_path / "voice.wav", tone(0.2))
    for path in (tmp_path / "clip.mp4", tmp_path / "voice.wav"):
        assert _up(comfy_fake, path.name, path.read_bytes()).status_code == 200
    assert _up(comfy_fake, "hidden.mp4", b"v", subfolder="comfyreel").status_code == 200
    info = requests.get(f"{comfy_fake.url}/object_info", timeout=5).json()
    assert info["LoadVideo"]["input"]["required"]["file"][1]["options"] == ["clip.mp4"]
    assert info["LoadAudio"]["input"]["required"]["audio"][1]["options"] == ["clip.mp4", "voice.wav"]
    assert info["LoadImage"]["input"]["required"]["image"][0] == []


def _render_from(fake, name: str, data: bytes, prefix: str) -> bytes:
    assert _up(fake, name, data, subfolder="comfyreel", overwrite="true").status_code == 200
    if name.endswith(".mp4"):
        graph = {
            "1": {"class_type": "LoadVideo", "inputs": {"file": f"comfyreel/{name}"}},
            "4": {"class_type": "GetVideoComponents", "inputs": {"video": ["1", 0]}},
        }
        source = "4"
    else:
        graph = {"1": {"class_type": "LoadImage", "inputs": {"image": f"comfyreel/{name}"}}}
        source = "1"
    scale = {"upscale_method": "nearest-exact", "width": 64, "height": 64, "crop": "disabled"}
    graph["2"] = {"class_type": "ImageScale", "inputs": {"image": [source, 0], **scale}}
    graph["3"] = _save_image("2", prefix)
    assert requests.post(f"{fake.url}/prompt", json={"prompt": graph}, timeout=5).status_code == 200
    assert fake.wait_idle(10)
    return (fake.output_dir / f"{prefix}_00001_.png").read_bytes()


def _media(tmp_path, suffix: str, seed: int) -> bytes:
    path = tmp_path / f"{seed}{suffix}"
    if suffix == ".mp4":
        return write_video(path, pattern_frames(3, 40, 40, seed=seed)).read_bytes()
    return write_image(path, pattern_frames(1, 40, 40, seed=seed)[0]).read_bytes()


@pytest.mark.parametrize("suffix", [".png", ".mp4"])
def test_rendered_pixels_depend_on_the_input_media(comfy_fake, tmp_path, suffix):
    a, b = _media(tmp_path, suffix, 1), _media(tmp_path, suffix, 2)
    name = f"start{suffix}"
    first, second, again = (
        _render_from(comfy_fake, name, data, p) for data, p in ((a, "a"), (b, "b"), (a, "c"))
    )
    assert first != second  # same graph, other start media: other pixels
    assert first == again  # same bytes: same pixels
