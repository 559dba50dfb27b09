"""Show an API-format graph as a ComfyScript program, with comfy-script's own transpiler, offline.

comfy-script (optional extra ``script``) ships ``WorkflowToScriptTranspiler``, which asks a live
server for ``/object_info`` in its constructor (``comfy_script.client.get_nodes_info``). We run it
offline by handing it the pinned (or given) schema through that same public function, swapped
for the duration of the call under a lock, so nothing is contacted. Two adjustments make the
pinned snapshot fit what the transpiler expects:

- each node's ``input`` groups are re-ordered by ``input_order`` (the snapshot's keys are sorted,
  and the transpiler turns inputs into positional arguments in dict order);
- V3 dotted sub-inputs (``resize_type.width``) have no place in its positional calls and are
  dropped from the program by the transpiler itself; the graph is unchanged.

comfy-script is imported only here and only when a script view is asked for.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from comfyreel.compiler.errors import InputError, MissingExtra
from comfyreel.compiler.graph import Graph

_LOCK = threading.Lock()


def _transpiler_module() -> Any:
    try:
        from comfy_script import transpile
    except ImportError as exc:  # comfy-script itself, or one of the transpiler's own imports
        raise MissingExtra("script view", "script", exc.name or "comfy_script") from None
    return transpile


def _ordered_group(group: Mapping[str, Any], order: list[str]) -> dict[str, Any]:
    names = [n for n in order if n in group] + [n for n in group if n not in order]
    return {n: group[n] for n in names}


def nodes_info_for(schema: Any, class_types: set[str]) -> dict[str, Any]:
    """The schema entries the transpiler needs, with inputs in the server's declared order."""
    from comfyreel.compiler.ui_import import _raw_schema

    raw = _raw_schema(schema)
    info: dict[str, Any] = {}
    for kind in sorted(class_types):
        if kind not in raw:
            raise InputError(
                f"node type {kind!r} is not in the object_info schema (the script view needs it)",
                hint="pass the object_info of the server this graph is for (--object-info FILE)",
            )
        entry = dict(raw[kind])
        order = entry.get("input_order") or {}
        entry["input"] = {
            group: _ordered_group(specs, list(order.get(group, [])))
            for group, specs in (entry.get("input") or {}).items()
        }
        info[kind] = entry
    return info


def _prompt(graph: Graph) -> dict[str, Any]:
    """The graph as the transpiler's API-prompt input (ids as strings, no ``_meta``)."""
    return {
        node_id: {"class_type": node.get("class_type"), "inputs": dict(node.get("inputs") or {})}
        for node_id, node in graph
    }


def graph_to_script(graph: Graph, schema: Any, *, runtime: bool = False) -> str:
    """ComfyScript program text for *graph*; *runtime* wraps it in ``with Workflow():``."""
    transpile = _transpiler_module()
    from comfy_script import client as cs_client

    prompt = _prompt(graph)
    info = nodes_info_for(schema, {str(n["class_type"]) for n in prompt.values()})
    with _LOCK:
        original = cs_client.get_nodes_info
        cs_client.get_nodes_info = lambda: info  # offline: no server is asked
        try:
            transpiler = transpile.WorkflowToScriptTranspiler(prompt)
        finally:
            cs_client.get_nodes_info = original
        script = transpiler.to_script(runtime=runtime)
    return _keep_output_nodes(script, info)


def _keep_output_nodes(script: str, info: Mapping[str, Any]) -> str:
    """The transpiler comments out calls whose results are unused; an output node's call is the point."""
    outputs = {class_id(kind) for kind, entry in info.items() if entry.get("output_node")}
    lines = []
    for line in script.splitlines(keepends=True):
        match = re.match(r"^(\s*)# ((?:[A-Za-z_0-9]+, )*[A-Za-z_0-9]+ = )?([A-Za-z_][A-Za-z_0-9]*)\(", line)
        if match and match.group(3) in outputs:
            line = match.group(1) + line[match.start(3) :]
        lines.append(line)
    return "".join(lines)


def class_id(class_type: str) -> str:
    """The Python name ComfyScript gives a node class (for checks on the program text)."""
    try:
        from comfy_script import astutil
    except ImportError:
        raise MissingExtra("script view", "script", "comfy_script") from None
    return str(astutil.str_to_class_id(class_type))


def names_every_node(graph: Graph, script: str) -> list[str]:
    """Class types of *graph* that the *script* never calls (empty when every node is named)."""
    missing = []
    for kind in sorted({str(n.get("class_type")) for _, n in graph}):
        if not re.search(rf"\b{re.escape(class_id(kind))}\(", script):
            missing.append(kind)
    return missing
