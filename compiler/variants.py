"""Recipe variants: ``--set key=value`` overrides and the ``matrix:`` block's cross product (pure, offline).

A setting names a recipe field by a dotted key (``seed``, ``models.checkpoint``, ``loras.0.strength``)
and gives one value (an override) or several (an axis: a ``matrix:`` entry, or ``--set seed=1..8``).
Values from the command line are typed like the recipe: a text field keeps the text as written,
any other field reads it as a YAML scalar (``3`` -> int, ``0.7`` -> float, ``true`` -> bool). Each
variant is the recipe mapping with its values written in, then loaded exactly like a file (every
rule, the same messages, with ``(from --set seed=3)`` where a value came from outside the file).

Expansion is deterministic: axes in matrix order, then the command line's; the first axis varies
slowest. A variant is named ``NAME@key=value,key=value`` (keys in that order, overrides included),
the name its run folder, golden folder and reports use.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import RecipeError, UsageError
from comfyreel.compiler.loader import LoadedRecipe, _load, _parse, read_recipe_bytes
from comfyreel.compiler.recipe_checks import Problem

MAX_VARIANTS = 10_000  # a typo like seed=1..100000000 must fail, not fill the disk
_KEY_PART = re.compile(r"^(?:[A-Za-z_$][A-Za-z0-9_$]*|\d+)$")
_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)$")
_PLAIN_TEXT = re.compile(r"^[A-Za-z0-9_.+-]{1,32}$")


@dataclass(frozen=True)
class Setting:
    """One dotted key with one value (an override) or several (an axis)."""

    key: str  # as shown in names: "loras.0.strength"
    path: tuple[str | int, ...]
    values: tuple[Any, ...]
    origin: str  # "--set" or "matrix"
    axis: bool


def parse_key(key: str, *, origin: str) -> tuple[str | int, ...]:
    """``"loras.0.strength"`` -> ``("loras", 0, "strength")``; UsageError naming the key otherwise."""
    parts = key.split(".")
    if not key or not all(_KEY_PART.match(p) for p in parts):
        raise UsageError(
            f"{origin} {key!r}: not a field key",
            hint="use a recipe field, dotted for nested ones: seed, models.checkpoint, loras.0.strength",
        )
    return tuple(int(p) if p.isdigit() else p for p in parts)


def parse_set(text: str) -> Setting:
    """One ``--set key=value`` (``key=A..B`` is an integer range, both ends included)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep:
        raise UsageError(f"--set {text!r}: expected key=value", hint="e.g. --set seed=7 or --set seed=1..8")
    path = parse_key(key, origin="--set")
    if _wants_text(path):
        return Setting(key, path, (raw,), "--set", False)
    match = _RANGE.match(raw.strip())
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if high < low:
            raise UsageError(f"--set {text}: empty range", hint=f"write {key}={high}..{low}")
        if high - low >= MAX_VARIANTS:
            raise UsageError(f"--set {text}: more than {MAX_VARIANTS} values", hint="narrow the range")
        return Setting(key, path, tuple(range(low, high + 1)), "--set", True)
    return Setting(key, path, (_scalar(raw),), "--set", False)


