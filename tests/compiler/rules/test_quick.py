"""The node pre-check (rules/quick.py) never changes a finding: fuzzed graphs, with it and without it."""

from __future__ import annotations

import copy
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from comfyreel.compiler import validate as validate_module
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.rules import context as context_module
from comfyreel.compiler.rules import quick
from conftest import image_graph, latent_graph

ROOT = Path(__file__).resolve().parents[3]
TRACES = ROOT / "tests" / "data" / "compiler" / "validation_errors.graph.json"


def _recipe_graphs() -> list[dict[str, Any]]:
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.loader import load_recipe

    return [compile_recipe(load_recipe(p)).nodes for p in sorted((ROOT / "recipes").glob("*.yaml"))]


def _mini_graph() -> dict[str, Any]:
    return {
        "1": {"class_type": "Src", "inputs": {}},
        "2": {
            "class_type": "Sink",
            "inputs": {
                "images": ["1", 0],
                "either": ["1", 3],
                "anything": ["1", 6],
                "mode": "fast",
                "tags": ["a", "c"],
                "legacy": "two",
                "prim": 3,
            },
        },
        "3": {"class_type": "LTXAVTextEncoderLoader", "inputs": {"text_encoder": "g.st", "ckpt_name": "c"}},
    }


ODD_VALUES: list[Any] = [
    0, 1, -1, 7, 8, 9, 32, 33, 96, 97, 10**9, -(10**9), 0.5, 1.0, -2.5, math.nan, math.inf, True, False,
    "", "x", "7", "fast", "a", "pixel_space", "euler", None, [], ["a"], ["a", "b"], ["1"], [1, 0],
    ["1", 0], ["1", 9], ["1", -1], ["999", 0], ["1", True], ["1", 0, 0], {"k": 1},
]  # fmt: skip


def _mutate(nodes: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    nodes = copy.deepcopy(nodes)
    ids = list(nodes)
    if not ids:
        return nodes
    for _ in range(rng.randint(1, 3)):
        node = nodes[rng.choice(ids)]
        inputs = node.get("inputs", {})
        roll = rng.random()
        if roll < 0.6 and inputs:
            name = rng.choice(list(inputs))
            old = inputs[name]
            value = rng.choice([*ODD_VALUES, [rng.choice(ids), rng.randint(-1, 3)]])
            if isinstance(old, (int, float)) and not isinstance(old, bool) and rng.random() < 0.5:
                value = old + rng.choice([-33, -8, -1, 1, 8, 32, 0.5])
            inputs[name] = value
        elif roll < 0.75 and inputs:
            del inputs[rng.choice(list(inputs))]
        elif roll < 0.85:
            inputs[rng.choice(["extra", "widht", "prompt", "unique_id"])] = rng.choice(ODD_VALUES)
        elif roll < 0.92:
            node["class_type"] = rng.choice(["Nope", "SaveImage", "VAEDecode", "EmptyImage", "Src", "Sink"])
        else:
            src = rng.choice(ids)  # a link back to itself or a loop
            if inputs:
                inputs[rng.choice(list(inputs))] = [src, 0]
    return nodes


def _findings(graph: Graph, schema, inventory) -> list[dict[str, Any]]:
    return [f.to_dict() for f in validate_module.validate_graph(graph, schema, inventory=inventory)]


def _compare(nodes: dict[str, Any], schema, inventory, monkeypatch) -> None:
    graph = Graph.from_data(nodes, source="fuzz.json")
    fast = _findings(graph, schema, inventory)
    with monkeypatch.context() as m:
        m.setattr(context_module, "scan_node", lambda *a: (quick.scan_node(*a), quick.ANY_RULE)[1])
        slow = _findings(graph, schema, inventory)
    assert fast == slow, json.dumps(nodes)[:2000]


@pytest.mark.parametrize("seed", range(4))
def test_pre_check_never_changes_findings_pinned(pinned, monkeypatch, seed) -> None:
    rng = random.Random(seed)
    bases = [*_recipe_graphs(), image_graph(), latent_graph(), *json.loads(TRACES.read_text()).values()]
    inventories = [None, ModelInventory.from_names(["checkpoints/ltx-video-2b-v0.9.safetensors"])]
    for base in bases:
        _compare(base, pinned, None, monkeypatch)
        for _ in range(40):
            _compare(_mutate(base, rng), pinned, rng.choice(inventories), monkeypatch)


def test_pre_check_never_changes_findings_mini(mini, monkeypatch) -> None:
    rng = random.Random(7)
    base = _mini_graph()
    _compare(base, mini, None, monkeypatch)
    for _ in range(400):
        _compare(_mutate(base, rng), mini, None, monkeypatch)


def test_verdicts_on_a_clean_graph(pinned) -> None:
    ctx = context_module.Context.build(Graph.from_data(latent_graph()), pinned, None)
    assert ctx.verdicts == {"1": quick.CLEAN, "2": quick.CLEAN, "3": quick.CLEAN, "4": quick.CLEAN}
    bad = latent_graph(length=96)
    bad["2"]["inputs"]["vae_name"] = "ltx.safetensors"  # not in the (empty) offline list
    ctx = context_module.Context.build(Graph.from_data(bad), pinned, None)
    assert ctx.verdicts["1"] == quick.ANY_RULE and ctx.verdicts["2"] == quick.COMBO_RULES
    assert [v.id for v in ctx.checked_views("combos")] == ["1", "2"]
    assert [v.id for v in ctx.checked_views("ranges")] == ["1"]
