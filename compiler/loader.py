"""Recipe files (YAML or JSON) -> a checked ``Recipe``, or one ``RecipeError`` listing every problem.

Pydantic's ``ValidationError`` never leaves this module: each error becomes a problem naming
``file:line``, the field, the bad value and a legal value (unknown fields get "did you mean").
Duplicate keys, which YAML would silently collapse, are problems too. Under ``strict`` the
warnings (frames snapped to 8n+1, over a profile budget, ...) become problems.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from comfyreel.compiler.errors import InputError, RecipeError
from comfyreel.compiler.recipe import (
    Audio,
    CheckSettings,
    CheckTolerances,
    Control,
    ControlKind,
    FitName,
    Keyframe,
    LoraEntry,
    ModelFiles,
    ModelName,
    ProfileName,
    Recipe,
    field_names,
)
from comfyreel.compiler.recipe_checks import Problem, check_recipe, dotted, safe_name
from pydantic import BaseModel, ValidationError

# the weights families and the graph keys they stand for (the *-t2v names stay valid)
MODEL_ALIASES = {
    "ltxv": "ltxv-t2v",
    "ltx2": "ltx2-t2v",
    "ltx2-distilled": "ltx2-t2v-distilled",
    "ltx23": "ltx23-t2v",
}

_TYPE_WORDS = {
    "string_type": "text (quote it in YAML)",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "model_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
    "finite_number": "a finite number",
}


_EXAMPLES = {
    "model": "model: ltx2-t2v",
    "prompt": 'prompt: "..."',
    "width": "width: 768",
    "height": "height: 768",
    "lora.name": "name: my-lora.safetensors",
}


@dataclass
class LoadedRecipe:
    """A recipe that passed every rule, plus where it came from."""

    recipe: Recipe
    source: str  # the path as given (or "<name>" for in-memory text)
    text: str
    sha256: str  # of the file bytes
    warnings: list[str] = field(default_factory=list)  # "file:line: message"
    frames: int = 1  # the resolved 8n+1 frame count
    base_dir: Path | None = None  # where a relative `template:` and media paths are looked up
    media: Any = None  # media_rules.Media: input files and their decoded facts (None: no media)
    variant: dict[str, Any] = field(default_factory=dict)  # "key" -> value set by --set / matrix
    suffix: str = ""  # "@seed=3,cfg=4" for a variant (see compiler.variants)

    @property
    def base_name(self) -> str:
        """The recipe's own name (``name:`` or the file stem), without a variant suffix."""
        return self.recipe.name or safe_name(Path(self.source).stem.removesuffix(".recipe"))

    @property
    def name(self) -> str:
        return self.base_name + self.suffix


#: Edits a variant makes to the parsed mapping: returns the new mapping, problems with the edits
#: themselves, and which field paths they set (path -> "--set seed=3", for messages).
Transform = Callable[[dict[str, Any]], tuple[dict[str, Any], list[Problem], Mapping[tuple[Any, ...], str]]]


def load_recipe(path: str | Path, *, strict: bool = False) -> LoadedRecipe:
    """Read and check the recipe file at *path*."""
    return _load(
        read_recipe_bytes(path), source=str(path), strict=strict, base_dir=Path(path).resolve().parent
    )


