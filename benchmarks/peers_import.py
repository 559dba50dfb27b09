"""UI -> API import side by side: comfyreel's ``import_ui`` vs comfy-cli's converter, offline.

Both convert every official LTX template (``tests/data/ui/*.json``) with the pinned object_info.
Reported per template: nodes and links each side, inputs that differ, and the errors comfyreel's
validator finds in each result (model-file findings aside: the snapshot lists no models), plus
conversion time. Called by ``peers.py --section import``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from peers import ROOT, TAG, target_line

UI_DIR = ROOT / "tests" / "data" / "ui"
PROBE = Path(__file__).resolve().parent / "_peer_convert.py"


def _errors(nodes: dict[str, Any], schema: Any) -> list[str]:
    from comfyreel.compiler.graph import Graph
    from comfyreel.compiler.validate import validate_graph

    findings = validate_graph(Graph.from_data(nodes), schema)
    return [
        str(f)
        for f in findings
        if f.severity == "error" and not (f.class_type and "Loader" in f.class_type and f.input)
    ]


def _links(nodes: dict[str, Any]) -> int:
    return sum(
        1
        for n in nodes.values()
        for v in n.get("inputs", {}).values()
        if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
    )


def bench_import(peers: Any, work: Path) -> list[str]:
    from comfyreel.compiler.object_info import PINNED_RESOURCE, ObjectInfo
    from comfyreel.compiler.ui_import import import_ui, load_workflow

    schema = ObjectInfo.pinned()
    files = sorted(UI_DIR.glob("*.json"))
    ours: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    for path in files:
        ours[path.name] = import_ui(load_workflow(path), schema).graph.canonical()
    ours_s = (time.perf_counter() - t0) / len(files)
    theirs: dict[str, dict[str, Any]] = {}
    status: dict[str, str] = {}
    if peers and peers.available["comfy-cli"]:
        out = work / "cli-import"
        out.mkdir(exist_ok=True)
        oi = ROOT / "compiler" / "data" / PINNED_RESOURCE
        proc = peers.run([peers.python, str(PROBE), str(oi), str(out), *map(str, files)])
        status = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {}
        theirs = {n: json.loads((out / n).read_text()) for n, s in status.items() if s == "ok"}
    print(f"{TAG} UI->API import of {len(files)} official templates (comfyreel {ours_s * 1000:.1f} ms each)")
    print(
        f"{TAG}   {'template':<34}{'nodes':>12}{'links':>12}{'inputs differ':>15}{'errors ours/theirs':>20}"
    )
    clean = 0
    for path in files:
        a, b = ours[path.name], theirs.get(path.name)
        errs_a = _errors(a, schema)
        clean += not errs_a
        if b is None:
            print(
                f"{TAG}   {path.name:<34}{len(a):>12}{_links(a):>12}   comfy-cli: "
                f"{status.get(path.name, 'n/a')}"
            )
            continue
        differ = sum(
            1
            for k in set(a) & set(b)
            for n in set(a[k]["inputs"]) | set(b[k]["inputs"])
            if a[k]["inputs"].get(n) != b[k]["inputs"].get(n)
        )
        differ += len(set(a) ^ set(b))
        errs_b = _errors(b, schema)
        print(
            f"{TAG}   {path.name:<34}{f'{len(a)}/{len(b)}':>12}{f'{_links(a)}/{_links(b)}':>12}{differ:>15}"
            f"{f'{len(errs_a)}/{len(errs_b)}':>20}"
        )
        for err in errs_b[:3]:
            print(f"{TAG}       comfy-cli's graph: {err[:150]}")
    return [
        target_line(
            "imported templates validate clean (model files aside)",
            f"{clean}/{len(files)}",
            f"{len(files)}/{len(files)}",
            clean == len(files),
        )
    ]
