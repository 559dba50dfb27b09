"""Jobs: one compiled variant, its content identity and the prompt_id derived from it.

A job's identity is the sha256 of its compiled graph (canonical JSON) and of its input media, so the
same render always has the same prompt_id: on ``--resume`` the servers are asked about that id before
anything is submitted again, and a run folder whose manifest says success is skipped.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import UsageError
from comfyreel.compiler.graph import Graph


@dataclass
class Job:
    """One render of the batch."""

    name: str  # NAME or NAME@key=value,... (the run folder's name)
    recipe: str  # the recipe file as given
    graph: Graph
    identity: str  # sha256 hex of graph + input media
    variant: dict[str, Any] = field(default_factory=dict)
    axes: tuple[str, ...] = ()  # the recipe's varying keys (matrix and --set ranges), in order
    loaded: Any = None  # the LoadedRecipe (for the manifest)

    @property
    def prompt_id(self) -> str:
        """A uuid-shaped id derived from the identity (ComfyUI takes a client-chosen prompt_id)."""
        return str(uuid.UUID(hex=self.identity[:32]))

    @property
    def node_classes(self) -> frozenset[str]:
        return frozenset(
            str(node.get("class_type")) for node in self.graph.nodes.values() if isinstance(node, dict)
        )


def identity(graph: Graph) -> str:
    """sha256 of the canonical graph and the sha256 of each input media file (compiler.inputs)."""
    from comfyreel.compiler.inputs import graph_inputs

    digest = hashlib.sha256(b"comfyreel-job-1\n")
    digest.update(graph.to_json().encode("utf-8"))
    for item in graph_inputs(graph.meta):
        digest.update(f"\n{item.name} {item.sha256}".encode())
    return digest.hexdigest()


def make_jobs(recipes: Sequence[str | Path], sets: Sequence[str] = ()) -> list[Job]:
    """Every variant of every recipe as a job, in order; names must be unique across the batch."""
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.variants import load_variants, parse_set

    settings = [parse_set(s) for s in sets]
    jobs: list[Job] = []
    seen: dict[str, str] = {}
    for recipe in recipes:
        variants = load_variants(recipe, settings)
        axes = tuple(k for k in variants[0].variant if len({json.dumps(v.variant[k]) for v in variants}) > 1)
        for loaded in variants:
            if loaded.name in seen:
                raise UsageError(
                    f"two jobs are named {loaded.name!r} ({seen[loaded.name]} and {recipe})",
                    hint="give the recipes distinct `name:` fields",
                )
            seen[loaded.name] = str(recipe)
            graph = compile_recipe(loaded)
            jobs.append(
                Job(loaded.name, str(recipe), graph, identity(graph), dict(loaded.variant), axes, loaded)
            )
    return jobs
