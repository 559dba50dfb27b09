"""Check a run directory against its goldens, or (explicitly) make its outputs the new goldens.

:func:`check_run` reads ``RUN_DIR/manifest.json``, finds ``<golden_root>/<recipe name>/``
and compares every output with its golden (``compare.py``). The result is a value
(:class:`RunCheck`): a missing golden or output, a failed run and a regression are failures
with reasons; nothing is written unless ``update=True``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyreel.checks.compare import Comparison, Reason, compare_files
from comfyreel.checks.golden import (
    GoldenChange,
    GoldenMeta,
    golden_name,
    inside,
    install_file,
    media_entry,
    output_name,
    recipe_file,
    remove_file,
)
from comfyreel.checks.media import probe
from comfyreel.checks.provenance import describe_changes, provenance, recipe_mapping
from comfyreel.checks.tolerances import Tolerances
from comfyreel.compiler.errors import InputError
from comfyreel.runner.errors import CheckError
from comfyreel.runner.manifest import GRAPH_NAME, Manifest, sha256_file

PASS, FAIL, MISSING_GOLDEN, MISSING_OUTPUT, ERROR, UPDATED = (
    "pass",
    "fail",
    "missing_golden",
    "missing_output",
    "error",
    "updated",
)


@dataclass
class OutputCheck:
    """The verdict on one output of a run."""

    name: str  # "<node_id>-<index>.<ext>"
    status: str  # pass | fail | missing_golden | missing_output | error | updated
    actual: str | None = None
    golden: str | None = None
    comparison: Comparison | None = None
    message: str = ""
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status in (PASS, UPDATED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "ok": self.ok,
            "actual": self.actual,
            "golden": self.golden,
            "message": self.message,
            "error": self.error,
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }


@dataclass
class RunCheck:
    """The verdict on one run directory."""

    run_dir: Path
    golden_root: Path
    stem: str
    manifest: Manifest
    tolerances: Tolerances
    outputs: list[OutputCheck] = field(default_factory=list)
    problems: list[Reason] = field(default_factory=list)  # run-level failures
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a golden made by a non-repeatable server
    calibration: dict[str, Any] = field(default_factory=dict)  # golden.json's, from `comfyreel calibrate`
    changed: list[str] = field(default_factory=list)  # what differs from the run that made the golden
    changes: list[GoldenChange] = field(default_factory=list)
    updated: bool = False

    @property
    def golden_dir(self) -> Path:
        return self.golden_root / self.stem

    @property
    def ok(self) -> bool:
        return not self.problems and all(o.ok for o in self.outputs)

    @property
    def exit_code(self) -> int:
        """0 all good, 2 when a file could not be read, else 1."""
        if self.ok:
            return 0
        return 2 if any(o.status == ERROR for o in self.outputs) else 1

    def calibration_rows(self) -> list[str]:
        """``min_ssim ≥ 0.74 (noise floor 0.87)`` per calibrated limit, with the threshold in force now."""
        rows = []
        for lim in self.calibration.get("limits") or []:
            if not isinstance(lim, dict) or lim.get("key") not in self.tolerances.to_dict():
                continue
            sign = "≥" if lim.get("bound") == "lower" else "≤"
            noise = lim.get("noise")
            rows.append(
                f"{lim['key']} {sign} {self.tolerances.to_dict()[lim['key']]:g} "
                f"(noise floor {'–' if noise is None else f'{noise:g}'})"
            )
        return rows

    def update_command(self) -> str:
        return (
            f"comfyreel check {shlex.quote(str(self.run_dir))} --golden "
            f"{shlex.quote(str(self.golden_root))} --update-golden"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "recipe": self.stem,
            "golden_dir": str(self.golden_dir),
            "ok": self.ok,
            "updated": self.updated,
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "calibration": self.calibration or None,
            "changed_since_golden": list(self.changed),
            "outputs": [o.to_dict() for o in self.outputs],
            "changes": [c.to_dict() for c in self.changes],
            "tolerances": self.tolerances.to_dict(),
            "manifest": self.manifest.model_dump(mode="json", exclude={"recipe": {"text"}}),
        }

    def summary_lines(self) -> list[str]:
        verdict = "updated" if self.updated else ("PASS" if self.ok else "FAIL")
        lines = [f"{verdict} {self.stem} ({self.run_dir})"]
        lines += [f"  - {p.message}" for p in self.problems]
        for o in self.outputs:
            if o.comparison is not None and o.status in (PASS, FAIL):
                body = o.comparison.summary_lines()
                lines.append(f"  {o.name}: {body[0].split(':', 1)[0]}")
                lines += ["  " + line for line in body[1:]]
            else:
                lines.append(f"  {o.name}: {o.status}" + (f" — {o.message}" if o.message else ""))
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  warning: {w}" for w in self.warnings]
        if self.calibration and not self.ok:
            lines.append(f"  tolerances calibrated from {self.calibration.get('renders')} renders:")
            lines += [f"    {row}" for row in self.calibration_rows()]
        if self.changed and not self.updated:
            lines.append("  changed since the golden was recorded:")
            lines += [f"    - {line}" for line in self.changed]
        lines += [f"  golden {c.describe()}" for c in self.changes]
        if any(o.status == MISSING_GOLDEN for o in self.outputs):
            lines.append(f"  to record the goldens: {self.update_command()}")
        return lines


def recipe_tolerances(manifest: Manifest) -> dict[str, Any]:
    """The recipe's ``check:`` block (``check: {tolerances: {...}}`` or ``check: {...}``), if any."""
    block = recipe_mapping(manifest).get("check")
    if not isinstance(block, dict):
        return {}
    inner = block.get("tolerances", block)
    return dict(inner) if isinstance(inner, dict) else {}


