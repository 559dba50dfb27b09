"""Map a UI node's ``widgets_values`` to API input names, offline from an object_info node schema.

The ComfyUI frontend builds one widget per widget-type input, in the schema's ``input_order``
(required, then optional), and saves their values positionally. Extra values it stores that the
server never sees are skipped: the ``control_after_generate`` value after a seed-like INT and the
``upload`` value after an image/video/audio picker. A V3 dynamic combo
(``COMFY_DYNAMICCOMBO_V3``) is followed by the widgets of the selected option, sent as
``combo.sub`` keys.

Nested dynamic-combo options carry no ``input_order`` and the pinned snapshot stores them with
sorted keys, so their true order is unknown: those values are placed by best fit (type, range,
equality with the default, then the order the UI's sockets list them) and reported as such.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"})
DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
CONTROL_VALUES = frozenset({"fixed", "increment", "decrement", "randomize"})
UPLOAD_FLAGS = ("image_upload", "video_upload", "audio_upload", "upload")
UPLOAD_VALUES = frozenset({"image", "video", "audio"})
_BEST_FIT_MAX = 7  # 7! = 5040 orderings: cheap; beyond that keep the listed order


@dataclass
class WidgetMapping:
    """Widget values by API input name, plus what had to be guessed or defaulted."""

    values: dict[str, Any] = field(default_factory=dict)
    defaulted: list[str] = field(default_factory=list)
    best_fit: list[str] = field(default_factory=list)
    surplus: int = 0


def _opts(spec: Sequence[Any]) -> dict[str, Any]:
    return spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}


def is_widget(spec: Sequence[Any]) -> bool:
    """True when the frontend draws a widget (a stored value) for this input spec."""
    if not spec:
        return False
    if _opts(spec).get("forceInput"):
        return False
    kind = spec[0]
    return isinstance(kind, list) or kind in WIDGET_TYPES or kind == DYNAMIC_COMBO


def ordered_inputs(node_schema: Mapping[str, Any]) -> list[tuple[str, Sequence[Any]]]:
    """Required then optional inputs, in ``input_order`` when the schema has it."""
    groups = node_schema.get("input") or {}
    order = node_schema.get("input_order") or {}
    out: list[tuple[str, Sequence[Any]]] = []
    for group in ("required", "optional"):
        specs = groups.get(group) or {}
        names = [n for n in order.get(group, []) if n in specs] or list(specs)
        names += [n for n in specs if n not in names]
        out.extend((n, specs[n]) for n in names)
    return out


def _option_inputs(spec: Sequence[Any], key: Any) -> list[tuple[str, Sequence[Any]]] | None:
    for option in _opts(spec).get("options") or []:
        if isinstance(option, dict) and option.get("key") == key:
            return ordered_inputs({"input": option.get("inputs") or {}})
    return None


def _fits(value: Any, spec: Sequence[Any]) -> bool:
    kind, opts = spec[0], _opts(spec)
    if kind == "INT":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "FLOAT":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "BOOLEAN":
        return isinstance(value, bool)
    if kind == "STRING":
        return isinstance(value, str)
    if kind == "COMBO" or isinstance(kind, list):
        options = kind if isinstance(kind, list) else opts.get("options") or []
        return isinstance(value, str) and (not options or value in options)
    return True


def _score(value: Any, spec: Sequence[Any]) -> int:
    if not _fits(value, spec):
        return -1000
    opts, score = _opts(spec), 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = opts.get("min"), opts.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            score -= 100
    if "default" in opts and opts["default"] == value and type(opts["default"]) is type(value):
        score += 10
    return score


def _best_fit(
    values: list[Any], widgets: list[tuple[str, Sequence[Any]]], preferred: list[str]
) -> list[tuple[str, Sequence[Any]]]:
    """Order *widgets* so that *values* fit them best; ties keep the *preferred* order."""
    rank = {name: i for i, name in enumerate(preferred)}
    base = sorted(widgets, key=lambda w: rank.get(w[0], len(rank)))
    if len(base) > _BEST_FIT_MAX or len(values) < len(base):
        return base

    def total(order: tuple[tuple[str, Sequence[Any]], ...]) -> tuple[int, int]:
        fit = sum(_score(v, spec) for v, (_, spec) in zip(values, order, strict=False))
        moved = sum(1 for a, b in zip(order, base, strict=False) if a[0] != b[0])
        return fit, -moved

    return list(max(itertools.permutations(base), key=total))


class _Cursor:
    def __init__(self, values: Sequence[Any]) -> None:
        self.values, self.pos = list(values), 0

    def more(self) -> bool:
        return self.pos < len(self.values)

    def peek(self) -> Any:
        return self.values[self.pos]

    def take(self) -> Any:
        value = self.values[self.pos]
        self.pos += 1
        return value


def _skip_extras(cur: _Cursor, name: str, spec: Sequence[Any]) -> None:
    opts = _opts(spec)
    seed_like = spec[0] == "INT" and (
        opts.get("control_after_generate") or name.rsplit(".", 1)[-1] in ("seed", "noise_seed")
    )
    if seed_like and cur.more() and cur.peek() in CONTROL_VALUES:
        cur.take()
    if any(opts.get(flag) for flag in UPLOAD_FLAGS) and cur.more() and cur.peek() in UPLOAD_VALUES:
        cur.take()


def _map_into(
    out: WidgetMapping,
    cur: _Cursor,
    widgets: list[tuple[str, Sequence[Any]]],
    prefix: str,
    socket_order: list[str],
) -> None:
    for name, spec in widgets:
        key = prefix + name
        if not cur.more():
            if "default" in _opts(spec):
                out.values[key] = _opts(spec)["default"]
                out.defaulted.append(key)
            continue
        value = cur.take()
        out.values[key] = value
        _skip_extras(cur, key, spec)
        if spec[0] != DYNAMIC_COMBO:
            continue
        nested = [(n, s) for n, s in (_option_inputs(spec, value) or []) if is_widget(s)]
        if not nested:
            continue
        sub_prefix = key + "."
        preferred = [s[len(sub_prefix) :] for s in socket_order if s.startswith(sub_prefix)]
        window = cur.values[cur.pos : cur.pos + len(nested)]
        ordered = _best_fit(window, nested, preferred + [n for n, _ in nested])
        if len(nested) > 1:
            out.best_fit.extend(sub_prefix + n for n, _ in nested)
        _map_into(out, cur, ordered, sub_prefix, socket_order)


def map_widget_values(
    node_schema: Mapping[str, Any],
    widgets_values: Sequence[Any] | Mapping[str, Any] | None,
    socket_order: Sequence[str] = (),
) -> WidgetMapping:
    """Name the stored widget values of one node by its schema.

    *socket_order* lists the node's UI input names in the order the UI saved them; it breaks ties
    for nested dynamic-combo widgets whose order the schema does not give.
    """
    out = WidgetMapping()
    widgets = [(n, s) for n, s in ordered_inputs(node_schema) if is_widget(s)]
    if isinstance(widgets_values, Mapping):  # some custom nodes save {name: value}
        for name, spec in widgets:
            if name in widgets_values:
                out.values[name] = widgets_values[name]
            elif "default" in _opts(spec):
                out.values[name] = _opts(spec)["default"]
                out.defaulted.append(name)
        return out
    cur = _Cursor(widgets_values or [])
    _map_into(out, cur, widgets, "", list(socket_order))
    out.surplus = sum(1 for v in cur.values[cur.pos :] if v is not None)
    return out
