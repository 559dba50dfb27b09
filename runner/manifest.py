"""The run manifest: one JSON per run that makes a render reproducible and checkable.

``comfyreel run`` writes ``RUN_DIR/manifest.json`` beside ``RUN_DIR/graph.json`` (the exact
bytes submitted) and ``RUN_DIR/outputs/``. ``comfyreel check`` and ``comfyreel rerun`` read it.
Credentials never enter a manifest: ``server.url`` is stored without user info or query.

The pydantic models (:class:`Manifest`, :class:`OutputFile`, ...) live in :mod:`.manifest_models`
and are imported from here on first use; this module itself stays cheap to import (no pydantic),
so the render path of ``comfyreel run`` writes the same JSON with :func:`write_manifest_data`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from comfyreel.runner.manifest_models import (
        GraphRef,
        InputFile,
        Manifest,
        NodeTiming,
        ObjectInfoRef,
        OutputFile,
        OutputKind,
        RecipeRef,
        ServerInfo,
        Timings,
    )

MANIFEST_NAME = "manifest.json"
GRAPH_NAME = "graph.json"
OUTPUTS_DIR = "outputs"
SCHEMA_VERSION = 1

_MODELS = frozenset(
    {
        "GraphRef",
        "InputFile",
        "Manifest",
        "NodeTiming",
        "ObjectInfoRef",
        "OutputFile",
        "OutputKind",
        "RecipeRef",
        "ServerInfo",
        "Timings",
    }
)
__all__ = [
    "GRAPH_NAME",
    "MANIFEST_NAME",
    "OUTPUTS_DIR",
    "SCHEMA_VERSION",
    "GraphRef",
    "InputFile",
    "Manifest",
    "NodeTiming",
    "ObjectInfoRef",
    "OutputFile",
    "OutputKind",
    "RecipeRef",
    "ServerInfo",
    "Timings",
    "atomic_write_text",
    "public_url",
    "sha256_file",
    "write_manifest_data",
]


def __getattr__(name: str) -> Any:
    """The pydantic models, imported on first use (``from comfyreel.runner.manifest import Manifest``)."""
    if name in _MODELS:
        from comfyreel.runner import manifest_models

        return getattr(manifest_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def write_manifest_data(run_dir: Path, data: dict[str, Any]) -> Path:
    """Write a manifest given as plain JSON data (the shape of ``Manifest.model_dump(mode="json")``)."""
    target = run_dir / MANIFEST_NAME
    atomic_write_text(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return target


def public_url(url: str) -> str:
    """The URL without credentials, query or fragment: safe for logs, reports and manifests."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_mode() -> int:
    """The mode a plain ``open()`` would give a new file (0o666 less the umask): mkstemp's 0o600 is not
    what a user expects of a manifest, graph or golden they commit and share."""
    try:  # Linux reports the umask without changing it (no race with other threads)
        with open("/proc/self/status", encoding="ascii") as status:
            umask = next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def atomic_write_text(target: Path, text: str) -> None:
    """Write via a temp file in the same folder, then rename: never a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
