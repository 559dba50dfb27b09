"""Span indexes of object_info files: exact spans, the shipped indexes, the user cache, stale indexes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from comfyreel.compiler import schema_index
from comfyreel.compiler.errors import ObjectInfoError
from comfyreel.compiler.object_info import PINNED_RESOURCE, ObjectInfo

DATA = Path(schema_index.__file__).with_name("data")


def _node(n: int) -> dict:
    return {"input": {"required": {"a": ["INT", {"min": n, "tooltip": "é ✓ 😀"}]}}, "output": ["X"]}


def _file(tmp_path: Path, nodes: int = 40, indent: int | None = 2) -> Path:
    path = tmp_path / "oi.json"
    raw = {f"Node{i}": _node(i) for i in range(nodes)}
    raw["Ünïcode ✓"] = _node(99)
    path.write_text(json.dumps(raw, indent=indent, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("indent", [None, 2])
def test_scan_spans_are_exact_byte_ranges(tmp_path, indent) -> None:
    data = _file(tmp_path, indent=indent).read_bytes()
    parsed, spans = schema_index.scan(data)
    assert parsed == json.loads(data) and list(spans) == list(parsed)
    for key, (start, end) in spans.items():
        assert json.loads(data[start:end]) == parsed[key]


@pytest.mark.parametrize("text", ["[1]", "{", '{"a": 1,}', '{"a": 1} x', "", '{"a" 1}'])
def test_scan_refuses_what_is_not_a_json_object(text) -> None:
    assert schema_index.scan(text.encode()) is None


@pytest.mark.parametrize("name", ["object_info-0.27.0.json", "object_info-0.8.0.json"])
def test_shipped_indexes_match_their_files(name) -> None:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"{name} not shipped")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    spans = schema_index.read_index(schema_index.index_path_beside(path), sha256=digest, size=len(data))
    assert spans is not None, f"regenerate: python -m comfyreel.compiler.schema_index {path}"
    full = json.loads(data)
    assert list(spans) == list(full)
    for key in ("APG", "SaveImage", "EmptyLTXVLatentVideo", *list(full)[-3:]):
        if key in spans:
            assert json.loads(data[slice(*spans[key])]) == full[key]


def test_pinned_loads_lazily_and_raw_parses_on_demand() -> None:
    schema = ObjectInfo.pinned()
    assert schema.sha256 == hashlib.sha256((DATA / PINNED_RESOURCE).read_bytes()).hexdigest()
    full = json.loads((DATA / PINNED_RESOURCE).read_bytes())
    assert list(schema) == list(full) and len(schema) == len(full)
    assert schema["SaveImage"].output_node and "SaveImage" in schema and "Nope" not in schema
    assert dict(schema.raw) == full


@pytest.mark.parametrize("mmap_from", [1, 10**9])  # memory-mapped or read
def test_large_file_gets_a_cached_index_then_loads_lazily(tmp_path, monkeypatch, mmap_from) -> None:
    monkeypatch.setenv("COMFYREEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(schema_index, "MIN_CACHED_SIZE", 1)
    monkeypatch.setattr("comfyreel.compiler.object_info._MMAP_FROM", mmap_from)
    monkeypatch.setattr("comfyreel.compiler.object_info._BY_SHA256", {})
    path = _file(tmp_path)
    first = ObjectInfo.from_file(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    cached = schema_index.cache_path(digest)
    assert cached is not None and cached.is_file() and first._store.raw is not None
    monkeypatch.setattr("comfyreel.compiler.object_info._BY_SHA256", {})
    second = ObjectInfo.from_file(path)
    assert second._store.raw is None  # lazy: nothing parsed yet
    assert second["Ünïcode ✓"].inputs["a"].options["min"] == 99
    assert list(second) == list(first) and second.sha256 == digest
    assert second._store.raw is None and dict(second.raw) == dict(first.raw)


def test_stale_or_damaged_index_is_ignored(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMFYREEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("comfyreel.compiler.object_info._MMAP_FROM", 1)
    monkeypatch.setattr("comfyreel.compiler.object_info._BY_SHA256", {})
    path = _file(tmp_path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    _, spans = schema_index.scan(data)
    wrong = {k: (a + 1, b) for k, (a, b) in spans.items()}  # right hash, wrong spans (damaged)
    schema_index.write_index(schema_index.cache_path(digest), wrong, sha256=digest, size=len(data))
    schema = ObjectInfo.from_file(path)
    assert schema["Node3"].inputs["a"].options["min"] == 3  # fell back to a full parse
    other = tmp_path / "other.index.json"
    schema_index.write_index(other, spans, sha256="0" * 64, size=len(data))
    assert schema_index.read_index(other, sha256=digest, size=len(data)) is None
    other.write_text("{nope")
    assert schema_index.read_index(other, sha256=digest, size=len(data)) is None


def test_bad_files_still_fail_with_object_info_errors(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMFYREEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(schema_index, "MIN_CACHED_SIZE", 1)
    bad = tmp_path / "bad.json"
    bad.write_text('{"X": {"output": []}}')
    with pytest.raises(ObjectInfoError, match="not a node schema"):
        ObjectInfo.from_file(bad)
    assert not (tmp_path / "cache").exists()  # nothing cached for a file that failed the check
    bad.write_text('{"X": ')
    with pytest.raises(ObjectInfoError, match="not valid JSON"):
        ObjectInfo.from_file(bad)


def test_cache_can_be_switched_off(monkeypatch) -> None:
    monkeypatch.setenv("COMFYREEL_CACHE_DIR", "off")
    assert schema_index.cache_dir() is None and schema_index.cache_path("ab") is None
    monkeypatch.delenv("COMFYREEL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/x")
    assert schema_index.cache_dir() == Path("/x/comfyreel")
