"""Time the peers' validators in-process; run by ``peers.py`` inside the peers' interpreter.

Usage: ``python _peer_probe.py OBJECT_INFO REPEAT GRAPH.json...`` -> one JSON line on stdout:
``{"comfy-cli": {"load_s", "first_s", "warm_s": [...]}, "comfy-lint": {...}}`` (a tool that is not
importable is reported as ``{"missing": "..."}``). Stdlib only, so it runs in any venv. The peers'
code is only called here, never copied.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def _time_validator(load, validate, graphs, repeat):
    t0 = time.perf_counter()
    state = load()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for graph in graphs:
        validate(state, graph)
    first_s = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        for graph in graphs:
            t0 = time.perf_counter()
            validate(state, graph)
            warm.append(time.perf_counter() - t0)
    return {"load_s": load_s, "first_s": first_s / len(graphs), "warm_median_s": statistics.median(warm)}


def main(argv):
    oi_path, repeat, graph_paths = argv[0], int(argv[1]), argv[2:]
    with open(oi_path, encoding="utf-8") as f:
        raw = json.load(f)
    graphs = []
    for path in graph_paths:
        with open(path, encoding="utf-8") as f:
            graphs.append(json.load(f))
    out = {}
    try:
        from comfy_cli.cql.engine import Graph

        def load_cli():
            graph = Graph.from_object_info(raw)
            graph._try_default_annotations()  # what `comfy workflow validate` does after loading
            return graph

        out["comfy-cli"] = _time_validator(load_cli, lambda g, wf: g.validate_workflow(wf), graphs, repeat)
    except ImportError as exc:
        out["comfy-cli"] = {"missing": str(exc)}
    try:
        from comfy_lint import linter, schema

        out["comfy-lint"] = _time_validator(
            lambda: schema.normalize(raw, source=oi_path),
            lambda s, wf: linter.lint_workflow(wf, s),
            graphs,
            repeat,
        )
    except ImportError as exc:
        out["comfy-lint"] = {"missing": str(exc)}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
