"""Validate an API-format graph against an ``/object_info`` schema: run the rules, order the findings.

Findings are values, sorted by numeric node id (graph-level findings first), then registry order,
so CI diffs stay stable. :func:`ensure_valid` turns error findings into :class:`GraphInvalid`.
"""

from __future__ import annotations

from comfyreel.compiler.errors import GraphInvalid
from comfyreel.compiler.findings import Finding
from comfyreel.compiler.graph import Graph, node_sort_key
from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.rules import RULE_ORDER, RULES
from comfyreel.compiler.rules.context import Context

__all__ = ["counts", "ensure_valid", "validate_graph"]


def validate_graph(
    graph: Graph, schema: ObjectInfo, *, inventory: ModelInventory | None = None
) -> list[Finding]:
    """All findings for *graph*; *inventory* defaults to the recipe's list (``graph.meta["inventory"]``)."""
    if inventory is None and graph.meta.get("inventory"):
        inventory = ModelInventory.from_names(graph.meta["inventory"])
    ctx = Context.build(graph, schema, inventory)
    checked: dict[str, list] = {}  # per rule family: the views a pre-check could not clear
    findings: list[Finding] = []
    for rule in RULES:
        if rule.scope == "graph":
            hits = list(rule.check(ctx))
        else:
            views = checked.get(rule.family)
            if views is None:
                views = checked[rule.family] = ctx.checked_views(rule.family)
            if not views:
                continue
            hits = [hit for view in views for hit in rule.check(ctx, view)]
        for hit in hits:
            node = graph.nodes.get(hit.node_id) if hit.node_id is not None else None
            class_type = node.get("class_type") if isinstance(node, dict) else None
            findings.append(
                Finding(
                    rule=rule.id,
                    severity=rule.severity,
                    message=hit.message,
                    node_id=hit.node_id,
                    class_type=class_type if isinstance(class_type, str) else None,
                    title=graph.title(hit.node_id) if hit.node_id is not None else None,
                    input=hit.input,
                    fix=hit.fix,
                    source=graph.source,
                )
            )
    findings.sort(key=_order)
    return findings


def _order(f: Finding) -> tuple[tuple, int]:
    where = (-1,) if f.node_id is None else node_sort_key(f.node_id)
    return (where, RULE_ORDER[f.rule])


def counts(findings: list[Finding]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}``."""
    result = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        result[f.severity] = result.get(f.severity, 0) + 1
    return result


def ensure_valid(
    graph: Graph, schema: ObjectInfo, *, inventory: ModelInventory | None = None
) -> list[Finding]:
    """Raise :class:`GraphInvalid` if any finding is an error; otherwise return the warnings and infos."""
    findings = validate_graph(graph, schema, inventory=inventory)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        lines = "\n".join(f"  {f}" for f in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise GraphInvalid(
            f"graph has {len(errors)} error finding(s) against {schema.source}:\n{lines}{more}",
            findings=errors,
            anchor=graph.source,
        )
    return findings
