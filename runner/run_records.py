"""Plain records the render path fills in: downloaded files and node timings, in the manifest's shape.

Same field names and defaults as the pydantic models in :mod:`.manifest_models` (``OutputFile``,
``NodeTiming``, ``Timings``), with attribute access and :meth:`Record.to_dict` giving exactly the
JSON those models dump. They exist so that ``comfyreel run`` never imports pydantic (issue 7:
~110 ms per process); ``RunResult.manifest`` / ``.outputs`` still hand out the validated models.
"""

from __future__ import annotations

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