def resolve_tolerances(
    manifest: Manifest, meta: GoldenMeta | None, overrides: dict[str, Any] | None, golden_dir: Path
) -> Tolerances:
    """defaults < golden.json < the recipe's check block < command-line overrides."""
    tol = Tolerances.from_dict(
        meta.tolerances if meta else None, where=f"{golden_dir}/golden.json:tolerances"
    )
    tol = Tolerances.from_dict(recipe_tolerances(manifest), base=tol, where="recipe check block")
    return Tolerances.from_dict(overrides, base=tol, where="--tolerance")


def _run_problems(rc: RunCheck, meta: GoldenMeta | None) -> None:
    m = rc.manifest
    if m.status != "success":
        detail = (m.error or {}).get("message", "")
        rc.problems.append(
            Reason("run_status", f"the run did not succeed: {m.status}" + (f" ({detail})" if detail else ""))
        )
    graph = rc.run_dir / (m.graph.path or GRAPH_NAME)
    if graph.is_file() and sha256_file(graph) != m.graph.sha256:
        rc.notes.append(f"{graph.name} does not match the sha256 in the manifest (edited after the run?)")
    if meta is not None and meta.provenance:
        rc.changed = describe_changes(meta.provenance, provenance(m, rc.run_dir))
        flags = (meta.provenance.get("server") or {}).get("flags")
        if isinstance(flags, list):
            from comfyreel.runner.launch import unrepeatable

            rc.warnings += [
                f"the golden was made by a ComfyUI started {why}: regenerate it on a server started "
                "with --deterministic --disable-metadata and no --fast (README: repeatable renders)"
                for why in unrepeatable(flags)
            ]
    if meta is not None and not rc.changed:  # an older golden.json: only the hashes to compare
        for label, old, new in (
            ("recipe", meta.recipe_sha256, m.recipe.sha256 if m.recipe else None),
            ("graph", meta.graph_sha256, m.graph.sha256),
            ("object_info", meta.object_info_sha256, m.object_info.sha256 if m.object_info else None),
        ):
            if old and new and old != new:
                rc.notes.append(f"{label} changed since the goldens were recorded ({old[:12]} → {new[:12]})")


def check_run(
    run_dir: str | Path,
    golden_root: str | Path,
    *,
    update: bool = False,
    overrides: dict[str, Any] | None = None,
    collect_images: bool = False,
    device: str | None = None,
) -> RunCheck:
    """Compare every output of ``run_dir`` with ``golden_root/<recipe-stem>/``; update when asked."""
    run_dir, golden_root = Path(run_dir), Path(golden_root)
    manifest = Manifest.load(run_dir)
    stem = golden_name(manifest)
    folder = golden_root / stem
    meta = GoldenMeta.load(folder)
    tol = resolve_tolerances(manifest, meta, overrides, folder)
    rc = RunCheck(run_dir=run_dir, golden_root=golden_root, stem=stem, manifest=manifest, tolerances=tol)
    rc.calibration = dict(meta.calibration) if meta is not None else {}
    claim = foreign_claim(manifest, meta, folder)
    if claim is not None:
        if update:
            raise claim
        rc.problems.append(Reason("golden_claimed", f"{claim.message}; {claim.hint}"))
    _run_problems(rc, meta)
    if update and rc.problems:
        raise InputError(
            f"refusing to update goldens from a run that did not succeed ({manifest.status})",
            anchor=str(run_dir),
            hint="re-run the recipe and update from a successful run",
        )
    if not manifest.outputs:
        rc.problems.append(Reason("no_outputs", "the run produced no outputs"))
    seen: set[str] = set()
    for out in sorted(manifest.outputs, key=lambda o: (o.node_id, o.index)):
        actual = run_dir / out.path
        name = output_name(out.node_id, out.index, actual.suffix)
        seen.add(name)
        golden = inside(folder, name)
        check = OutputCheck(name=name, status=PASS, actual=str(actual), golden=str(golden))
        rc.outputs.append(check)
        if not actual.is_file():
            check.status, check.message = ERROR, f"output file missing from the run directory: {actual}"
            continue
        if sha256_file(actual) != out.sha256:
            rc.notes.append(f"{name}: file sha256 differs from the manifest (changed after the run?)")
        if not golden.is_file():
            check.status = MISSING_GOLDEN
            check.message = f"no golden at {golden}"
            continue
        try:
            check.comparison = compare_files(
                actual, golden, tol, collect_images=collect_images, device=device
            )
        except CheckError as exc:
            check.status, check.message, check.error = ERROR, str(exc), exc.to_dict()
            continue
        check.status = PASS if check.comparison.ok else FAIL
    for name in sorted((meta.outputs if meta else {}).keys() - seen):
        rc.outputs.append(
            OutputCheck(
                name=name,
                status=MISSING_OUTPUT,
                golden=str(folder / name),
                message="the golden has this output but the run did not produce it",
            )
        )
    if update:
        _update(rc, meta or GoldenMeta())  # tolerances in golden.json are edited by hand, never from flags
    return rc


