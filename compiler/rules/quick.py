"""A conservative pre-check per node: which node rules can possibly report anything for it.

Most nodes of a real graph are clean, and running every node rule on every node costs far more
than the one pass here. :func:`node_clean` answers from a plan compiled once per
:class:`NodeSchema` (static input specs, required names, one literal check per input with its
type set, range and choices folded in, the expected link type). A node it cannot clear simply goes
through the node rules as before, so findings (ids, messages, order) never depend on it: it may
only skip a rule for a node on which that rule is silent (``tests/compiler/rules/test_quick.py``
checks that against the rules on fuzzed graphs). A value missing from a combo list (model files,
in an offline schema) only sends its node through the combo rules. Nodes with V3 dynamic inputs
(whose live inputs depend on their values) are never pre-checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from comfyreel.compiler.graph import is_link
from comfyreel.compiler.object_info import (
    ANY,
    DYNAMIC_TYPES,
    MATCHTYPE,
    PRIMITIVE_TYPES,
    InputSpec,
    NodeSchema,
    types_compatible,
)

#: Exact Python types a literal of each primitive type may have (subclasses get the full rules).
_ALLOWED: dict[str, frozenset[type]] = {
    "INT": frozenset({int}),
    "FLOAT": frozenset({int, float}),
    "BOOLEAN": frozenset({bool}),
    "STRING": frozenset({str}),
    "COMBO": frozenset({str, int, float}),
}
_NUMBER = frozenset({int, float})
_COMPATIBLE: dict[tuple[str, str], bool] = {}


#: Verdicts of the pre-check, per node: which node rules must still look at it.
CLEAN, COMBO_RULES, ANY_RULE = 0, 1, 2
#: The rule family that may fire at COMBO_RULES (a value missing from a combo list: combo-value,
#: model-missing, model-unchecked).
COMBO_FAMILY = "combos"


class Plan:
    """What the pre-check needs of one node schema, compiled once."""

    __slots__ = ("link_types", "literal", "multiselect", "required", "specs")

    def __init__(
        self,
        specs: dict[str, InputSpec],
        required: tuple[str, ...],
        literal: dict[str, Callable[[Any], int] | None],
        link_types: dict[str, str],
        multiselect: frozenset[str],
    ) -> None:
        self.specs = specs  # the live inputs (hidden ones dropped), shared: do not mutate
        self.required = required
        #: per input: literal check -> CLEAN / COMBO_RULES / ANY_RULE (None: a literal is always wrong)
        self.literal = literal
        self.link_types = link_types  # per input: what a link into it must give ("COMBO" for combos)
        self.multiselect = multiselect  # combos that take a list of options


def plan_for(schema: NodeSchema) -> Plan | None:
    """The compiled plan of *schema* (built once, kept on the schema); None for dynamic nodes."""
    cache = schema.__dict__
    if "_quick_plan" not in cache:
        cache["_quick_plan"] = _build(schema)  # frozen dataclass: bypass __setattr__, like cached_property
    return cache["_quick_plan"]


def _build(schema: NodeSchema) -> Plan | None:
    specs = {n: s for n, s in schema.inputs.items() if s.section != "hidden"}
    if any(s.type in DYNAMIC_TYPES for s in specs.values()):
        return None
    return Plan(
        specs=specs,
        required=tuple(n for n, s in specs.items() if s.required),
        literal={n: _literal_plan(s) for n, s in specs.items()},
        link_types={n: "COMBO" if s.is_combo else s.link_type for n, s in specs.items()},
        multiselect=frozenset(n for n, s in specs.items() if s.is_combo and s.multiselect),
    )


def _literal_plan(spec: InputSpec) -> Callable[[Any], int] | None:
    if spec.is_combo:
        return _combo_check(spec)
    return _literal_check(spec) if spec.accepts_literal else None


def _combo_check(spec: InputSpec) -> Callable[[Any], int]:
    """0: a listed option; 1: a well-typed value not listed (only combo rules may fire); 2: bad type."""
    choices: Any = spec.choices or ()
    if all(isinstance(c, (str, int, float)) for c in choices):  # else keep the tuple (same `in` result)
        choices = frozenset(choices)
    allowed = _ALLOWED["COMBO"]

    def check_one(value: Any) -> int:
        if type(value) not in allowed:
            return ANY_RULE
        return CLEAN if value in choices else COMBO_RULES

    if not spec.multiselect:
        return check_one

    def check_multi(value: Any) -> int:
        if type(value) is list:
            return max(map(check_one, value), default=CLEAN)
        return check_one(value)

    return check_multi


def _literal_check(spec: InputSpec) -> Callable[[Any], int]:
    types = spec.types
    primitive = types & PRIMITIVE_TYPES
    allowed: frozenset[type] | None = None  # None: any literal type is accepted
    if ANY not in types and primitive:
        allowed = frozenset().union(*(_ALLOWED[t] for t in primitive))
    kind = "INT" if "INT" in types else ("FLOAT" if "FLOAT" in types else None)
    if kind is None:
        if allowed is None:
            return lambda value: CLEAN
        return lambda value: CLEAN if type(value) in allowed else ANY_RULE
    low, high, step = (_num(spec.options.get(k)) for k in ("min", "max", "step"))
    if not (isinstance(step, int) and step > 1 and kind == "INT"):
        step = None
    base = int(low) if low is not None else 0

    def check(value: Any) -> bool:
        kind_of = type(value)
        if allowed is not None and kind_of not in allowed:
            return False
        if kind_of not in _NUMBER:  # a string in an "INT,STRING" union: no range applies
            return kind_of is bool or not isinstance(value, (int, float))  # number subclasses: rules
        if low is not None and value < low:
            return False
        if high is not None and value > high:
            return False
        return step is None or kind_of is not int or (value - base) % step == 0

    return lambda value: CLEAN if check(value) else ANY_RULE


def _num(x: Any) -> Any:  # as the range rules read min/max/step
    return x if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _compatible(received: str, expected: str) -> bool:
    key = (received, expected)
    ok = _COMPATIBLE.get(key)
    if ok is None:
        if len(_COMPATIBLE) > 4096:
            _COMPATIBLE.clear()
        ok = _COMPATIBLE[key] = types_compatible(received, expected)
    return ok


def scan_node(
    plan: Plan,
    node_id: str,
    inputs: Mapping[str, Any],
    views: Mapping[str, Any],
    links: list[tuple[str, str, str, int]],
) -> int:
    """Which node rules can fire for a node with these *inputs* (*views*: the context's views).

    :data:`CLEAN`: none; :data:`COMBO_RULES`: only the combo family; :data:`ANY_RULE`: any of them.
    Appends the node's links to *links* on the way, as ``Graph.links()`` yields them.
    """
    verdict = CLEAN
    for name in plan.required:
        if name not in inputs:
            verdict = ANY_RULE
            break
    literal = plan.literal
    link_types = plan.link_types
    for name, value in inputs.items():
        if isinstance(value, list):
            if len(value) == 2 and type(value[0]) is str and type(value[1]) is int:
                source, index = value
                links.append((node_id, name, source, index))
                if verdict == ANY_RULE:
                    continue
                expected = link_types.get(name)
                src = views.get(source)
                if expected is None or src is None:
                    verdict = ANY_RULE  # unknown input, or a source that is missing/unchecked
                    continue
                outputs = src.schema.outputs
                if not 0 <= index < len(outputs):
                    verdict = ANY_RULE
                    continue
                received = outputs[index]
                if received == MATCHTYPE:
                    received = ANY
                if received != expected and not _compatible(received, expected):
                    verdict = ANY_RULE
                continue
            if is_link(value):  # str/int subclasses: still a link, let the rules judge it
                links.append((node_id, name, value[0], value[1]))
                verdict = ANY_RULE
                continue
            if verdict == ANY_RULE:
                continue
            if name not in plan.multiselect:
                verdict = ANY_RULE  # a list that is not a link
                continue
        elif verdict == ANY_RULE:
            continue
        check = literal.get(name, _UNKNOWN)
        if check is None or check is _UNKNOWN:
            verdict = ANY_RULE
            continue
        result = check(value)
        if result > verdict:
            verdict = result
    return verdict


def _unknown(value: Any) -> int:  # a marker: an input the schema does not list (or a hidden one)
    return ANY_RULE


_UNKNOWN = _unknown
