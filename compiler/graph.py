"""`Graph`: the one typed object passed between compile, validate and run.

A ComfyUI API-format graph is ``{node_id: {"class_type", "inputs", "_meta": {"title"}}}``.
Links are ``[source_node_id, output_index]`` lists inside ``inputs``. The canonical
JSON orders node ids numerically (then by text) and sorts keys inside each node,
so the same graph always serialises to the same bytes and a git diff is readable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import InputError
from comfyreel.compiler.values import Value


def node_sort_key(node_id: str) -> tuple[int, ...] | tuple[int, str]:
    """Numeric-aware order for node ids: "2" < "10" < "92:48" < "a"."""
    parts = node_id.split(":")
    if all(p.isdigit() for p in parts):
        return (0, *(int(p) for p in parts))
    return (1, node_id)


def is_link(value: Any) -> bool:
    """True for an API-format link ``[node_id, output_index]``."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def _sorted_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_deep(v) for v in value]
    return value


class Graph(Value):
    """An API-format graph plus where it came from (for finding anchors); no dataclasses: see values.py."""

    FIELDS = ("nodes", "source", "meta")

    def __init__(
        self, nodes: dict[str, dict[str, Any]], source: str | None = None, meta: dict[str, Any] | None = None
    ) -> None:
        self.nodes = nodes
        self.source = source
        self.meta: dict[str, Any] = {} if meta is None else meta

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> Graph:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                anchor=source,
            ) from None
        return cls.from_data(data, source=source)

    @classmethod
    def from_data(cls, data: Any, *, source: str | None = None) -> Graph:
        if isinstance(data, dict) and "prompt" in data and isinstance(data["prompt"], dict):
            data = data["prompt"]  # a saved /prompt body
        if isinstance(data, dict) and "nodes" in data and "links" in data:
            raise InputError(
                "this is a UI-format workflow (it has 'nodes' and 'links'), not an API-format graph",
                anchor=source,
                hint="convert it with `comfyreel import-template`, or export it with 'Save (API)'",
            )
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise InputError(
                "an API-format graph must be a JSON object of {node_id: {class_type, inputs}}",
                anchor=source,
            )
        return cls(nodes={str(k): v for k, v in data.items()}, source=source)

    @classmethod
    def load(cls, path: str | Path) -> Graph:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read graph: {exc.strerror}", anchor=str(path)) from None
        return cls.from_json(text, source=str(path))

    # -- views -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for node_id in sorted(self.nodes, key=node_sort_key):
            yield node_id, self.nodes[node_id]

    def __len__(self) -> int:
        return len(self.nodes)

    def title(self, node_id: str) -> str:
        node = self.nodes.get(node_id, {})
        meta = node.get("_meta")
        if isinstance(meta, dict) and isinstance(meta.get("title"), str):
            return meta["title"]
        return str(node.get("class_type", "?"))

    def anchor(self, node_id: str | None) -> str:
        """Where a node's problem is: ``source#node_id(title)`` (as a finding's anchor writes it)."""
        source = self.source or "<graph>"
        return f"{source}#{node_id}({self.title(node_id)})" if node_id else f"{source}#?"

    def links(self) -> Iterator[tuple[str, str, str, int]]:
        """Yield ``(node_id, input_name, source_id, output_index)`` for every link."""
        for node_id, node in self:
            inputs = node.get("inputs")
            if not isinstance(inputs, dict):
                continue
            for name, value in inputs.items():
                if is_link(value):
                    yield node_id, name, value[0], value[1]

    # -- canonical form ----------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        return {node_id: _sorted_deep(node) for node_id, node in self}

    def to_json(self) -> str:
        """Canonical, diffable JSON (2-space indent, UTF-8 kept, trailing newline)."""
        return json.dumps(self.canonical(), indent=2, ensure_ascii=False) + "\n"

    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()
