"""What every rule sees: the graph, the schema, per-node views, and small shared helpers.

The context is built once per validation. A node is *checkable* when it is well formed and its
class_type is in the schema; only checkable nodes get a :class:`NodeView`, so the malformed and
unknown nodes are reported once (by the ``nodes`` rules) and never cascade into other findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from comfyreel.compiler.graph import Graph, is_link, node_sort_key
from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.object_info import (
    ANY,
    PRIMITIVE_TYPES,
    InputSpec,
    NodeSchema,
    ObjectInfo,
    types_compatible,
)
from comfyreel.compiler.rules.quick import (
    ANY_RULE,
    COMBO_FAMILY,
    COMBO_RULES,
    Plan,
    plan_for,
    scan_node,
)
from comfyreel.compiler.values import Value


class Hit(NamedTuple):
    """A rule's raw result; ``validate`` turns it into a :class:`Finding` with the rule's id and severity."""

    node_id: str | None
    input: str | None
    message: str
    fix: str | None = None


class NodeView(Value):
    """A well-formed node of a known class, with its live input specs."""

    FIELDS = ("id", "class_type", "schema", "inputs", "specs")
    __slots__ = FIELDS

    def __init__(
        self,
        id: str,
        class_type: str,
        schema: NodeSchema,
        inputs: dict[str, Any],
        specs: dict[str, InputSpec],
    ) -> None:
        self.id = id
        self.class_type = class_type
        self.schema = schema
        self.inputs = inputs
        self.specs = specs

    def literals(self) -> Iterator[tuple[str, Any, InputSpec]]:
        """``(name, value, spec)`` for known inputs holding a literal (not a link, not a bad list)."""
        for name, value in self.inputs.items():
            spec = self.specs.get(name)
            if (spec is not None and not isinstance(value, list)) or (
                spec is not None and spec.is_combo and spec.multiselect and not is_link(value)
            ):
                yield name, value, spec

    def links(self) -> Iterator[tuple[str, str, int, InputSpec | None]]:
        for name, value in self.inputs.items():
            if is_link(value):
                yield name, value[0], value[1], self.specs.get(name)


class Context:
    """One validation's shared state: the graph, the schema, the views and the pre-check verdicts."""

    def __init__(self, graph: Graph, schema: ObjectInfo, inventory: ModelInventory | None = None) -> None:
        self.graph = graph
        self.schema = schema
        self.inventory = inventory
        self.views: dict[str, NodeView] = {}
        self.malformed: dict[str, tuple[str, str]] = {}  # id -> (message, fix)
        self.unknown: set[str] = set()
        #: the pre-check's verdict per view id (:mod:`.quick`: CLEAN, COMBO_RULES or ANY_RULE).
        self.verdicts: dict[str, int] = {}
        #: node ids in node order (as ``iter(graph)``)
        self.order: list[str] = []
        self._links: list[tuple[str, str, str, int]] | None = None

    @classmethod
    def build(cls, graph: Graph, schema: ObjectInfo, inventory: ModelInventory | None) -> Context:
        ctx = cls(graph=graph, schema=schema, inventory=inventory)
        nodes = graph.nodes
        links: list[tuple[str, str, str, int]] = []
        verdicts = ctx.verdicts
        ctx.order = order = sorted_ids(nodes)
        rows: list[tuple[str, dict[str, Any], Plan | None]] = []
        views = ctx.views
        for node_id in order:
            node = nodes[node_id]
            class_type = node.get("class_type") if type(node) is dict else None
            inputs = node.get("inputs") if type(class_type) is str and class_type else None
            if type(inputs) is not dict:  # the usual case is a plain dict with both keys
                problem = _malformed(node)
                if problem is not None:
                    ctx.malformed[node_id] = problem
                    inputs = node.get("inputs") if isinstance(node, dict) else None
                    if isinstance(inputs, dict):  # as Graph.links(): every node with an inputs object
                        rows.append((node_id, inputs, None))
                    continue
                class_type, inputs = node["class_type"], node["inputs"]
            node_schema = schema.get(class_type)
            if node_schema is None:
                ctx.unknown.add(node_id)
                rows.append((node_id, inputs, None))
                continue
            plan = plan_for(node_schema)
            specs = plan.specs if plan is not None else node_schema.live_inputs(inputs)
            views[node_id] = NodeView(node_id, class_type, node_schema, inputs, specs)
            rows.append((node_id, inputs, plan))
            if plan is None:
                verdicts[node_id] = ANY_RULE
        for node_id, inputs, plan in rows:  # after all views exist: links look at their sources
            if plan is not None:
                verdicts[node_id] = scan_node(plan, node_id, inputs, views, links)
                continue
            for name, value in inputs.items():
                if is_link(value):
                    links.append((node_id, name, value[0], value[1]))
        ctx._links = links
        return ctx

    def links(self) -> list[tuple[str, str, str, int]]:
        """``Graph.links()`` as a list, computed once: ``(node_id, input, source_id, output_index)``."""
        if self._links is None:
            self._links = list(self.graph.links())
        return self._links

    def checked_views(self, family: str) -> list[NodeView]:
        """The views the node rules of *family* must look at (in node order), per the pre-check."""
        least = COMBO_RULES if family == COMBO_FAMILY else ANY_RULE
        verdicts = self.verdicts
        return [v for v in self.views.values() if verdicts.get(v.id, ANY_RULE) >= least]

    def source_output(self, source_id: str, index: int) -> str | None:
        """Type of output *index* of node *source_id* (None if that node or slot does not exist)."""
        view = self.views.get(source_id)
        return view.schema.output_type(index) if view else None

    def producers(self, type_name: str, *, exclude: str | None = None, limit: int = 3) -> list[str]:
        """Up to *limit* existing outputs of *type_name*, written as links: ``["4", 0] (VAELoader)``."""
        found = []
        for view in self.views.values():
            if view.id == exclude:
                continue
            for index, out in enumerate(view.schema.outputs):
                if out != ANY and types_compatible(out, type_name):
                    label = view.schema.output_names[index]
                    label = view.class_type if label == out else f"{view.class_type} {label}"
                    found.append(f'["{view.id}", {index}] ({label})')
                    break
            if len(found) >= limit:
                break
        return found


