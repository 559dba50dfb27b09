"""Helpers for the fake server's contract tests: load recordings, drive a plain client, compare shapes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import websocket

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"
#: The models the recording server had (so validation answers match the recordings exactly).
RECORDED_MODELS = {
    "checkpoints": ["dummy.safetensors", "ltx-video-2b-v0.9.safetensors"],
    "text_encoders": ["t5xxl_fp16.safetensors"],
}


def load_trace(name: str, version: str = "") -> list[dict[str, Any]]:
    folder = TRACES / version if version else TRACES
    with (folder / f"{name}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_graph(name: str) -> Any:
    return json.loads((TRACES / f"{name}.graph.json").read_text(encoding="utf-8"))


def recorded_ws(trace: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """Text frames one recorded socket received, in order."""
    return [e["msg"] for e in trace if e["kind"] == "ws_text" and e["ws"] == label]


def recorded_http(trace: list[dict[str, Any]], method: str, path: str) -> list[dict[str, Any]]:
    return [e for e in trace if e["kind"] == "http" and e["method"] == method and e["path"] == path]


def recorded_prompt_runs(frames: list[dict[str, Any]]) -> list[list[str]]:
    """Split a socket's frames into per-prompt type sequences (from the first `status` after idle to
    the terminal `executing{node:null}`); the very first `status` (with sid) is dropped."""
    runs: list[list[str]] = []
    current: list[str] = []
    for msg in frames:
        if msg["type"] == "status" and "sid" in msg["data"]:
            continue
        current.append(msg["type"])
        if msg["type"] == "executing" and msg["data"].get("node") is None:
            runs.append(current)
            current = []
    return runs


def shape(value: Any) -> Any:
    """Structure without values: dict keys kept, lists reduced to the sorted set of item shapes."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        shapes = {json.dumps(shape(v), sort_keys=True) for v in value}
        return sorted(shapes)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


class Client:
    """A plain websocket-client + requests client, like the recorder's."""

    def __init__(self, url: str, client_id: str | None) -> None:
        self.url = url
        ws_url = url.replace("http://", "ws://") + "/ws" + (f"?clientId={client_id}" if client_id else "")
        self.ws = websocket.create_connection(ws_url, timeout=10)
        self.client_id = client_id
        self.first = json.loads(self.ws.recv())

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if body is None:
            return requests.post(self.url + path, timeout=10, **kwargs)
        return requests.post(self.url + path, json=body, timeout=10, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url + path, params=params or None, timeout=10)

    def submit(self, graph: Any, **extra: Any) -> requests.Response:
        body = {"prompt": graph, **extra}
        if self.client_id is not None and "client_id" not in extra:
            body["client_id"] = self.client_id
        return self.post("/prompt", body)

    def recv(self, timeout: float = 10.0) -> dict[str, Any] | None:
        """The next text frame, or None when nothing arrives within *timeout*."""
        self.ws.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return None
            if isinstance(frame, str):
                return json.loads(frame)
        return None

    def until_terminal(self, prompt_id: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Frames up to and including `executing{node: null, prompt_id}`."""
        frames: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.recv(max(0.05, deadline - time.monotonic()))
            if msg is None:
                break
            frames.append(msg)
            data = msg.get("data") or {}
            if msg["type"] == "executing" and data.get("node") is None and data.get("prompt_id") == prompt_id:
                return frames
        raise AssertionError(f"no terminal executing for {prompt_id}; got {[f['type'] for f in frames]}")

    def until(self, predicate: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.recv(max(0.05, deadline - time.monotonic()))
            if msg is None:
                break
            frames.append(msg)
            if predicate(msg):
                return frames
        raise AssertionError(f"condition not met; got {[f['type'] for f in frames]}")

    def drain(self, quiet_s: float = 0.3) -> list[dict[str, Any]]:
        """Everything that arrives until the socket is quiet for *quiet_s*."""
        frames = []
        while True:
            msg = self.recv(quiet_s)
            if msg is None:
                return frames
            frames.append(msg)

    def close(self) -> None:
        self.ws.close()


@contextmanager
def client(url: str, client_id: str | None) -> Iterator[Client]:
    c = Client(url, client_id)
    try:
        yield c
    finally:
        c.close()


def types(frames: list[dict[str, Any]]) -> list[str]:
    return [f["type"] for f in frames]
