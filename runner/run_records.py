"""Plain records of a render: downloaded files, node timings, manifest parts, and the RunResult.

Same field names and defaults as the pydantic models in :mod:`.manifest_models` (``OutputFile``,
``NodeTiming``, ``Timings``), with attribute access and :meth:`Record.to_dict` giving exactly the
JSON those models dump. They exist so that ``comfyreel run`` never imports pydantic (issue 7:
~110 ms per process); :class:`RunResult` (re-exported by ``runner.session``) still hands out the
validated models as ``.manifest`` / ``.outputs``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

_REQUIRED = object()


class Record:
    """A small mutable record; subclasses list ``_fields`` as ``(name, default)`` pairs."""

    _fields: tuple[tuple[str, Any], ...] = ()

    def __init__(self, **values: Any) -> None:
        for name, default in self._fields:
            if name in values:
                value = values.pop(name)
            elif default is _REQUIRED:
                raise TypeError(f"{type(self).__name__}: missing field {name!r}")
            else:
                value = list(default) if isinstance(default, list) else default
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}: unknown field(s) {', '.join(sorted(values))}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, nested records included (what the pydantic model's dump gives)."""
        return {name: _plain(getattr(self, name)) for name, _ in self._fields}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name, _ in self._fields)
        return f"{type(self).__name__}({inner})"


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class FileRecord(Record):
    """One downloaded output file (fields of ``manifest_models.OutputFile``)."""

    __slots__ = (
        "cached",
        "filename",
        "index",
        "kind",
        "node_id",
        "path",
        "sha256",
        "size",
        "subfolder",
        "type",
    )
    _fields = (
        ("node_id", _REQUIRED),
        ("index", _REQUIRED),
        ("kind", _REQUIRED),
        ("filename", _REQUIRED),
        ("subfolder", ""),
        ("type", "output"),
        ("path", _REQUIRED),
        ("size", _REQUIRED),
        ("sha256", _REQUIRED),
        ("cached", False),
    )


class NodeTimingRecord(Record):
    """Fields of ``manifest_models.NodeTiming``."""

    __slots__ = ("cached", "class_type", "duration_s", "node_id", "phase", "start_s")
    _fields = (
        ("node_id", _REQUIRED),
        ("class_type", None),
        ("phase", "other"),
        ("start_s", _REQUIRED),
        ("duration_s", _REQUIRED),
        ("cached", False),
    )
    __slots__ = tuple(name for name, _ in _fields)


class TimingsRecord(Record):
    """Fields of ``manifest_models.Timings``."""

    _fields = (("queued_s", None), ("execution_s", None), ("total_s", None), ("nodes", []))
    __slots__ = tuple(name for name, _ in _fields)


def recipe_record(loaded: Any, meta: dict[str, Any]) -> dict[str, Any] | None:
    """Manifest ``recipe`` (``RecipeRef``) from a LoadedRecipe, or None for a bare graph."""
    if loaded is None:
        return None
    return {
        "path": str(loaded.source),
        "name": meta.get("recipe_name"),
        "model": meta.get("model"),
        "sha256": loaded.sha256,
        "text": loaded.text,
        "variant": dict(loaded.variant) if getattr(loaded, "variant", None) else None,
        "warnings": list(loaded.warnings),
    }


#: argv[0] in /system_stats of comfyreel's fake ComfyUI (a real server reports main.py)
FAKE_ARGV0 = "comfyreel-fake-server"


def server_record(
    url: str, stats: dict[str, Any], custom_nodes: list[str], launch_flags: list[str] | None
) -> dict[str, Any]:
    """Manifest ``server`` (``ServerInfo``) from a /system_stats answer (types checked by http)."""
    system = stats.get("system") or {}
    argv = system.get("argv")
    return {
        "url": url,
        "comfyui_version": system.get("comfyui_version"),
        "python_version": system.get("python_version"),
        "pytorch_version": system.get("pytorch_version"),
        "os": system.get("os"),
        "devices": list(stats.get("devices") or []),
        "custom_nodes": list(custom_nodes),
        "launch_flags": launch_flags,
        "fake": _is_fake(system.get("argv")),
        "argv": argv if isinstance(argv, list) and all(isinstance(a, str) for a in argv) else None,
    }


def _is_fake(argv: Any) -> bool:
    return isinstance(argv, list) and bool(argv) and argv[0] == FAKE_ARGV0


class RunResult:
    """The run folder, its manifest and downloaded outputs.

    ``manifest`` (a :class:`~comfyreel.runner.manifest_models.Manifest`) and ``outputs`` (its
    ``OutputFile`` list) are validated from the written JSON on first access; ``data`` is that JSON
    and ``files`` the plain records, for callers that need no pydantic (the CLI).
    """

    def __init__(self, run_dir: Path, data: dict[str, Any], files: list[FileRecord]) -> None:
        self.run_dir, self.data, self.files = run_dir, data, files

    @functools.cached_property
    def manifest(self) -> Any:
        from comfyreel.runner.manifest_models import Manifest

        return Manifest.model_validate(self.data)

    @property
    def outputs(self) -> list[Any]:
        return list(self.manifest.outputs)

    def __repr__(self) -> str:
        return f"RunResult(run_dir={str(self.run_dir)!r}, outputs={[f.path for f in self.files]!r})"
