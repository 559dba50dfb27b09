"""``comfyreel snapshot``: save what a server is and has as one file, for offline work and CI.

The file (see :mod:`comfyreel.compiler.snapshot_file`) holds ``/system_stats`` (version, devices,
launch flags), the custom node packs, the model lists of every ``/models/<folder>`` and the whole
``/object_info`` with its sha256. ``--object-info FILE`` on compile / validate / show /
import-template reads it offline, and ``comfyreel fake-server --object-info FILE`` serves it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from comfyreel.compiler.snapshot_file import FORMAT_KEY, FORMAT_VERSION
from comfyreel.runner import http
from comfyreel.runner.errors import ProtocolError
from comfyreel.runner.live_schema import custom_node_packs
from comfyreel.runner.manifest import atomic_write_text

_SKIP_FOLDERS = {"custom_nodes"}  # code, not models


def model_lists(server: http.Server) -> dict[str, list[str]]:
    """``{folder: [file, ...]}`` from ``GET /models`` and ``GET /models/<folder>`` (404s skipped)."""
    folders = http.get_json(server, "/models")
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise ProtocolError("GET /models is not a list of folder names", url=server.url)
    result: dict[str, list[str]] = {}
    for folder in folders:
        if folder in _SKIP_FOLDERS:
            continue
        names = folder_listing(server, folder)
        if names is not None:
            result[folder] = names
    return result


def folder_listing(server: http.Server, folder: str) -> list[str] | None:
    """The files ComfyUI lists in one models folder, or None when the server has no such folder."""
    what = f"GET /models/{folder}"
    with http.translating(server, what):
        resp = server.session.get(f"{server.base}/models/{folder}", timeout=server.timeout)
        if resp.status_code == 404:
            return None
        http.check_status(server, resp, what)
        names = resp.json()
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ProtocolError(f"{what} is not a list of file names", url=server.url)
    return sorted(names)


def take_snapshot(url: str, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything :mod:`snapshot_file` stores, read from the server at *url*."""
    server = http.Server(url, headers=headers)
    try:
        stats = http.system_stats(server)
        data = http.object_info_bytes(server)
        try:
            object_info = json.loads(data)
        except ValueError as exc:
            raise ProtocolError(f"GET /object_info is not valid JSON ({exc})", url=server.url) from None
        if not isinstance(object_info, dict):
            raise ProtocolError("GET /object_info is not a JSON object", url=server.url)
        models = model_lists(server)
    finally:
        server.close()
    return {
        FORMAT_KEY: FORMAT_VERSION,  # first key: readers detect a snapshot from the first bytes
        "server": server.url,
        "taken": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "comfyui_version": (stats.get("system") or {}).get("comfyui_version"),
        "system_stats": stats,
        "custom_nodes": custom_node_packs(data),
        "models": models,
        "object_info_sha256": hashlib.sha256(data).hexdigest(),
        "object_info": object_info,
    }


def write_snapshot(snap: dict[str, Any], path: Path) -> None:
    """Write atomically (never a half-written snapshot)."""
    atomic_write_text(Path(path), json.dumps(snap, ensure_ascii=False, separators=(",", ":")) + "\n")
