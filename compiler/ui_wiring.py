"""Wire an imported UI workflow to the recipe context: the template ``import-template`` writes.

:func:`wire` takes the API graph :mod:`ui_import` converted and decides, input by input, which
literal becomes a context variable (templates/README.md lists them):

- ``prompt`` / ``negative_prompt``: the text of each text encoder whose CONDITIONING reaches an
  input named ``positive*`` / ``negative*``; when the text arrives by link (a ``Prompt`` primitive,
  the Gemma prompt enhancer, a switch), the string literal upstream that feeds it;
- ``seed``: the first-pass noise seed (``noise_seed`` / ``seed`` of the most upstream sampler, as the
  built-in templates do; a second pass keeps its own seed, listed as literal);
- ``width`` / ``height`` (and ``half_width`` / ``half_height`` for a half-size first pass),
  ``frames``, ``fps`` (FLOAT inputs) / ``fps_int`` (INT inputs), by input name and value;
- ``filename_prefix`` of the save nodes; user ``loras`` chained (``LoraLoaderModelOnly``, ids 901...)
  right after the model loader, as in the built-in templates.

``ComfyMathExpression`` (UI arithmetic, missing from ComfyUI 0.8.0) is folded into the values it
computes when its inputs are constants (``a * b + 1`` from Duration and Frame Rate primitives becomes
the frame count, ``a/2`` the half size), and the primitives left feeding nothing are dropped, so the
wired values reach the graph directly. Everything else stays literal and is listed as such.
"""

from __future__ import annotations

import ast
import copy
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from comfyreel.compiler.graph import Graph, is_link, node_sort_key
from comfyreel.compiler.ui_import import ImportResult

MATH = "ComfyMathExpression"
PRIMITIVES = frozenset({"PrimitiveInt", "PrimitiveFloat", "PrimitiveBoolean"})
STRING_SOURCES = ("PrimitiveStringMultiline", "PrimitiveString", "TextGenerateLTX2Prompt")
_ROLE_INPUTS = {
    "width": "width",
    "height": "height",
    "length": "frames",
    "frames_number": "frames",
    "num_frames": "frames",
    "frame_rate": "fps",
    "fps": "fps",
}
_SEED_INPUTS = ("noise_seed", "seed")
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


@dataclass(frozen=True)
class Wire:
    """One literal replaced by a context expression (``expr`` is the Jinja text printed there)."""

    node_id: str
    class_type: str
    input: str
    value: Any
    expr: str
    variable: str


@dataclass
class Wiring:
    """The graph to emit, what was wired, folded and left literal, and where LoRAs chain from."""

    graph: Graph
    wires: list[Wire] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    literal: list[tuple[str, str, str, Any]] = field(default_factory=list)  # node, class, input, value
    lora_source: list[Any] | None = None  # [node_id, slot] of the model loader's MODEL output
    lora_consumers: list[tuple[str, str]] = field(default_factory=list)


def _consumers(nodes: Mapping[str, dict[str, Any]]) -> dict[str, list[tuple[str, str, int]]]:
    found: dict[str, list[tuple[str, str, int]]] = {}
    for node_id, node in nodes.items():
        for name, value in (node.get("inputs") or {}).items():
            if is_link(value):
                found.setdefault(value[0], []).append((node_id, name, value[1]))
    return found


def _evaluate(expression: str, values: dict[str, Any]) -> Any:
    """A ComfyMathExpression formula over constants (arithmetic only); raises ValueError otherwise."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        raise ValueError(f"unsupported expression part {ast.dump(node)[:40]}")

    try:
        return ev(ast.parse(expression.strip(), mode="eval"))
    except (SyntaxError, ZeroDivisionError, TypeError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


def _constant(nodes: Mapping[str, dict[str, Any]], value: Any) -> tuple[bool, Any]:
    """(True, number) for a literal number or a link to a literal primitive."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True, value
    if is_link(value):
        source = nodes.get(value[0]) or {}
        inner = (source.get("inputs") or {}).get("value")
        if source.get("class_type") in PRIMITIVES and isinstance(inner, (int, float)):
            return True, inner
    return False, None


def _fold_math(nodes: dict[str, dict[str, Any]], folded: list[str]) -> None:
    """Replace links from constant ComfyMathExpression nodes by their values (FLOAT, INT, BOOLEAN)."""
    changed = True
    while changed:
        changed = False
        for node_id in sorted(nodes, key=node_sort_key):
            node = nodes[node_id]
            if node.get("class_type") != MATH:
                continue
            inputs = node.get("inputs") or {}
            values: dict[str, Any] = {}
            for name, raw in inputs.items():
                if name.startswith("values."):
                    ok, number = _constant(nodes, raw)
                    if not ok:
                        break
                    values[name.split(".", 1)[1]] = number
            else:
                try:
                    result = _evaluate(str(inputs.get("expression", "")), values)
                except ValueError:
                    continue
                outs = (float(result), int(result), bool(result))
                for target_id, name, slot in _consumers(nodes).get(node_id, []):
                    nodes[target_id]["inputs"][name] = outs[slot] if 0 <= slot < 3 else result
                del nodes[node_id]
                folded.append(f"{node_id} {MATH} {inputs.get('expression')!r} = {result:g}")
                changed = True


