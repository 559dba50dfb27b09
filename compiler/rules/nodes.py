"""Rules about whole nodes: malformed entries and unknown class types (which stop other rules)."""

from __future__ import annotations

from collections.abc import Iterator

from comfyreel.compiler.node_hints import hint_text
from comfyreel.compiler.rules.context import Context, Hit, suggest


def malformed_node(ctx: Context) -> Iterator[Hit]:
    """A node without class_type, or whose inputs are not an object."""
    for node_id, (message, fix) in ctx.malformed.items():
        yield Hit(node_id, None, message, fix)


def unknown_node(ctx: Context) -> Iterator[Hit]:
    """A class_type the server does not have (its other checks are skipped: no cascades).

    The fix names the ComfyUI version or custom pack that has the class (:mod:`..node_hints`),
    else the closest known class name.
    """
    names = None
    for node_id in sorted(ctx.unknown):
        class_type = ctx.graph.nodes[node_id]["class_type"]
        fix = hint_text(class_type)
        if fix is None:
            if names is None:
                names = list(ctx.schema)
            near = suggest(class_type, names, cutoff=0.75)
            fix = (
                f"did you mean {near}?"
                if near
                else "install the custom node pack that provides it, or validate with --server URL"
            )
        yield Hit(node_id, None, f"unknown node class {class_type!r} (not in {ctx.schema.source})", fix)
