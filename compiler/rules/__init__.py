"""The rule registry: ONE entry per rule (id, severity, one-line doc, function), in run order.

This tuple is the single source for ``comfyreel list-rules``, the docs and the finding order.
A ``node`` rule is called once per checkable node (well formed, known class) as ``fn(ctx, view)``;
a ``graph`` rule once per graph as ``fn(ctx)``. Both yield :class:`~.context.Hit` values, which
``comfyreel.compiler.validate`` turns into findings carrying the rule's id and severity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from comfyreel.compiler.findings import Severity
from comfyreel.compiler.rules import combos, inputs, links, nodes, outputs, ranges
from comfyreel.compiler.rules.context import Hit
from comfyreel.compiler.values import Frozen


class Rule(Frozen):
    """One registry entry: id, severity, one-line doc, the check function, its scope and family."""

    FIELDS = ("id", "severity", "doc", "check", "scope", "family")
    id: str
    severity: Severity
    doc: str
    check: Callable[..., Iterable[Hit]]
    scope: Literal["node", "graph"]
    family: str

    def __init__(
        self,
        id: str,
        severity: Severity,
        doc: str,
        check: Callable[..., Iterable[Hit]],
        scope: Literal["node", "graph"] = "node",
        family: str = "",
    ) -> None:
        self._set(id=id, severity=severity, doc=doc, check=check, scope=scope, family=family)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "family": self.family, "doc": self.doc}


def _rule(
    id: str,
    severity: Severity,
    doc: str,
    check: Callable[..., Iterable[Hit]],
    scope: Literal["node", "graph"] = "node",
) -> Rule:
    return Rule(id, severity, doc, check, scope, check.__module__.rsplit(".", 1)[-1])


RULES: tuple[Rule, ...] = (
    _rule(
        "malformed-node",
        "error",
        "node has no class_type, or its inputs are not an object",
        nodes.malformed_node,
        "graph",
    ),
    _rule(
        "unknown-node",
        "error",
        "class_type is not in /object_info (other rules skip the node)",
        nodes.unknown_node,
        "graph",
    ),
    _rule("missing-input", "error", "a required input is absent", inputs.missing_input),
    _rule(
        "unknown-input",
        "warning",
        "an input the schema does not list (the server ignores it)",
        inputs.unknown_input,
    ),
    _rule(
        "device-ignored",
        "warning",
        "a memory profile's text-encoder device the server's loader lacks (use --novram)",
        inputs.device_ignored,
    ),
    _rule(
        "link-malformed",
        "error",
        'a list value that is not a ["node_id", output_index] link',
        inputs.link_malformed,
    ),
    _rule(
        "literal-for-connection",
        "error",
        "a literal where only a link fits (MODEL, LATENT, IMAGE, ...)",
        inputs.literal_for_connection,
    ),
    _rule(
        "value-type",
        "error",
        "a literal of the wrong JSON type (INT, FLOAT, BOOLEAN, STRING, COMBO)",
        inputs.value_type,
    ),
    _rule(
        "link-missing-node", "error", "a link to a node id that is not in the graph", links.link_missing_node
    ),
    _rule(
        "link-bad-slot",
        "error",
        "a link to an output index the source node does not have",
        links.link_bad_slot,
    ),
    _rule(
        "link-type",
        "error",
        "the source output's type does not fit the input (* and unions allowed)",
        links.link_type,
    ),
    _rule("value-min", "error", "a number below the input's min", ranges.value_min),
    _rule("value-max", "error", "a number above the input's max", ranges.value_max),
    _rule(
        "value-step",
        "error",
        "an INT off its grid min + k*step (LTX frames 8n+1, sizes ÷32)",
        ranges.value_step,
    ),
    _rule("combo-value", "error", "a combo value that is not one of its options", combos.combo_value),
    _rule(
        "model-missing",
        "error",
        "a model file the model inventory (--models DIR / recipe) lacks",
        combos.model_missing,
    ),
    _rule(
        "model-unchecked",
        "info",
        "a model/input file the offline schema cannot check",
        combos.model_unchecked,
    ),
    _rule("cycle", "error", "links form a loop", links.cycle, "graph"),
    _rule(
        "no-output",
        "error",
        "the graph has no output node (SaveVideo, SaveImage, ...)",
        outputs.no_output,
        "graph",
    ),
    _rule(
        "unused-node",
        "info",
        "no output node depends on this node, so it never runs",
        outputs.unused_node,
        "graph",
    ),
)


def rules_markdown() -> str:
    """The registry as a Markdown table (for the README; generated, never hand-written)."""
    lines = ["| rule | severity | family | checks |", "|---|---|---|---|"]
    for r in RULES:
        doc = r.doc.replace("|", "\\|")
        lines.append(f"| `{r.id}` | {r.severity} | {r.family} | {doc} |")
    return "\n".join(lines) + "\n"


RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
RULE_ORDER: dict[str, int] = {r.id: i for i, r in enumerate(RULES)}

__all__ = ["RULES", "RULES_BY_ID", "RULE_ORDER", "Hit", "Rule", "rules_markdown"]