def format_value(value: Any) -> str:
    """A value as it appears in a variant name (short, file-name safe, stable)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and _PLAIN_TEXT.match(value):
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:20].rstrip("-")
    return f"{slug}~{hashlib.sha256(text.encode('utf-8')).hexdigest()[:6]}"


def variant_suffix(assignments: Sequence[tuple[str, Any]]) -> str:
    """``[("seed", 3), ("cfg", 4)]`` -> ``"@seed=3,cfg=4"`` (empty for no assignments)."""
    if not assignments:
        return ""
    return "@" + ",".join(f"{key}={format_value(value)}" for key, value in assignments)


def load_variants(
    path: str | Path, sets: Iterable[str | Setting] = (), *, strict: bool = False
) -> list[LoadedRecipe]:
    """Every variant of the recipe at *path* (one, unnamed, without matrix or --set), each fully checked."""
    source = str(path)
    raw = read_recipe_bytes(path)
    base_dir = Path(path).resolve().parent
    settings = [s if isinstance(s, Setting) else parse_set(s) for s in sets]
    matrix = _matrix(raw, source)
    if not matrix and not settings:
        return [_load(raw, source=source, strict=strict, base_dir=base_dir)]
    axes = _combine(matrix, settings)
    count = 1
    for setting in axes:
        count *= len(setting.values)
    if count > MAX_VARIANTS:
        raise UsageError(f"{count} variants: more than {MAX_VARIANTS}", anchor=source, hint="use fewer")
    variants: list[LoadedRecipe] = []
    seen: dict[str, tuple[Any, ...]] = {}
    for combo in itertools.product(*(s.values for s in axes)):
        assignments = list(zip(axes, combo, strict=True))
        loaded = _load(
            raw, source=source, strict=strict, base_dir=base_dir, transform=_transform(assignments)
        )
        loaded.variant = {s.key: v for s, v in assignments}
        loaded.suffix = variant_suffix([(s.key, v) for s, v in assignments])
        if loaded.suffix in seen:
            raise RecipeError(
                f"two variants would share the name {loaded.name!r}: {seen[loaded.suffix]} and {combo}",
                anchor=source,
                hint="give each value of an axis a distinct spelling",
            )
        seen[loaded.suffix] = combo
        variants.append(loaded)
    return variants


def _combine(matrix: list[Setting], settings: list[Setting]) -> list[Setting]:
    """Matrix axes, then --set in order; a --set of a matrix key replaces it in place."""
    out = list(matrix)
    for setting in settings:
        for index, existing in enumerate(out):
            if existing.path == setting.path:
                out[index] = setting
                break
        else:
            out.append(setting)
    return out


def _matrix(raw: bytes, source: str) -> list[Setting]:
    """The ``matrix:`` block's axes (file order); RecipeError naming the entry when malformed."""
    if b"matrix" not in raw:
        return []
    try:
        data, _, _ = _parse(raw.decode("utf-8"), source)
    except UnicodeDecodeError:
        return []  # the loader reports it
    block = data.get("matrix") if isinstance(data, dict) else None
    if block is None:
        return []
    if not isinstance(block, dict) or not block:
        raise _matrix_error(source, "matrix", "matrix must map field keys to lists of values")
    axes = []
    for key, values in block.items():
        where = f"matrix.{key}"
        if not isinstance(values, list) or not values:
            raise _matrix_error(source, where, f"{where} must be a non-empty list of values")
        try:
            path = parse_key(str(key), origin="matrix key")
        except UsageError as exc:
            raise _matrix_error(source, where, exc.message) from None
        if path[0] == "matrix":
            raise _matrix_error(source, where, "a matrix cannot vary itself")
        axes.append(Setting(str(key), path, tuple(values), "matrix", True))
    return axes


def _matrix_error(source: str, field: str, message: str) -> RecipeError:
    return RecipeError(
        message,
        anchor=source,
        hint="e.g. matrix: {seed: [1, 2, 3], loras.0.strength: [0.4, 0.7]}",
        problems=[{"field": field, "value": None, "message": message, "fix": None, "line": None}],
    )


def _transform(assignments: list[tuple[Setting, Any]]) -> Any:
    def apply(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem], Mapping[tuple[Any, ...], str]]:
        data = copy.deepcopy(data)
        data.pop("matrix", None)
        problems: list[Problem] = []
        origins: dict[tuple[Any, ...], str] = {}
        for setting, value in assignments:
            label = f"{setting.origin} {setting.key}={format_value(value)}"
            origins[setting.path] = label
            problem = _assign(data, setting.path, copy.deepcopy(value))
            if problem is not None:
                problems.append(Problem(setting.path, value, problem))
        return data, problems, origins

    return apply


def _assign(data: Any, path: tuple[str | int, ...], value: Any) -> str | None:
    """Write *value* at *path* (creating mappings, or appending at index len); a message if impossible."""
    node = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        fresh: Any = value if last else ([] if isinstance(path[depth + 1], int) else {})
        if isinstance(part, int):
            if not isinstance(node, list):
                return f"{_dotted(path[:depth])} is not a list, so [{part}] cannot be set"
            if part > len(node):
                return f"{_dotted(path[:depth])} has {len(node)} entries: use an index up to {len(node)}"
            if part == len(node):
                node.append(fresh)
            elif last:
                node[part] = value
        else:
            if not isinstance(node, dict):
                return f"{_dotted(path[:depth]) or 'the recipe'} is not a mapping, so .{part} cannot be set"
            if last or node.get(part) is None:
                node[part] = fresh
        if not last:
            node = node[part]
    return None


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def _scalar(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text  # the recipe rules then say what type the field wants


def _wants_text(path: tuple[str | int, ...]) -> bool:
    """True when the field at *path* is text (its value is taken as written, never re-typed)."""
    from comfyreel.compiler.recipe import Recipe
    from pydantic import BaseModel

    annotation: Any = Recipe
    for part in path:
        if isinstance(part, int):
            args = [a for a in _leaves(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else Any
            continue
        models = [a for a in _leaves(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not models:
            return False
        fields = {info.alias or name: info for name, info in models[0].model_fields.items()}
        info = fields.get(part)
        if info is None:
            return False
        annotation = info.annotation
    leaves = [a for a in _leaves(annotation) if a is not type(None)]
    return bool(leaves) and all(a is str for a in leaves)


def _leaves(annotation: Any) -> list[Any]:
    """The plain types inside Optional/Union/list/Literal (Literal values count as their type)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return [type(v) for v in typing.get_args(annotation)]
    if origin is None:
        return [annotation]
    out: list[Any] = []
    for arg in typing.get_args(annotation):
        out += _leaves(arg)
    return out
