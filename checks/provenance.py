"""What made a render, and what changed since the golden: "seed 7 → 8", not "recipe changed (hash → hash)".

:func:`provenance` condenses a run's manifest (and its ``graph.json``) into the facts a person
compares: the recipe's fields (seed, prompt, LoRAs, profile, models, size, ...), the model files
and input media the graph loads, the seeds, and the server (ComfyUI and PyTorch versions, its
flags, custom nodes, devices). ``golden.json`` keeps this under ``provenance`` when a golden is
recorded; :func:`describe_changes` turns two of them into one line per difference.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".onnx")
_LORA_NODES = ("LoraLoader", "LoraLoaderModelOnly", "LTXVLoraLoader")
_SKIP_RECIPE_KEYS = {"check", "$schema", "name"}
_MEDIA_INPUTS = {"image", "video", "audio", "file"}


def recipe_mapping(manifest: Any) -> dict[str, Any]:
    """The recipe text recorded in the manifest, parsed (empty when absent, broken or not a mapping)."""
    text = manifest.recipe.text if manifest.recipe is not None else None
    if not text:
        return {}
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def _graph_facts(graph_path: Path) -> dict[str, dict[str, Any]]:
    """Model files, LoRAs and input media that the graph's nodes name."""
    facts: dict[str, dict[str, Any]] = {"models": {}, "loras": {}, "inputs": {}}
    try:
        graph = json.loads(graph_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return facts
    if not isinstance(graph, dict):
        return facts
    for node_id, node in graph.items():
        if not isinstance(node, dict) or not isinstance(node.get("inputs"), dict):
            continue
        cls = str(node.get("class_type", ""))
        inputs = node["inputs"]
        for name, value in inputs.items():
            if not isinstance(value, str):
                continue
            where = f"{node_id}.{name}"
            if cls in _LORA_NODES and name == "lora_name":
                facts["loras"][value] = inputs.get("strength_model", inputs.get("strength"))
            elif value.lower().endswith(MODEL_SUFFIXES):
                facts["models"][where] = value
            elif value.startswith("comfyreel/") or (cls.startswith("Load") and name in _MEDIA_INPUTS):
                facts["inputs"][where] = value
    return facts


def server_flags(manifest: Any) -> list[str] | None:
    """The server's command-line flags: what comfyreel launched it with, else its /system_stats argv."""
    server = manifest.server
    if server.launch_flags is not None:
        return list(server.launch_flags)
    argv = getattr(server, "argv", None)
    return list(argv[1:]) if argv else None


def provenance(manifest: Any, run_dir: Path | None = None) -> dict[str, Any]:
    """The facts of one run that a reviewer compares (plain JSON)."""
    from comfyreel.checks.golden import recipe_file

    server = manifest.server
    graph_path = (run_dir / (manifest.graph.path or "graph.json")) if run_dir is not None else None
    facts = _graph_facts(graph_path) if graph_path is not None else {"models": {}, "loras": {}, "inputs": {}}
    media = list(getattr(manifest, "inputs", None) or [])
    if media:  # the manifest's record of input media: name them by the user's file, not the hash name
        facts["inputs"] = {k: v for k, v in facts["inputs"].items() if not v.startswith("comfyreel/")}
        for item in media:
            label = f"{item.kind} {Path(item.path.replace(chr(92), '/')).name}"
            facts["inputs"][label] = f"sha256 {item.sha256[:12]}"
    return {
        "recipe": {k: v for k, v in recipe_mapping(manifest).items() if k not in _SKIP_RECIPE_KEYS},
        "recipe_file": recipe_file(manifest),
        "models": facts["models"],
        "loras": facts["loras"],
        "inputs": facts["inputs"],
        "seeds": dict(manifest.seeds),
        "server": {
            "comfyui_version": server.comfyui_version,
            "pytorch_version": server.pytorch_version,
            "flags": server_flags(manifest),
            "custom_nodes": sorted(server.custom_nodes),
            "devices": [str(d.get("name", "?")) for d in server.devices if isinstance(d, dict)],
        },
    }


def _short(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:57] + "…"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _text_diff(label: str, old: str, new: str) -> str:
    """``prompt: −"waving" +"dancing"``, word by word."""
    a, b = old.split(), new.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            parts.append(f'−"{" ".join(a[i1:i2])}"')
        if op in ("replace", "insert"):
            parts.append(f'+"{" ".join(b[j1:j2])}"')
    return f"{label}: " + (" ".join(parts) if parts else "whitespace changed")


def _lora_map(value: Any) -> dict[str, Any]:
    """Recipe ``loras`` (a list of {name, strength}) or graph LoRAs as name → strength."""
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    for item in value or []:
        if isinstance(item, dict) and "name" in item:
            out[str(item["name"])] = item.get("strength", 1.0)
        elif isinstance(item, str):
            out[item] = 1.0
    return out


def _lora_lines(old: Any, new: Any) -> list[str]:
    a, b = _lora_map(old), _lora_map(new)
    lines = []
    for name in sorted(a.keys() | b.keys()):
        if name not in b:
            lines.append(f"LoRA {name} {_short(a[name])} → removed")
        elif name not in a:
            lines.append(f"LoRA {name} added ({_short(b[name])})")
        elif a[name] != b[name]:
            lines.append(f"LoRA {name} {_short(a[name])} → {_short(b[name])}")
    return lines


def _mapping_lines(label: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) or isinstance(b, dict):
            lines += _mapping_lines(
                f"{label}{key}.", a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}
            )
        elif key == "loras":
            lines += _lora_lines(a, b)
        elif isinstance(a, str) and isinstance(b, str) and (" " in a or " " in b):
            lines.append(_text_diff(f"{label}{key}", a, b))
        else:
            lines.append(
                f"{label}{key} {_short(a)} → {'removed' if b is None and a is not None else _short(b)}"
            )
    return lines


