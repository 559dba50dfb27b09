"""Rules about whole nodes: malformed entries and unknown class types (which stop other rules)."""

from __future__ import annotations

from collections.abc import Iterator

from comfyreel.compiler.node_hints import hint_for, hint_text
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
        brought = _brought_by(ctx, class_type)
        if brought is not None:
            yield Hit(node_id, None, *_missing_for_recipe(ctx, class_type, brought, fix))
            continue
        yield Hit(node_id, None, f"unknown node class {class_type!r} (not in {ctx.schema.source})", fix)


def _brought_by(ctx: Context, class_type: str) -> str | None:
    """The recipe field that brought *class_type* into a compiled graph (``Graph.meta``), if known."""
    meta = ctx.graph.meta if isinstance(ctx.graph.meta, dict) else {}
    brought = meta.get("brought_by")
    return brought.get(class_type) if isinstance(brought, dict) else None


def _missing_for_recipe(ctx: Context, class_type: str, brought: str, fix: str) -> tuple[str, str]:
    """Message and fix for a class a recipe field brought in: the field, and the ComfyUI that has it."""
    hint = hint_for(class_type)
    if hint is not None and hint.kind == "core":
        message = (
            f"{class_type} is missing ({brought}): it needs a newer ComfyUI than this server's "
            f"({ctx.schema.source})"
        )
        where = [f"ComfyUI {hint.version} has it" if hint.version else "its first ComfyUI version is unknown"]
        if hint.schemas:
            where.append(f"pinned schemas listing it: {', '.join(hint.schemas)}")
        return message, f"{'; '.join(where)} (compiler/node_hints.py); update ComfyUI or drop `{brought}`"
    message = f"{class_type} is missing ({brought}): this server ({ctx.schema.source}) does not have it"
    return message, f"{fix}; or drop `{brought}`"
