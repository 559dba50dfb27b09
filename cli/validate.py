"""CLI commands ``validate`` (a recipe or API graph against /object_info) and ``list-rules``.

Exit codes: 0 valid (warnings and infos allowed), 1 error findings (or a recipe that breaks a rule),
2 usage / IO (unreadable file, bad object_info), 3 unreachable server (as for ``run``). Only stdlib and
the light compiler modules load for a graph; the recipe loader (pydantic, jinja2) loads only for recipes and
``requests`` only for ``--server``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfyreel.cli import Commands, add_command, add_set_option
from comfyreel.compiler.errors import EXIT_FINDINGS, EXIT_OK, InputError, UsageError

if TYPE_CHECKING:
    from comfyreel.compiler.graph import Graph
    from comfyreel.compiler.object_info import ObjectInfo

RECIPE_SUFFIXES = (".yaml", ".yml")


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "validate", validate)
    cmd.add_argument("target", metavar="RECIPE|GRAPH.json", help="A recipe or an API graph.")
    cmd.add_argument(
        "--object-info", metavar="FILE", type=Path, help="Validate against this saved /object_info JSON."
    )
    cmd.add_argument("--server", metavar="URL", help="Validate against a running server's /object_info.")
    cmd.add_argument(
        "--models", metavar="DIR", type=Path, help="ComfyUI models folder, to check model files offline."
    )
    cmd.add_argument(
        "--header", metavar="'Name: value'", action="append", help="HTTP header for --server (repeatable)."
    )
    cmd.add_argument("--timeout", type=float, default=30.0, help="Seconds to wait for --server.")
    add_set_option(cmd)
    cmd.add_argument(
        "--strict", action="store_true", help="Treat recipe warnings (e.g. frames snapped to 8n+1) as errors."
    )
    cmd.add_argument(
        "--verbose", action="store_true", help="List every note (model files unchecked offline) one per line."
    )
    cmd.add_argument(
        "--json", dest="as_json", action="store_true", help="Print one JSON object instead of text."
    )
    rules = add_command(commands, "list-rules", list_rules)
    rules.add_argument("--json", dest="as_json", action="store_true", help="Print the registry as JSON.")
    rules.add_argument("--markdown", action="store_true", help="Print a Markdown table (docs).")


def validate(
    target: str,
    object_info: Path | None = None,
    server: str | None = None,
    models: Path | None = None,
    header: list[str] | None = None,
    timeout: float = 30.0,
    sets: list[str] | None = None,
    strict: bool = False,
    verbose: bool = False,
    as_json: bool = False,
) -> int:
    """Check a recipe or graph against /object_info: nodes, inputs, links, ranges, combos, outputs."""
    from comfyreel.compiler.validate import counts, validate_graph

    schema = _load_schema(object_info, server, header or [], timeout)
    inventory = None
    if models is not None:
        from comfyreel.compiler.inventory import ModelInventory

        inventory = ModelInventory.from_dir(models)
    targets = load_targets(target, sets or [], strict=strict)
    reports: list[dict[str, Any]] = []
    lines: list[str] = []
    invalid = False
    for label, graph, warnings in targets:
        if not as_json:
            for warning in warnings:
                sys.stderr.write(f"warning: {warning}\n")
        findings = validate_graph(graph, schema, inventory=inventory)
        tally = counts(findings)
        invalid = invalid or tally["error"] > 0
        reports.append(
            {
                "source": label,
                "object_info": {"source": schema.source, "sha256": schema.sha256},
                "models": inventory.source if inventory is not None else None,
                "valid": tally["error"] == 0,
                "counts": tally,
                "recipe_warnings": warnings,
                "findings": [f.to_dict() for f in findings],
            }
        )
        lines += _finding_lines(findings, graph, verbose)
        lines.append(_summary(label, schema, tally))
    if as_json:  # one report; a recipe with several variants gives {"variants": [report, ...]}
        report = reports[0] if len(reports) == 1 else {"source": target, "variants": reports}
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_FINDINGS if invalid else EXIT_OK


def list_rules(as_json: bool = False, markdown: bool = False) -> int:
    """List the validation rules: id, severity and what each one checks."""
    from comfyreel.compiler.rules import RULES, rules_markdown

    if as_json and markdown:
        raise UsageError("use either --json or --markdown")
    if markdown:
        sys.stdout.write(rules_markdown())
        return EXIT_OK
    if as_json:
        sys.stdout.write(json.dumps([r.to_dict() for r in RULES], indent=2) + "\n")
        return EXIT_OK
    width = max(len(r.id) for r in RULES)
    sys.stdout.write("".join(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.doc}\n" for rule in RULES))
    return EXIT_OK


def _load_schema(
    object_info: Path | None, server: str | None, header: list[str], timeout: float
) -> ObjectInfo:
    from comfyreel.compiler.object_info import ObjectInfo

    if object_info is not None and server is not None:
        raise UsageError("use either --object-info or --server, not both")
    if header and server is None:
        raise UsageError("--header is only used with --server")
    if object_info is not None:
        return ObjectInfo.from_file(object_info)
    if server is None:
        return ObjectInfo.pinned()
    from comfyreel.runner.schema_fetch import fetch_object_info, parse_header

    headers: dict[str, str] = {}
    for text in header:
        try:
            name, value = parse_header(text)
        except ValueError:
            name = text.partition(":")[0].strip() or "?"
            raise UsageError(f"bad --header for {name!r}", hint="write --header 'Name: value'") from None
        headers[name] = value
    # An unreachable server is ServerUnavailable (exit 3) here as in `run`: one meaning, one code.
    return fetch_object_info(server, headers=headers, timeout=timeout)


def load_targets(target: str, sets: list[str], *, strict: bool = False) -> list[tuple[str, Graph, list[str]]]:
    """``(label, graph, recipe warnings)``: one for an API graph; one per variant for a recipe (YAML, or
    JSON with a ``model`` key; matrix / ``--set``). Under ``strict`` a recipe's warnings are errors.

    The file is read once: a ``.json`` is parsed, then either compiled as a recipe or taken as a graph.
    """
    from comfyreel.compiler.graph import Graph

    path = Path(target)
    if path.suffix.lower() in RECIPE_SUFFIXES:
        return _variants(target, sets, strict)
    data = _read_json(target)
    if isinstance(data, dict) and isinstance(data.get("model"), str):
        return _variants(target, sets, strict)  # a JSON recipe: {"model": "ltx2-t2v", ...}
    if sets:
        raise UsageError("--set applies to recipes, not to API graphs", anchor=target)
    return [(target, Graph.from_data(data, source=target), [])]


def _variants(target: str, sets: list[str], strict: bool) -> list[tuple[str, Graph, list[str]]]:
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.variants import load_variants

    variants = load_variants(Path(target), sets, strict=strict)
    if len(variants) == 1 and not variants[0].suffix:
        return [(target, compile_recipe(variants[0]), list(variants[0].warnings))]
    return [(f"{target} [{v.name}]", compile_recipe(v), list(v.warnings)) for v in variants]


def _read_json(target: str) -> Any:
    """The parsed JSON of *target*, or an InputError naming the file and what is wrong."""
    try:
        text = Path(target).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", anchor=target) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", anchor=target) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            anchor=target,
            hint="pass an API-format graph (.json) or a recipe (.yaml)",
        ) from None


def _finding_lines(findings: list[Any], graph: Graph, verbose: bool) -> list[str]:
    """One line per finding; model files unchecked offline are one summary line unless ``verbose``."""
    unchecked = [f for f in findings if f.rule == "model-unchecked"]
    if verbose or len(unchecked) < 2:
        return [str(finding) for finding in findings]
    lines = [str(finding) for finding in findings if finding.rule != "model-unchecked"]
    names = sorted({str(graph.nodes[f.node_id]["inputs"][f.input]) for f in unchecked})
    lines.append(
        f"info[model-unchecked] {len(unchecked)} model inputs unchecked offline ({len(names)} files: "
        f"{', '.join(names)}); pass --models DIR or --server URL to check them, --verbose to list each"
    )
    return lines


def _summary(target: str, schema: ObjectInfo, tally: dict[str, int]) -> str:
    parts = [f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in tally.items() if n]
    verdict = "invalid" if tally["error"] else "valid"
    detail = f" ({', '.join(parts)})" if parts else ""
    sha = f", sha256 {schema.sha256[:12]}" if schema.sha256 else ""
    return f"{target}: {verdict}{detail} against {schema.source}{sha}"
