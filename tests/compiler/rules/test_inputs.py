"""Rules of the `inputs` family: missing, unknown, malformed links, literal-for-connection, value-type."""

from __future__ import annotations

import pytest
from comfyreel.compiler.errors import GraphInvalid
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.validate import ensure_valid
from conftest import image_graph, latent_graph, one, only, run


def test_missing_link_input_names_a_producer(pinned) -> None:
    graph = image_graph()
    del graph["2"]["inputs"]["images"]
    finding = one(run(graph, pinned), "missing-input")
    assert finding.severity == "error"
    assert finding.anchor() == "t.json#2(SaveImage):images"
    assert '["1", 0] (EmptyImage)' in finding.fix


def test_missing_widget_input_suggests_default(pinned) -> None:
    graph = image_graph()
    del graph["1"]["inputs"]["width"]
    finding = one(run(graph, pinned), "missing-input")
    assert finding.anchor() == "t.json#1(EmptyImage):width"
    assert finding.fix == 'add "width": 512 (the default)'


def test_optional_and_hidden_inputs_are_not_required(mini) -> None:
    graph = {
        "1": {"class_type": "Src", "inputs": {}},
        "2": {"class_type": "Sink", "inputs": {"images": ["1", 0]}},
    }
    assert run(graph, mini) == []


def test_unknown_input_is_a_warning_with_suggestion(pinned) -> None:
    findings = run(image_graph(widht=64), pinned)
    finding = one(findings, "unknown-input")
    assert finding.severity == "warning"
    assert finding.anchor() == "t.json#1(EmptyImage):widht"
    assert "'width'" in finding.fix
    assert ensure_valid(Graph.from_data(image_graph(widht=64), source="t.json"), pinned) == findings


def test_device_input_unknown_to_older_server_is_only_a_warning(pinned, mini) -> None:
    node = {
        "class_type": "LTXAVTextEncoderLoader",
        "inputs": {"text_encoder": "g.safetensors", "ckpt_name": "c.safetensors", "device": "default"},
    }
    older = one(run({"1": node}, mini), "unknown-input")
    assert older.input == "device" and "--server URL" in older.fix
    del node["inputs"]["device"]
    newer = one(run({"1": node}, pinned), "missing-input")  # 0.27.0 requires it
    assert newer.input == "device" and '"default"' in newer.fix


@pytest.mark.parametrize(
    ("value", "fix"), [([1, 0], '["1", 0]'), (["1"], "string id"), (["1", "0"], '["1", 0]')]
)
def test_link_malformed(pinned, value, fix) -> None:
    graph = image_graph()
    graph["2"]["inputs"]["images"] = value
    finding = one(run(graph, pinned), "link-malformed")
    assert finding.anchor() == "t.json#2(SaveImage):images"
    assert fix in finding.fix
    assert not only(run(graph, pinned), "literal-for-connection")


def test_literal_for_connection_only_type(pinned) -> None:
    graph = latent_graph()
    graph["3"]["inputs"]["samples"] = "latent.png"
    finding = one(run(graph, pinned), "literal-for-connection")
    assert finding.anchor() == "t.json#3(VAEDecode):samples"
    assert "LATENT" in finding.message
    assert '["1", 0] (EmptyLTXVLatentVideo)' in finding.fix
    assert not only(run(graph, pinned), "value-type")


@pytest.mark.parametrize(
    ("node", "name", "value", "fix"),
    [
        ("1", "width", "64", "write 64 (a number, not a string)"),
        ("1", "width", "not-a-number", "use a JSON number (INT)"),
        ("1", "width", 64.0, "write 64"),
        ("1", "width", 64.5, "use an integer such as 64 or 65"),
        ("1", "width", True, "use a JSON number (INT)"),
        ("2", "filename_prefix", 5, 'write "5" (a string)'),
    ],
)
def test_value_type_errors(pinned, node, name, value, fix) -> None:
    graph = image_graph()
    graph[node]["inputs"][name] = value
    findings = run(graph, pinned)
    finding = one(findings, "value-type")
    assert finding.input == name and finding.fix == fix
    assert not only(findings, "value-min") and not only(findings, "value-max")  # no cascade


def test_value_type_boolean_and_float(pinned) -> None:
    graph = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}},
        "2": {
            "class_type": "CreateVideo",
            "inputs": {"images": ["1", 0], "fps": 24},
        },  # int for FLOAT is fine
        "3": {
            "class_type": "SaveVideo",
            "inputs": {"video": ["2", 0], "filename_prefix": "v", "format": "auto", "codec": "auto"},
        },
    }
    assert run(graph, pinned) == []
    graph["4"] = {
        "class_type": "LTXVScheduler",
        "inputs": {"steps": 20, "max_shift": 2.05, "base_shift": 0.95, "stretch": "true", "terminal": 0.1},
    }
    finding = one(run(graph, pinned), "value-type")
    assert finding.anchor() == "t.json#4(LTXVScheduler):stretch"
    assert finding.fix == "write true or false (JSON booleans)"


def test_union_of_primitives_accepts_each(mini) -> None:
    for value in (1, 1.5, "x", True):
        graph = {
            "1": {"class_type": "Src", "inputs": {}},
            "2": {"class_type": "Sink", "inputs": {"images": ["1", 0], "prim": value}},
        }
        assert run(graph, mini) == []
    graph["2"]["inputs"]["prim"] = {"a": 1}
    assert one(run(graph, mini), "value-type").input == "prim"


def test_ensure_valid_raises_with_error_findings(pinned) -> None:
    graph = Graph.from_data(image_graph(width="wide"), source="g.json")
    with pytest.raises(GraphInvalid) as info:
        ensure_valid(graph, pinned)
    assert [f.rule for f in info.value.findings] == ["value-type"]
    assert "g.json#1(EmptyImage):width" in info.value.message
    assert info.value.exit_code == 1