def _flag_line(old: list[str] | None, new: list[str] | None) -> list[str]:
    if old is None or new is None or old == new:
        return []
    gone = [f for f in old if f not in new]
    added = [f for f in new if f not in old]
    parts = [f"+{f}" for f in added] + [f"−{f}" for f in gone]
    return ["server flags: " + (" ".join(parts) if parts else "reordered")]


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One human line per difference between the golden's provenance (*old*) and the run's (*new*)."""
    lines: list[str] = []
    if old.get("recipe_file") and new.get("recipe_file") and old["recipe_file"] != new["recipe_file"]:
        lines.append(f"recipe file {old['recipe_file']} → {new['recipe_file']}")
    recipe_a, recipe_b = old.get("recipe") or {}, new.get("recipe") or {}
    lines += _mapping_lines("", recipe_a, recipe_b)
    for label, key in (("model file ", "models"), ("input ", "inputs")):
        a, b = old.get(key) or {}, new.get(key) or {}
        for where in sorted(a.keys() | b.keys()):
            if a.get(where) != b.get(where):
                lines.append(f"{label}{where}: {_short(a.get(where))} → {_short(b.get(where))}")
    if not recipe_a and not recipe_b:  # a bare graph: its LoRAs and seeds are the only record
        lines += _lora_lines(old.get("loras"), new.get("loras"))
        lines += _mapping_lines("seed ", old.get("seeds") or {}, new.get("seeds") or {})
    sa, sb = old.get("server") or {}, new.get("server") or {}
    for label, key in (("ComfyUI", "comfyui_version"), ("PyTorch", "pytorch_version")):
        if sa.get(key) and sb.get(key) and sa[key] != sb[key]:
            lines.append(f"{label} {sa[key]} → {sb[key]}")
    lines += _flag_line(sa.get("flags"), sb.get("flags"))
    for label, key in (("custom nodes", "custom_nodes"), ("devices", "devices")):
        a, b = sa.get(key), sb.get(key)
        if a is not None and b is not None and a != b:
            lines.append(f"{label}: {', '.join(a) or 'none'} → {', '.join(b) or 'none'}")
    return lines
