"""Rules of the `outputs` family: no-output and unused-node."""

from __future__ import annotations

from conftest import image_graph, one, only, run


def test_no_output_node(pinned) -> None:
    graph = image_graph()
    del graph["2"]
    finding = one(run(graph, pinned), "no-output")
    assert finding.severity == "error"
    assert finding.anchor() == "t.json"
    assert "no output node" in finding.message
    assert "SaveVideo" in finding.fix


def test_empty_graph(pinned) -> None:
    assert one(run({}, pinned), "no-output").message.startswith("the graph is empty")


def test_no_output_is_not_reported_when_a_node_is_unknown(pinned) -> None:
    graph = image_graph()
    graph["2"]["class_type"] = "MySaver"
    assert not only(run(graph, pinned), "no-output")


def test_unused_node_is_info(pinned) -> None:
    graph = image_graph()
    graph["9"] = {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}}
    finding = one(run(graph, pinned), "unused-node")
    assert finding.severity == "info"
    assert finding.anchor() == "t.json#9(ImageInvert)"
    assert "will not run" in finding.message