def sorted_ids(nodes: dict[str, Any]) -> list[str]:
    """Node ids in :func:`node_sort_key` order (all-ASCII-digit ids, the usual case, sort by int)."""
    if all(k.isascii() and k.isdigit() for k in nodes):
        return sorted(nodes, key=int)
    return sorted(nodes, key=node_sort_key)


def link_example(ctx: Context, view: NodeView, type_name: str) -> str:
    """A fix text naming existing outputs of *type_name* in the graph."""
    found = ctx.producers(type_name, exclude=view.id)
    if found:
        return f"connect an output of type {type_name}, e.g. {', '.join(found)}"
    return f'connect an output of type {type_name} as ["<node_id>", <output_index>]'


def _malformed(node: Any) -> tuple[str, str] | None:
    if not isinstance(node, dict):
        return "node is not a JSON object", 'write {"class_type": "...", "inputs": {...}}'
    class_type = node.get("class_type")
    if class_type is None:
        return "node has no class_type", 'add "class_type": "<NodeClass>" (as listed by /object_info)'
    if not isinstance(class_type, str) or not class_type:
        return f"class_type must be a non-empty string, got {class_type!r}", "use the node class name"
    if "inputs" not in node:
        return "node has no inputs object", 'add "inputs": {} (even when the node takes none)'
    if not isinstance(node["inputs"], dict):
        return (
            f"inputs must be a JSON object, got {type(node['inputs']).__name__}",
            'write "inputs": {"name": value, ...}',
        )
    return None


def closest(word: str, candidates: list[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    import difflib  # only when there is something to suggest

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def suggest(word: str, candidates: list[str], n: int = 3, cutoff: float = 0.6) -> str | None:
    """``"'a' or 'b'"`` for a "did you mean" text, or None when nothing is close."""
    matches = closest(word, candidates, n, cutoff)
    return " or ".join(repr(m) for m in matches) if matches else None


_LITERAL_CHECKS = {
    "INT": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "FLOAT": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "BOOLEAN": lambda v: isinstance(v, bool),
    "STRING": lambda v: isinstance(v, str),
    "COMBO": lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
}


def literal_type_ok(spec: InputSpec, value: Any) -> bool:
    """Does a literal have a type the input accepts (INT is an int, FLOAT an int or float, ...)?"""
    if spec.is_combo:
        if isinstance(value, list) and spec.multiselect:
            return all(_LITERAL_CHECKS["COMBO"](v) for v in value)
        return _LITERAL_CHECKS["COMBO"](value)
    types = spec.types
    primitive = types & PRIMITIVE_TYPES
    if ANY in types or not primitive:
        return True  # wildcards and custom widget types are not ours to judge
    return any(_LITERAL_CHECKS[t](value) for t in primitive)