def foreign_claim(manifest: Manifest, meta: GoldenMeta | None, folder: Path) -> InputError | None:
    """An error when the golden *folder* was recorded from another recipe file with the same name."""
    mine = recipe_file(manifest)
    theirs = meta.recipe_file if meta is not None else None
    if not mine or not theirs or mine == theirs:
        return None
    return InputError(
        f"golden {folder.name!r} belongs to recipe file {theirs}, but this run is from {mine} "
        f"(both are named {folder.name!r})",
        anchor=str(folder / "golden.json"),
        hint=f"give one of the recipes its own `name:`; if {theirs} was renamed to {mine}, "
        f"delete {folder} and record the golden again",
    )


def refuse_shared_goldens(manifests: dict[Path, Manifest]) -> None:
    """InputError when runs of two different recipe files would use one golden folder."""
    owners: dict[str, tuple[Path, str]] = {}
    for run_dir, manifest in manifests.items():
        path = manifest.recipe.path if manifest.recipe is not None else None
        if not path:
            continue
        name = golden_name(manifest)
        resolved = str(Path(path).resolve())
        first = owners.setdefault(name, (run_dir, resolved))
        if first[1] != resolved:
            raise InputError(
                f"two recipes claim golden {name!r}: {first[1]} (run {first[0]}) and {resolved} "
                f"(run {run_dir})",
                anchor=path,
                hint="give each recipe its own `name:` (the golden folder is the recipe's name)",
            )


def _update(rc: RunCheck, meta: GoldenMeta) -> None:
    """Make the run's outputs the goldens: copy files atomically, rewrite golden.json, list changes."""
    folder, m = rc.golden_dir, rc.manifest
    new_outputs: dict[str, dict[str, Any]] = {}
    for check in rc.outputs:
        if check.status == MISSING_OUTPUT:
            remove_file(inside(folder, check.name))
            rc.changes.append(GoldenChange(check.name, "removed", old=meta.outputs.get(check.name)))
            continue
        if check.status == ERROR or check.actual is None:
            raise InputError(f"cannot update golden {check.name}: {check.message}", anchor=check.actual)
        actual = Path(check.actual)
        entry = media_entry(sha256_file(actual), probe(actual))
        new_outputs[check.name] = entry
        old = meta.outputs.get(check.name)
        if check.status == MISSING_GOLDEN or old is None:
            action = "added"
        elif check.comparison is not None and check.comparison.identical:
            action = "unchanged"
        else:
            action = "updated"
        if action != "unchanged":
            install_file(actual, inside(folder, check.name))
        metrics = check.comparison.metrics if check.comparison is not None and action == "updated" else None
        rc.changes.append(GoldenChange(check.name, action, old=old, new=entry, metrics=metrics))
        check.status, check.message = UPDATED, f"golden {action}"

    meta.outputs = new_outputs
    meta.recipe_name, meta.recipe_file = rc.stem, recipe_file(m)
    meta.provenance = provenance(m, rc.run_dir)
    meta.recipe_sha256 = m.recipe.sha256 if m.recipe else None
    meta.graph_sha256 = m.graph.sha256
    meta.object_info_sha256 = m.object_info.sha256 if m.object_info else None
    meta.write(folder)
    rc.outputs = [o for o in rc.outputs if o.status != MISSING_OUTPUT]
    rc.updated = True
