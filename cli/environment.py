"""CLI commands about the server a recipe will meet: ``doctor``, ``models`` and ``snapshot``.

- ``doctor --server URL [RECIPE...]``: the server (version, Python/torch, devices, RAM, flags,
  custom node packs) and, per recipe, missing node classes, missing model files and profile fit as
  one table; exit 0 when every recipe can run, 1 otherwise (``--json`` for machines).
- ``models RECIPE... [--server URL | --models-dir DIR]``: the model files the recipes load, which
  are present, and for each missing one its folder and a download command (manifest facts only).
- ``snapshot --server URL -o FILE``: one file with the server's /object_info, version, devices,
  model lists and custom node packs (for ``--object-info FILE`` and ``fake-server --object-info``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfyreel.cli import Commands, add_command, add_set_option
from comfyreel.compiler.errors import EXIT_FINDINGS, EXIT_OK, UsageError

if TYPE_CHECKING:
    from comfyreel.compiler.graph import Graph


def register(commands: Commands) -> None:
    """Add this module's commands."""
    doc = add_command(commands, "doctor", doctor)
    doc.add_argument(
        "targets", nargs="*", metavar="RECIPE|GRAPH.json", help="Recipes or API graphs to check."
    )
    doc.add_argument("--server", metavar="URL", required=True, help="The ComfyUI server to check.")
    _header_option(doc)
    add_set_option(doc)
    doc.add_argument("--json", dest="as_json", action="store_true", help="Print one JSON object.")

    mod = add_command(commands, "models", models)
    mod.add_argument("targets", nargs="+", metavar="RECIPE|GRAPH.json", help="Recipes or API graphs.")
    mod.add_argument("--server", metavar="URL", help="Check presence on this server (/models/<folder>).")
    mod.add_argument("--models-dir", metavar="DIR", type=Path, help="Check presence in this models folder.")
    _header_option(mod)
    add_set_option(mod)
    mod.add_argument("--json", dest="as_json", action="store_true", help="Print one JSON object.")

    snap = add_command(commands, "snapshot", snapshot)
    snap.add_argument("--server", metavar="URL", required=True, help="The ComfyUI server to snapshot.")
    snap.add_argument(
        "-o", "--output", metavar="FILE", type=Path, required=True, help="Snapshot file to write."
    )
    _header_option(snap)


def _header_option(cmd: Any) -> None:
    cmd.add_argument(
        "--header", metavar="'Name: value'", action="append", help="HTTP header for --server (repeatable)."
    )


def _headers(values: list[str] | None) -> dict[str, str] | None:
    from comfyreel.runner.schema_fetch import parse_header

    headers: dict[str, str] = {}
    for text in values or []:
        try:
            name, value = parse_header(text)
        except ValueError:
            raise UsageError(
                f"bad --header {text.partition(':')[0]!r}", hint="write --header 'Name: value'"
            ) from None
        headers[name] = value
    return headers or None


def _targets(targets: list[str], sets: list[str] | None) -> list[tuple[str, Graph]]:
    from comfyreel.cli.validate import load_targets

    return [(label, graph) for target in targets for label, graph, *_ in load_targets(target, sets or [])]


def doctor(
    targets: list[str],
    server: str,
    header: list[str] | None = None,
    sets: list[str] | None = None,
    as_json: bool = False,
) -> int:
    """Check a server and what RECIPEs need from it: versions, devices, nodes, model files, profile fit."""
    from comfyreel.runner.preflight import doctor as run_doctor

    report = run_doctor(server, _targets(targets, sets), headers=_headers(header))
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.render() + "\n")
    return EXIT_OK if report.ok else EXIT_FINDINGS


def models(
    targets: list[str],
    server: str | None = None,
    models_dir: Path | None = None,
    header: list[str] | None = None,
    sets: list[str] | None = None,
    as_json: bool = False,
) -> int:
    """List the model files RECIPEs load: folder, URL, size, sha256, presence, and a download command."""
    from comfyreel.compiler.inventory import ModelInventory
    from comfyreel.compiler.model_manifest import folder_for_need, required_models

    if server is not None and models_dir is not None:
        raise UsageError("use either --server or --models-dir, not both")
    if header and server is None:
        raise UsageError("--header is only used with --server")
    pairs = _targets(targets, sets)
    needs = {}
    for _, graph in pairs:
        for need in required_models(graph):
            needs.setdefault((need.folder, need.name), need)
    inventory: ModelInventory | None = None
    target_dir = str(models_dir) if models_dir is not None else "ComfyUI/models"
    if models_dir is not None:
        inventory = ModelInventory.from_dir(models_dir)
    elif server is not None:
        inventory, target_dir = _server_inventory(
            server, _headers(header), {n.folder for n in needs.values()}
        )
    files = []
    for need in needs.values():
        row = need.to_dict(target_dir)
        row["present"] = None if inventory is None else inventory.contains(need.name, folder_for_need(need))
        files.append(row)
    missing = [f for f in files if f["present"] is False]
    if as_json:
        where = server or (str(models_dir) if models_dir else None)
        report = {"checked_against": where, "files": files, "missing": len(missing)}
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_models_text(files) + "\n")
    return EXIT_FINDINGS if missing else EXIT_OK


def _server_inventory(url: str, headers: dict[str, str] | None, folders: set[str]) -> tuple[Any, str]:
    from comfyreel.compiler.inventory import ModelInventory
    from comfyreel.runner import http
    from comfyreel.runner.preflight import models_dir_of
    from comfyreel.runner.snapshot import folder_listing

    srv = http.Server(url, headers=headers)
    try:
        stats = http.system_stats(srv)
        files = {f: frozenset(folder_listing(srv, f) or ()) for f in sorted(folders)}
    finally:
        srv.close()
    return ModelInventory(files, source=srv.url), models_dir_of(stats)


def _models_text(files: list[dict[str, Any]]) -> str:
    lines = []
    for f in files:
        state = {True: "present", False: "MISSING", None: "unchecked"}[f["present"]]
        size = f" ({f['size']})" if f["size"] else ""
        lines.append(f"{state:<9}  {f['folder']}/{f['name']}{size}")
        if f["present"] is not True:
            lines.append(f"           {f['download'] or 'not in the manifest: no known URL'}")
    missing = sum(1 for f in files if f["present"] is False)
    lines.append(f"{len(files)} model file(s), {missing} missing")
    return "\n".join(lines)


def snapshot(server: str, output: Path, header: list[str] | None = None) -> int:
    """Save a server's /object_info, version, devices, model lists and custom node packs to FILE."""
    from comfyreel.runner.snapshot import take_snapshot, write_snapshot

    snap = take_snapshot(server, headers=_headers(header))
    write_snapshot(snap, output)
    models = sum(len(v) for v in snap["models"].values())
    sys.stdout.write(
        f"wrote {output}: ComfyUI {snap['comfyui_version']}, {len(snap['object_info'])} node classes, "
        f"{models} model files, {len(snap['custom_nodes'])} custom node packs\n"
    )
    return EXIT_OK
