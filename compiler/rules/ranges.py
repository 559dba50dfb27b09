"""Rules about numbers: min, max and step (legal values are ``min + k*step``, as ComfyUI defines them).

For EmptyLTXVLatentVideo that gives ``length = 8n+1`` (min 1, step 8) and width/height multiples
of 32 (min 64, step 32). The fix names the nearest legal values.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from comfyreel.compiler.rules.context import Context, Hit, NodeView, literal_type_ok


def _numbers(view: NodeView) -> Iterator[tuple[str, float, dict[str, Any], str]]:
    for name, value, spec in view.literals():
        kind = next((t for t in ("INT", "FLOAT") if t in spec.types), None)
        if kind is None or spec.is_combo or not literal_type_ok(spec, value):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield name, value, spec.options, kind


def _num(x: Any) -> float | None:
    return x if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def value_min(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A number below the input's min."""
    for name, value, opts, _kind in _numbers(view):
        low = _num(opts.get("min"))
        if low is not None and value < low:
            yield Hit(
                view.id, name, f"{_fmt(value)} is below the minimum {_fmt(low)}", f"use {_fmt(low)} or more"
            )


def value_max(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A number above the input's max."""
    for name, value, opts, _kind in _numbers(view):
        high = _num(opts.get("max"))
        if high is not None and value > high:
            yield Hit(
                view.id, name, f"{_fmt(value)} is above the maximum {_fmt(high)}", f"use {_fmt(high)} or less"
            )


def value_step(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """An INT off its step grid ``min + k*step`` (e.g. LTX frames 8n+1, sizes multiples of 32)."""
    for name, value, opts, kind in _numbers(view):
        step = _num(opts.get("step"))
        if kind != "INT" or not isinstance(value, int) or not isinstance(step, int) or step <= 1:
            continue
        low, high = _num(opts.get("min")), _num(opts.get("max"))
        if (low is not None and value < low) or (high is not None and value > high):
            continue  # value-min / value-max already report it
        base = int(low) if low is not None else 0
        if (value - base) % step == 0:
            continue
        below = base + (value - base) // step * step
        legal = [
            v for v in (below, below + step) if (low is None or v >= low) and (high is None or v <= high)
        ]
        rule = f"a multiple of {step}" if base % step == 0 else f"{step}n+{base % step}"
        yield Hit(
            view.id,
            name,
            f"{value} is not on the step grid: must be {rule} (min {base}, step {step})",
            f"use {' or '.join(str(v) for v in legal)}",
        )
