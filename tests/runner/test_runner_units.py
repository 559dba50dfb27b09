"""Unit tests of the runner's pieces: output names, exception mapping, findings, timing, progress."""

from __future__ import annotations

import contextlib
import inspect
import io
import json
from pathlib import Path

import pytest
import requests
import websocket
from comfyreel.compiler.graph import Graph
from comfyreel.runner import http as rhttp
from comfyreel.runner import outputs, rejection
from comfyreel.runner.errors import OutputError, ProtocolError, RunError, ServerUnavailable
from comfyreel.runner.progress import JsonReporter, RichReporter
from comfyreel.runner.timing import TimingRecorder, VramPeak, phase_of
from comfyreel.runner.ws import WsClient, ws_url

DATA = Path(__file__).resolve().parent.parent / "data" / "runner"


# -- output names ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filename", "subfolder"),
    [
        ("../x.mp4", ""),
        ("/etc/passwd", ""),
        ("a\x00b.mp4", ""),
        ("..\\..\\win.mp4", ""),
        ("", ""),
        ("..", ""),
        ("a/b.png", ""),
        ("ok.png", "../up"),
        ("ok.png", "/abs"),
        ("ok.png", "C:\\x"),
        ("ok.png", "a/../../b"),
        (None, ""),
        ("ok.png", 3),
    ],
)
def test_unsafe_names_refused(filename, subfolder):
    with pytest.raises(OutputError):
        outputs.check_name("9", filename, subfolder, "output")


def test_collect_kinds_and_local_names():
    ui = {
        "3": {
            "images": [{"filename": "v_00001_.mp4", "subfolder": "video", "type": "output"}],
            "animated": [True],
        },
        "10": {
            "gifs": [
                {"filename": "vhs_00001.mp4", "subfolder": "", "type": "output", "format": "video/h264-mp4"}
            ]
        },
        "2": {
            "images": [
                {"filename": "a.png", "subfolder": "", "type": "output"},
                {"filename": "b.PNG", "subfolder": "", "type": "temp"},
            ],
            "audio": [{"filename": "s.flac", "subfolder": "audio", "type": "output"}],
            "text": ["hello"],
        },
        "92:48": {"videos": [{"filename": "x.webm", "subfolder": "", "type": "output"}]},
    }
    refs = outputs.collect(ui)
    got = [(r.node_id, r.index, r.kind, outputs.local_name(r.node_id, r.index, r.ext)) for r in refs]
    assert got == [
        ("2", 0, "images", "2-0.png"),
        ("2", 1, "images", "2-1.png"),
        ("2", 2, "audio", "2-2.flac"),
        ("3", 0, "videos", "3-0.mp4"),
        ("10", 0, "gifs", "10-0.mp4"),
        ("92:48", 0, "videos", "92_3a48-0.webm"),
    ]


# -- exception translation -------------------------------------------------------------------
def _all_subclasses(base):
    seen, todo = set(), [base]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


