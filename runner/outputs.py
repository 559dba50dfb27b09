"""Find every output of a finished prompt: download its media files safely, record the rest.

Output nodes report media in their UI dict under ``images`` (core SaveVideo puts videos here too,
with ``animated: [true]``), ``videos``, ``gifs`` (VideoHelperSuite, even for mp4) and ``audio``. Each
such file is fetched with ``GET /view``, streamed in chunks to a temp name, checked against
Content-Length, hashed on the fly, then renamed; the run's deadline bounds every download, and a cut
or interrupted one leaves no temp file. Everything else a node shows (``text`` of PreviewAny,
``latents`` of SaveLatent, 3D files, custom keys) is recorded as it is, size-bounded, in the
manifest's ``ui_outputs``. Local names are ``<node_id>-<index>.<ext>`` (never the server's counters)
with node ids escaped so that two ids never share a name; server names with ``..``, NUL or an
absolute path are refused, so nothing lands outside the output folder. Windows servers report
nested subfolders with backslashes: they are read as separators and sent back with ``/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from comfyreel.runner import http
from comfyreel.runner.errors import OutputError, RunError, RunTimeout
from comfyreel.runner.manifest import OUTPUTS_DIR
from comfyreel.runner.run_records import FileRecord

OUTPUT_KEYS = ("images", "videos", "gifs", "audio")
NOT_RECORDED = frozenset({"animated"})  # UI keys that only describe the media keys
CHUNK = 1 << 16
TEXT_LIMIT = 4096  # characters of one recorded UI string (text previews can be huge)
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
_ID_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True)
class OutputRef:
    """One file an output node reported."""

    node_id: str
    index: int  # position among all files of this node
    kind: str  # images | videos | gifs | audio
    filename: str
    subfolder: str  # '/'-separated, whatever the server's OS
    type: str

    @property
    def ext(self) -> str:
        suffix = PurePosixPath(self.filename).suffix.lstrip(".").lower()
        return _SAFE.sub("", suffix)[:10] or "bin"


def escape_id(node_id: str) -> str:
    """Letters, digits and '-' kept; any other character becomes ``_xx`` per UTF-8 byte (injective).

    ``58:43`` -> ``58_3a43`` and ``58_43`` -> ``58_5f43``: subgraph ids and look-alikes never share
    a file name, and no name holds a path separator or a character Windows refuses.
    """
    return "".join(ch if ch in _ID_SAFE else "".join(f"_{b:02x}" for b in ch.encode()) for ch in node_id)


def local_name(node_id: str, index: int, ext: str) -> str:
    """``<node_id>-<index>.<ext>`` with the node id escaped (:func:`escape_id`); long ids are hashed."""
    stem = escape_id(node_id) or "_"
    if len(stem) > 64:
        stem = f"{stem[:48]}_{hashlib.sha256(node_id.encode()).hexdigest()[:12]}"
    return f"{stem}-{index}.{ext}"


def _refuse(ref_node: str, what: str, value: str, why: str) -> OutputError:
    return OutputError(
        f"output node {ref_node} reported an unsafe {what} {value!r} ({why}); refusing to download it",
        anchor=f"node {ref_node}",
        hint="a custom node or the server is misbehaving; nothing was written outside the run folder",
    )


def check_name(node_id: str, filename: Any, subfolder: Any, type_: Any) -> str:
    """The subfolder, '/'-separated; raise OutputError unless the server-side names are plain and relative.

    A backslash in ``subfolder`` is a Windows server's separator (nested ``filename_prefix``); it is
    read as one, so ``a\\b`` is ``a/b`` and ``..\\x`` is refused like ``../x``.
    """
    if not isinstance(filename, str) or not filename or filename in (".", ".."):
        raise _refuse(node_id, "filename", str(filename), "empty or not a name")
    for what, value in (("filename", filename), ("subfolder", subfolder), ("type", type_)):
        if not isinstance(value, str):
            raise _refuse(node_id, what, str(value), "not a string")
        if "\x00" in value:
            raise _refuse(node_id, what, value, "NUL byte")
    if "/" in filename or "\\" in filename:
        raise _refuse(node_id, "filename", filename, "path separator in a file name")
    if ".." in filename:  # ComfyUI's /view refuses any '..' in a file name
        raise _refuse(node_id, "filename", filename, "'..' in a file name")
    sub = subfolder.replace("\\", "/")
    for what, value in (("subfolder", sub), ("type", type_)):
        if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
            raise _refuse(node_id, what, value, "absolute path")
        if ".." in value.split("/"):
            raise _refuse(node_id, what, value, "'..' path component")
    if "/" in type_ or "\\" in type_:
        raise _refuse(node_id, "type", type_, "path separator")
    return sub


def _bounded(value: Any, depth: int = 0) -> Any:
    """*value* as JSON data, strings cut to TEXT_LIMIT characters, nesting cut at 8 levels."""
    if isinstance(value, str):
        return value if len(value) <= TEXT_LIMIT else f"{value[:TEXT_LIMIT]}… ({len(value)} characters)"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= 8:
        return "…"
    if isinstance(value, dict):
        return {str(k): _bounded(v, depth + 1) for k, v in list(value.items())[:100]}
    if isinstance(value, (list, tuple)):
        return [_bounded(v, depth + 1) for v in list(value)[:100]]
    return str(value)[:TEXT_LIMIT]


def collect(outputs: dict[str, dict[str, Any]]) -> list[OutputRef]:
    """Every media file of every output node, in node order then key order; validates names."""
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
                filename, type_ = item.get("filename"), item.get("type", "output")
                subfolder = check_name(node_id, filename, item.get("subfolder") or "", type_)
                kind = key
                if key == "images" and pos < len(animated) and animated[pos] is True:
                    kind = "videos"
                refs.append(OutputRef(node_id, index, kind, filename, subfolder, type_))
                index += 1
    return refs


def ui_records(outputs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What output nodes showed besides media files (text, latents, 3D, ...), for the manifest."""
    records: dict[str, dict[str, Any]] = {}
    for node_id, ui in outputs.items():
        rest = {}
        for key, value in ui.items():
            if key in NOT_RECORDED or value in (None, [], {}, ""):
                continue
            if key in OUTPUT_KEYS:  # media keys hold files; anything else there is malformed, not shown
                if not isinstance(value, list):
                    continue
                value = [v for v in value if not (isinstance(v, dict) and "filename" in v)]
                if not value:
                    continue
            rest[str(key)] = _bounded(value)
        if rest:
            records[node_id] = rest
    return dict(sorted(records.items()))


