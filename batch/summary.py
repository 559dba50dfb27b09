"""The batch folder's machine-readable records: ``batch.json`` (one row per job) and ``junit.xml``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comfyreel.batch.dispatch import Outcome
from comfyreel.runner.manifest import atomic_write_text

SUMMARY_NAME = "batch.json"
JUNIT_NAME = "junit.xml"


def counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    tally = {"success": 0, "skipped": 0, "failed": 0}
    for outcome in outcomes:
        tally[outcome.status] = tally.get(outcome.status, 0) + 1
    return tally


def summary(outcomes: Sequence[Outcome], servers: Sequence[Any], seconds: float) -> dict[str, Any]:
    """The batch.json data: counts, per-server tallies, and every job's row."""
    return {
        "schema_version": 1,
        "counts": counts(outcomes),
        "seconds": round(seconds, 3),
        "servers": [{"url": s.url, "done": s.done, "failed": s.failed, "error": s.error} for s in servers],
        "jobs": [o.to_dict() for o in outcomes],
    }


def write_summary(out: Path, data: dict[str, Any]) -> Path:
    path = Path(out) / SUMMARY_NAME
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return path


def write_junit(out: Path, outcomes: Sequence[Outcome], *, suite_name: str = "comfyreel.batch") -> Path:
    """One testcase per job (classname = recipe file), a failure element per failed job."""
    root = ET.Element("testsuites", name=suite_name)
    suite = ET.SubElement(root, "testsuite", name=suite_name)
    failures = skipped = 0
    for outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{suite_name}.{Path(outcome.job.recipe).name}",
            name=outcome.job.name,
            time=f"{outcome.seconds:.3f}",
        )
        props = ET.SubElement(case, "properties")
        for key, value in (("server", outcome.server), ("prompt_id", outcome.job.prompt_id)):
            ET.SubElement(props, "property", name=key, value=str(value or ""))
        if outcome.status == "failed":
            failures += 1
            error = outcome.error or {}
            message = str(error.get("message", "failed"))
            ET.SubElement(case, "failure", message=message, type=str(error.get("error", "error"))).text = (
                f"{message}\nhint: {error.get('hint')}" if error.get("hint") else message
            )
        elif outcome.status == "skipped":
            skipped += 1
            ET.SubElement(case, "skipped", message="already rendered (resume)")
    for element in (root, suite):
        element.set("tests", str(len(outcomes)))
        element.set("failures", str(failures))
        element.set("errors", "0")
        element.set("skipped", str(skipped))
    ET.indent(root)
    path = Path(out) / JUNIT_NAME
    atomic_write_text(path, ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")
    return path
