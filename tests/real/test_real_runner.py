"""The runner against a real ComfyUI (set COMFYUI_URL, e.g. http://127.0.0.1:8188); skipped otherwise.

Only weight-free core nodes are used, so a CPU-only ComfyUI with no models is enough.
"""

from __future__ import annotations

import os
import time

import pytest
from comfyreel.compiler.graph import Graph
from comfyreel.runner.errors import PromptRejected
from comfyreel.runner.session import RunOptions, run_graph

URL = os.environ.get("COMFYUI_URL")
pytestmark = pytest.mark.real
needs_url = pytest.mark.skipif(not URL, reason="set COMFYUI_URL to a running ComfyUI to run these tests")


def _graph(width: int = 64) -> Graph:
    return Graph.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": width, "height": 64, "batch_size": 2, "color": 4242},
            },
            "2": {
                "class_type": "SaveImage",
                "inputs": {"images": ["1", 0], "filename_prefix": "comfyreel_real"},
            },
        },
        source="real.json",
    )


def _pixels(path):
    import av

    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


@needs_url
def test_real_bust_cache_executes_every_node(tmp_path):
    opts = RunOptions(timeout_s=120, silence_timeout_s=60)
    plain = run_graph(_graph(), server_url=URL, out_dir=tmp_path, options=opts)
    cached = run_graph(_graph(), server_url=URL, out_dir=tmp_path, options=opts)
    assert cached.manifest.cached_nodes == ["1", "2"]  # without busting, nothing executes again
    busted = run_graph(
        _graph(),
        server_url=URL,
        out_dir=tmp_path,
        options=RunOptions(timeout_s=120, silence_timeout_s=60, bust_cache=True),
    )
    assert busted.manifest.cached_nodes == [] and busted.manifest.cache_bust
    assert [f.path for f in busted.outputs] == ["outputs/2-0.png", "outputs/2-1.png"]
    # the unknown input changes the cache key only, not the pixels (PNG metadata differs)
    assert (
        _pixels(busted.run_dir / busted.outputs[0].path) == _pixels(plain.run_dir / plain.outputs[0].path)
    ).all()


@needs_url
def test_real_rejection_findings(tmp_path):
    options = RunOptions(timeout_s=60, validate_online=False)
    with pytest.raises(PromptRejected) as info:
        run_graph(_graph(width=99999), server_url=URL, out_dir=tmp_path, options=options)
    assert info.value.findings[0].input == "width"


@needs_url
def test_real_video_under_images_animated(tmp_path):
    graph = Graph.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": 64, "height": 64, "batch_size": 9, "color": 77},
            },
            "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 0], "fps": 8.0}},
            "3": {
                "class_type": "SaveVideo",
                "inputs": {
                    "video": ["2", 0],
                    "filename_prefix": "video/comfyreel",
                    "format": "mp4",
                    "codec": "h264",
                },
            },
        },
        source="video.json",
    )
    result = run_graph(
        graph, server_url=URL, out_dir=tmp_path, options=RunOptions(timeout_s=120, bust_cache=True)
    )
    (video,) = result.outputs
    assert (video.kind, video.path, video.subfolder) == ("videos", "outputs/3-0.mp4", "video")


@needs_url
def test_real_execution_error(tmp_path):
    from comfyreel.runner.errors import ExecutionFailed

    graph = Graph.from_data(
        {
            "1": {
                "class_type": "CheckpointLoaderSimple",
                "inputs": {"ckpt_name": "ltxv-2b-0.9.8-distilled.safetensors"},
            },
            "2": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
            "3": {"class_type": "VAEDecode", "inputs": {"samples": ["2", 0], "vae": ["1", 2]}},
            "4": {
                "class_type": "SaveImage",
                "inputs": {"images": ["3", 0], "filename_prefix": "comfyreel_err"},
            },
        },
        source="err.json",
    )
    with pytest.raises(ExecutionFailed) as info:
        run_graph(graph, server_url=URL, out_dir=tmp_path, options=RunOptions(timeout_s=120))
    assert (
        info.value.details["node_id"] == "1" and info.value.details["class_type"] == "CheckpointLoaderSimple"
    )


@needs_url
def test_real_partial_200_is_rejected(tmp_path):
    graph = _graph()
    graph.nodes["3"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "missing_images"}}
    with pytest.raises(PromptRejected) as info:
        run_graph(
            graph, server_url=URL, out_dir=tmp_path, options=RunOptions(timeout_s=60, validate_online=False)
        )
    assert info.value.details["partial"] is True and info.value.findings[0].node_id == "3"


@needs_url
def test_real_deadline_interrupts_our_prompt(tmp_path):
    import requests
    from comfyreel.runner.errors import RunTimeout

    nodes = {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": 512, "height": 512, "batch_size": 4, "color": 5},
        }
    }
    prev = "1"
    for i in range(10, 16):
        nodes[str(i)] = {
            "class_type": "ImageBlur",
            "inputs": {"image": [prev, 0], "blur_radius": 31, "sigma": 10.0},
        }
        prev = str(i)
    nodes["30"] = {
        "class_type": "SaveImage",
        "inputs": {"images": [prev, 0], "filename_prefix": "comfyreel_slow"},
    }
    with pytest.raises(RunTimeout) as info:
        run_graph(
            Graph.from_data(nodes, source="slow.json"),
            server_url=URL,
            out_dir=tmp_path,
            options=RunOptions(timeout_s=3, bust_cache=True),
        )
    pid = info.value.prompt_id
    for _ in range(120):  # the interrupt is cooperative: wait for the running node to finish
        entry = requests.get(f"{URL}/history/{pid}", timeout=5).json().get(pid)
        if entry:
            break
        time.sleep(0.5)
    assert entry and entry["status"]["status_str"] == "error"
    assert any(m[0] == "execution_interrupted" for m in entry["status"]["messages"])


@pytest.mark.skipif(
    not os.environ.get("COMFYUI_DIR"), reason="set COMFYUI_DIR (and COMFYUI_PYTHON) to test --launch"
)
def test_real_launch(tmp_path, capsys):
    from comfyreel.cli import main

    graph = tmp_path / "g.json"
    graph.write_text(_graph().to_json())
    argv = [
        "run",
        str(graph),
        "--launch",
        os.environ["COMFYUI_DIR"],
        "--profile",
        "default",
        "--launch-flag=--cpu",
        "--out",
        str(tmp_path / "runs"),
    ]
    if os.environ.get("COMFYUI_PYTHON"):
        argv += ["--launch-python", os.environ["COMFYUI_PYTHON"]]
    assert main(argv) == 0, capsys.readouterr().err


@needs_url
def test_real_text_preview_is_recorded_not_missing(tmp_path):
    """SaveImage + PreviewAny (a text-only output node): success, the text in the manifest."""
    graph = Graph.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 11},
            },
            "2": {
                "class_type": "SaveImage",
                "inputs": {"images": ["1", 0], "filename_prefix": "comfyreel_pa"},
            },
            "4": {"class_type": "PrimitiveString", "inputs": {"value": "hello from comfyreel"}},
            "5": {"class_type": "PreviewAny", "inputs": {"source": ["4", 0]}},
        },
        source="preview.json",
    )
    result = run_graph(graph, server_url=URL, out_dir=tmp_path, options=RunOptions(timeout_s=120))
    assert [f.path for f in result.outputs] == ["outputs/2-0.png"]
    assert result.manifest.ui_outputs["5"] == {"text": ["hello from comfyreel"]}
