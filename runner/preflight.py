"""Pre-submit checks on a live server: ``preflight(graph_or_recipe, server) -> Report``.

The same checks as ``comfyreel doctor`` for one graph: node classes the server lacks (with the
ComfyUI version or custom pack that has them), model files it lacks (folder + download command),
and whether the recipe's profile fits its devices. ``run`` calls :func:`check_graph` with the
``/system_stats`` and per-class ``/object_info`` it reads anyway (no extra request: the loaders'
combo lists are the server's model lists); ``batch`` and scripts call :func:`preflight`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.model_manifest import folder_for_need, required_models
from comfyreel.runner import http
from comfyreel.runner.doctor import Report, graph_rows, server_rows
from comfyreel.runner.live_schema import custom_node_packs, fetch_nodes

__all__ = ["check_graph", "doctor", "models_dir_of", "preflight", "schema_inventory"]


def models_dir_of(stats: dict[str, Any] | None) -> str:
    """Where the server keeps models, for download commands (``--base-directory X`` -> ``X/models``)."""
    argv = [str(a) for a in ((stats or {}).get("system") or {}).get("argv") or []]
    for i, arg in enumerate(argv):
        if arg == "--base-directory" and i + 1 < len(argv):
            return f"{argv[i + 1].rstrip('/')}/models"
        if arg.startswith("--base-directory="):
            return f"{arg.split('=', 1)[1].rstrip('/')}/models"
    return "ComfyUI/models"


def schema_inventory(graph: Graph, schema: Any) -> ModelInventory:
    """The model files a live schema's loader combos list, for the loaders *graph* uses."""
    files: dict[str, set[str]] = {}
    for need in required_models(graph):
        node_schema = schema.get(need.class_type)
        if node_schema is None:
            continue
        spec = node_schema.live_inputs(graph.nodes[need.node_id]["inputs"]).get(need.input)
        if spec is None or spec.choices is None:
            continue
        for folder in folder_for_need(need):
            files.setdefault(folder, set()).update(str(c) for c in spec.choices)
    return ModelInventory({k: frozenset(v) for k, v in files.items()}, source=schema.source)


def check_graph(
    graph: Graph, schema: Any, stats: dict[str, Any] | None, *, section: str | None = None
) -> Report:
    """The pre-submit report for *graph* from data already fetched (a live *schema*: its combos
    list the server's files; an offline one leaves model files unchecked)."""
    inventory = schema_inventory(graph, schema) if getattr(schema, "live", False) else None
    label = section or str(graph.meta.get("recipe_name") or graph.source or "graph")
    rows = graph_rows(label, graph, schema, inventory, stats, models_dir=models_dir_of(stats))
    return Report(rows, server=_server_summary(stats))


def preflight(
    graph_or_recipe: Graph | str | Path,
    server: str | http.Server,
    *,
    headers: dict[str, str] | None = None,
) -> Report:
    """Fetch ``/system_stats`` and the graph's node classes from *server*, then :func:`check_graph`."""
    graph = as_graph(graph_or_recipe)
    own = not isinstance(server, http.Server)
    srv = http.Server(server, headers=headers) if own else server
    try:
        stats = http.system_stats(srv)
        classes = (n.get("class_type") for n in graph.nodes.values() if isinstance(n, dict))
        schema = fetch_nodes(srv, classes)
        if schema is None:  # no per-class route: the whole schema
            schema = _full_schema(srv)[0]
    finally:
        if own:
            srv.close()
    return check_graph(graph, schema, stats)


def doctor(
    server_url: str, targets: list[tuple[str, Graph]], *, headers: dict[str, str] | None = None
) -> Report:
    """The server's rows, then each target's: what ``comfyreel doctor`` prints."""
    srv = http.Server(server_url, headers=headers)
    try:
        stats = http.system_stats(srv)
        schema, packs = _full_schema(srv)
    finally:
        srv.close()
    rows = server_rows(stats, packs)
    for label, graph in targets:
        rows.extend(check_graph(graph, schema, stats, section=label).rows)
    return Report(rows, server={**_server_summary(stats), "url": srv.url, "custom_nodes": packs})


def as_graph(target: Graph | str | Path) -> Graph:
    """A Graph as is; a path: an API graph (.json) or a recipe (compiled)."""
    if isinstance(target, Graph):
        return target
    path = Path(target)
    if path.suffix.lower() == ".json":
        import json

        from comfyreel.compiler.errors import InputError

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read graph: {exc}", anchor=str(path)) from None
        if not (isinstance(data, dict) and isinstance(data.get("model"), str)):
            return Graph.from_data(data, source=str(path))
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.loader import load_recipe

    return compile_recipe(load_recipe(path))


def _full_schema(srv: http.Server) -> tuple[Any, list[str]]:
    from comfyreel.runner.live_schema import _parse

    data = http.object_info_bytes(srv)
    return _parse(data, f"{srv.url}/object_info"), custom_node_packs(data)


def _server_summary(stats: dict[str, Any] | None) -> dict[str, Any]:
    system = (stats or {}).get("system") or {}
    return {
        "comfyui_version": system.get("comfyui_version"),
        "python_version": system.get("python_version"),
        "pytorch_version": system.get("pytorch_version"),
        "ram_total": system.get("ram_total"),
        "argv": system.get("argv"),
        "devices": [
            {k: d.get(k) for k in ("name", "type", "vram_total", "vram_free")}
            for d in (stats or {}).get("devices") or []
        ],
    }
