"""Media in: put a compiled recipe's input files on the server before the graph is submitted.

A compiled graph names each input file by its content, ``comfyreel/<sha256[:16]>.<ext>``
(``Graph.meta["inputs"]``, one entry per file: local ``path``, graph ``name``, ``sha256``,
``kind``). For each one the runner:

1. asks the server for that name (``GET /view?type=input&subfolder=comfyreel``, streamed): when the
   size announced and then the sha256 of the bytes equal ours, the upload is skipped (the server keeps
   its file, and with it its mtime, so ComfyUI's cache of ``LoadVideo`` stays warm);
2. otherwise checks the local file still has the sha256 the graph was compiled with, and uploads it
   with ``POST /upload/image`` (fields ``image``, ``type=input``, ``subfolder=comfyreel``; no
   ``overwrite``), streamed from disk with a bounded-memory multipart encoder (requests-toolbelt);
3. takes the name the server answers: ComfyUI keeps a same-name file with other bytes and saves
   ours as ``NAME (1).ext`` (server.py ``image_upload``), so the graph is rewritten to that name.

Nothing here reads a whole file into memory. A missing or changed local file that the server does
not already have is an :class:`InputError` naming the file and the fix.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import InputError
from comfyreel.compiler.graph import Graph
from comfyreel.runner import http
from comfyreel.runner.errors import ProtocolError
from comfyreel.runner.manifest import sha256_file

KINDS = ("image", "video", "audio")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class MediaInput:
    """One input file of a graph: where it is here, and the name the graph gives it."""

    path: str  # local file (absolute, or relative to the current directory)
    name: str  # graph value, e.g. "comfyreel/0123456789abcdef.png"
    sha256: str
    kind: str = "image"  # image | video | audio

    @classmethod
    def coerce(cls, item: Any) -> MediaInput:
        """From the compiler's input value, a manifest entry, or a mapping with the same fields."""
        if isinstance(item, MediaInput):
            return item
        get = item.get if isinstance(item, Mapping) else (lambda key: getattr(item, key, None))
        path, name, sha256, kind = get("path"), get("name"), get("sha256"), get("kind") or "image"
        if not (path and isinstance(name, str) and name and isinstance(sha256, str) and len(sha256) == 64):
            raise InputError(f"unusable input file entry {item!r}: needs path, name and a sha256")
        return cls(str(path), name, sha256.lower(), str(kind))

    @property
    def subfolder(self) -> str:
        return posixpath.dirname(self.name)

    @property
    def filename(self) -> str:
        return posixpath.basename(self.name)


@dataclass(frozen=True)
class Uploaded:
    """What happened to one input: its name on the server and whether the bytes were sent."""

    input: MediaInput
    server_name: str  # graph value that names the file on the server
    size: int | None  # None when the server had it and the local file is gone (a rerun)
    skipped: bool  # the server already had these bytes under that name

    def to_dict(self) -> dict[str, Any]:
        """The manifest's ``inputs`` entry."""
        return {
            "name": self.input.name,
            "path": os.path.abspath(self.input.path),
            "sha256": self.input.sha256,
            "kind": self.input.kind,
            "size": self.size,
            "server_name": self.server_name,
            "uploaded": not self.skipped,
        }


def graph_inputs(graph: Graph) -> list[MediaInput]:
    """The input files a compiled graph carries in ``meta["inputs"]`` (empty for a bare graph)."""
    return [MediaInput.coerce(item) for item in graph.meta.get("inputs") or []]


def remote_sha256(server: http.Server, media: MediaInput, size: int | None) -> str | None:
    """sha256 of the server's file under *media*'s name, or None when absent or of another size.

    The size check reads only the headers, so a differing file costs no download.
    """
    params = {"filename": media.filename, "subfolder": media.subfolder, "type": "input"}
    what = f"GET /view {media.name} (input)"
    with (
        http.translating(server, what),
        server.session.get(server.base + "/view", params=params, stream=True, timeout=server.timeout) as resp,
    ):
        if resp.status_code in (400, 403, 404):
            return None
        http.check_status(server, resp, what)
        announced = resp.headers.get("Content-Length")
        if size is not None and announced is not None and announced.isdigit() and int(announced) != size:
            return None
        digest = hashlib.sha256()
        for block in resp.iter_content(_CHUNK):
            digest.update(block)
        return digest.hexdigest()


def _local_size(media: MediaInput, anchor: str) -> int:
    """The local file's size after checking that its bytes are the ones the graph was compiled with."""
    path = Path(media.path)
    if not path.is_file():
        raise InputError(
            f"input file {media.path} ({media.kind}, sha256 {media.sha256[:12]}) is missing",
            anchor=anchor,
            hint=f"put the file back at {media.path} (the server does not have {media.name} either)",
        )
    actual = sha256_file(path)
    if actual != media.sha256:
        raise InputError(
            f"input file {media.path} changed since it was compiled "
            f"(sha256 {actual[:12]}, the graph names {media.sha256[:12]})",
            anchor=anchor,
            hint="compile the recipe again (`comfyreel run RECIPE` does), or restore the file",
        )
    return path.stat().st_size


