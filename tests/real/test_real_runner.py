"""The runner against a real ComfyUI (set COMFYUI_URL, e.g. http://127.0.0.1:8188); skipped otherwise.

Only weight-free core nodes are used, so a CPU-only ComfyUI with no models is enough.
"""

from __future__ import annotations

import os

import pytest
from comfyreel.compiler.graph import Graph
from comfyreel.runner.errors import PromptRejected
from comfyreel.runner.session import RunOptions, run_graph

URL = os.environ.get("COMFYUI_URL")
pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not URL, reason="set COMFYUI_URL to a running ComfyUI to run the real-server tests"),
]


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


def test_real_success_with_bust_cache(tmp_path):
    options = RunOptions(timeout_s=120, silence_timeout_s=60, bust_cache=True)
    result = run_graph(_graph(), server_url=URL, out_dir=tmp_path, options=options)
    assert [f.path for f in result.outputs] == ["outputs/2-0.png", "outputs/2-1.png"]
    assert result.manifest.cached_nodes == []  # --bust-cache really executed every node
    again = run_graph(_graph(), server_url=URL, out_dir=tmp_path, options=RunOptions(timeout_s=120))
    assert again.outputs[0].sha256 == result.outputs[0].sha256


def test_real_rejection_findings(tmp_path):
    options = RunOptions(timeout_s=60, validate_online=False)
    with pytest.raises(PromptRejected) as info:
        run_graph(_graph(width=99999), server_url=URL, out_dir=tmp_path, options=options)
    assert info.value.findings[0].input == "width"
