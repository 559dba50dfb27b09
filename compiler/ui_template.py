"""Text of the template ``import-template`` writes: a header saying what is wired, folded and left
literal, then the API graph with context expressions in place of the wired literals.

Literal strings keep their ``{`` as the JSON escape ``\\u007b``, so text from the workflow never
becomes Jinja; the recipe's LoRAs are a ``{% for lora in loras %}`` chain of ``LoraLoaderModelOnly``
nodes (ids 901...) ending where the model loader's MODEL output went.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from comfyreel.compiler.graph import Graph
from comfyreel.compiler.ui_import import ImportResult, _short, closing_lines
from comfyreel.compiler.ui_wiring import Wiring

_WIRE = "\x00comfyreel-wire-{}\x00"
_BRACE = "\x00comfyreel-brace\x00"


def _escape_braces(value: Any) -> Any:
    """Hide ``{`` inside literal strings from Jinja (printed as the JSON escape ``\\u007b``)."""
    if isinstance(value, str):
        return value.replace("{", _BRACE)
    if isinstance(value, list):
        return [_escape_braces(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape_braces(v) for k, v in value.items()}
    return value


_LORA_CHAIN = (
    "{%- set ns = namespace(model=SOURCE) %}\n"
    "{%- for lora in loras %}\n"
    '  {{ lora.id | tojson }}: {"_meta": {"title": {{ lora.title | tojson }}}, '
    '"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": {{ lora.name | tojson }}, '
    '"model": {{ ns.model | tojson }}, "strength_model": {{ lora.strength }}}},\n'
    "{%- set ns.model = [lora.id, 0] %}\n"
    "{%- endfor %}\n"
)


def render_wired(wiring: Wiring) -> str:
    """The API JSON with each wire's expression in place of its literal, and the recipe LoRA chain."""
    nodes = {k: _escape_braces(v) for k, v in copy.deepcopy(wiring.graph.nodes).items()}
    exprs: list[str] = []
    for wire_ in wiring.wires:
        nodes[wire_.node_id]["inputs"][wire_.input] = _WIRE.format(len(exprs))
        exprs.append(wire_.expr)
    for target, name in wiring.lora_consumers:
        nodes[target]["inputs"][name] = _WIRE.format(len(exprs))
        exprs.append("{{ ns.model | tojson }}")
    body = Graph(nodes).to_json()
    for index, expr in enumerate(exprs):
        body = body.replace(json.dumps(_WIRE.format(index)), expr)
    body = body.replace(json.dumps(_BRACE)[1:-1], "\\u007b")
    if wiring.lora_source is not None:
        chain = _LORA_CHAIN.replace("SOURCE", json.dumps(wiring.lora_source))
        body = body[:2] + chain + body[2:]
    return body


def render_wired_template(result: ImportResult, wiring: Wiring, *, origin: str | None = None) -> str:
    """The ``.json.j2`` text: a Jinja comment saying what is wired, folded and literal, then the graph."""
    lines = [f"{{#- comfyreel import-template from {origin or result.graph.source or 'a UI workflow'}"]
    lines.append("  Wired to the recipe context (variables: templates/README.md); compile it with a recipe")
    lines.append("  whose `template:` names this file.")
    if wiring.wires:
        lines.append("  Wired (node input = workflow value -> context variable):")
        for w in wiring.wires:
            lines.append(f"    {w.node_id} {w.class_type}.{w.input} = {_short(w.value)} -> {w.variable}")
    if wiring.lora_source is not None:
        source = wiring.lora_source[0]
        kind = wiring.graph.nodes[source].get("class_type")
        lines.append(f"  LoRAs: the recipe's `loras` chain after {source} {kind} (MODEL), ids 901...")
    if wiring.folded:
        lines.append("  Folded (UI arithmetic computed here, primitives it alone used dropped):")
        lines.extend(f"    {_short(f, 200).strip(chr(34))}" for f in wiring.folded)
    if wiring.literal:
        lines.append("  Left literal (edit here, or wire by hand with a context variable):")
        for node_id, kind, name, value in wiring.literal:
            lines.append(f"    {node_id} {kind}.{name} = {_short(value)}")
    lines.extend(closing_lines(result))
    return "\n".join(lines) + "\n" + render_wired(wiring)
