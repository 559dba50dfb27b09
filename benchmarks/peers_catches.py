"""The seeded-defect catch table of ``peers.py``: which validator reports which defect as an error.

Six defects are seeded one at a time into the LTX-Video graph; a tool catches one when it reports
an error (or only a warning, shown as such) on the seeded node that the clean graph did not have.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peers import TAG, Peers, target_line


def _set(node_id: str, name: str, value: Any) -> Callable[[dict], None]:
    def apply(graph: dict) -> None:
        graph[node_id]["inputs"][name] = value

    return apply


def _drop(node_id: str, name: str) -> Callable[[dict], None]:
    def apply(graph: dict) -> None:
        del graph[node_id]["inputs"][name]

    return apply


def _retype(node_id: str) -> Callable[[dict], None]:
    def apply(graph: dict) -> None:
        graph[node_id]["class_type"] = graph[node_id]["class_type"] + "Typo"

    return apply


def _ids_of(graph: dict, class_type: str) -> str:
    return next(nid for nid, node in graph.items() if node["class_type"] == class_type)


def defects(base: dict) -> dict[str, tuple[str, Callable[[dict], None]]]:
    """Seeded defect name -> (node id, how to seed it), on the LTX-Video graph."""
    latent = _ids_of(base, "EmptyLTXVLatentVideo")
    vae_decode = _ids_of(base, "VAEDecode")
    sampler = _ids_of(base, "SamplerCustom")
    select = _ids_of(base, "KSamplerSelect")
    ckpt = _ids_of(base, "CheckpointLoaderSimple")
    scheduler = _ids_of(base, "LTXVScheduler")
    return {
        "bad step (width 770, step 32)": (latent, _set(latent, "width", 770)),
        "8n+1 violation (length 96)": (latent, _set(latent, "length", 96)),
        "wrong link type (MODEL into vae)": (vae_decode, _set(vae_decode, "vae", [ckpt, 0])),
        "missing input (SamplerCustom.cfg)": (sampler, _drop(sampler, "cfg")),
        "unknown node (LTXVSchedulerTypo)": (scheduler, _retype(scheduler)),
        "bad combo (sampler 'eulerr')": (select, _set(select, "sampler_name", "eulerr")),
    }


# -- per-tool findings: {node_id: "error" | "warning"} --------------------------------------
def _worst(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for node_id, severity in pairs:
        if severity == "error":
            out[str(node_id)] = "error"
        else:
            out.setdefault(str(node_id), "warning")
    return out


def comfyreel_findings(graph_path: Path, oi_path: Path) -> dict[str, str]:
    from comfyreel.compiler.graph import Graph
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.compiler.validate import validate_graph

    findings = validate_graph(Graph.load(graph_path), ObjectInfo.from_file(oi_path))
    return _worst([(f.node_id or "", f.severity) for f in findings if f.severity in ("error", "warning")])


def comfy_cli_findings(peers: Peers, graph_path: Path, oi_path: Path) -> dict[str, str]:
    proc = peers.run(
        [
            peers.exe("comfy"),
            "--skip-prompt",
            "workflow",
            "validate",
            "--workflow",
            str(graph_path),
            "--input",
            str(oi_path),
        ]
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1]).get("data") or {}
    pairs = [(e.get("node_id", ""), "error") for e in data.get("errors", [])]
    pairs += [(w.get("node_id", ""), "warning") for w in data.get("warnings", [])]
    return _worst(pairs)


def comfy_lint_findings(peers: Peers, graph_path: Path, oi_path: Path) -> dict[str, str]:
    proc = peers.run([peers.exe("comfy-lint"), "--schema-cache", str(oi_path), "--json", str(graph_path)])
    data = json.loads(proc.stdout)
    return _worst(
        [
            (d.get("node_id", ""), d.get("severity", "error"))
            for f in data.get("files", [])
            for d in f.get("diagnostics", [])
        ]
    )


def catch_table(peers: Peers | None, graphs: dict[str, Path], oi_path: Path, work: Path) -> list[str]:
    base_path = graphs.get("ltxv-t2v") or next(iter(graphs.values()))
    base = json.loads(base_path.read_text())
    tools: dict[str, Callable[[Path], dict[str, str]]] = {
        "comfyreel": lambda p: comfyreel_findings(p, oi_path)
    }
    if peers and peers.available["comfy-cli"]:
        tools["comfy-cli"] = lambda p: comfy_cli_findings(peers, p, oi_path)
    if peers and peers.available["comfy-lint"]:
        tools["comfy-lint"] = lambda p: comfy_lint_findings(peers, p, oi_path)
    baseline = {name: fn(base_path) for name, fn in tools.items()}
    print(
        f"{TAG} seeded defects in {base_path.name} (baseline findings: "
        + ", ".join(f"{n} {len(b)}" for n, b in baseline.items())
        + ")"
    )
    header = f"{'defect':<36}" + "".join(f"{n:>12}" for n in tools)
    print(f"{TAG}   {header}")
    caught = dict.fromkeys(tools, 0)
    cases = defects(base)
    for label, (node_id, seed) in cases.items():
        graph = copy.deepcopy(base)
        seed(graph)
        path = work / f"defect-{len(list(work.glob('defect-*')))}.json"
        path.write_text(json.dumps(graph, indent=1))
        cells = []
        for name, fn in tools.items():
            found = fn(path).get(node_id)
            if found and baseline[name].get(node_id) != found:
                cells.append(found)
                caught[name] += found == "error"
            else:
                cells.append("-")
        print(f"{TAG}   {label:<36}" + "".join(f"{c:>12}" for c in cells))
    summary = ", ".join(f"{n} {c}/{len(cases)}" for n, c in caught.items())
    ok = caught["comfyreel"] == len(cases) and all(caught["comfyreel"] >= c for c in caught.values())
    return [target_line("seeded defects caught as errors", summary, "comfyreel catches all 6", ok)]
