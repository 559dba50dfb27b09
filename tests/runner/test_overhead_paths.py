"""The render path without pydantic or Rich (issue 7): plain manifest JSON, byte-scanned custom nodes,
the live /object_info fetched in the background, plain progress lines off a terminal."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from comfyreel.fake.server import FakeComfyUI
from comfyreel.runner.graph_ops import custom_node_modules
from comfyreel.runner.live_schema import custom_node_packs
from comfyreel.runner.manifest import MANIFEST_NAME, Manifest
from comfyreel.runner.progress import LineReporter, reporter
from comfyreel.runner.session import RunOptions, run_graph
from runner_graphs import image_graph

FAST = dict(poll_s=0.2, fast_poll_s=0.1, lost_after_s=1.0, finish_grace_s=15.0, timeout_s=90.0)


@pytest.fixture
def fake(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.01) as server:
        yield server


@pytest.mark.parametrize("validate_online", [True, False])
def test_written_manifest_is_what_the_model_dumps(fake, tmp_path, validate_online):
    result = run_graph(
        image_graph(batch=2),
        server_url=fake.url,
        out_dir=tmp_path / "runs",
        options=RunOptions(**FAST, validate_online=validate_online),
    )
    written = json.loads((result.run_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert written == result.data
    model = Manifest.load(result.run_dir)
    assert model.model_dump(mode="json") == written  # same fields, order and defaults as the model
    assert model.object_info is not None and model.object_info.source == f"{fake.url}/object_info"
    assert [f.to_dict() for f in result.files] == [o.model_dump(mode="json") for o in result.outputs]
    assert model.timings.execution_s is not None and model.timings.nodes


def test_object_info_failure_without_validation_still_renders(fake, tmp_path):
    fake.faults.json_replace_routes = {"/object_info": lambda body: ["not", "a", "schema"]}
    events: list[dict] = []
    result = run_graph(
        image_graph(),
        server_url=fake.url,
        out_dir=tmp_path / "runs",
        options=RunOptions(**FAST, validate_online=False),
        on_event=events.append,
    )
    assert result.files and result.manifest.object_info is None
    assert any(e["event"] == "warning" and "/object_info" in e["message"] for e in events)


def test_validation_falls_back_to_the_full_schema_without_per_class_routes(fake, tmp_path):
    fake.faults.http_status_routes = {"/object_info/EmptyImage": 404, "/object_info/SaveImage": 404}
    result = run_graph(
        image_graph(), server_url=fake.url, out_dir=tmp_path / "runs", options=RunOptions(**FAST)
    )
    assert result.files and result.manifest.object_info is not None


def test_online_validation_reads_the_live_node_classes(fake, tmp_path):
    from comfyreel.compiler.errors import GraphInvalid
    from comfyreel.compiler.graph import Graph

    data = json.loads(image_graph().to_json())
    data["1"]["inputs"]["width"] = -5
    data["2"]["class_type"] = "NoSuchNode"
    graph = Graph.from_data(data, source="bad.json")
    with pytest.raises(GraphInvalid) as info:
        run_graph(graph, server_url=fake.url, out_dir=tmp_path / "runs", options=RunOptions(**FAST))
    rules = {f.rule for f in info.value.findings}
    assert len(rules) >= 2, rules  # the width and the unknown class, both from the live per-class reads


def test_custom_node_byte_scan_matches_the_parsed_scan():
    raw = {
        "A": {"python_module": "custom_nodes.ComfyUI-VideoHelperSuite.videohelpersuite.nodes"},
        "B": {"python_module": "custom_nodes.pack_b"},
        "C": {"python_module": "comfy_extras.nodes_video"},
        "D": {"python_module": "custom_nodes.ComfyUI-VideoHelperSuite"},
        "E": {"description": 'text with \\"python_module\\": \\"custom_nodes.fake\\"'},
        "F": {"python_module": "nodes"},
    }
    for data in (json.dumps(raw).encode(), json.dumps(raw, indent=1).encode()):
        assert (
            custom_node_packs(data)
            == custom_node_modules(raw)
            == [
                "custom_nodes.ComfyUI-VideoHelperSuite",
                "custom_nodes.pack_b",
            ]
        )


def test_line_reporter_and_choice():
    out = io.StringIO()
    rep = LineReporter(out, node_count=2)
    for e in (
        {"event": "submitted", "t": 0.0, "prompt_id": "p1", "nodes": 2},
        {"event": "node", "t": 0.1, "node": "1", "class_type": "EmptyImage"},
        {"event": "warning", "t": 0.2, "message": "careful"},
        {"event": "output", "t": 0.3, "path": "outputs/2-0.png", "size": 5},
        {"event": "done", "t": 0.4},
    ):
        rep(e)
    assert out.getvalue().splitlines() == [
        "submitted prompt p1 (2 nodes)",
        "[1/2] node 1 EmptyImage",
        "warning: careful",
        "output outputs/2-0.png (5 bytes)",
        "done in 0.40 s",
    ]
    assert isinstance(reporter(as_json=False), LineReporter)  # pytest's captured stderr is no terminal


def test_run_path_imports_neither_pydantic_nor_rich():
    code = (
        "import sys, comfyreel.runner.session, comfyreel.runner.progress, comfyreel.cli.run\n"
        "print(sorted(m for m in ('pydantic', 'rich', 'rich.progress') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
