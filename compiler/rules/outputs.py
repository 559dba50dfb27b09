"""Rules about the graph's outputs: at least one output node, and nodes no output uses."""

from __future__ import annotations

from collections.abc import Iterator

from comfyreel.compiler.rules.context import Context, Hit


def no_output(ctx: Context) -> Iterator[Hit]:
    """No output node (SaveVideo, SaveImage, PreviewImage, ...): ComfyUI rejects the prompt."""
    if ctx.malformed or ctx.unknown:
        return  # an unreadable or unknown node may well be the output: no cascade
    if any(v.schema.output_node for v in ctx.views.values()):
        return
    what = "the graph is empty" if not ctx.graph.nodes else "the graph has no output node"
    yield Hit(
        None,
        None,
        f"{what}; ComfyUI rejects it (prompt_no_outputs)",
        "add an output node such as SaveVideo or SaveImage fed by the final result",
    )


def unused_node(ctx: Context) -> Iterator[Hit]:
    """A node no output node depends on; ComfyUI never runs it."""
    roots = [nid for nid, v in ctx.views.items() if v.schema.output_node]
    if not roots:
        return
    roots += [*ctx.unknown, *ctx.malformed]  # they might be outputs: count their inputs as used
    upstream: dict[str, list[str]] = {}
    for node_id, _name, source, _index in ctx.links():
        upstream.setdefault(node_id, []).append(source)
    used, todo = set(roots), list(roots)
    while todo:
        for source in upstream.get(todo.pop(), ()):
            if source not in used:
                used.add(source)
                todo.append(source)
    for node_id in ctx.order or [n for n, _ in ctx.graph]:
        if node_id not in used and node_id in ctx.views:
            yield Hit(
                node_id,
                None,
                "no output node uses this node; ComfyUI will not run it",
                "connect it to the graph's outputs or remove it",
            )