def _server_name(server: http.Server, answer: Any, media: MediaInput) -> str:
    """``subfolder/name`` from the upload answer ``{"name", "subfolder", "type"}``; refuses odd names."""
    if not isinstance(answer, dict) or not isinstance(answer.get("name"), str):
        raise ProtocolError(
            f"POST /upload/image {media.name}: the answer has no file name: {str(answer)[:200]}",
            url=server.url,
        )
    name, subfolder = answer["name"], answer.get("subfolder", media.subfolder)
    if not isinstance(subfolder, str):
        subfolder = media.subfolder
    parts = [p for p in (subfolder.replace("\\", "/"), name) if p]
    joined = "/".join(parts)
    if (
        not name
        or "/" in name
        or "\\" in name
        or ".." in joined
        or "\x00" in joined
        or joined.startswith("/")
    ):
        raise ProtocolError(f"POST /upload/image: unsafe file name in the answer: {joined!r}", url=server.url)
    return joined


def upload_one(server: http.Server, media: MediaInput, size: int) -> str:
    """POST *media* (streamed from disk) to ``/upload/image``; returns the server's name for it."""
    from requests_toolbelt import MultipartEncoder  # only runs with media: keep `run` light otherwise

    what = f"POST /upload/image {media.name}"
    with open(media.path, "rb") as handle:
        body = MultipartEncoder(
            fields={
                "image": (media.filename, handle, "application/octet-stream"),
                "type": "input",
                "subfolder": media.subfolder,
            }
        )
        with http.translating(server, what):
            resp = server.session.post(
                server.base + "/upload/image",
                data=body,
                headers={"Content-Type": body.content_type},
                timeout=server.timeout,
            )
            if resp.status_code == 413:
                raise InputError(
                    f"{media.path}: {size} bytes is more than the server accepts in one upload",
                    anchor=media.path,
                    hint="start ComfyUI with a larger --max-upload-size (MB), or use a smaller file",
                )
            http.check_status(server, resp, what)
            return _server_name(server, resp.json(), media)


def max_upload_size(server: http.Server) -> int | None:
    """The server's upload limit in bytes from ``GET /features`` (None when it does not say)."""
    try:
        features = http.get_json(server, "/features")
    except ProtocolError:  # an old server without the route
        return None
    limit = features.get("max_upload_size") if isinstance(features, dict) else None
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None


def upload_inputs(
    server: http.Server,
    inputs: Iterable[MediaInput],
    *,
    anchor: str = "<graph>",
    emit: Callable[..., None] | None = None,
) -> list[Uploaded]:
    """Make every input present on the server (skipping ones it has with the same bytes)."""
    done: list[Uploaded] = []
    limit: int | None = None
    limit_read = False
    for media in inputs:
        local = Path(media.path)
        size = local.stat().st_size if local.is_file() else None
        if remote_sha256(server, media, size) == media.sha256:
            result = Uploaded(media, media.name, size, skipped=True)
        else:
            size = _local_size(media, anchor)
            if not limit_read:
                limit, limit_read = max_upload_size(server), True
            if limit is not None and size > limit:
                raise InputError(
                    f"{media.path}: {size} bytes is more than the server's upload limit ({limit} bytes)",
                    anchor=anchor,
                    hint="start ComfyUI with a larger --max-upload-size (MB), or use a smaller file",
                )
            result = Uploaded(media, upload_one(server, media, size), size, skipped=False)
        done.append(result)
        if emit is not None:
            emit(
                "upload",
                name=media.name,
                server_name=result.server_name,
                size=result.size,
                skipped=result.skipped,
            )
    return done


def renamed(graph: Graph, uploads: Iterable[Uploaded]) -> Graph:
    """*graph* with every input value naming an uploaded file changed to the server's name."""
    mapping = {u.input.name: u.server_name for u in uploads if u.server_name != u.input.name}
    if not mapping:
        return graph
    nodes: dict[str, dict[str, Any]] = {}
    for node_id, node in graph.nodes.items():
        inputs = node.get("inputs") if isinstance(node, dict) else None
        if isinstance(inputs, dict) and any(isinstance(v, str) and v in mapping for v in inputs.values()):
            new_inputs = {k: mapping.get(v, v) if isinstance(v, str) else v for k, v in inputs.items()}
            node = {**node, "inputs": new_inputs}
        nodes[node_id] = node
    return Graph(nodes, source=graph.source, meta=graph.meta)
