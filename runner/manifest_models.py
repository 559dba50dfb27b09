"""The pydantic models of ``RUN_DIR/manifest.json`` (validation on load, typed access, JSON schema).

Imported lazily through :mod:`comfyreel.runner.manifest` (``from comfyreel.runner.manifest import
Manifest`` works as before): the runner writes a manifest as plain JSON in exactly this shape and
never needs pydantic on the render path (issue 7: importing pydantic and building these models was
~110 ms of every ``comfyreel run`` process). ``tests/runner`` checks that a written manifest
validates against these models and dumps back unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from comfyreel.compiler.errors import InputError
from comfyreel.runner.manifest import GRAPH_NAME, MANIFEST_NAME, SCHEMA_VERSION, atomic_write_text
from pydantic import BaseModel, ConfigDict, Field, ValidationError

OutputKind = Literal["images", "videos", "gifs", "audio", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecipeRef(_Model):
    path: str | None = None
    name: str | None = None
    model: str | None = None
    sha256: str | None = None
    text: str | None = None  # the recipe file's content, so a rerun needs nothing else
    variant: dict[str, Any] | None = None  # values set by --set / matrix (the name's "@key=value,...")
    warnings: list[str] = []  # what loading it warned about (frames snapped, over budget, ...)


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
    fake: bool = False  # comfyreel's fake ComfyUI (deterministic test media, no GPU): not a real render
    argv: list[str] | None = None  # the server's command line as /system_stats reports it


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


class InputFile(_Model):
    """One input media file of the run (``runner.uploads``): rerun finds it again by path and sha256."""

    name: str  # the graph's name for it, comfyreel/<sha256[:16]>.<ext>
    path: str  # the local file, absolute, as it was at run time
    sha256: str
    kind: Literal["image", "video", "audio"] = "image"
    size: int | None = None
    server_name: str  # the name the server gave it (differs when it kept another file under ours)
    uploaded: bool = True  # False: the server already had the same bytes


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
    inputs: list[InputFile] = Field(default_factory=list)
    outputs: list[OutputFile] = Field(default_factory=list)
    # what output nodes showed besides media files: node id -> {UI key: value}, e.g. PreviewAny's
    # {"text": [...]} or SaveLatent's {"latents": [...]} (strings cut at 4,096 characters)
    ui_outputs: dict[str, dict[str, Any]] = Field(default_factory=dict)
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
