"""Rules of the `nodes` family: malformed-node, unknown-node (and no cascades after them)."""

from __future__ import annotations

import pytest
from conftest import image_graph, one, run


def test_valid_graph_has_no_findings(pinned) -> None:
    assert run(image_graph(), pinned) == []


@pytest.mark.parametrize(
    ("node", "message", "fix"),
    [
        ({"inputs": {}}, "no class_type", '"class_type"'),
        ({"class_type": 7, "inputs": {}}, "non-empty string", "class name"),
        ({"class_type": "SaveImage"}, "no inputs", '"inputs": {}'),
        ({"class_type": "SaveImage", "inputs": ["1", 0]}, "inputs must be a JSON object", '"inputs"'),
    ],
)
def test_malformed_node(pinned, node, message, fix) -> None:
    graph = image_graph()
    graph["2"] = node
    finding = one(run(graph, pinned), "malformed-node")
    assert finding.severity == "error"
    assert finding.anchor().startswith("t.json#2(")
    assert message in finding.message
    assert fix in finding.fix


def test_unknown_node_suggests_close_name_and_stops_cascades(pinned) -> None:
    graph = image_graph()
    # Every other rule would fire on these inputs if the node were checked.
    graph["2"] = {"class_type": "SaveImag", "inputs": {"images": ["42", 9], "bogus": 1.5}}
    findings = run(graph, pinned)
    finding = one(findings, "unknown-node")
    assert finding.anchor() == "t.json#2(SaveImag)"
    assert "'SaveImage'" in finding.fix
    assert [f.rule for f in findings] == ["unknown-node"]  # no no-output, no link findings


def test_unknown_node_without_close_name_points_to_server(pinned) -> None:
    graph = image_graph()
    graph["3"] = {"class_type": "Zzqxv", "inputs": {}}
    finding = one(run(graph, pinned), "unknown-node")
    assert "--server URL" in finding.fix
    assert "pinned:object_info-0.27.0.json" in finding.message


def test_title_is_used_in_anchor(pinned) -> None:
    graph = image_graph()
    graph["2"]["_meta"] = {"title": "Final frames"}
    del graph["2"]["inputs"]["images"]
    assert one(run(graph, pinned), "missing-input").anchor() == "t.json#2(Final frames):images"


@pytest.mark.parametrize(
    ("class_type", "pack", "install"),
    [
        ("VHS_VideoCombine", "ComfyUI-VideoHelperSuite", "comfy node install comfyui-videohelpersuite"),
        (
            "LTXVLoopingSampler",
            "ComfyUI-LTXVideo",
            "git clone https://github.com/Lightricks/ComfyUI-LTXVideo",
        ),
    ],
)
def test_unknown_pack_node_names_pack_and_install(pinned, class_type, pack, install) -> None:
    graph = image_graph()
    graph["3"] = {"class_type": class_type, "inputs": {}}
    finding = one(run(graph, pinned), "unknown-node")
    assert pack in finding.fix
    assert install in finding.fix
    assert "restart ComfyUI" in finding.fix


@pytest.mark.parametrize(
    ("class_type", "version"), [("TextGenerateLTX2Prompt", "0.16.3"), ("GetICLoRAParameters", "0.22.0")]
)
def test_unknown_newer_core_node_names_the_comfyui_version(class_type, version) -> None:
    from comfyreel.compiler.object_info import ObjectInfo

    schema_080 = ObjectInfo.from_file(
        __import__("pathlib").Path(__file__).parents[3] / "compiler" / "data" / "object_info-0.8.0.json"
    )
    graph = image_graph()
    graph["3"] = {"class_type": class_type, "inputs": {}}
    finding = one(run(graph, schema_080), "unknown-node")
    assert f"core node of ComfyUI {version} or newer" in finding.fix
    assert "update ComfyUI" in finding.fix
