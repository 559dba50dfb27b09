"""Rules about a node's inputs: missing, unknown, malformed links, literals where links belong, types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from comfyreel.compiler.graph import is_link
from comfyreel.compiler.rules.context import Context, Hit, NodeView, link_example, literal_type_ok, suggest


def missing_input(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A required input is absent."""
    for spec in view.specs.values():
        if not spec.required or spec.name in view.inputs:
            continue
        if "default" in spec.options:
            fix = f'add "{spec.name}": {json.dumps(spec.options["default"])} (the default)'
        elif spec.is_combo and spec.choices:
            fix = f'add "{spec.name}" with one of {_preview(spec.choices)}'
        elif not spec.accepts_literal:
            fix = link_example(ctx, view, spec.link_type)
        else:
            fix = f'add "{spec.name}" ({spec.type})'
        yield Hit(view.id, spec.name, f"required input {spec.name!r} ({spec.type}) is missing", fix)


def unknown_input(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """An input the schema does not list; a real server ignores it (older/newer ComfyUI?)."""
    hidden = {s.name for s in view.schema.inputs.values() if s.section == "hidden"}
    for name in view.inputs:
        if name in view.specs or name in hidden or _device_ignored(view):
            continue
        near = suggest(name, list(view.specs))
        fix = (
            f"did you mean {near}?"
            if near
            else (
                f"remove it, or validate against the server you run with --server URL ({ctx.schema.source} "
                "may be another ComfyUI version)"
            )
        )
        yield Hit(view.id, name, f"{view.class_type} has no input {name!r}; ComfyUI ignores it", fix)


def link_malformed(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A list value that is not a ``["node_id", output_index]`` link (ComfyUI reads every list as a link)."""
    for name, value in view.inputs.items():
        spec = view.specs.get(name)
        if not isinstance(value, list) or is_link(value) or spec is None:
            continue
        if spec.is_combo and spec.multiselect:
            continue
        fix = 'write links as ["<node_id>", <output_index>] (string id, integer index)'
        if len(value) == 2 and _intlike(value[0]) and _intlike(value[1]):
            fix = f'write ["{int(value[0])}", {int(value[1])}]'
        yield Hit(view.id, name, f"{json.dumps(value)} is not a valid link", fix)


def literal_for_connection(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A literal value for a connection-only type (MODEL, LATENT, IMAGE, ...)."""
    for name, value, spec in view.literals():
        if not spec.accepts_literal:
            yield Hit(
                view.id,
                name,
                f"{spec.type} input {name!r} needs a link from another node, got the literal {_short(value)}",
                link_example(ctx, view, spec.link_type),
            )


def value_type(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A literal of the wrong JSON type (INT needs an integer, BOOLEAN true/false, STRING a string)."""
    for name, value, spec in view.literals():
        if not spec.accepts_literal or literal_type_ok(spec, value):
            continue
        expected = "COMBO" if spec.is_combo else spec.type
        yield Hit(
            view.id,
            name,
            f"{expected} input {name!r} got {_kind(value)} {_short(value)}",
            _type_fix(expected, value),
        )


def _type_fix(expected: str, value: Any) -> str:
    types = set(expected.split(","))
    if types & {"INT", "FLOAT"} and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return f"use a JSON number ({expected})"
        if "INT" in types and number.is_integer():
            return f"write {int(number)} (a number, not a string)"
        return f"write {number} (a number, not a string)" if "FLOAT" in types else "use an integer"
    if "INT" in types and isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):  # NaN/Infinity: Python's json reads them
            return "use an integer"
        lo, hi = int(value // 1), int(-(-value // 1))
        return f"write {lo}" if lo == hi else f"use an integer such as {lo} or {hi}"
    if "BOOLEAN" in types:
        return "write true or false (JSON booleans)"
    if "STRING" in types:
        return f"write {json.dumps(str(value))} (a string)"
    if "INT" in types or "FLOAT" in types:
        return f"use a JSON number ({expected})"
    return "use one of the listed options (a string)"


def _intlike(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v.isdigit())


def _kind(value: Any) -> str:
    return (
        {
            bool: "a boolean",
            int: "an integer",
            float: "a float",
            str: "a string",
            list: "a list",
            dict: "an object",
        }.get(type(value), type(value).__name__)
        if value is not None
        else "null"
    )


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _preview(choices: tuple[Any, ...], n: int = 5) -> str:
    shown = ", ".join(json.dumps(c) for c in choices[:n])
    return f"[{shown}{', ...' if len(choices) > n else ''}]"


# text-encoder loaders whose `device` input a memory profile sets (0.27.0 has it, 0.8.0 does not)
DEVICE_LOADERS = ("LTXAVTextEncoderLoader",)


def _device_ignored(view: NodeView) -> bool:
    value = view.inputs.get("device")
    return view.class_type in DEVICE_LOADERS and value not in (None, "default") and "device" not in view.specs


def device_ignored(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """The profile's text encoder device (e.g. cpu) on a server whose loader has no `device` input."""
    if not _device_ignored(view):
        return
    value = view.inputs["device"]
    yield Hit(
        view.id,
        "device",
        f"{view.class_type} on this server ({ctx.schema.source}) has no `device` input, so `device: {value}` "
        "(the rtx4060-8gb profile's text encoder on the CPU) is ignored: Gemma loads on the GPU and the "
        "8 GB memory plan does not apply",
        "start ComfyUI with --novram (`comfyreel run --launch` adds it under the profile), or update to a "
        "ComfyUI whose loader has the input (0.27.0 has it)",
    )
