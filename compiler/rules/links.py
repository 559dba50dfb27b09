"""Rules about links: missing source node, missing output slot, type mismatch, and cycles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from comfyreel.compiler.graph import node_sort_key
from comfyreel.compiler.object_info import types_compatible
from comfyreel.compiler.rules.context import Context, Hit, NodeView, link_example


def _outputs(view: NodeView) -> str:
    if not view.schema.outputs:
        return f"{view.id} ({view.class_type}) has no outputs"
    slots = ", ".join(
        f"{i} {name}" if name == t else f"{i} {name} ({t})"
        for i, (name, t) in enumerate(zip(view.schema.output_names, view.schema.outputs, strict=True))
    )
    return f"outputs of {view.id} ({view.class_type}): {slots}"


def link_missing_node(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A link names a node id that is not in the graph."""
    for name, source, _index, _spec in view.links():
        if source in ctx.graph.nodes:
            continue
        others = [n for n in sorted(ctx.graph.nodes, key=node_sort_key) if n != view.id]
        fix = f"link to an existing node: {', '.join(others[:12])}" if others else "add the source node"
        yield Hit(view.id, name, f'links to node "{source}", which is not in the graph', fix)


def link_bad_slot(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A link names an output index the source node does not have."""
    for name, source, index, _spec in view.links():
        src = ctx.views.get(source)
        if src is None or 0 <= index < len(src.schema.outputs):
            continue
        yield Hit(
            view.id,
            name,
            f'links to output {index} of node "{source}" ({src.class_type}), which has '
            f"{len(src.schema.outputs)} output(s)",
            _outputs(src),
        )


def link_type(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A link's output type does not fit the input (``*`` and comma unions as ComfyUI allows)."""
    for name, source, index, spec in view.links():
        src = ctx.views.get(source)
        received = ctx.source_output(source, index)
        if spec is None or src is None or received is None:
            continue
        expected = "COMBO" if spec.is_combo else spec.link_type
        if types_compatible(received, expected):
            continue
        yield Hit(
            view.id,
            name,
            f'input {name!r} expects {expected} but ["{source}", {index}] '
            f"({src.class_type}) gives {received}",
            link_example(ctx, view, expected),
        )


def cycle(ctx: Context) -> Iterator[Hit]:
    """Links that form a loop; ComfyUI cannot order the nodes. Reported once, on the lowest node id."""
    if _acyclic(ctx.graph.nodes, ctx.links()):
        return  # the usual case: skip the component search
    edges: dict[str, list[str]] = {nid: [] for nid in ctx.graph.nodes}
    for node_id, _name, source, _index in ctx.links():
        if source in edges:
            edges[source].append(node_id)
    for component in _strong_components(edges):
        if len(component) == 1 and component[0] not in edges[component[0]]:
            continue
        members = sorted(component, key=node_sort_key)
        inside = set(members)
        links = [
            f'{dst}.{name} <- "{src}"'
            for dst, name, src, _i in ctx.links()
            if dst in inside and src in inside
        ]
        path = " -> ".join(f"{m}({ctx.graph.title(m)})" for m in members)
        yield Hit(
            members[0], None, f"nodes form a cycle: {path}", f"break one of these links: {', '.join(links)}"
        )


def _acyclic(nodes: dict[str, Any], links: list[tuple[str, str, str, int]]) -> bool:
    """Kahn's algorithm: True when every node can be ordered (no loop, no self-link)."""
    pending = dict.fromkeys(nodes, 0)
    downstream: dict[str, list[str]] = {}
    for node_id, _name, source, _index in links:
        if source in pending:
            pending[node_id] += 1
            if source in downstream:
                downstream[source].append(node_id)
            else:
                downstream[source] = [node_id]
    ready = [n for n, count in pending.items() if not count]
    done = 0
    while ready:
        done += 1
        for target in downstream.get(ready.pop(), ()):
            pending[target] -= 1
            if not pending[target]:
                ready.append(target)
    return done == len(pending)


def _strong_components(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (graphs can be deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = 0
    for root in sorted(edges, key=node_sort_key):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result
