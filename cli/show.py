"""CLI commands: ``show`` (a graph as a readable node list or a ComfyScript program) and
``import-template`` (a ComfyUI UI-format workflow -> an API-format ``.json.j2`` starting point)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfyreel.cli import Commands, Exit, add_command, echo

if TYPE_CHECKING:
    from comfyreel.compiler.graph import Graph
    from comfyreel.compiler.object_info import ObjectInfo

RECIPE_SUFFIXES = (".yaml", ".yml")


def _schema(path: Path | None) -> ObjectInfo:
    from comfyreel.compiler.object_info import ObjectInfo

    return ObjectInfo.from_file(path) if path else ObjectInfo.pinned()


def load_any(path: Path, schema_path: Path | None = None) -> Graph:
    """A recipe (compiled), an API-format graph, or a UI workflow (converted offline)."""
    from comfyreel.compiler.errors import InputError
    from comfyreel.compiler.graph import Graph

    if path.name.endswith(".j2"):
        raise InputError(
            "a template needs a recipe to render",
            anchor=str(path),
            hint="show a recipe that uses it: comfyreel show RECIPE.yaml",
        )
    if path.suffix.lower() not in RECIPE_SUFFIXES:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", anchor=str(path)) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"not valid JSON: {exc}",
                anchor=str(path),
                hint="pass a recipe (.yaml) or an API-format graph (.json)",
            ) from None
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):
            from comfyreel.compiler.ui_import import import_ui

            return import_ui(data, _schema(schema_path), source=str(path)).graph
        nodes = data.get("prompt", data) if isinstance(data, dict) else data
        if (
            isinstance(nodes, dict)
            and nodes
            and all(isinstance(v, dict) and "class_type" in v for v in nodes.values())
        ):
            return Graph.from_data(data, source=str(path))
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.loader import load_recipe

    return compile_recipe(load_recipe(path))


def _topological(graph: Graph) -> list[str]:
    """Sources first; among ready nodes, the numerically smallest id first (stable output)."""
    from comfyreel.compiler.graph import node_sort_key

    deps = {
        nid: {src for n, _, src, _ in graph.links() if n == nid and src in graph.nodes} for nid in graph.nodes
    }
    done: list[str] = []
    ready = sorted((n for n, d in deps.items() if not d), key=node_sort_key)
    placed: set[str] = set()
    while ready:
        nid = ready.pop(0)
        done.append(nid)
        placed.add(nid)
        fresh = [n for n, d in deps.items() if n not in placed and n not in ready and d <= placed]
        ready = sorted(ready + fresh, key=node_sort_key)
    done += sorted((n for n in graph.nodes if n not in placed), key=node_sort_key)  # cycles: still shown
    return done


def _value(value: Any, width: int = 72) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def render_table(graph: Graph, schema: ObjectInfo | None) -> str:
    """One block per node in execution order: title, class, then each input (links with '<-')."""
    from comfyreel.compiler.graph import is_link

    order = _topological(graph)
    width = max((len(n) for n in order), default=1)
    links = sum(1 for _ in graph.links())
    lines = [f"{graph.source or '<graph>'}: {len(graph)} nodes, {links} links, sha256 {graph.sha256()[:12]}"]
    for nid in order:
        node = graph.nodes[nid]
        kind = str(node.get("class_type", "?"))
        lines.append(f"{nid:>{width}}  {graph.title(nid)}  [{kind}]")
        inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
        for name in sorted(inputs):
            value = inputs[name]
            if is_link(value):
                src = graph.nodes.get(value[0], {})
                out = None
                if schema is not None and src.get("class_type") in schema:
                    out = schema[src["class_type"]].output_type(value[1])
                lines.append(
                    f"{'':>{width}}    {name} <- {value[0]}:{value[1]} {graph.title(value[0])}"
                    + (f" ({out})" if out else "")
                )
            else:
                lines.append(f"{'':>{width}}    {name} = {_value(value)}")
    return "\n".join(lines) + "\n"


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "show", show)
    cmd.add_argument(
        "target", type=Path, help="A recipe (.yaml), an API-format graph or a UI workflow (.json)."
    )
    cmd.add_argument("--script", action="store_true", help="Print the graph as a ComfyScript program.")
    cmd.add_argument("--runtime", action="store_true", help="With --script: wrap it in `with Workflow():`.")
    cmd.add_argument("--object-info", type=Path, help="object_info JSON for node schemas (default: pinned).")
    imp = add_command(commands, "import-template", import_template)
    imp.add_argument("workflow", type=Path, help="A ComfyUI UI-format workflow (.json).")
    imp.add_argument(
        "-o", "--output", type=Path, required=True, help="Where to write the template (NAME.json.j2)."
    )
    imp.add_argument("--object-info", type=Path, help="object_info JSON for widget names (default: pinned).")
    imp.add_argument("--force", action="store_true", help="Overwrite OUTPUT if it exists.")


def show(target: Path, script: bool = False, runtime: bool = False, object_info: Path | None = None) -> None:
    """Print a graph's nodes in execution order, or (--script) as a ComfyScript program."""
    schema = _schema(object_info)
    graph = load_any(target, object_info)
    if script:
        from comfyreel.compiler.script_view import graph_to_script

        echo(graph_to_script(graph, schema, runtime=runtime), nl=False)
    else:
        echo(render_table(graph, schema), nl=False)


def import_template(
    workflow: Path, output: Path, object_info: Path | None = None, force: bool = False
) -> None:
    """Convert a UI workflow into an API-format Jinja template wired to the recipe context, offline."""
    import sys

    from comfyreel.compiler.errors import InputError, UsageError
    from comfyreel.compiler.ui_import import import_ui, load_workflow
    from comfyreel.compiler.ui_template import render_wired_template
    from comfyreel.compiler.ui_wiring import wire
    from comfyreel.compiler.validate import validate_graph

    if output.exists() and not force:
        raise UsageError(f"{output} exists", anchor=str(output), hint="pass --force to overwrite it")
    schema = _schema(object_info)
    result = import_ui(load_workflow(workflow), schema, source=str(workflow))
    wiring = wire(result, schema)
    text = render_wired_template(result, wiring, origin=workflow.name)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write template: {exc.strerror}", anchor=str(output)) from None
    findings = validate_graph(wiring.graph, schema)
    errors = [f for f in findings if f.severity == "error"]
    echo(
        f"wrote {output}: {len(wiring.graph)} nodes, {sum(1 for _ in wiring.graph.links())} links, "
        f"{len(result.dropped)} UI-only/muted/bypassed nodes dropped, {len(wiring.folded)} folded"
    )
    for w in wiring.wires:
        echo(f"  wired  {w.node_id} {w.class_type}.{w.input} = {_brief(w.value)} -> {w.variable}")
    if wiring.lora_source is not None:
        echo(f"  wired  recipe loras -> chained after {wiring.lora_source[0]} (MODEL)")
    missing = sorted(
        {"prompt", "seed", "width", "height", "frames", "fps"}
        - {w.variable.replace("half_", "").replace("fps_int", "fps") for w in wiring.wires}
    )
    if missing:
        echo(f"  not found in the workflow (stays as the workflow has it): {', '.join(missing)}")
    echo(f"  literal {len(wiring.literal)} other values (listed at the top of {output.name})")
    for note in result.notes:
        sys.stderr.write(f"note: {note}\n")
    for finding in errors:
        sys.stderr.write(f"{finding}\n")
    if errors:
        sys.stderr.write(
            f"{len(errors)} validation error(s) in the converted graph; the template was written\n"
        )
        raise Exit(1)


def _brief(value: object, width: int = 50) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."
