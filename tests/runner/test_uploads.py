"""Media in: the runner uploads input files, skips what the server has, takes the server's name,
streams with bounded memory, records inputs in the manifest, and rerun finds them again."""

from __future__ import annotations

import json
import shutil
import tracemalloc

import pytest
from comfyreel.checks.rerun import rerun_manifest
from comfyreel.compiler.errors import InputError
from comfyreel.fake import FakeComfyUI
from comfyreel.runner import http
from comfyreel.runner.session import RunOptions, run_graph
from comfyreel.runner.uploads import MediaInput, upload_inputs
from media_inputs import image_graph, make_image, media_entry

FAST = RunOptions(timeout_s=30, poll_s=0.05, fast_poll_s=0.02)


def _written(fake: FakeComfyUI) -> list[str]:
    return [u.name for u in fake.uploads if u.written]


def test_upload_then_skip_same_bytes(comfy_fake, tmp_path):
    image = make_image(tmp_path / "start.png", seed=1)
    graph = image_graph(image)
    first = run_graph(graph, server_url=comfy_fake.url, out_dir=tmp_path / "runs", options=FAST)
    name = graph.meta["inputs"][0]["name"]
    assert [(u.subfolder, u.filename, u.type) for u in comfy_fake.uploads] == [
        ("comfyreel", name.split("/")[1], "input")
    ]
    assert (comfy_fake.input_dir / name).read_bytes() == image.read_bytes()
    record = first.data["inputs"][0]
    assert record["path"] == str(image.resolve()) and record["sha256"] == graph.meta["inputs"][0]["sha256"]
    assert record["uploaded"] is True and record["server_name"] == name
    assert first.manifest.inputs[0].sha256 == record["sha256"]  # the pydantic model reads it back

    second = run_graph(image_graph(image), server_url=comfy_fake.url, out_dir=tmp_path / "runs", options=FAST)
    assert len(comfy_fake.uploads) == 1  # no second POST /upload/image: the server had the bytes
    assert second.data["inputs"][0]["uploaded"] is False


def test_server_name_is_used_when_it_differs(comfy_fake, tmp_path):
    image = make_image(tmp_path / "start.png", seed=2)
    name = media_entry(image)["name"]
    squatter = comfy_fake.input_dir / name  # other bytes already under our name on the server
    squatter.parent.mkdir(parents=True, exist_ok=True)
    squatter.write_bytes(b"not our image")
    result = run_graph(image_graph(image), server_url=comfy_fake.url, out_dir=tmp_path / "runs", options=FAST)
    stem, ext = name.rsplit(".", 1)
    renamed = f"{stem} (1).{ext}"
    assert result.data["inputs"][0]["server_name"] == renamed
    submitted = comfy_fake.prompts_seen[-1]["prompt"]
    assert submitted["1"]["inputs"]["image"] == renamed  # the graph was rewritten to the server's name
    graph_json = json.loads((result.run_dir / "graph.json").read_text())
    assert graph_json["1"]["inputs"]["image"] == name  # graph.json keeps the compiled bytes


def test_missing_input_file_names_the_file(comfy_fake, tmp_path):
    image = make_image(tmp_path / "start.png", seed=3)
    graph = image_graph(image)
    image.unlink()
    with pytest.raises(InputError) as caught:
        run_graph(graph, server_url=comfy_fake.url, out_dir=tmp_path / "runs", options=FAST)
    assert caught.value.exit_code == 2
    assert str(image) in caught.value.message and str(image) in (caught.value.hint or "")
    assert comfy_fake.uploads == [] and comfy_fake.prompts_seen == []


def test_changed_input_file_is_refused(comfy_fake, tmp_path):
    image = make_image(tmp_path / "start.png", seed=4)
    graph = image_graph(image)
    make_image(image, seed=5)  # edited after compiling
    with pytest.raises(InputError, match="changed since it was compiled"):
        run_graph(graph, server_url=comfy_fake.url, out_dir=tmp_path / "runs", options=FAST)
    assert comfy_fake.uploads == []


def test_rerun_finds_inputs_or_names_the_missing_one(comfy_fake, tmp_path):
    image = make_image(tmp_path / "start.png", seed=6)
    first = run_graph(image_graph(image), server_url=comfy_fake.url, out_dir=tmp_path / "runs", options=FAST)
    manifest = first.run_dir / "manifest.json"
    again = rerun_manifest(manifest, server_url=comfy_fake.url, out_dir=tmp_path / "re")
    assert again.data["inputs"][0]["sha256"] == first.data["inputs"][0]["sha256"]
    assert again.data["inputs"][0]["uploaded"] is False

    image.unlink()  # the local copy is gone, but the server still has the bytes: still reruns
    rerun_manifest(manifest, server_url=comfy_fake.url, out_dir=tmp_path / "re")
    shutil.rmtree(comfy_fake.input_dir / "comfyreel")  # and now the server lost it too
    with pytest.raises(InputError) as caught:
        rerun_manifest(manifest, server_url=comfy_fake.url, out_dir=tmp_path / "re")
    assert str(image.resolve()) in caught.value.message
    assert "put the file back" in (caught.value.hint or "")


def test_upload_over_the_servers_limit_says_which_flag(tmp_path):
    image = make_image(tmp_path / "big.png", seed=7, width=256, height=256)
    with FakeComfyUI(tmp_path / "out", max_upload_size=1024) as fake:
        server = http.Server(fake.url)
        with pytest.raises(InputError, match="upload limit") as caught:
            upload_inputs(server, [MediaInput.coerce(media_entry(image))])
        assert "--max-upload-size" in (caught.value.hint or "")
        assert fake.uploads == []


def test_large_upload_streams_with_bounded_memory(tmp_path):
    big = tmp_path / "clip.mp4"
    block = bytes(range(256)) * 4096  # 1 MiB
    with big.open("wb") as handle:
        for i in range(48):
            handle.write(block[i:] + block[:i])
    entry = media_entry(big, kind="video")
    with FakeComfyUI(tmp_path / "out") as fake:
        server = http.Server(fake.url)
        tracemalloc.start()
        try:
            done = upload_inputs(server, [MediaInput.coerce(entry)])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert done[0].server_name == entry["name"] and not done[0].skipped
        assert (fake.input_dir / entry["name"]).stat().st_size == big.stat().st_size
    # client and fake server together, for a 48 MiB file: far below one copy of the file
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak} bytes"
