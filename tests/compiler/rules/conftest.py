"""Helpers for the rule tests: the pinned schema, a tiny synthetic schema, and a runner."""

from __future__ import annotations

from typing import Any

import pytest
from comfyreel.compiler.findings import Finding
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.object_info import ObjectInfo

# A small hand-made schema for shapes the pinned snapshot has few of (unions, "*", V3 forms).
MINI = {
    "Src": {
        "input": {"required": {}},
        "output": ["IMAGE", "MASK", "*", "IMAGE,MASK", "COMBO", "STRING", "LATENT"],
        "output_name": ["image", "mask", "any", "union", "combo", "text", "latent"],
        "output_node": False,
    },
    "Sink": {
        "input": {
            "required": {"images": ["IMAGE", {}]},
            "optional": {
                "either": ["IMAGE,MASK", {}],
                "anything": ["*", {}],
                "mode": ["COMBO", {"options": ["fast", "slow"], "multiselect": False}],
                "tags": ["COMBO", {"options": ["a", "b", "c"], "multiselect": True}],
                "legacy": [["one", "two"], {}],
                "prim": ["INT,FLOAT,STRING,BOOLEAN", {}],
            },
            "hidden": {"prompt": "PROMPT", "unique_id": ["UNIQUE_ID"]},
        },
        "output": [],
        "output_node": True,
    },
    # ComfyUI 0.8.0's LTXAVTextEncoderLoader had no "device" input (0.27.0 added a required one).
    "LTXAVTextEncoderLoader": {
        "input": {
            "required": {
                "text_encoder": ["COMBO", {"options": []}],
                "ckpt_name": ["COMBO", {"options": []}],
            }
        },
        "output": ["CLIP"],
        "output_node": False,
    },
}


@pytest.fixture(scope="session")
def pinned() -> ObjectInfo:
    return ObjectInfo.pinned()


@pytest.fixture(scope="session")
def mini() -> ObjectInfo:
    return ObjectInfo.from_data(MINI, source="mini")


def run(
    nodes: dict[str, Any],
    schema: ObjectInfo,
    *,
    inventory: ModelInventory | None = None,
    meta: dict[str, Any] | None = None,
) -> list[Finding]:
    from comfyreel.compiler.validate import validate_graph

    graph = Graph.from_data(nodes, source="t.json")
    graph.meta.update(meta or {})
    return validate_graph(graph, schema, inventory=inventory)


def only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def one(findings: list[Finding], rule: str) -> Finding:
    hits = only(findings, rule)
    assert len(hits) == 1, [str(f) for f in findings]
    return hits[0]


def image_graph(**empty_inputs: Any) -> dict[str, Any]:
    """EmptyImage -> SaveImage, the smallest valid graph of the pinned schema."""
    inputs = {"width": 64, "height": 64, "batch_size": 1, "color": 0, **empty_inputs}
    return {
        "1": {"class_type": "EmptyImage", "inputs": inputs},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "t"}},
    }


def latent_graph(**latent_inputs: Any) -> dict[str, Any]:
    """EmptyLTXVLatentVideo -> VAEDecode(VAELoader pixel_space) -> SaveImage."""
    inputs = {"width": 768, "height": 512, "length": 97, "batch_size": 1, **latent_inputs}
    return {
        "1": {"class_type": "EmptyLTXVLatentVideo", "inputs": inputs},
        "2": {"class_type": "VAELoader", "inputs": {"vae_name": "pixel_space"}},
        "3": {"class_type": "VAEDecode", "inputs": {"samples": ["1", 0], "vae": ["2", 0]}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "t"}},
    }
