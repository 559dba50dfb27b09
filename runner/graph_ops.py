"""Graph-level helpers of a run: cache busting, seeds, output nodes, custom nodes, message -> event.

Pure functions on :class:`Graph` values and protocol messages; no IO.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from comfyreel.compiler.graph import Graph, is_link
from comfyreel.runner import protocol as p

BUST_INPUT = "comfyreel_cache_bust"
SEED_INPUTS = ("seed", "noise_seed")


def bust_cache(graph: Graph, token: str) -> Graph:
    """A copy whose root nodes (no link inputs) carry an extra input ``comfyreel_cache_bust: token``.

    ComfyUI caches a node's outputs by its input *signature*, which includes every input in the
    prompt (known or not) and the signatures of all ancestors; unknown inputs are ignored by
    validation and never passed to the node. Changing a root's signature therefore re-executes
    every node downstream: a real render, unlike ``POST /free`` (frees memory, keeps the cache) or a
    new ``filename_prefix`` (re-runs only the save node).
    """
    nodes = json.loads(json.dumps(graph.nodes))
    for node in nodes.values():
        inputs = node.setdefault("inputs", {})
        if isinstance(inputs, dict) and not any(is_link(v) for v in inputs.values()):
            inputs[BUST_INPUT] = token
    return Graph(nodes=nodes, source=graph.source, meta=dict(graph.meta))


def seeds_of(graph: Graph) -> dict[str, int]:
    return {
        f"{node_id}.{name}": value
        for node_id, node in graph
        for name, value in (node.get("inputs") or {}).items()
        if name in SEED_INPUTS and isinstance(value, int) and not isinstance(value, bool)
    }


def output_nodes(graph: Graph, schema: Any) -> list[str]:
    """Ids of the graph's output nodes according to *schema* (an ObjectInfo)."""
    found = []
    for node_id, node in graph:
        spec = schema.get(node.get("class_type"))
        if spec is not None and spec.output_node:
            found.append(node_id)
    return found


def custom_node_modules(raw: Mapping[str, Any]) -> list[str]:
    """``custom_nodes.<pack>`` of every node class a custom node pack registered (sorted, unique)."""
    modules = {
        ".".join(str(entry.get("python_module")).split(".")[:2])
        for entry in raw.values()
        if isinstance(entry, dict) and str(entry.get("python_module", "")).startswith("custom_nodes.")
    }
    return sorted(modules)


def emit_message(emit: Callable[..., None], msg: p.Message, prompt_id: str, graph: Graph) -> None:
    """Turn one websocket message of OUR prompt into a run event (others' messages are dropped)."""
    if p.message_prompt_id(msg) != prompt_id:
        return
    if isinstance(msg, p.ExecutionStart):
        emit("started", timestamp=msg.timestamp)
    elif isinstance(msg, p.ExecutionCached):
        emit("cached", nodes=list(msg.nodes))
    elif isinstance(msg, p.Executing) and msg.node is not None:
        node = graph.nodes.get(msg.node, {})
        emit("node", node=msg.node, class_type=node.get("class_type"), title=graph.title(msg.node))
    elif isinstance(msg, p.Progress):
        emit("progress", node=msg.node, value=msg.value, max=msg.max)
    elif isinstance(msg, p.Executed):
        emit("executed", node=msg.node)
    elif isinstance(msg, p.ExecutionSuccess):
        emit("ended", how="success", timestamp=msg.timestamp)
    elif isinstance(msg, p.ExecutionError):
        emit("ended", how="error", timestamp=msg.timestamp, node=msg.node_id)
    elif isinstance(msg, p.ExecutionInterrupted):
        emit("ended", how="interrupted", timestamp=msg.timestamp, node=msg.node_id)
