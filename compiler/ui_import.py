"""Convert a ComfyUI UI-format workflow into an API-format :class:`Graph`, offline.

What the browser does on "Save (API)", from the saved workflow and an object_info schema:

- subgraphs (``definitions.subgraphs``, nested too) are flattened; an inner node's id is the path
  of instance ids, ``"92:48"``; subgraph inputs and outputs are wired through, and a value set on
  the instance (promoted widget) overrides the inner widget it feeds;
- ``Reroute`` passes its input through; a legacy ``PrimitiveNode`` folds its value into the
  widgets it feeds; the core ``PrimitiveInt``/``PrimitiveFloat``/... nodes are real nodes and stay;
- muted nodes (mode 2) are dropped with their links; bypassed nodes (mode 4) pass each output
  through to the input of the same type (same slot first);
- ``Note``/``MarkdownNote`` are dropped;
- widget values are named by the schema (see :mod:`comfyreel.compiler.ui_widgets`).

The result carries every literal input value (the ones a template author would turn into
parameters), the promoted subgraph knobs first, and notes on anything guessed or dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import InputError
from comfyreel.compiler.graph import Graph, node_sort_key
from comfyreel.compiler.ui_widgets import map_widget_values

UI_ONLY = frozenset({"Note", "MarkdownNote", "Reroute", "PrimitiveNode"})
MUTED, BYPASS = 2, 4
SUBGRAPH_IN, SUBGRAPH_OUT = -10, -20
_MAX_DEPTH = 32


@dataclass(frozen=True)
class LiteralValue:
    """One literal input of the converted graph; ``label`` is set for promoted subgraph knobs."""

    node_id: str
    class_type: str
    title: str
    input: str
    value: Any
    label: str | None = None


@dataclass
class ImportResult:
    """The converted graph, its literal values and notes on what was guessed or dropped."""

    graph: Graph
    literals: list[LiteralValue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Link:
    origin: int | str
    origin_slot: int
    target: int | str
    target_slot: int
    type: Any


@dataclass
class _Scope:
    """One level of the workflow: the top graph or one subgraph instance's contents."""

    nodes: dict[str, dict[str, Any]]
    links: dict[Any, _Link]
    prefix: str
    definition: dict[str, Any] | None = None
    parent: _Scope | None = None
    instance: dict[str, Any] | None = None
    # subgraph input name -> value set on the instance; (inner id, widget) -> promoted value
    input_values: dict[str, Any] = field(default_factory=dict)
    proxied: dict[tuple[str, str], Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    promoted: set[tuple[str, str]] = field(default_factory=set)


def _widget_type(kind: Any) -> bool:
    """True for a subgraph input type the UI draws as a widget (a stored value), not a socket."""
    return isinstance(kind, str) and kind.upper() in ("INT", "FLOAT", "STRING", "BOOLEAN", "COMBO")


def _nid(value: Any) -> str:
    return str(value)


def _parse_links(raw: Any, where: str) -> dict[Any, _Link]:
    links: dict[Any, _Link] = {}
    for item in raw or []:
        if isinstance(item, list) and len(item) >= 5:
            links[item[0]] = _Link(item[1], item[2], item[3], item[4], item[5] if len(item) > 5 else None)
        elif isinstance(item, dict) and "id" in item:
            links[item["id"]] = _Link(
                item.get("origin_id"),
                item.get("origin_slot", 0),
                item.get("target_id"),
                item.get("target_slot", 0),
                item.get("type"),
            )
        else:
            raise InputError(
                f"{where}: unreadable link entry {item!r}", hint="re-save the workflow in ComfyUI"
            )
    return links


def load_workflow(path: str | Path) -> dict[str, Any]:
    """Read a UI-format workflow file; refuse API-format graphs with a hint."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read workflow: {exc.strerror}", anchor=str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", anchor=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        hint = (
            "this already looks like an API-format graph: use it directly" if isinstance(data, dict) else None
        )
        raise InputError("not a UI-format workflow (no 'nodes' list)", anchor=str(path), hint=hint)
    return data


class _Importer:
    def __init__(self, workflow: dict[str, Any], schema: Mapping[str, Any], source: str | None) -> None:
        self.schema = schema
        self.source = source or "<workflow>"
        defs = (workflow.get("definitions") or {}).get("subgraphs") or []
        self.subgraphs = {d["id"]: d for d in defs if isinstance(d, dict) and "id" in d}
        self.result = ImportResult(graph=Graph(nodes={}, source=source))
        self.scopes: dict[str, _Scope] = {}
        self.top = _Scope(
            nodes={_nid(n["id"]): n for n in workflow.get("nodes", []) if isinstance(n, dict)},
            links=_parse_links(workflow.get("links"), self.source),
            prefix="",
        )

    # -- scopes ------------------------------------------------------------------------
    def _child(self, scope: _Scope, instance: dict[str, Any]) -> _Scope:
        key = f"{scope.prefix}{instance['id']}"
        if key in self.scopes:
            return self.scopes[key]
        definition = self.subgraphs[instance["type"]]
        prefix = f"{scope.prefix}{instance['id']}:"
        if prefix.count(":") > _MAX_DEPTH:
            raise InputError(f"subgraph {definition.get('name')!r} nests itself", anchor=self.source)
        child = _Scope(
            nodes={_nid(n["id"]): n for n in definition.get("nodes", []) if isinstance(n, dict)},
            links=_parse_links(definition.get("links"), f"{self.source}: subgraph {definition.get('name')}"),
            prefix=prefix,
            definition=definition,
            parent=scope,
            instance=instance,
        )
        self._instance_values(child)
        self.scopes[key] = child
        return child

    def _instance_values(self, child: _Scope) -> None:
        """Values the instance holds for its promoted widgets (two saved layouts exist)."""
        inst, definition = child.instance or {}, child.definition or {}
        values = inst.get("widgets_values") or []
        inst_inputs = {i.get("name"): i for i in inst.get("inputs") or []}
        for sub_in in definition.get("inputs") or []:
            outer = inst_inputs.get(sub_in.get("name"), {})
            child.labels[sub_in.get("name")] = outer.get("label") or sub_in.get("label") or sub_in.get("name")
        proxy = (inst.get("properties") or {}).get("proxyWidgets")
        if isinstance(proxy, list) and isinstance(values, list):
            for i, entry in enumerate(proxy):
                if not isinstance(entry, list) or len(entry) != 2:
                    continue
                if str(entry[0]) != "-1":
                    child.promoted.add((str(entry[0]), entry[1]))
                if i >= len(values) or values[i] is None:
                    continue
                if str(entry[0]) == "-1":
                    child.input_values[entry[1]] = values[i]
                else:
                    child.proxied[(str(entry[0]), entry[1])] = values[i]
        elif isinstance(values, list):  # older layouts: one value per subgraph input, or per widget
            sub_inputs = definition.get("inputs") or []
            every = [i.get("name") for i in sub_inputs]
            widgets = [i.get("name") for i in sub_inputs if _widget_type(i.get("type"))]
            if len(values) == len(widgets) and len(widgets) > 1:  # widget-type subgraph inputs, in order
                pairs = list(zip(widgets, values, strict=True))
            elif len(values) == len(every) and len(every) > 1:  # every subgraph input, in order
                pairs = list(zip(every, values, strict=True))
            else:
                widget_inputs = [i for i in inst.get("inputs") or [] if i.get("widget")]
                pairs = [(i["name"], v) for i, v in zip(widget_inputs, values, strict=False)]
            for name, value in pairs:
                if value is not None and name is not None:
                    child.input_values[name] = value

    def _is_subgraph(self, node: dict[str, Any]) -> bool:
        return node.get("type") in self.subgraphs

    # -- link resolution ---------------------------------------------------------------
    def resolve(self, scope: _Scope, link_id: Any, depth: int = 0) -> tuple[str, Any] | None:
        """Follow a UI link upstream to ``("link", [id, slot])``, ``("value", v)`` or None."""
        link = scope.links.get(link_id)
        if link is None or depth > 4 * _MAX_DEPTH:
            return None
        if link.origin == SUBGRAPH_IN:
            return self._from_subgraph_input(scope, link.origin_slot, depth)
        node = scope.nodes.get(_nid(link.origin))
        if node is None:
            return None
        mode, kind = node.get("mode", 0), node.get("type")
        if mode == MUTED:
            return None
        if mode == BYPASS:
            return self._bypass(scope, node, link, depth)
        if kind == "Reroute":
            first = (node.get("inputs") or [{}])[0]
            return self.resolve(scope, first.get("link"), depth + 1)
        if kind == "PrimitiveNode":
            values = node.get("widgets_values") or [None]
            return ("value", values[0]) if values[0] is not None else None
        if self._is_subgraph(node):
            child = self._child(scope, node)
            for inner_id, inner in child.links.items():
                if inner.target == SUBGRAPH_OUT and inner.target_slot == link.origin_slot:
                    return self.resolve(child, inner_id, depth + 1)
            return None
        return ("link", [scope.prefix + _nid(link.origin), link.origin_slot])

    def _from_subgraph_input(self, scope: _Scope, slot: int, depth: int) -> tuple[str, Any] | None:
        sub_inputs = (scope.definition or {}).get("inputs") or []
        if slot >= len(sub_inputs) or scope.parent is None:
            return None
        name = sub_inputs[slot].get("name")
        for outer in (scope.instance or {}).get("inputs") or []:
            if outer.get("name") == name and outer.get("link") is not None:
                return self.resolve(scope.parent, outer["link"], depth + 1)
        if name in scope.input_values:
            return ("value", scope.input_values[name])
        return None

    def _bypass(self, scope: _Scope, node: dict[str, Any], link: _Link, depth: int) -> tuple[str, Any] | None:
        outputs = node.get("outputs") or []
        out_type = outputs[link.origin_slot].get("type") if link.origin_slot < len(outputs) else link.type
        inputs = node.get("inputs") or []
        order = list(range(len(inputs)))
        if link.origin_slot < len(inputs):
            order.remove(link.origin_slot)
            order.insert(0, link.origin_slot)
        for i in order:
            inp = inputs[i]
            if inp.get("link") is not None and inp.get("type") in (out_type, "*"):
                return self.resolve(scope, inp["link"], depth + 1)
        return None

    # -- nodes -------------------------------------------------------------------------
    def walk(self, scope: _Scope) -> None:
        for local_id in sorted(scope.nodes, key=node_sort_key):
            node = scope.nodes[local_id]
            node_id, kind, mode = scope.prefix + local_id, node.get("type"), node.get("mode", 0)
            if mode in (MUTED, BYPASS):
                self.result.dropped.append(f"{node_id} {kind} ({'muted' if mode == MUTED else 'bypassed'})")
            elif kind in UI_ONLY:
                if kind in ("Note", "MarkdownNote"):
                    self.result.dropped.append(f"{node_id} {kind} (UI-only)")
            elif self._is_subgraph(node):
                self.walk(self._child(scope, node))
            else:
                self.convert(scope, local_id, node)

    def convert(self, scope: _Scope, local_id: str, node: dict[str, Any]) -> None:
        node_id, kind = scope.prefix + local_id, str(node.get("type"))
        node_schema = self.schema.get(kind)
        title = node.get("title") or (node_schema or {}).get("display_name") or kind
        ui_inputs = [i for i in node.get("inputs") or [] if isinstance(i, dict)]
        inputs: dict[str, Any] = {}
        literal_labels: dict[str, str] = {}
        if node_schema is None:
            self.result.notes.append(f"{node_id} {kind}: not in object_info; widget values not mapped")
        else:
            mapping = map_widget_values(
                node_schema, node.get("widgets_values"), [i.get("name") for i in ui_inputs]
            )
            inputs.update(mapping.values)
            for name in mapping.defaulted:
                self.result.notes.append(f"{node_id} {kind}.{name}: no saved value, object_info default used")
            if mapping.best_fit:
                self.result.notes.append(
                    f"{node_id} {kind}: {', '.join(mapping.best_fit)} placed by best fit "
                    "(the schema gives no order for dynamic-combo options); check them"
                )
            if mapping.surplus:
                self.result.notes.append(f"{node_id} {kind}: {mapping.surplus} extra widget value(s) ignored")
        for (inner_id, widget), value in scope.proxied.items():
            if inner_id == local_id and widget in inputs:
                inputs[widget] = value
        for inp in ui_inputs:
            name = inp.get("name")
            if not name or inp.get("link") is None:
                continue
            resolved = self.resolve(scope, inp["link"])
            if resolved is None:
                if not inp.get("widget"):
                    self.result.notes.append(
                        f"{node_id} {kind}.{name}: link leads nowhere (muted?); input left empty"
                    )
                continue
            inputs[name] = resolved[1]
            link = scope.links.get(inp["link"])
            if resolved[0] == "value" and link is not None and link.origin == SUBGRAPH_IN:
                sub_inputs = (scope.definition or {}).get("inputs") or []
                sub_name = (
                    sub_inputs[link.origin_slot].get("name") if link.origin_slot < len(sub_inputs) else name
                )
                literal_labels[name] = scope.labels.get(sub_name, sub_name)
        for name, link in self._promoted_targets(scope, local_id, ui_inputs).items():
            literal_labels.setdefault(name, link)
        for inner_id, widget in scope.promoted:
            if inner_id == local_id:
                literal_labels.setdefault(widget, widget)
        if node_schema is not None:
            self._numbers_from_text(node_id, kind, node_schema, inputs)
        self.result.graph.nodes[node_id] = {"class_type": kind, "inputs": inputs, "_meta": {"title": title}}
        for name in sorted(inputs):
            value = inputs[name]
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                continue
            self.result.literals.append(
                LiteralValue(node_id, kind, title, name, value, literal_labels.get(name))
            )

    def _numbers_from_text(
        self, node_id: str, kind: str, node_schema: Mapping[str, Any], inputs: dict[str, Any]
    ) -> None:
        """Subgraph instances may store numbers as text ("1280"); the server wants INT/FLOAT values."""
        specs = {**((node_schema.get("input") or {}).get("optional") or {})}
        specs.update((node_schema.get("input") or {}).get("required") or {})
        for name, value in inputs.items():
            spec = specs.get(name)
            if not isinstance(value, str) or not isinstance(spec, list) or spec[0] not in ("INT", "FLOAT"):
                continue
            try:
                number: int | float = int(value) if spec[0] == "INT" else float(value)
            except ValueError:
                continue
            inputs[name] = number
            self.result.notes.append(f"{node_id} {kind}.{name}: saved as text {value!r}, used as {number}")

    def _promoted_targets(
        self, scope: _Scope, local_id: str, ui_inputs: list[dict[str, Any]]
    ) -> dict[str, str]:
        """Inputs fed by an unconnected subgraph input keep their own value: still a promoted knob."""
        found: dict[str, str] = {}
        sub_inputs = (scope.definition or {}).get("inputs") or []
        for inp in ui_inputs:
            link = scope.links.get(inp.get("link"))
            if link is None or link.origin != SUBGRAPH_IN or link.origin_slot >= len(sub_inputs):
                continue
            sub_name = sub_inputs[link.origin_slot].get("name")
            if self._from_subgraph_input(scope, link.origin_slot, 0) is None:
                found[inp["name"]] = scope.labels.get(sub_name, sub_name)
        return found


def import_ui(workflow: dict[str, Any], schema: Any, *, source: str | None = None) -> ImportResult:
    """Convert a UI-format *workflow* offline with *schema* (an ObjectInfo or the raw object_info dict)."""
    if not isinstance(workflow, dict) or not isinstance(workflow.get("nodes"), list):
        raise InputError("not a UI-format workflow (no 'nodes' list)", anchor=source)
    importer = _Importer(workflow, _raw_schema(schema), source)
    importer.walk(importer.top)
    if not importer.result.graph.nodes:
        raise InputError("the workflow has no executable nodes", anchor=source)
    return importer.result


def _raw_schema(schema: Any) -> Mapping[str, Any]:
    """Accept an :class:`ObjectInfo` or a raw ``{class_type: spec}`` mapping (the JSON as loaded)."""
    from comfyreel.compiler.object_info import ObjectInfo

    if isinstance(schema, ObjectInfo):
        return schema.raw  # widget order needs the raw specs (input_order, nested options)
    if isinstance(schema, Mapping):
        return schema
    raise TypeError(f"unsupported schema object: {type(schema).__name__}")


def _short(value: Any, width: int = 70) -> str:
    text = json.dumps(value, ensure_ascii=False)
    text = text if len(text) <= width else text[: width - 3] + "..."
    return text.replace("#}", "# }").replace("{#", "{ #")


def closing_lines(result: ImportResult) -> list[str]:
    """The end of a template's header comment: the importer's notes and dropped nodes, then ``-#}``."""
    lines = []
    if result.notes:
        lines.append("  Notes:")
        lines.extend(f"    {_short(n, 200).strip(chr(34))}" for n in result.notes)
    if result.dropped:
        lines.append("  Dropped: " + "; ".join(result.dropped))
    return [*lines, "-#}"]


def render_template(result: ImportResult, *, origin: str | None = None) -> str:
    """The ``.json.j2`` text: a Jinja comment listing the literals to parametrise, then the API JSON."""
    lines = [f"{{#- comfyreel import-template from {origin or result.graph.source or 'a UI workflow'}"]
    lines.append("  API-format starting point; replace literals below with {{ recipe.* }} expressions.")
    knobs = [lit for lit in result.literals if lit.label]
    others = [lit for lit in result.literals if not lit.label]
    for heading, items in (
        ("Promoted by the workflow author (subgraph inputs):", knobs),
        ("Other literal values:", others),
    ):
        if items:
            lines.append(f"  {heading}")
            for lit in items:
                label = f"  [{lit.label}]" if lit.label else ""
                title = _short(lit.title, 40).strip('"')
                lines.append(f"    {lit.node_id} {title}.{lit.input} = {_short(lit.value)}{label}")
    lines.extend(closing_lines(result))
    body = result.graph.to_json()
    if any(tok in body for tok in ("{{", "{%", "{#")):
        body = "{% raw %}" + body.rstrip("\n") + "{% endraw %}\n"  # literal braces in prompts stay literal
    return "\n".join(lines) + "\n" + body
