"""Doctor checks as values: what a server is, and whether each graph can run on it (no IO here).

:func:`server_rows` reads ``/system_stats`` (version, Python/torch, devices with VRAM, RAM, launch
flags) and the custom node packs; :func:`graph_rows` checks one compiled graph against a schema and
a model inventory: node classes the server lacks (with the version / pack hint of
:mod:`comfyreel.compiler.node_hints`), model files it lacks (folder + download command from the
model manifest), files it has, and whether the recipe's profile fits the devices. A
:class:`Report` is the table: ``ok`` when no row failed; warnings never fail it.

VRAM floors are estimates from the sources cited in ``compiler/profiles.py`` and the Lightricks
pack README ("CUDA-compatible GPU with 32GB+ VRAM"): below a profile's floor is a failure, an LTX-2
recipe without a profile on less than 32 GB only a warning (ComfyUI offloads, slowly).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.model_manifest import download_command, folder_for_need, required_models
from comfyreel.compiler.node_hints import hint_for

Status = Literal["ok", "info", "warn", "fail"]
GIB = 1024**3
#: Smallest VRAM each profile is meant for (its name says it), and its system-RAM note (profiles.py).
PROFILE_VRAM_GIB = {"rtx4060-8gb": 8}
PROFILE_RAM_GIB = {"rtx4060-8gb": 32}
LTX2_NO_PROFILE_VRAM_GIB = 32  # Lightricks/ComfyUI-LTXVideo README: "32GB+ VRAM"
#: Launch flags for regression renders (research/ltx-workflows.md §7): flag -> (missing is, why)
REGRESSION_FLAGS = {
    "--deterministic": "renders may differ between runs: add --deterministic for golden renders",
    "--disable-metadata": "SaveVideo embeds the workflow in every file, so file hashes change with it: "
    "add --disable-metadata",
}


class Row:
    """One line of the doctor table."""

    __slots__ = ("check", "detail", "fix", "item", "section", "status")

    def __init__(
        self, section: str, check: str, status: Status, item: str, detail: str = "", fix: str | None = None
    ) -> None:
        self.section, self.check, self.status = section, check, status
        self.item, self.detail, self.fix = item, detail, fix

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("section", "check", "status", "item", "detail", "fix")}


class Report:
    """The doctor table; ``ok`` means every recipe can run (no ``fail`` row)."""

    def __init__(self, rows: Iterable[Row] = (), server: dict[str, Any] | None = None) -> None:
        self.rows = list(rows)
        self.server = server or {}

    @property
    def ok(self) -> bool:
        return not any(r.status == "fail" for r in self.rows)

    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.status == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "server": self.server, "rows": [r.to_dict() for r in self.rows]}

    def render(self) -> str:
        """A plain-text table: status, section, check, item, detail, and the fix under its row."""
        head = ("", "section", "check", "item", "detail")
        cells = [(_MARK[r.status], r.section, r.check, r.item, r.detail) for r in self.rows]
        widths = [min(max(len(c[i]) for c in [head, *cells]), cap) for i, cap in enumerate(_CAPS)]

        def line(cell: tuple[str, ...]) -> str:  # a cell longer than its column pushes the rest right
            return "  ".join(c.ljust(w) for c, w in zip(cell[:4], widths, strict=True)) + "  " + cell[4]

        lines = [line(head).rstrip()]
        for row, cell in zip(self.rows, cells, strict=True):
            lines.append(line(cell).rstrip())
            if row.fix:
                lines.append(" " * (widths[0] + 2) + f"-> {row.fix}")
        failed = len(self.failures())
        lines.append(
            "ready: every recipe can run" if failed == 0 else f"not ready: {failed} problem(s) to fix first"
        )
        return "\n".join(lines)


_CAPS = (4, 36, 12, 44)  # column widths: status, section, check, item
_MARK = {"ok": "ok", "info": "--", "warn": "WARN", "fail": "FAIL"}


def _gib(value: Any) -> str:
    return f"{value / GIB:.1f} GiB" if isinstance(value, (int, float)) else "?"


def server_rows(stats: dict[str, Any], custom_nodes: list[str] | None) -> list[Row]:
    """Rows describing the server: version, Python/torch, devices, RAM, flags, custom node packs."""
    system = stats.get("system") or {}
    rows = [
        Row("server", "ComfyUI", "info", str(system.get("comfyui_version") or "?")),
        Row("server", "Python", "info", str(system.get("python_version") or "?").split(" ")[0]),
        Row("server", "torch", "info", str(system.get("pytorch_version") or "?")),
        Row(
            "server",
            "RAM",
            "info",
            f"{_gib(system.get('ram_total'))} total, {_gib(system.get('ram_free'))} free",
        ),
    ]
    for dev in stats.get("devices") or []:
        name = str(dev.get("name") or dev.get("type") or "?")
        vram = f"VRAM {_gib(dev.get('vram_total'))} total, {_gib(dev.get('vram_free'))} free"
        detail = f"{dev.get('type', '?')}, {vram}"
        rows.append(Row("server", "device", "info", name, detail))
    argv = [str(a) for a in system.get("argv") or []]
    rows.append(Row("server", "launch flags", "info", f"{len(argv[1:])} arguments", " ".join(argv[1:])))
    for flag, why in REGRESSION_FLAGS.items():
        if flag not in argv:
            rows.append(Row("server", "regression", "warn", f"no {flag}", why))
    if "--cache-none" not in argv:
        rows.append(
            Row(
                "server",
                "regression",
                "info",
                "caching on",
                "identical prompts come from the cache",
                "comfyreel run --bust-cache makes every node execute",
            )
        )
    if any(a.startswith("--fast") for a in argv):
        rows.append(
            Row("server", "regression", "warn", "--fast", "fast kernels change numerics between runs")
        )
    packs = custom_nodes if custom_nodes is not None else []
    rows.append(
        Row(
            "server",
            "custom nodes",
            "info",
            ", ".join(p.removeprefix("custom_nodes.") for p in packs) or "(none)",
        )
    )
    return rows


def graph_rows(
    section: str,
    graph: Graph,
    schema: Any,
    inventory: ModelInventory | None,
    stats: dict[str, Any] | None,
    *,
    models_dir: str = "models",
) -> list[Row]:
    """Rows for one graph: missing node classes, missing / present model files, profile fit."""
    rows: list[Row] = []
    classes = sorted(
        {
            n["class_type"]
            for n in graph.nodes.values()
            if isinstance(n, dict) and isinstance(n.get("class_type"), str)
        }
    )
    missing_classes = [c for c in classes if c not in schema]
    for cls in missing_classes:
        hint = hint_for(cls)
        fix = hint.text() if hint else "install the custom node pack that provides it"
        rows.append(Row(section, "node", "fail", cls, f"not on this server ({schema.source})", fix))
    if not missing_classes:
        rows.append(Row(section, "nodes", "ok", f"{len(classes)} node classes", "all on this server"))
    for need in required_models(graph):
        where = f"models/{need.folder}"
        if inventory is None:
            rows.append(Row(section, "model", "info", need.name, f"{where}: not checked (no model list)"))
        elif inventory.contains(need.name, folder_for_need(need)):
            rows.append(Row(section, "model", "ok", need.name, f"present in {where}"))
        elif need.entry is not None:
            size = f", {need.entry.size}" if need.entry.size else ""
            rows.append(
                Row(
                    section,
                    "model",
                    "fail",
                    need.name,
                    f"missing from {where}{size}",
                    download_command(need.entry, models_dir),
                )
            )
        else:
            rows.append(
                Row(
                    section,
                    "model",
                    "fail",
                    need.name,
                    f"missing from {where}",
                    f"put the file into {where}/ (not in comfyreel's manifest: no known URL)",
                )
            )
    if stats is not None:
        rows.extend(_fit_rows(section, graph, stats))
    return rows


def _fit_rows(section: str, graph: Graph, stats: dict[str, Any]) -> list[Row]:
    meta = graph.meta
    model, profile = meta.get("model"), meta.get("profile")
    if not model:
        return []
    gpus = [d for d in stats.get("devices") or [] if str(d.get("type", "")).lower() not in ("cpu", "")]
    ram = (stats.get("system") or {}).get("ram_total")
    rows: list[Row] = []
    if not gpus:
        rows.append(Row(section, "fit", "warn", "no GPU", "the server renders on the CPU: hours per clip"))
    else:
        vram = max(d.get("vram_total") or 0 for d in gpus)
        floor = PROFILE_VRAM_GIB.get(profile or "")
        if floor is not None and vram < floor * GIB * 0.95:
            rows.append(
                Row(
                    section,
                    "fit",
                    "fail",
                    f"profile {profile}",
                    f"needs ~{floor} GiB VRAM, the server has {_gib(vram)}",
                    "use a bigger GPU",
                )
            )
        elif floor is None and str(model).startswith("ltx2") and vram < LTX2_NO_PROFILE_VRAM_GIB * GIB * 0.95:
            rows.append(
                Row(
                    section,
                    "fit",
                    "warn",
                    "no profile",
                    f"{model} is published for 32 GB+ VRAM, the server has {_gib(vram)}",
                    "add `profile: rtx4060-8gb` to the recipe",
                )
            )
        else:
            rows.append(
                Row(
                    section,
                    "fit",
                    "ok",
                    "VRAM",
                    f"{_gib(vram)} for {model}" + (f" with profile {profile}" if profile else ""),
                )
            )
    ram_floor = PROFILE_RAM_GIB.get(profile or "")
    if ram_floor is not None and isinstance(ram, (int, float)) and ram < ram_floor * GIB * 0.95:
        rows.append(
            Row(
                section,
                "fit",
                "warn",
                "RAM",
                f"profile {profile} assumes >= {ram_floor} GiB system "
                f"RAM, the server has {_gib(ram)}: offloading will swap",
            )
        )
    rows.extend(Row(section, "fit", "warn", "budget", w) for w in meta.get("warnings") or [] if "budget" in w)
    return rows
