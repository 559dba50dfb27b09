"""Helpers for runner tests with input media: a small image graph whose LoadImage names a file by hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyreel.checks.synth import pattern_frames, write_image
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inputs import input_file


def make_image(path: Path, seed: int, width: int = 48, height: int = 32) -> Path:
    """A deterministic PNG; another seed gives other bytes."""
    return write_image(path, pattern_frames(1, width, height, seed=seed)[0])


def media_entry(path: Path, kind: str = "image") -> dict[str, Any]:
    """The compiler's description of one input file (path, graph name, sha256, kind)."""
    item = input_file(path, kind, "image")  # type: ignore[arg-type]
    return {"path": str(item.path), "name": item.name, "sha256": item.sha256, "kind": kind}


def image_graph(image: Path, prefix: str = "loaded") -> Graph:
    """LoadImage(the file's content-hash name) -> SaveImage, carrying the input in ``meta``."""
    entry = media_entry(image)
    nodes = {
        "1": {"class_type": "LoadImage", "inputs": {"image": entry["name"]}, "_meta": {"title": "Start"}},
        "2": {
            "class_type": "SaveImage",
            "inputs": {"images": ["1", 0], "filename_prefix": prefix},
            "_meta": {"title": "Save"},
        },
    }
    return Graph(nodes, source="media-test.json", meta={"recipe_name": "media-test", "inputs": [entry]})
