"""Reproduce a run from its manifest: re-submit the exact ``graph.json`` it recorded.

The graph file's sha256 must equal the manifest's (an edited graph is refused, not rerun). The
input media the manifest lists (path, sha256) are uploaded again, or skipped when the server still
has the same bytes; a missing one is an error naming the file and the fix. The recipe text
stored in the manifest travels along so the new run's manifest names
the same recipe (and so the same golden folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import ComfyreelError, InputError
from comfyreel.runner.manifest import Manifest, sha256_file


def load_for_rerun(manifest_path: str | Path) -> tuple[Manifest, Any, Any]:
    """(manifest, Graph, LoadedRecipe or None) for a manifest file or run directory; sha256 verified."""
    from comfyreel.compiler.graph import Graph

    path = Path(manifest_path)
    run_dir = path if path.is_dir() else path.parent
    manifest = Manifest.load(path)
    graph_path = run_dir / manifest.graph.path
    if not graph_path.is_file():
        raise InputError(
            f"the run's graph is missing: {graph_path}",
            anchor=str(path),
            hint="a run directory holds manifest.json, graph.json and outputs/",
        )
    actual = sha256_file(graph_path)
    if actual != manifest.graph.sha256:
        raise InputError(
            f"{graph_path.name} sha256 {actual[:12]} != the manifest's {manifest.graph.sha256[:12]}",
            anchor=str(graph_path),
            hint="the graph was edited after the run; restore it, or run the recipe again (`comfyreel run`)",
        )
    graph = Graph.load(graph_path)
    if manifest.recipe is not None:  # one name per recipe: the rerun's folder and manifest keep it
        graph.meta.update(recipe_name=manifest.recipe.name, model=manifest.recipe.model)
    # input media travel by path and sha256: the runner finds them again (or the server's copy)
    graph.meta["inputs"] = [
        {"path": i.path, "name": i.name, "sha256": i.sha256, "kind": i.kind} for i in manifest.inputs
    ]
    loaded = None
    if manifest.recipe is not None and manifest.recipe.text:
        from comfyreel.compiler.loader import load_recipe_text

        try:
            loaded = load_recipe_text(manifest.recipe.text, source=manifest.recipe.path or "<recipe>")
        except ComfyreelError:
            loaded = None  # the graph is what reruns; the recipe only labels the new manifest
    return manifest, graph, loaded


def rerun_manifest(
    manifest_path: str | Path,
    *,
    server_url: str | None = None,
    out_dir: str | Path = "runs",
    timeout_s: float | None = None,
    on_event: Any = None,
) -> Any:
    """Re-submit the recorded graph with the runner; returns its ``RunResult``."""
    manifest, graph, loaded = load_for_rerun(manifest_path)
    from comfyreel.runner.session import RunOptions, run_graph

    url = server_url or manifest.server.url
    options = RunOptions(timeout_s=timeout_s) if timeout_s is not None else RunOptions()
    return run_graph(
        graph, server_url=url, out_dir=Path(out_dir), options=options, loaded=loaded, on_event=on_event
    )