@pytest.mark.parametrize(
    "exc_class",
    sorted(
        (
            c
            for c in vars(requests.exceptions).values()
            if inspect.isclass(c) and issubclass(c, requests.exceptions.RequestException)
        ),
        key=lambda c: c.__name__,
    ),
    ids=lambda c: c.__name__,
)
def test_every_requests_exception_is_translated(exc_class):
    server = rhttp.Server("http://user:secret@127.0.0.1:9")
    try:
        exc = exc_class("boom")
    except TypeError:  # JSONDecodeError wants (msg, doc, pos)
        exc = exc_class("boom", "", 0)
    with pytest.raises(RunError) as info, rhttp.translating(server, "GET /x"):
        raise exc
    assert isinstance(info.value, (ServerUnavailable, ProtocolError))
    assert "secret" not in str(info.value.to_dict())


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionResetError(),
        websocket.WebSocketException("x"),
        websocket.WebSocketBadStatusException("%s", 403),
    ]
    + [
        c("x")
        for c in sorted(_all_subclasses(websocket.WebSocketException), key=lambda c: c.__name__)
        if c is not websocket.WebSocketBadStatusException
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_websocket_exception_is_mapped(exc, monkeypatch):
    from comfyreel.runner.ws import WsClosed

    client = WsClient("http://127.0.0.1:9", "cid")

    class Dummy:
        connected = True

        def settimeout(self, t):
            pass

        def recv(self):
            raise exc

        def close(self, timeout=1):
            pass

    client._ws = Dummy()
    with contextlib.suppress(WsClosed):  # either a read timeout (None) or a closed socket
        assert client.recv(0.01) is None
    monkeypatch.setattr(websocket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(exc))
    with pytest.raises(ServerUnavailable):
        client.connect()


def test_server_url_credentials_stay_out():
    server = rhttp.Server("http://alice:s3cret@127.0.0.1:8188/prefix/", headers={"X-Token": "t0k"})
    assert server.url == "http://127.0.0.1:8188/prefix" and "s3cret" not in server.base
    headers = server.auth_headers()
    assert headers["X-Token"] == "t0k" and headers["Authorization"].startswith("Basic ")
    assert ws_url(server.base, "abc") == "ws://127.0.0.1:8188/prefix/ws?clientId=abc"
    assert ws_url("https://h", "a b") == "wss://h/ws?clientId=a%20b"
    with pytest.raises(ServerUnavailable):
        rhttp.Server("ftp://x")


# -- findings from recorded 400 bodies ----------------------------------------------------------
def test_recorded_rejections_become_findings():
    cases = json.loads((DATA / "validation_errors_0.8.0.json").read_text())
    assert len(cases) == 14
    for case in cases:
        graph = Graph.from_data(case["request"] if isinstance(case["request"], dict) else {}, source="g.json")
        exc = rejection.rejected(case["response"], graph, url="u", prompt_id=None, client_id="c")
        assert exc.exit_code == 5 and exc.findings
        body = case["response"]
        for node_id, entry in body["node_errors"].items():
            assert any(f.node_id == node_id and f.class_type == entry["class_type"] for f in exc.findings)
    by_type = {}
    for case in cases:
        graph = Graph.from_data(case["request"] if isinstance(case["request"], dict) else {}, source="g.json")
        for f in rejection.findings_from_body(case["response"], graph):
            by_type[f.rule] = f
    assert by_type["server-value-not-in-list"].fix.startswith("set ")
    assert by_type["server-value-bigger-than-max"].fix == "set width to at most 16384"
    assert by_type["server-invalid-prompt"].node_id == "2"
    assert by_type["server-prompt-no-outputs"].fix


# -- timing ------------------------------------------------------------------------------------
def test_phases():
    assert [
        phase_of(c)
        for c in (
            "CheckpointLoaderSimple",
            "LTXAVTextEncoderLoader",
            "CLIPTextEncode",
            "SamplerCustomAdvanced",
            "KSampler",
            "KSamplerSelect",
            "VAEDecodeTiled",
            "SaveVideo",
            "EmptyLTXVLatentVideo",
            None,
        )
    ] == ["load", "load", "encode", "sample", "sample", "other", "decode", "save", "other", "other"]


def test_timing_from_events():
    rec = TimingRecorder({"1": "CheckpointLoaderSimple", "2": "KSampler", "3": "SaveImage"})
    for e in (
        {"event": "submitted", "t": 0.0},
        {"event": "started", "t": 0.5, "timestamp": 1000},
        {"event": "cached", "t": 0.5, "nodes": ["1"]},
        {"event": "node", "t": 0.6, "node": "2"},
        {"event": "node", "t": 2.6, "node": "3"},
        {"event": "ended", "t": 3.0, "timestamp": 3400},
    ):
        rec(e)
    t = rec.timings(total_s=3.5)
    assert (t.queued_s, t.execution_s, t.total_s) == (0.5, 2.4, 3.5)
    assert [(n.node_id, n.phase, n.start_s, n.duration_s, n.cached) for n in t.nodes] == [
        ("2", "sample", pytest.approx(0.1), pytest.approx(2.0), False),
        ("3", "save", pytest.approx(2.1), pytest.approx(0.4), False),
        ("1", "load", 0.0, 0.0, True),
    ]


def test_vram_peak_ignores_cpu():
    peak = VramPeak()
    peak.sample({"devices": [{"type": "cpu", "vram_total": 100, "vram_free": 1}]})
    assert peak.peak is None
    for free in (80, 20, 50):
        peak.sample({"devices": [{"type": "cuda", "vram_total": 100, "vram_free": free}]})
    assert peak.peak == 80


# -- progress ----------------------------------------------------------------------------------
EVENTS = [
    {"event": "submitted", "t": 0.0},
    {"event": "cached", "t": 0.1, "nodes": ["1"]},
    {"event": "node", "t": 0.2, "node": "2", "title": "Sampler", "class_type": "KSampler"},
    {"event": "progress", "t": 0.3, "node": "2", "value": 5, "max": 10},
    {"event": "ws_lost", "t": 0.4},
    {"event": "reconnected", "t": 0.5},
    {"event": "output", "t": 0.6, "path": "outputs/2-0.png", "size": 10},
    {"event": "done", "t": 0.7},
]


def test_json_reporter_ndjson():
    out = io.StringIO()
    rep = JsonReporter(out)
    for e in EVENTS:
        rep(e)
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["event"] for line in lines] == [e["event"] for e in EVENTS]


def test_rich_reporter_renders():
    from rich.console import Console

    buf = io.StringIO()
    clock = iter(range(1000))
    rep = RichReporter(
        Console(file=buf, force_terminal=True, width=100), node_count=3, get_time=lambda: float(next(clock))
    )
    for e in EVENTS:
        rep(e)
        if e["event"] == "node":
            assert "Sampler" in rep.progress.tasks[0].description
            rep.progress.refresh()
    rep.close()
    text = buf.getvalue()
    assert "Sampler" in text and "outputs/2-0.png" in text and "ws_lost" in text and "done" in text


def test_reconnect_closes_the_old_socket_first(monkeypatch):
    log = []

    class Sock:
        connected = True

        def __init__(self, n):
            self.n = n

        def close(self, timeout=1):
            log.append(f"close {self.n}")

    count = iter(range(1, 10))

    def create(url, **kwargs):
        n = next(count)
        log.append(f"open {n} {url}")
        return Sock(n)

    monkeypatch.setattr(websocket, "create_connection", create)
    client = WsClient("http://127.0.0.1:1", "me")
    client.connect()
    client.reconnect()
    assert log == [
        "open 1 ws://127.0.0.1:1/ws?clientId=me",
        "close 1",
        "open 2 ws://127.0.0.1:1/ws?clientId=me",
    ]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask_like_open_does(tmp_path, umask, mode):
    import os
    import stat

    from comfyreel.checks.golden import install_file
    from comfyreel.runner.manifest import atomic_write_text

    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "manifest.json", "{}")
        install_file(tmp_path / "manifest.json", tmp_path / "golden" / "copy.json")
    finally:
        os.umask(old)
    for path in (tmp_path / "manifest.json", tmp_path / "golden" / "copy.json"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
