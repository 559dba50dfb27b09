"""The run manifest: one JSON per run that makes a render reproducible and checkable.

``comfyreel run`` writes ``RUN_DIR/manifest.json`` beside ``RUN_DIR/graph.json`` (the exact
bytes submitted) and ``RUN_DIR/outputs/``. ``comfyreel check`` and ``comfyreel rerun`` read it.
Credentials never enter a manifest: ``server.url`` is stored without user info or query.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from comfyreel.compiler.errors import InputError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MANIFEST_NAME = "manifest.json"
GRAPH_NAME = "graph.json"
OUTPUTS_DIR = "outputs"
SCHEMA_VERSION = 1

OutputKind = Literal["images", "videos", "gifs", "audio", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecipeRef(_Model):
    path: str | None = None
    name: str | None = None
    model: str | None = None
    sha256: str | None = None
    text: str | None = None  # the recipe file's content, so a rerun needs nothing else


class GraphRef(_Model):
    path: str = GRAPH_NAME
    sha256: str


class ObjectInfoRef(_Model):
    source: str  # "pinned:<file name>", a file path, or a server URL
    sha256: str | None = None


class ServerInfo(_Model):
    url: str
    comfyui_version: str | None = None
    python_version: str | None = None
    pytorch_version: str | None = None
    os: str | None = None
    devices: list[dict[str, Any]] = Field(default_factory=list)
    custom_nodes: list[str] = Field(default_factory=list)
    launch_flags: list[str] | None = None  # set when comfyreel launched the server


class NodeTiming(_Model):
    node_id: str
    class_type: str | None = None
    phase: Literal["load", "encode", "sample", "decode", "save", "other"] = "other"
    start_s: float  # seconds since execution_start
    duration_s: float
    cached: bool = False


class Timings(_Model):
    queued_s: float | None = None  # POST /prompt -> execution_start
    execution_s: float | None = None  # execution_start -> end of prompt
    total_s: float | None = None  # POST /prompt -> outputs on disk
    nodes: list[NodeTiming] = Field(default_factory=list)


class OutputFile(_Model):
    node_id: str
    index: int
    kind: OutputKind
    filename: str  # as the server named it
    subfolder: str = ""
    type: str = "output"
    path: str  # relative to the run directory
    size: int
    sha256: str
    cached: bool = False


class Manifest(_Model):
    schema_version: int = SCHEMA_VERSION
    comfyreel_version: str
    created_at: str
    status: str  # "success" or the RunError kind
    prompt_id: str | None = None
    client_id: str | None = None
    recipe: RecipeRef | None = None
    graph: GraphRef
    object_info: ObjectInfoRef | None = None
    server: ServerInfo
    seeds: dict[str, int] = Field(default_factory=dict)  # "node_id.input" -> seed
    cached_nodes: list[str] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)
    peak_vram_bytes: int | None = None
    outputs: list[OutputFile] = Field(default_factory=list)
    error: dict[str, Any] | None = None
    cache_bust: str | None = None  # token --bust-cache added to root nodes (runner.graph_ops.bust_cache)

    def write(self, run_dir: Path) -> Path:
        """Write ``manifest.json`` atomically (temp file + rename)."""
        target = run_dir / MANIFEST_NAME
        atomic_write_text(target, self.model_dump_json(indent=2) + "\n")
        return target

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if path.is_dir():
            path = path / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read manifest: {exc.strerror}", anchor=str(path)) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"manifest is not valid JSON: {exc.msg}", anchor=str(path)) from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"manifest field {where}: {first['msg']}", anchor=str(path)) from None


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


def atomic_write_text(target: Path, text: str) -> None:
    """Write via a temp file in the same folder, then rename: never a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
