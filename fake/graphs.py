"""Graph helpers of the fake executor: ComfyUI's cache signature and execution order, node facts.

`execution_order` follows ComfyUI's ExecutionList: nodes are discovered depth-first from the
outputs (cached inputs are skipped), and among the ready nodes an output node goes first, then a
node feeding an output, then one two steps away, else the first ready one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from comfyreel.fake.catalog import Catalog


def signature(
    prompt: dict[str, Any],
    node_id: str,
    memo: dict[str, str],
    is_changed: Callable[[str, dict[str, Any]], Any] | None = None,
) -> str:
    """Input signature of a node (ComfyUI's cache key): class, its IS_CHANGED value, literal inputs,
    ancestors' signatures (comfy_execution/caching.py ``get_immediate_node_signature``)."""
    if node_id in memo:
        return memo[node_id]
    memo[node_id] = "cycle"
    node = prompt.get(node_id) or {}
    changed = is_changed(node.get("class_type", ""), node.get("inputs") or {}) if is_changed else False
    parts: list[Any] = [node.get("class_type"), changed]
    inputs = node.get("inputs") or {}
    for name in sorted(inputs):
        value = inputs[name]
        if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
            parts.append((name, "ANCESTOR", signature(prompt, str(value[0]), memo, is_changed), value[1]))
        else:
            parts.append((name, value))
    memo[node_id] = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return memo[node_id]


#: Loaders whose IS_CHANGED (or fingerprint_inputs) hashes the file they read, by file input:
#: nodes.py LoadImage / LoadImageMask / LoadLatent, LoadImageOutput (a LoadImage),
#: comfy_extras/nodes_audio.py LoadAudio, comfy_extras/nodes_video.py LoadVideo.
FILE_FINGERPRINTS = {
    "LoadImage": "image",
    "LoadImageMask": "image",
    "LoadImageOutput": "image",
    "LoadLatent": "latent",
    "LoadAudio": "audio",
    "LoadVideo": "file",
}


def file_fingerprint(resolve: Callable[[str], Path | None] | None) -> Callable[[str, dict[str, Any]], Any]:
    """ComfyUI's IS_CHANGED for the file loaders: the sha256 of the file, so a file replaced under
    the same name is re-read (execution.py ``IsChangedCache.get``). An unreadable file gives NaN
    there, which never equals itself: a fresh token here, so the node always re-executes."""

    def is_changed(class_type: str, inputs: dict[str, Any]) -> Any:
        name = FILE_FINGERPRINTS.get(class_type)
        if name is None:
            return False
        path = resolve(str(inputs.get(name, ""))) if resolve is not None else None
        if path is None:
            return f"nan-{uuid.uuid4().hex}"
        return hashlib.sha256(path.read_bytes()).hexdigest()

    return is_changed


def meta(node_id: str) -> dict[str, Any]:
    return {"node_id": node_id, "display_node": node_id, "parent_node": None, "real_node_id": node_id}


def current_inputs(node: dict[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name, value in (node.get("inputs") or {}).items():
        out[name] = [f"<output of node {value[0]}>"] if isinstance(value, list) else [value]
    return out


def steps(prompt: dict[str, Any], node_id: str) -> int:
    inputs = prompt[node_id].get("inputs") or {}
    if isinstance(inputs.get("steps"), int):
        return max(1, inputs["steps"])
    seen = set()
    link = inputs.get("sigmas")
    while isinstance(link, list) and len(link) == 2 and str(link[0]) in prompt and str(link[0]) not in seen:
        seen.add(str(link[0]))
        upstream = prompt[str(link[0])].get("inputs") or {}
        if isinstance(upstream.get("steps"), int):
            return max(1, upstream["steps"])
        link = upstream.get("sigmas")
    return 8


def execution_order(
    prompt: dict[str, Any], outputs: list[str], catalog: Catalog, cached: set[str]
) -> list[str]:
    """ComfyUI's ExecutionList order: DFS-staged, output nodes first whenever they are ready."""
    pending: dict[str, bool] = {}
    block_count: dict[str, int] = {}
    blocking: dict[str, dict[str, bool]] = {}
    links: list[tuple[str, str]] = []
    for output in outputs:
        stack = [output]
        while stack:
            nid = stack.pop()
            if nid in pending:
                continue
            pending[nid] = True
            block_count[nid] = 0
            blocking[nid] = {}
            for value in (prompt[nid].get("inputs") or {}).values():
                if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
                    src = str(value[0])
                    if src not in cached:
                        stack.append(src)
                        links.append((src, nid))
    for src, dst in links:
        if dst not in blocking.setdefault(src, {}):
            blocking[src][dst] = True
            block_count[dst] = block_count.get(dst, 0) + 1
    order: list[str] = []

    def is_output(nid: str) -> bool:
        return catalog.is_output(prompt[nid]["class_type"])

    while pending:
        ready = [nid for nid in pending if block_count.get(nid, 0) == 0]
        if not ready:  # a cycle: ComfyUI reports it; the fake just stops
            break
        pick = next((n for n in ready if is_output(n)), None)
        if pick is None:
            pick = next((n for n in ready if any(is_output(b) for b in blocking.get(n, {}))), None)
        if pick is None:
            pick = next(
                (
                    n
                    for n in ready
                    if any(is_output(b2) for b in blocking.get(n, {}) for b2 in blocking.get(b, {}))
                ),
                None,
            )
        if pick is None:
            pick = ready[0]
        order.append(pick)
        del pending[pick]
        for blocked in blocking.get(pick, {}):
            block_count[blocked] -= 1
    return order
