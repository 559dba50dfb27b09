"""Find every output file of a finished prompt and download it safely into ``RUN_DIR/outputs/``.

Output nodes report files in their UI dict under ``images`` (core SaveVideo puts videos here too, with
``animated: [true]``), ``videos``, ``gifs`` (VideoHelperSuite, even for mp4) and ``audio``. Each file
is fetched with ``GET /view``, streamed in chunks to a temp name, checked against Content-Length,
hashed on the fly, then renamed. Local names are ``<node_id>-<index>.<ext>`` (never the server's
counters); server names with a path, ``..``, NUL or an absolute path are refused, so nothing can land
outside the output folder and we never ask the server for a file outside its own folders.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from comfyreel.runner import http
from comfyreel.runner.errors import OutputError, RunError
from comfyreel.runner.manifest import OUTPUTS_DIR
from comfyreel.runner.run_records import FileRecord

OUTPUT_KEYS = ("images", "videos", "gifs", "audio")
CHUNK = 1 << 16
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class OutputRef:
    """One file an output node reported."""

    node_id: str
    index: int  # position among all files of this node
    kind: str  # images | videos | gifs | audio
    filename: str
    subfolder: str
    type: str

    @property
    def ext(self) -> str:
        suffix = PurePosixPath(self.filename).suffix.lstrip(".").lower()
        return _SAFE.sub("", suffix)[:10] or "bin"


def local_name(node_id: str, index: int, ext: str) -> str:
    """``<node_id>-<index>.<ext>``; characters unsafe in file names (``:`` of subgraph ids) become ``_``."""
    return f"{_SAFE.sub('_', node_id)}-{index}.{ext}"


def _refuse(ref_node: str, what: str, value: str, why: str) -> OutputError:
    return OutputError(
        f"output node {ref_node} reported an unsafe {what} {value!r} ({why}); refusing to download it",
        anchor=f"node {ref_node}",
        hint="a custom node or the server is misbehaving; nothing was written outside the run folder",
    )


def check_name(node_id: str, filename: Any, subfolder: Any, type_: Any) -> None:
    """Raise OutputError unless the server-side names are plain and relative."""
    if not isinstance(filename, str) or not filename or filename in (".", ".."):
        raise _refuse(node_id, "filename", str(filename), "empty or not a name")
    for what, value in (("filename", filename), ("subfolder", subfolder), ("type", type_)):
        if not isinstance(value, str):
            raise _refuse(node_id, what, str(value), "not a string")
        if "\x00" in value:
            raise _refuse(node_id, what, value, "NUL byte")
        if "\\" in value or value.startswith("/") or re.match(r"^[A-Za-z]:", value):
            raise _refuse(node_id, what, value, "absolute path or backslash")
        if ".." in value.split("/"):
            raise _refuse(node_id, what, value, "'..' path component")
    if "/" in filename:
        raise _refuse(node_id, "filename", filename, "path separator in a file name")


def collect(outputs: dict[str, dict[str, Any]]) -> list[OutputRef]:
    """Every file of every output node, in node order then key order; validates names."""
    from comfyreel.compiler.graph import node_sort_key

    refs: list[OutputRef] = []
    for node_id in sorted(outputs, key=node_sort_key):
        ui = outputs[node_id]
        animated = ui.get("animated") if isinstance(ui.get("animated"), list) else []
        index = 0
        for key in OUTPUT_KEYS:
            items = ui.get(key)
            if not isinstance(items, list):
                continue
            for pos, item in enumerate(items):
                if not isinstance(item, dict) or "filename" not in item:
                    continue  # e.g. text previews
                filename, subfolder, type_ = (
                    item.get("filename"),
                    item.get("subfolder", ""),
                    item.get("type", "output"),
                )
                check_name(node_id, filename, subfolder or "", type_)
                kind = key
                if key == "images" and pos < len(animated) and animated[pos] is True:
                    kind = "videos"
                refs.append(OutputRef(node_id, index, kind, filename, subfolder or "", type_))
                index += 1
    return refs


def download(server: http.Server, ref: OutputRef, run_dir: Path, *, cached: bool = False) -> FileRecord:
    """Stream one file to ``outputs/.<name>.part``, verify its size, rename it into place."""
    out_dir = run_dir / OUTPUTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    name = local_name(ref.node_id, ref.index, ref.ext)
    target = out_dir / name
    if target.resolve().parent != out_dir.resolve():  # belt and braces: never outside outputs/
        raise _refuse(ref.node_id, "local name", name, "escapes the output folder")
    tmp = out_dir / f".{name}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with http.view(server, ref.filename, ref.subfolder, ref.type) as resp:
            expected = resp.headers.get("Content-Length")
            with tmp.open("wb") as handle:
                for chunk in resp.iter_content(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        if expected is not None and expected.isdigit() and int(expected) != size:
            raise OutputError(
                f"download of {ref.filename!r} (node {ref.node_id}) is incomplete: "
                f"{size} of {expected} bytes",
                url=server.url,
                hint="the connection dropped; run again",
            )
        if size == 0:
            raise OutputError(f"output {ref.filename!r} of node {ref.node_id} is empty", url=server.url)
        os.replace(tmp, target)
    except OutputError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror}", url=server.url) from None
    except RunError as exc:  # HTTP 404, a connection dropped mid-body, ...
        tmp.unlink(missing_ok=True)
        raise OutputError(
            f"download of {ref.filename!r} (node {ref.node_id}) failed: {exc.message}",
            url=server.url,
            hint="nothing partial was kept; run again",
        ) from None
    return FileRecord(
        node_id=ref.node_id,
        index=ref.index,
        kind=ref.kind if ref.kind in ("images", "videos", "gifs", "audio") else "other",
        filename=ref.filename,
        subfolder=ref.subfolder,
        type=ref.type,
        path=f"{OUTPUTS_DIR}/{name}",
        size=size,
        sha256=digest.hexdigest(),
        cached=cached,
    )


def download_all(
    server: http.Server,
    outputs: dict[str, dict[str, Any]],
    run_dir: Path,
    *,
    cached_nodes: Iterable[str] = (),
) -> list[FileRecord]:
    cached = set(cached_nodes)
    return [download(server, ref, run_dir, cached=ref.node_id in cached) for ref in collect(outputs)]


def missing_outputs(expected: Iterable[str], files: Iterable[FileRecord]) -> list[str]:
    """Output node ids that produced no file."""
    have = {f.node_id for f in files}
    return [n for n in expected if n not in have]
