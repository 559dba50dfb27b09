"""Doctor rows as values: launch flags, fit estimates and the rendered table (no server needed)."""

from __future__ import annotations

from comfyreel.compiler.graph import Graph
from comfyreel.runner.doctor import GIB, Report, Row, graph_rows, server_rows


def _stats(argv: list[str], devices: list[dict], ram: int = 64 * GIB) -> dict:
    system = {
        "comfyui_version": "0.8.0",
        "python_version": "3.11.7 (main)",
        "pytorch_version": "2.9",
        "ram_total": ram,
        "ram_free": ram,
        "argv": ["main.py", *argv],
    }
    return {"system": system, "devices": devices}


def _gpu(gib: int) -> dict:
    return {"name": "cuda:0 RTX", "type": "cuda", "vram_total": gib * GIB, "vram_free": gib * GIB}


def test_regression_flags_are_flagged_only_when_missing_or_harmful() -> None:
    items = lambda rows: {(r.status, r.item) for r in rows if r.check == "regression"}  # noqa: E731
    loose = items(server_rows(_stats(["--fast"], [_gpu(24)]), ["custom_nodes.pack"]))
    assert ("warn", "no --deterministic") in loose and ("warn", "no --disable-metadata") in loose
    assert ("warn", "--fast") in loose and ("info", "caching on") in loose
    strict = items(
        server_rows(_stats(["--deterministic", "--disable-metadata", "--cache-none"], [_gpu(24)]), [])
    )
    assert strict == set()


def _graph(model: str, profile: str | None) -> Graph:
    graph = Graph.from_data({"1": {"class_type": "SaveImage", "inputs": {}}}, source="g.json")
    graph.meta.update({"model": model, "profile": profile, "warnings": []})
    return graph


class _Schema(dict):
    source = "schema"


def _fit(model: str, profile: str | None, stats: dict) -> set[tuple[str, str]]:
    rows = graph_rows("r", _graph(model, profile), _Schema(SaveImage={}), None, stats)
    return {(r.status, r.item) for r in rows if r.check == "fit"}


def test_fit_estimates() -> None:
    assert _fit("ltx2-t2v", "rtx4060-8gb", _stats([], [_gpu(8)])) == {("ok", "VRAM")}
    assert ("fail", "profile rtx4060-8gb") in _fit("ltx2-t2v", "rtx4060-8gb", _stats([], [_gpu(6)]))
    assert ("warn", "RAM") in _fit("ltx2-t2v", "rtx4060-8gb", _stats([], [_gpu(8)], ram=16 * GIB))
    assert _fit("ltx2-t2v", None, _stats([], [_gpu(24)])) == {("warn", "no profile")}
    assert _fit("ltx2-t2v", None, _stats([], [_gpu(48)])) == {("ok", "VRAM")}
    assert _fit("ltx23-t2v", None, _stats([], [{"name": "cpu", "type": "cpu"}])) == {("warn", "no GPU")}


def test_report_ok_and_render() -> None:
    report = Report(
        [
            Row("s", "model", "fail", "x.safetensors", "missing from models/loras", "curl ..."),
            Row("s", "nodes", "ok", "3 node classes", "all on this server"),
        ]
    )
    text = report.render()
    assert not report.ok and "FAIL" in text and "-> curl ..." in text and "not ready: 1 problem(s)" in text
    assert Report(report.rows[1:]).ok and "ready: every recipe can run" in Report(report.rows[1:]).render()
