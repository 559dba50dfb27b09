"""fetch_object_info against a local stdlib HTTP server: success, headers, and every failure mapped."""

from __future__ import annotations

import json

import pytest
from comfyreel.runner.errors import ProtocolError, ServerUnavailable
from comfyreel.runner.schema_fetch import fetch_object_info, object_info_url, parse_header
from schema_server import Canned, refused_url, schema_server

SCHEMA = {"EmptyImage": {"input": {"required": {"width": ["INT", {"min": 1}]}}, "output": ["IMAGE"]}}


def test_fetch_returns_a_live_schema_with_its_sha256() -> None:
    canned = Canned(body=json.dumps(SCHEMA).encode())
    with schema_server(canned) as url:
        schema = fetch_object_info(url + "/", headers={"Authorization": "Bearer t0k"})
    assert schema.live and "EmptyImage" in schema
    assert schema.source == f"{url}/object_info"
    assert len(schema.sha256) == 64
    assert canned.seen_paths == ["/object_info"]
    assert canned.seen_headers[0]["Authorization"] == "Bearer t0k"


def test_basic_auth_in_url_is_sent_but_never_shown() -> None:
    canned = Canned(status=401, body=b"{}")
    with schema_server(canned) as url:
        creds = url.replace("http://", "http://alice:s3cret@")
        with pytest.raises(ProtocolError) as info:
            fetch_object_info(creds)
    assert canned.seen_headers[0]["Authorization"].startswith("Basic ")
    text = f"{info.value}{info.value.to_dict()}"
    assert "s3cret" not in text and "alice" not in text
    assert "--header" in info.value.hint


def test_connection_refused_is_server_unavailable() -> None:
    url = refused_url()
    with pytest.raises(ServerUnavailable) as info:
        fetch_object_info(url, timeout=5)
    assert "Connection refused" in info.value.message
    assert info.value.url == f"{url}/object_info"


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (200, b"<html>not json", ProtocolError, "not valid JSON"),
        (200, b"[1, 2]", ProtocolError, "non-empty JSON object"),
        (404, b"{}", ProtocolError, "HTTP 404"),
        (503, b"{}", ServerUnavailable, "HTTP 503"),
    ],
)
def test_bad_answers_are_mapped(status, body, error, text) -> None:
    with schema_server(Canned(status=status, body=body)) as url, pytest.raises(error) as info:
        fetch_object_info(url)
    assert text in info.value.message
    assert type(info.value) is error  # never a requests or json exception


def test_not_an_http_url() -> None:
    with pytest.raises(ServerUnavailable, match="not an http"):
        fetch_object_info("ftp://example/x")


def test_helpers() -> None:
    assert object_info_url("http://h:1/") == "http://h:1/object_info"
    assert object_info_url("http://h:1/object_info") == "http://h:1/object_info"
    assert parse_header("X-Key:  v: w ") == ("X-Key", "v: w")
    for bad in ("novalue", ": v", "Bad Name: v"):
        with pytest.raises(ValueError):
            parse_header(bad)