def read_recipe_bytes(path: str | Path) -> bytes:
    """The recipe file's bytes, or an InputError naming the file."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read recipe: {exc.strerror or exc}",
            anchor=str(path),
            hint="check the path; recipes are .yaml, .yml or .json files",
        ) from None


def load_recipe_text(
    text: str, *, source: str = "<recipe>", strict: bool = False, base_dir: str | Path | None = None
) -> LoadedRecipe:
    """Check recipe *text* held in memory (tests, benchmarks, tools that generate recipes)."""
    return _load(
        text.encode("utf-8"),
        source=source,
        strict=strict,
        base_dir=Path(base_dir) if base_dir is not None else None,
    )


def _load(
    raw: bytes, *, source: str, strict: bool, base_dir: Path | None, transform: Transform | None = None
) -> LoadedRecipe:
    try:
        return _load_checked(raw, source=source, strict=strict, base_dir=base_dir, transform=transform)
    except RecursionError:  # parsing, line mapping or validation of absurdly nested data
        raise InputError(
            "recipe is nested too deeply to be a recipe", anchor=source, hint="see `comfyreel schema`"
        ) from None


def _load_checked(
    raw: bytes, *, source: str, strict: bool, base_dir: Path | None, transform: Transform | None = None
) -> LoadedRecipe:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"recipe is not UTF-8 text (byte {exc.start})", anchor=source) from None
    data, root, json_duplicates = _parse(text, source)
    lines: dict[tuple[Any, ...], int] | None = None
    duplicates: list[tuple[tuple[Any, ...], int]] = []
    if root is not None or json_duplicates:
        lines, duplicates = _key_lines(root if root is not None else _compose(text))
    problems = [
        Problem(
            path,
            None,
            f"duplicate key {dotted(path)!r}: keep one (YAML would silently use the last)",
            line=line,
        )
        for path, line in duplicates
    ]
    if not isinstance(data, dict):
        raise RecipeError(
            "a recipe must be a mapping of fields (model, prompt, width, ...)",
            anchor=source,
            hint="see `comfyreel schema` for every field",
            problems=[
                {
                    "field": "<recipe>",
                    "value": type(data).__name__,
                    "message": "not a mapping",
                    "fix": None,
                    "line": 1,
                }
            ],
        )
    origins: Mapping[tuple[Any, ...], str] = {}
    if transform is not None:
        data, edit_problems, origins = transform(data)
        problems += edit_problems
    if isinstance(data.get("model"), str) and data["model"] in MODEL_ALIASES:
        data = {**data, "model": MODEL_ALIASES[data["model"]]}  # family name -> its graph key
    recipe, type_problems = _validate(data)
    problems += type_problems
    skip = frozenset(str(p.path[0]) for p in type_problems if p.path)
    checked = check_recipe(data, skip=skip)
    problems += checked.problems
    warnings = checked.warnings
    media = None
    if recipe is not None and not problems and _has_media(recipe):
        from comfyreel.compiler.media_rules import check_media

        media, media_problems, media_warnings = check_media(recipe, base_dir, checked.frames or 1)
        problems += media_problems
        warnings += media_warnings
    if strict:
        problems += warnings
        warnings = []
    if lines is None and (problems or warnings):  # JSON: find lines only when something is reported
        lines, _ = _key_lines(_compose(text))
    for item in (*problems, *warnings):
        origin = _origin(item.path, origins)
        if origin is not None:  # a value the file does not hold: say where it came from
            item.message += f" (from {origin})"
        elif item.line is None:
            item.line = _line_for(item.path, lines or {})
    if problems or recipe is None:
        raise _recipe_error(source, problems)
    return LoadedRecipe(
        recipe=recipe,
        source=source,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        warnings=[f"{_where(source, w.line)}: {w.message}" for w in warnings],
        frames=checked.frames or 1,
        base_dir=base_dir,
        media=media,
    )


def _has_media(recipe: Recipe) -> bool:
    return bool(
        recipe.image
        or recipe.keyframes
        or recipe.control
        or recipe.audio
        or recipe.prompt_enhancer
        or recipe.image_strength is not None
        or recipe.fit is not None
        or any(lora.pass_ for lora in recipe.loras)
    )


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
# libyaml's composer recurses in C without a depth check (a segfault past ~50k levels). Every nesting
# level needs at least one of these indicator characters, so below this count the C loader is safe;
# above it the pure-Python loader is used, which raises RecursionError instead (a clean InputError).
_NESTING_CHARS = "[{-:?"
_C_LOADER_MAX_INDICATORS = 400


def _yaml_loader(text: str) -> Any:
    if sum(text.count(c) for c in _NESTING_CHARS) > _C_LOADER_MAX_INDICATORS:
        return yaml.SafeLoader
    return _YAML_LOADER


def _parse(text: str, source: str) -> tuple[Any, Any, bool]:
    """``(data, yaml_root_node or None, json_had_duplicate_keys)``; YAML is parsed once, with marks."""
    if source.lower().endswith(".json"):
        duplicated = False

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            nonlocal duplicated
            duplicated = duplicated or len({k for k, _ in items}) != len(items)
            return dict(items)

        try:
            return json.loads(text, object_pairs_hook=pairs), None, duplicated
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON: {exc.msg} (column {exc.colno})", anchor=f"{source}:{exc.lineno}"
            ) from None
        except ValueError as exc:  # e.g. an integer over Python's 4300-digit limit
            raise InputError(f"not valid JSON: {exc}", anchor=source) from None
    loader = _yaml_loader(text)(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            f"not valid YAML: {problem}",
            anchor=where,
            hint="check indentation and quote text containing ':' or '#'",
        ) from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # PyYAML's constructors raise plain exceptions for malformed tagged or implicit scalars
        # (`!!int 'abc'`, `2024-13-45`, `!!timestamp x`, a 5000-digit integer)
        raise InputError(
            f"not valid YAML: a value cannot be read ({type(exc).__name__}: {exc})",
            anchor=source,
            hint="quote text values; write numbers and dates plainly",
        ) from None
    finally:
        loader.dispose()
    return data, root, False


def _compose(text: str) -> Any:
    """The YAML node tree of *text* (JSON is YAML too), or None when PyYAML cannot read it."""
    try:
        return yaml.compose(text, Loader=_yaml_loader(text))
    except yaml.YAMLError:
        return None


def _key_lines(root: Any) -> tuple[dict[tuple[Any, ...], int], list[tuple[tuple[Any, ...], int]]]:
    """Map each field path to its 1-based line, and list duplicate keys (path, line)."""
    lines: dict[tuple[Any, ...], int] = {}
    duplicates: list[tuple[tuple[Any, ...], int]] = []

    visited: set[int] = set()

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if id(node) in visited:  # an alias: walked once already ("billion laughs" stays linear)
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                child = (*path, key)
                if key in seen:
                    duplicates.append((child, key_node.start_mark.line + 1))
                seen.add(key)
                lines.setdefault(child, key_node.start_mark.line + 1)
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.setdefault((*path, index), item.start_mark.line + 1)
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return lines, duplicates


def _origin(path: tuple[Any, ...], origins: Mapping[tuple[Any, ...], str]) -> str | None:
    for end in range(len(path), 0, -1):
        origin = origins.get(tuple(path[:end]))
        if origin is not None:
            return origin
    return None


def _line_for(path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    for end in range(len(path), 0, -1):  # the deepest known ancestor
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


def _validate(data: dict[str, Any]) -> tuple[Recipe | None, list[Problem]]:
    try:
        return Recipe.model_validate(data), []
    except ValidationError as exc:
        return None, [_translate(err, data) for err in exc.errors(include_url=False)]


def _model_at(path: tuple[Any, ...]) -> type[BaseModel]:
    if path[:1] == ("loras",) and len(path) >= 2:
        return LoraEntry
    if path[:1] == ("models",):
        return ModelFiles
    if path[:1] == ("keyframes",) and len(path) >= 2:
        return Keyframe
    if path[:1] == ("control",):
        return Control
    if path[:1] == ("audio",):
        return Audio
    if path[:2] == ("check", "tolerances"):
        return CheckTolerances
    if path[:1] == ("check",):
        return CheckSettings
    return Recipe


def _value_at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _translate(err: dict[str, Any], data: dict[str, Any]) -> Problem:
    """One pydantic error dict -> a Problem with our wording (the raw error never leaves)."""
    path = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    value = _value_at(data, path)
    if isinstance(value, (dict, list)):  # keep problems small (YAML aliases can nest deeply)
        value = shown = f"a {type(value).__name__} of {len(value)}"
    else:
        shown = repr(value)
    name = dotted(path)
    if kind == "extra_forbidden":
        known = field_names(_model_at(path[:-1]))
        guess = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}?" if guess else f"known fields: {', '.join(known)}"
        return Problem(path, value, f"unknown field {name!r}: {hint}", guess[0] if guess else None)
    if kind == "missing":
        key = str(path[-1])
        example = _EXAMPLES.get("lora." + key if path[:1] == ("loras",) else key, f"{key}: ...")
        return Problem(path, None, f"missing required field {name!r}: add `{example}`", example)
    if kind == "literal_error":
        literal = {"model": ModelName, "fit": FitName, "kind": ControlKind, "pass": Literal[1, 2]}
        choices = [str(c) for c in get_args(literal.get(str(path[-1]), ProfileName))]
        guess = _suggest(str(value), choices)
        tail = f": did you mean {guess[0]!r}?" if guess else ""
        return Problem(
            path,
            value,
            f"{name} {value!r} is not one of {', '.join(choices)}{tail}",
            guess[0] if guess else ", ".join(choices),
        )
    wanted = _TYPE_WORDS.get(kind)
    if wanted is not None:
        return Problem(path, value, f"{name} must be {wanted}, not {shown}")
    return Problem(path, value, f"{name}: {err.get('msg', 'invalid value')}")


def _suggest(value: str, choices: list[str]) -> list[str]:
    """The likeliest intended choice: the shortest one *value* starts, else the closest spelling."""
    prefixed = sorted((c for c in choices if c.startswith(value)), key=len)
    return prefixed[:1] or difflib.get_close_matches(value, choices, n=1, cutoff=0.4)


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source


def _recipe_error(source: str, problems: list[Problem]) -> RecipeError:
    problems = sorted(problems, key=lambda p: (p.line or 0, p.field))
    dicts = [p.to_dict() for p in problems]
    hint = "fix the fields above; `comfyreel schema` lists every field"
    if len(problems) == 1:
        only = problems[0]
        return RecipeError(only.message, anchor=_where(source, only.line), hint=hint, problems=dicts)
    body = "\n".join(f"  {_where(source, p.line)}: {p.message}" for p in problems)
    return RecipeError(
        f"{len(problems)} problems in recipe:\n{body}", anchor=source, hint=hint, problems=dicts
    )