def _watchdog(server: http.Server, resp: Any) -> tuple[threading.Timer | None, threading.Event]:
    """Cut *resp*'s socket when the run's deadline passes (a slow body otherwise outlasts any timeout)."""
    fired = threading.Event()
    if server.deadline is None or server.clock is None:
        return None, fired

    def cut() -> None:
        fired.set()
        with contextlib.suppress(Exception):
            import socket

            resp.raw.connection.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(server.deadline - server.clock(), 0.0), cut)
    timer.daemon = True
    timer.start()
    return timer, fired


def download(
    server: http.Server, ref: OutputRef, run_dir: Path, *, cached: bool = False, name: str | None = None
) -> FileRecord:
    """Stream one file to ``outputs/.<name>.part``, verify its size, rename it into place.

    Whatever ends the download early (a dropped connection, the deadline, Ctrl-C) removes the
    temp file; the deadline raises :class:`RunTimeout` naming the file and how much had arrived.
    """
    out_dir = run_dir / OUTPUTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or local_name(ref.node_id, ref.index, ref.ext)
    target = out_dir / name
    if target.resolve().parent != out_dir.resolve():  # belt and braces: never outside outputs/
        raise _refuse(ref.node_id, "local name", name, "escapes the output folder")
    tmp = out_dir / f".{name}.part"
    digest = hashlib.sha256()
    size, expected, fired, done = 0, None, threading.Event(), False
    try:
        with http.view(server, ref.filename, ref.subfolder, ref.type) as resp:
            expected = resp.headers.get("Content-Length")
            resp.raw.enforce_content_length = False  # the size check below is ours, whatever urllib3 does
            timer, fired = _watchdog(server, resp)
            try:
                with tmp.open("wb") as handle:
                    for chunk in resp.iter_content(CHUNK):
                        handle.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            finally:
                if timer is not None:
                    timer.cancel()
        if fired.is_set():
            raise _cut(server, ref, size, expected)
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
        done = True
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}", url=server.url) from None
    except (OutputError, RunTimeout):
        raise
    except RunError as exc:  # HTTP 404, a connection dropped mid-body, the deadline, ...
        if fired.is_set() or (server.deadline is not None and server.clock() >= server.deadline):
            raise _cut(server, ref, size, expected) from None
        raise OutputError(
            f"download of {ref.filename!r} (node {ref.node_id}) failed: {exc.message}",
            url=server.url,
            hint="nothing partial was kept; run again",
        ) from None
    finally:
        if not done:
            tmp.unlink(missing_ok=True)
    return FileRecord(
        node_id=ref.node_id,
        index=ref.index,
        kind=ref.kind if ref.kind in OUTPUT_KEYS else "other",
        filename=ref.filename,
        subfolder=ref.subfolder,
        type=ref.type,
        path=f"{OUTPUTS_DIR}/{name}",
        size=size,
        sha256=digest.hexdigest(),
        cached=cached,
    )


def _cut(server: http.Server, ref: OutputRef, size: int, expected: str | None) -> RunTimeout:
    of = f" of {expected}" if expected else ""
    return RunTimeout(
        f"the deadline (--timeout) was reached while downloading {ref.filename!r} (node "
        f"{ref.node_id}): cut after {size}{of} bytes, nothing partial kept",
        url=server.url,
        hint="raise --timeout; files downloaded before it are listed in the manifest",
    )


def download_all(
    server: http.Server,
    outputs: dict[str, dict[str, Any]],
    run_dir: Path,
    *,
    cached_nodes: Iterable[str] = (),
    into: list[FileRecord] | None = None,
    on_file: Callable[[FileRecord], None] | None = None,
) -> list[FileRecord]:
    """Download every media file; each finished one is appended to *into* at once (so a later failure
    or Ctrl-C still leaves the manifest listing what is on disk)."""
    cached = set(cached_nodes)
    files = into if into is not None else []
    used: set[str] = set()
    for ref in collect(outputs):
        name = local_name(ref.node_id, ref.index, ref.ext)
        if name.lower() in used:  # case-insensitive file systems: keep every name distinct
            name = local_name(f"{ref.node_id}~{len(used)}", ref.index, ref.ext)
        used.add(name.lower())
        record = download(server, ref, run_dir, cached=ref.node_id in cached, name=name)
        files.append(record)
        if on_file is not None:
            on_file(record)
    return files


def missing_outputs(
    expected: Iterable[str], files: Iterable[FileRecord], shown: Iterable[str] = ()
) -> list[str]:
    """Output node ids that produced neither a file nor anything else (*shown*: nodes with UI records)."""
    have = {f.node_id for f in files} | set(shown)
    return [n for n in expected if n not in have]
