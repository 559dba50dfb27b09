"""CLI commands: ``compile`` (recipe -> validated API-format graph) and ``schema`` (the recipe JSON Schema).

``compile`` validates offline against the pinned ``/object_info`` by default, so it never emits a
silently wrong graph; warnings and findings go to stderr, the graph to stdout (or ``-o``).
``--check FILE`` compares with a committed graph: exit 0 when identical, 1 with a diff when stale.
Heavy modules (pydantic models, jinja2) are imported inside the command bodies.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from comfyreel.cli import Commands, add_command, add_set_option

DIFF_LINES = 40  # how much of a stale graph's diff --check prints


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "compile", compile_command)
    cmd.add_argument("recipe", type=Path, help="Recipe file (.yaml, .yml or .json).")
    cmd.add_argument(
        "--output", "-o", type=Path, help="Write the graph here instead of stdout (a folder for variants)."
    )
    cmd.add_argument(
        "--check",
        type=Path,
        help="Exit 1 with a diff if FILE differs from the compiled graph (a folder for variants).",
    )
    cmd.add_argument(
        "--strict", action="store_true", help="Treat recipe warnings (e.g. frames snapped to 8n+1) as errors."
    )
    cmd.add_argument(
        "--no-validate", action="store_true", help="Skip validation against the pinned /object_info."
    )
    cmd.add_argument(
        "--object-info",
        metavar="FILE",
        type=Path,
        help="Validate against this /object_info or `comfyreel snapshot` file (default: pinned).",
    )
    add_set_option(cmd)
    schema = add_command(commands, "schema", schema_command)
    schema.add_argument("--output", "-o", type=Path, help="Write the schema here instead of stdout.")


def compile_command(
    recipe: Path,
    output: Path | None = None,
    check: Path | None = None,
    strict: bool = False,
    no_validate: bool = False,
    object_info: Path | None = None,
    sets: list[str] | None = None,
) -> int:
    """Compile a recipe into a ComfyUI API-format graph (canonical JSON); variants: one file each."""
    from comfyreel.compiler.errors import UsageError
    from comfyreel.compiler.variants import load_variants

    if output is not None and check is not None:
        raise UsageError("use either --output or --check, not both")
    variants = load_variants(recipe, sets or [], strict=strict)
    if len(variants) > 1:
        folder = output or check
        if folder is None:
            raise UsageError(
                f"{recipe} has {len(variants)} variants: give -o FOLDER (one NAME@....json each)",
                hint="or pin one with --set, e.g. --set seed=3",
            )
        codes = [
            _compile_one(
                v,
                folder / f"{v.name}.json" if output else None,
                folder / f"{v.name}.json" if check else None,
                recipe,
                no_validate,
                object_info,
            )
            for v in variants
        ]
        return max(codes)
    return _compile_one(variants[0], output, check, recipe, no_validate, object_info)


def _compile_one(
    loaded: Any,
    output: Path | None,
    check: Path | None,
    recipe: Path,
    no_validate: bool,
    object_info: Path | None = None,
) -> int:
    from comfyreel.compiler.compile import compile_recipe

    graph = compile_recipe(loaded)
    for warning in loaded.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    for note in graph.meta.get("profile_notes", []):
        sys.stderr.write(f"note: {graph.meta['profile']}: {note}\n")
    if not no_validate:
        _validate(graph, object_info)
    text = graph.to_json()
    if check is not None:
        return _check(text, check, recipe)
    if output is not None:
        _write(output, text)
        sys.stderr.write(f"wrote {output} ({len(graph)} nodes, sha256 {graph.sha256()[:12]})\n")
    else:
        sys.stdout.write(text)
    return 0


def schema_command(output: Path | None = None) -> int:
    """Print the JSON Schema of a recipe file (for editor completion)."""
    import json

    from comfyreel.compiler.recipe import recipe_json_schema

    text = json.dumps(recipe_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if output is not None:
        _write(output, text)
    else:
        sys.stdout.write(text)
    return 0


def _validate(graph: object, object_info: Path | None = None) -> None:
    """Validate offline (pinned schema, or *object_info*); print findings; GraphInvalid on errors."""
    from comfyreel.compiler.errors import GraphInvalid
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.compiler.validate import ensure_valid

    try:
        schema = ObjectInfo.from_file(object_info) if object_info else ObjectInfo.pinned()
        findings = ensure_valid(graph, schema)  # type: ignore[arg-type]
    except GraphInvalid as exc:
        for finding in exc.findings:
            sys.stderr.write(f"{finding}\n")
        raise GraphInvalid(
            f"compiled graph has {len(exc.findings)} error finding(s); nothing was written",
            findings=exc.findings,
            anchor=exc.anchor,
        ) from None
    for finding in findings:
        if finding.severity == "warning":
            sys.stderr.write(f"{finding}\n")


def _check(text: str, committed: Path, recipe: Path) -> int:
    """0 when *committed* holds exactly *text*; 1 (with a unified diff summary) otherwise."""
    import difflib

    from comfyreel.compiler.errors import InputError

    try:
        old = committed.read_text(encoding="utf-8")
    except FileNotFoundError:
        sys.stderr.write(
            f"stale: {committed} does not exist\n  hint: comfyreel compile {recipe} -o {committed}\n"
        )
        return 1
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the committed graph: {exc}", anchor=str(committed)) from None
    if old == text:
        sys.stderr.write(f"up to date: {committed}\n")
        return 0
    diff = list(
        difflib.unified_diff(
            old.splitlines(),
            text.splitlines(),
            f"{committed} (committed)",
            f"{recipe} (compiled)",
            lineterm="",
        )
    )
    changed = sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))
    sys.stderr.write(f"stale: {committed} differs from the compiled recipe ({changed} changed lines)\n")
    for line in diff[:DIFF_LINES]:
        sys.stderr.write(f"{line}\n")
    if len(diff) > DIFF_LINES:
        sys.stderr.write(f"... ({len(diff) - DIFF_LINES} more diff lines)\n")
    sys.stderr.write(f"  hint: comfyreel compile {recipe} -o {committed}\n")
    return 1


def _write(path: Path, text: str) -> None:
    from comfyreel.compiler.errors import InputError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", anchor=str(path)) from None
