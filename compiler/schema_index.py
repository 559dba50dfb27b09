"""Byte-span index of an ``/object_info`` JSON file, so a schema loads without parsing all of it.

An index is ``{"sha256": ..., "size": ..., "nodes": {class_type: [start, end], ...}}``: where
each node's JSON lies in the file's bytes, in file order. With it, :class:`ObjectInfo` parses only
the node entries a graph uses (the pinned 0.27.0 snapshot is 2.2 MB; one node is ~3 KB).

- The shipped snapshots have their index committed beside them (``object_info-0.27.0.index.json``;
  regenerate with ``python -m comfyreel.compiler.schema_index compiler/data/object_info-*.json``).
- Other large files (``--object-info FILE``) get one built on their first load and kept in the
  user cache, keyed by the file's sha256: ``$COMFYREEL_CACHE_DIR`` (empty or ``off`` disables
  it), else ``$XDG_CACHE_HOME/comfyreel``, else ``~/.cache/comfyreel``.

An index is only used when its sha256 and size match the file; otherwise it is ignored and rebuilt.
An index is only written for a file whose every entry passed the schema shape check.
"""

from __future__ import annotations

import json
import os
import sys
from json.decoder import WHITESPACE, scanstring
from pathlib import Path
from typing import Any

Spans = dict[str, tuple[int, int]]

#: Files smaller than this parse fast enough; they are not worth a cache entry.
MIN_CACHED_SIZE = 256 * 1024
_DECODER = json.JSONDecoder()


def index_path_beside(data_file: Path) -> Path:
    """``object_info-0.27.0.json`` -> ``object_info-0.27.0.index.json``."""
    return data_file.with_name(f"{data_file.stem}.index.json")


def cache_dir() -> Path | None:
    """The user cache folder for indexes, or None when caching is switched off."""
    explicit = os.environ.get("COMFYREEL_CACHE_DIR")
    if explicit is not None:
        return None if explicit.strip().lower() in ("", "off", "0", "no") else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "comfyreel"


def cache_path(sha256: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / "object_info" / f"{sha256}.index.json"


def scan(data: bytes) -> tuple[dict[str, Any], Spans] | None:
    """Parse a top-level JSON object and note each value's byte span.

    Returns ``(parsed, spans)``, or None when *data* is not a plain UTF-8 JSON object (the caller
    then parses it with ``json.loads``, which gives the proper error). Costs about one ``json.loads``.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return _scan_text(text, data)
    except (ValueError, IndexError):  # JSONDecodeError is a ValueError
        return None


def _scan_text(text: str, data: bytes) -> tuple[dict[str, Any], Spans] | None:
    parsed: dict[str, Any] = {}
    char_spans: list[tuple[str, int, int]] = []
    idx = WHITESPACE.match(text, 0).end()
    if text[idx] != "{":
        return None
    idx = WHITESPACE.match(text, idx + 1).end()
    if text[idx] != "}":
        while True:
            if text[idx] != '"':
                return None
            key, idx = scanstring(text, idx + 1)
            idx = WHITESPACE.match(text, idx).end()
            if text[idx] != ":":
                return None
            start = WHITESPACE.match(text, idx + 1).end()
            value, end = _DECODER.raw_decode(text, start)
            parsed[key] = value
            char_spans.append((key, start, end))
            idx = WHITESPACE.match(text, end).end()
            if text[idx] == ",":
                idx = WHITESPACE.match(text, idx + 1).end()
                continue
            if text[idx] != "}":
                return None
            break
    if WHITESPACE.match(text, idx + 1).end() != len(text):
        return None
    spans: Spans = {}
    if len(text) == len(data):  # pure ASCII: characters are bytes
        for key, start, end in char_spans:
            spans[key] = (start, end)
        return parsed, spans
    char_pos = byte_pos = 0
    for key, start, end in char_spans:
        byte_start = byte_pos + len(text[char_pos:start].encode("utf-8"))
        byte_end = byte_start + len(text[start:end].encode("utf-8"))
        spans[key] = (byte_start, byte_end)  # a duplicate key keeps its last value, as json.loads does
        char_pos, byte_pos = end, byte_end
    return parsed, spans


def read_index(path: Path | None, *, sha256: str, size: int) -> Spans | None:
    """The spans stored at *path* if it is an index of exactly this file (sha256 and size), else None."""
    if path is None:
        return None
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("sha256") != sha256 or doc.get("size") != size:
        return None
    nodes = doc.get("nodes")
    if not isinstance(nodes, dict) or not nodes:
        return None
    spans: Spans = {}
    for key, span in nodes.items():
        if not (isinstance(span, list) and len(span) == 2):
            return None
        start, end = span
        if not (type(start) is int and type(end) is int and 0 <= start < end <= size):
            return None
        spans[key] = (start, end)
    return spans


def index_document(spans: Spans, *, sha256: str, size: int) -> str:
    nodes = ",\n".join(f"  {json.dumps(k, ensure_ascii=False)}: [{a}, {b}]" for k, (a, b) in spans.items())
    return (
        f'{{"sha256": "{sha256}", "size": {size}, "nodes": {{\n{nodes}\n}}}}\n'
        if spans
        else json.dumps({"sha256": sha256, "size": size, "nodes": {}})
    )


def write_index(path: Path | None, spans: Spans, *, sha256: str, size: int) -> bool:
    """Write an index atomically; best effort (a read-only or full disk only costs speed)."""
    if path is None:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(index_document(spans, sha256=sha256, size=size), encoding="utf-8")
        os.replace(tmp, path)
        return True
    except OSError:
        import contextlib

        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False


def _main(argv: list[str]) -> int:
    """Write ``<name>.index.json`` beside each given object_info file (for the shipped snapshots)."""
    import hashlib

    from comfyreel.compiler.object_info import _check_shape

    for name in argv:
        path = Path(name)
        data = path.read_bytes()
        result = scan(data)
        if result is None:
            sys.stderr.write(f"{name}: not a plain UTF-8 JSON object; no index written\n")
            return 2
        _check_shape(result[0], name)
        digest = hashlib.sha256(data).hexdigest()
        out = index_path_beside(path)
        out.write_text(index_document(result[1], sha256=digest, size=len(data)), encoding="utf-8")
        print(f"wrote {out} ({len(result[1])} nodes)")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
