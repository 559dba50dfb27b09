"""Server snapshot files (``comfyreel snapshot``): one JSON file with a server's ``/object_info``,
version, devices, model lists and custom node packs, read offline by ``--object-info FILE``.

The format key comes first in the file, so :func:`is_snapshot` needs only the first bytes; a plain
``/object_info`` dump keeps working wherever a snapshot does.
"""

from __future__ import annotations

import json
from typing import Any

from comfyreel.compiler.errors import ObjectInfoError

FORMAT_KEY = "comfyreel_snapshot"
FORMAT_VERSION = 1


def is_snapshot(data: bytes) -> bool:
    """Does this JSON text start like a snapshot file (its first key is :data:`FORMAT_KEY`)?"""
    head = bytes(data[:64]).lstrip()
    return head.startswith(b"{") and head[1:].lstrip().startswith(f'"{FORMAT_KEY}"'.encode())


def parse_snapshot(data: bytes, source: str) -> dict[str, Any]:
    """The snapshot as a dict, checked: ``object_info`` is an object, ``models`` maps folders to names."""
    try:
        snap = json.loads(bytes(data))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ObjectInfoError(f"snapshot is not valid JSON: {exc}", anchor=source) from None
    if not isinstance(snap, dict) or snap.get(FORMAT_KEY) != FORMAT_VERSION:
        raise ObjectInfoError(
            f"not a comfyreel snapshot of format {FORMAT_VERSION}",
            anchor=source,
            hint="take a new one with: comfyreel snapshot --server URL -o FILE",
        )
    models = snap.get("models") or {}
    if (
        not isinstance(snap.get("object_info"), dict)
        or not isinstance(models, dict)
        or not all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in models.values())
    ):
        raise ObjectInfoError(
            "snapshot has no object_info object or a bad models list",
            anchor=source,
            hint="take a new one with: comfyreel snapshot --server URL -o FILE",
        )
    return snap


def describe(snap: dict[str, Any], source: str) -> str:
    """``FILE (snapshot of URL, ComfyUI X)``: the schema source named in findings."""
    version = snap.get("comfyui_version") or "?"
    return f"{source} (snapshot of {snap.get('server') or '?'}, ComfyUI {version})"
