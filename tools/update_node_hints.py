"""Regenerate ``compiler/data/node_hints.json``: which ComfyUI version or custom node pack has a class.

Maintainers run this by hand (never at run time; comfyreel reads only the JSON it writes):

    pip download --no-deps comfyui-workflow-templates-json==0.1.123 -d /tmp/cwtj
    git clone https://github.com/Kosinkadink/ComfyUI-VideoHelperSuite /tmp/packs/vhs   # one per pack
    python tools/update_node_hints.py --templates /tmp/cwtj/*.whl \
        --pack comfyui-videohelpersuite=/tmp/packs/vhs ...   # ID=CHECKOUT[@COMMIT], one per pack

Facts come from two places, each cited in the output:

- core classes: the ``cnr_id: comfy-core`` nodes of every official template in the
  ``comfyui-workflow-templates-json`` wheel (MIT), with the lowest ComfyUI version (``ver``) a
  template saved them with, plus the class lists of the pinned ``/object_info`` schemas shipped in
  ``compiler/data`` (0.8.0 and 0.27.0);
- custom packs: the class names each pack's own source registers (``NODE_CLASS_MAPPINGS`` /
  ``NODE_CONFIG`` dict keys, ``@comfy_node`` decorators, v3 ``node_id=``), read statically with ``ast``
  from a checkout at a recorded commit; the pack's metadata (repository, install command) is kept in
  ``PACKS`` below. ComfyUI-Manager's extension map is GPL-3.0 and is neither read nor copied.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "compiler" / "data" / "node_hints.json"
SCHEMAS = {"0.8.0": "object_info-0.8.0.json", "0.27.0": "object_info-0.27.0.json"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-")

# id -> name, repository, install commands. "registry": on registry.comfy.org (comfy node install).
PACKS: dict[str, dict[str, object]] = {
    "comfyui-ltxvideo": {
        "name": "ComfyUI-LTXVideo (Lightricks)",
        "repo": "https://github.com/Lightricks/ComfyUI-LTXVideo",
        "registry": False,  # pyproject.toml deleted 2026-01-06 (e56af69): git clone only
        "note": "LTX-2 Community License; pin it by commit, it imports private comfy.ldm symbols",
    },
    "comfyui-videohelpersuite": {
        "name": "ComfyUI-VideoHelperSuite",
        "repo": "https://github.com/Kosinkadink/ComfyUI-VideoHelperSuite",
        "registry": True,
    },
    "comfyui-kjnodes": {
        "name": "ComfyUI-KJNodes",
        "repo": "https://github.com/kijai/ComfyUI-KJNodes",
        "registry": True,
    },
    "comfyui-gguf": {
        "name": "ComfyUI-GGUF",
        "repo": "https://github.com/city96/ComfyUI-GGUF",
        "registry": True,
    },
    "comfyui_controlnet_aux": {
        "name": "comfyui_controlnet_aux",
        "repo": "https://github.com/Fannovel16/comfyui_controlnet_aux",
        "registry": True,
    },
}


def _keys(node: ast.AST) -> list[str]:
    return [
        k.value for k in getattr(node, "keys", []) if isinstance(k, ast.Constant) and isinstance(k.value, str)
    ]


def pack_classes(folder: Path) -> list[str]:
    """Class names a pack registers, read statically from its Python files."""
    found: set[str] = set()
    for path in sorted(folder.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name = getattr(target, "id", None) or getattr(getattr(target, "value", None), "id", None)
                    if name not in ("NODE_CLASS_MAPPINGS", "NODE_CONFIG"):
                        continue
                    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
                        found.add(str(target.slice.value))
                    elif isinstance(node.value, ast.Dict):
                        found.update(_keys(node.value))
            elif isinstance(node, ast.Call):
                func = node.func
                attr = getattr(func, "attr", None)
                base = getattr(getattr(func, "value", None), "id", None)
                if attr == "update" and base in ("NODE_CLASS_MAPPINGS", "NODE_CONFIG") and node.args:
                    found.update(_keys(node.args[0]))
                for kw in node.keywords:
                    if (
                        kw.arg == "node_id"
                        and isinstance(kw.value, ast.Constant)
                        and isinstance(kw.value.value, str)
                    ):
                        found.add(kw.value.value)
            elif isinstance(node, ast.ClassDef):
                for deco in node.decorator_list:
                    call = deco if isinstance(deco, ast.Call) else None
                    fname = getattr(call.func if call else deco, "id", None)
                    if fname != "comfy_node":
                        continue
                    named = [
                        k.value.value
                        for k in (call.keywords if call else [])
                        if k.arg == "name" and isinstance(k.value, ast.Constant)
                    ]
                    found.add(named[0] if named else node.name)
    return sorted(found)


def template_core_versions(wheel: Path) -> tuple[str, dict[str, str]]:
    """``(wheel name, {class: lowest ver a template saved it with})`` for comfy-core nodes."""
    from packaging.version import InvalidVersion, Version

    best: dict[str, Version] = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if "/templates/" not in name or not name.endswith(".json"):
                continue
            try:
                data = json.loads(zf.read(name))
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            groups = [data.get("nodes") or []]
            groups += [sg.get("nodes") or [] for sg in (data.get("definitions") or {}).get("subgraphs") or []]
            for nodes in groups:
                for n in nodes:
                    props = n.get("properties") or {}
                    kind, ver = n.get("type"), props.get("ver")
                    if props.get("cnr_id") != "comfy-core" or not isinstance(kind, str) or _UUID.match(kind):
                        continue
                    try:
                        v = Version(str(ver))
                    except InvalidVersion:
                        continue
                    if kind not in best or v < best[kind]:
                        best[kind] = v
    return wheel.name, {k: str(v) for k, v in sorted(best.items())}


def _commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True)
    except OSError:
        return None
    return out.stdout.strip() or None


def commit_of(pack_id: str, folder: Path, commits: dict[str, str]) -> str:
    return commits.get(pack_id) or _commit(folder) or "unknown"


def build(wheel: Path, packs: dict[str, Path], commits: dict[str, str]) -> dict[str, object]:
    wheel_name, first_seen = template_core_versions(wheel)
    schemas = {
        v: set(json.loads((ROOT / "compiler" / "data" / f).read_text(encoding="utf-8")))
        for v, f in SCHEMAS.items()
    }
    core: dict[str, dict[str, object]] = {}
    for cls in sorted(set(first_seen) | set().union(*schemas.values())):
        entry: dict[str, object] = {}
        if cls in first_seen:
            entry["first_seen"] = first_seen[cls]
        entry["in"] = [v for v in SCHEMAS if cls in schemas[v]]
        core[cls] = entry
    out_packs: dict[str, dict[str, object]] = {}
    for pack_id, folder in sorted(packs.items()):
        meta = dict(PACKS[pack_id])
        folder_name = str(meta["repo"]).rstrip("/").rsplit("/", 1)[-1]
        install = [f"git clone {meta['repo']} custom_nodes/{folder_name}"]
        source = (
            f"{meta['repo']} at {commit_of(pack_id, folder, commits)}: class names registered in its source"
        )
        if meta.pop("registry"):
            install.insert(0, f"comfy node install {pack_id}")
            source += "; registry id = its pyproject.toml [project] name"
        out_packs[pack_id] = {
            **meta,
            "install": install,
            "source": source,
            "classes": pack_classes(folder),
        }
    return {
        "about": "Which ComfyUI version or custom node pack provides a node class. Generated by "
        "tools/update_node_hints.py; see its docstring for how to refresh it.",
        "sources": {
            "first_seen": f"{wheel_name} (PyPI, MIT): lowest 'ver' of a comfy-core node "
            "in the official templates",
            "in": "class lists of the pinned /object_info schemas in compiler/data: "
            + ", ".join(f"{v} ({f})" for v, f in SCHEMAS.items()),
        },
        "core": core,
        "packs": out_packs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--templates", type=Path, required=True, help="the comfyui-workflow-templates-json wheel"
    )
    parser.add_argument("--pack", action="append", default=[], help="ID=CHECKOUT_DIR[@COMMIT]")
    args = parser.parse_args()
    packs, commits = {}, {}
    for item in args.pack:
        pack_id, _, rest = item.partition("=")
        folder, _, commit = rest.partition("@")
        packs[pack_id] = Path(folder)
        if commit:
            commits[pack_id] = commit
    data = build(args.templates, packs, commits)
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(data['core'])} core classes, {len(data['packs'])} packs")


if __name__ == "__main__":
    main()