def _drop_dead_primitives(nodes: dict[str, dict[str, Any]], folded: list[str]) -> None:
    consumers = _consumers(nodes)
    for node_id in sorted(nodes, key=node_sort_key):
        if nodes[node_id].get("class_type") in PRIMITIVES and node_id not in consumers:
            folded.append(f"{node_id} {nodes[node_id]['class_type']} (fed only folded math)")
            del nodes[node_id]


class _Wirer:
    def __init__(self, result: ImportResult, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        nodes = copy.deepcopy(result.graph.nodes)
        self.folded: list[str] = []
        originally = set(nodes)
        _fold_math(nodes, self.folded)
        if len(nodes) != len(originally):
            _drop_dead_primitives(nodes, self.folded)
        self.nodes = nodes
        self.consumers = _consumers(nodes)
        self.wires: dict[tuple[str, str], Wire] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _set(self, node_id: str, name: str, variable: str, expr: str) -> None:
        node = self.nodes[node_id]
        self.wires[(node_id, name)] = Wire(
            node_id, str(node.get("class_type")), name, node["inputs"][name], expr, variable
        )

    def _output_types(self, node_id: str) -> list[str]:
        entry = self.schema.get(str(self.nodes[node_id].get("class_type"))) or {}
        return [str(t) for t in entry.get("output") or []]

    def _input_type(self, node_id: str, name: str) -> str:
        entry = self.schema.get(str(self.nodes[node_id].get("class_type"))) or {}
        for section in ("required", "optional"):
            spec = ((entry.get("input") or {}).get(section) or {}).get(name)
            if isinstance(spec, list) and spec:
                return str(spec[0])
        return ""

    def _downstream_ancestry(self, node_id: str) -> set[str]:
        seen, todo = set(), [node_id]
        while todo:
            for target, _, _ in self.consumers.get(todo.pop(), []):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    # -- roles -------------------------------------------------------------------------------------
    def numbers(self) -> None:
        """Size, frames and fps by input name (and, for primitives, the inputs they feed)."""
        found: list[tuple[str, str, str, Any]] = []  # node, input, role, value
        for node_id, node in self.nodes.items():
            inputs = node.get("inputs") or {}
            if node.get("class_type") in PRIMITIVES:
                roles = {
                    _ROLE_INPUTS.get(name.rsplit(".", 1)[-1])
                    for _, name, _ in self.consumers.get(node_id, [])
                }
                value = inputs.get("value")
                if len(roles) == 1 and None not in roles and _number(value):
                    found.append((node_id, "value", roles.pop(), value))
                continue
            for name, value in inputs.items():
                role = _ROLE_INPUTS.get(name.rsplit(".", 1)[-1])
                if role and _number(value):
                    found.append((node_id, name, role, value))
        tops = {
            role: max((v for _, _, r, v in found if r == role), default=None)
            for role in ("width", "height", "frames")
        }
        for node_id, name, role, value in found:
            if role in ("width", "height") and tops[role]:
                if value == tops[role]:
                    self._set(node_id, name, role, f"{{{{ {role} }}}}")
                elif value * 2 == tops[role]:
                    self._set(node_id, name, f"half_{role}", f"{{{{ half_{role} }}}}")
            elif role == "frames" and value == tops["frames"]:
                self._set(node_id, name, "frames", "{{ frames }}")
            elif role == "fps":
                kind = self.nodes[node_id].get("class_type")
                is_int = kind == "PrimitiveInt" or (
                    name != "value" and self._input_type(node_id, name) == "INT"
                )
                variable = "fps_int" if is_int else "fps"
                self._set(node_id, name, variable, f"{{{{ {variable} }}}}")

    def seeds(self) -> None:
        """The most upstream sampler's seed gets ``seed``; the others stay as the workflow has them."""
        candidates = [
            (node_id, name)
            for node_id, node in self.nodes.items()
            for name, value in (node.get("inputs") or {}).items()
            if name in _SEED_INPUTS and _number(value) and isinstance(value, int)
        ]
        if not candidates:
            return
        ordered = sorted(candidates, key=lambda c: node_sort_key(c[0]))
        best = max(ordered, key=lambda c: len(self._downstream_ancestry(c[0])))  # ties: lowest id
        self._set(best[0], best[1], "seed", "{{ seed }}")

    def prompts(self) -> None:
        for node_id in sorted(self.nodes, key=node_sort_key):
            node = self.nodes[node_id]
            if "text" not in (node.get("inputs") or {}) or "CONDITIONING" not in self._output_types(node_id):
                continue
            role = self._polarity(node_id)
            if role is None:
                continue
            variable = "prompt" if role == "positive" else "negative_prompt"
            target = self._text_source(node_id)
            if target is not None and target not in self.wires:
                self._set(*target, variable, f"{{{{ {variable} | tojson }}}}")

    def _polarity(self, node_id: str) -> str | None:
        todo, seen = [node_id], {node_id}
        for _ in range(4):  # a few hops: encoder -> LTXVConditioning -> guider
            nxt = []
            for current in todo:
                for target, name, _ in self.consumers.get(current, []):
                    for role in ("positive", "negative"):
                        if name.startswith(role):
                            return role
                    if target not in seen:
                        seen.add(target)
                        nxt.append(target)
            todo = nxt
        return None

    def _text_source(self, node_id: str) -> tuple[str, str] | None:
        text = self.nodes[node_id]["inputs"]["text"]
        if isinstance(text, str):
            return node_id, "text"
        todo, seen, fallback = [text[0]] if is_link(text) else [], set(), None
        while todo:
            current = todo.pop(0)
            if current in seen or current not in self.nodes:
                continue
            seen.add(current)
            node = self.nodes[current]
            inputs = node.get("inputs") or {}
            kind = node.get("class_type")
            for name in ("value", "prompt", "text"):
                if isinstance(inputs.get(name), str) and kind in STRING_SOURCES:
                    if kind != "TextGenerateLTX2Prompt":
                        return current, name
                    fallback = fallback or (current, name)
            todo.extend(v[0] for v in inputs.values() if is_link(v))
        return fallback

    def media(self) -> None:
        """Input files: one LoadImage takes ``image`` (or the first keyframe), several take
        ``keyframes[i]`` in id order; LoadVideo the ``control`` video, LoadAudio ``audio``. The
        workflow's file stays when the recipe gives none."""
        import json

        images = [n for n in sorted(self.nodes, key=node_sort_key) if self._literal(n, "LoadImage", "image")]
        for index, node_id in enumerate(images):
            lit = json.dumps(self.nodes[node_id]["inputs"]["image"])
            key = f"keyframes is defined and keyframes | length > {index}"
            alt = f"keyframes[{index}].name if {key} else {lit}"
            expr = (
                f"(image.name if image is defined and image else {alt})" if len(images) == 1 else f"({alt})"
            )
            self._set(
                node_id, "image", "image" if len(images) == 1 else "keyframes", f"{{{{ {expr} | tojson }}}}"
            )
        for kind, name, var, attr in (
            ("LoadVideo", "file", "control", "video"),
            ("LoadAudio", "audio", "audio", "name"),
        ):
            for node_id in sorted(self.nodes, key=node_sort_key):
                if self._literal(node_id, kind, name):
                    lit = json.dumps(self.nodes[node_id]["inputs"][name])
                    expr = f"({var}.{attr} if {var} is defined and {var} else {lit})"
                    self._set(node_id, name, var, f"{{{{ {expr} | tojson }}}}")

    def _literal(self, node_id: str, kind: str, name: str) -> bool:
        node = self.nodes[node_id]
        return node.get("class_type") == kind and isinstance((node.get("inputs") or {}).get(name), str)

    def outputs_and_loras(self, wiring: Wiring) -> None:
        for node_id, node in self.nodes.items():
            value = (node.get("inputs") or {}).get("filename_prefix")
            if isinstance(value, str):
                self._set(node_id, "filename_prefix", "filename_prefix", "{{ filename_prefix | tojson }}")
        loaders = [
            node_id
            for node_id in sorted(self.nodes, key=node_sort_key)
            if "MODEL" in self._output_types(node_id)
            and not any(
                self._input_type(node_id, n) == "MODEL" for n in self.nodes[node_id].get("inputs") or {}
            )
        ]
        if loaders:
            slot = self._output_types(loaders[0]).index("MODEL")
            wiring.lora_source = [loaders[0], slot]
            wiring.lora_consumers = [
                (target, name) for target, name, s in self.consumers.get(loaders[0], []) if s == slot
            ]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def wire(result: ImportResult, schema: Mapping[str, Any]) -> Wiring:
    """Decide what :func:`render_wired` prints as context variables (see the module docstring)."""
    from comfyreel.compiler.ui_import import _raw_schema

    wirer = _Wirer(result, _raw_schema(schema))
    wiring = Wiring(graph=Graph(wirer.nodes, source=result.graph.source), folded=wirer.folded)
    wirer.prompts()
    wirer.seeds()
    wirer.numbers()
    wirer.media()
    wirer.outputs_and_loras(wiring)
    wiring.wires = [wirer.wires[k] for k in sorted(wirer.wires, key=lambda k: (node_sort_key(k[0]), k[1]))]
    wired = set(wirer.wires)
    for node_id, node in wiring.graph:
        for name in sorted(node.get("inputs") or {}):
            value = node["inputs"][name]
            if (node_id, name) not in wired and not is_link(value):
                wiring.literal.append((node_id, str(node.get("class_type")), name, value))
    return wiring
