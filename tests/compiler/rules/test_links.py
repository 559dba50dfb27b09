"""Rules of the `links` family: link-missing-node, link-bad-slot, link-type (with * and unions), cycle."""

from __future__ import annotations

import pytest
from conftest import image_graph, latent_graph, one, only, run


def test_link_to_missing_node(pinned) -> None:
    graph = image_graph()
    graph["2"]["inputs"]["images"] = ["42", 0]
    finding = one(run(graph, pinned), "link-missing-node")
    assert finding.severity == "error"
    assert finding.anchor() == "t.json#2(SaveImage):images"
    assert '"42"' in finding.message
    assert finding.fix == "link to an existing node: 1"


def test_link_to_missing_output_slot(pinned) -> None:
    graph = image_graph()
    graph["2"]["inputs"]["images"] = ["1", 5]
    finding = one(run(graph, pinned), "link-bad-slot")
    assert finding.anchor() == "t.json#2(SaveImage):images"
    assert "1 output(s)" in finding.message
    assert finding.fix == "outputs of 1 (EmptyImage): 0 IMAGE"
    assert not only(run(graph, pinned), "link-type")  # no cascade


def test_wrong_link_type_names_a_fitting_output(pinned) -> None:
    graph = latent_graph()
    graph["5"] = {
        "class_type": "EmptyImage",
        "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0},
    }
    graph["3"]["inputs"]["samples"] = ["5", 0]
    finding = one(run(graph, pinned), "link-type")
    assert finding.anchor() == "t.json#3(VAEDecode):samples"
    assert "expects LATENT" in finding.message and "gives IMAGE" in finding.message
    assert '["1", 0] (EmptyLTXVLatentVideo)' in finding.fix


@pytest.mark.parametrize(
    ("target", "slot", "ok"),
    [
        ("images", 0, True),  # IMAGE -> IMAGE
        ("images", 1, False),  # MASK -> IMAGE
        ("images", 2, True),  # * -> IMAGE
        ("images", 3, True),  # IMAGE,MASK -> IMAGE (unions overlap)
        ("either", 1, True),  # MASK -> IMAGE,MASK
        ("either", 6, False),  # LATENT -> IMAGE,MASK
        ("anything", 6, True),  # LATENT -> *
        ("mode", 4, True),  # COMBO -> V3 combo
        ("legacy", 4, True),  # COMBO -> V1 combo
        ("mode", 5, False),  # STRING -> combo
    ],
)
def test_link_type_wildcards_unions_and_combos(mini, target, slot, ok) -> None:
    graph = {
        "1": {"class_type": "Src", "inputs": {}},
        "2": {"class_type": "Sink", "inputs": {"images": ["1", 0], target: ["1", slot]}},
    }
    findings = only(run(graph, mini), "link-type")
    assert (findings == []) is ok, findings


def test_matchtype_switch_output_is_a_wildcard(pinned) -> None:
    graph = image_graph()
    graph["3"] = {
        "class_type": "ComfySwitchNode",
        "inputs": {"switch": True, "on_true": ["1", 0], "on_false": ["1", 0]},
    }
    graph["2"]["inputs"]["images"] = ["3", 0]
    assert run(graph, pinned) == []


def test_cycle_names_its_nodes(pinned) -> None:
    graph = {
        "1": {"class_type": "ImageInvert", "inputs": {"image": ["3", 0]}},
        "3": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "t"}},
    }
    findings = run(graph, pinned)
    finding = one(findings, "cycle")
    assert finding.severity == "error"
    assert finding.anchor() == "t.json#1(ImageInvert)"
    assert finding.message == "nodes form a cycle: 1(ImageInvert) -> 3(ImageInvert)"
    assert '1.image <- "3"' in finding.fix and '3.image <- "1"' in finding.fix


def test_self_loop_is_a_cycle(pinned) -> None:
    graph = {
        "7": {"class_type": "ImageInvert", "inputs": {"image": ["7", 0]}},
        "8": {"class_type": "SaveImage", "inputs": {"images": ["7", 0], "filename_prefix": "t"}},
    }
    assert one(run(graph, pinned), "cycle").node_id == "7"


def test_diamond_is_not_a_cycle(pinned) -> None:
    graph = image_graph()
    graph["3"] = {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}}
    graph["4"] = {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}}
    graph["5"] = {
        "class_type": "ImageBlend",
        "inputs": {"image1": ["3", 0], "image2": ["4", 0], "blend_factor": 0.5, "blend_mode": "normal"},
    }
    graph["2"]["inputs"]["images"] = ["5", 0]
    assert run(graph, pinned) == []
