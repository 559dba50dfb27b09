"""JUnit XML for CI dashboards: one testcase per recipe output (plus one per failed run).

Metrics go into ``<properties>`` so CI tools can chart them; failures carry the reasons.
Only the stdlib is used (``xml.etree``); the file is written atomically.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from comfyreel.checks.check_run import ERROR, RunCheck
from comfyreel.runner.manifest import atomic_write_text


def _case(suite: ET.Element, classname: str, name: str, seconds: float = 0.0) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")


def build_junit(checks: Sequence[RunCheck], *, suite_name: str = "comfyreel") -> ET.Element:
    """The ``<testsuites>`` element for a list of run checks."""
    root = ET.Element("testsuites", name=suite_name)
    suite = ET.SubElement(root, "testsuite", name=suite_name)
    tests = failures = errors = 0
    for rc in checks:
        classname = f"{suite_name}.{rc.stem}"
        if rc.problems:
            tests += 1
            failures += 1
            case = _case(suite, classname, "run")
            msg = "; ".join(p.message for p in rc.problems)
            ET.SubElement(case, "failure", message=msg, type="run").text = msg
        for out in rc.outputs:
            tests += 1
            cmp = out.comparison
            seconds = cmp.timings.get("total", cmp.timings.get("probe", 0.0)) if cmp else 0.0
            case = _case(suite, classname, out.name, seconds)
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="status", value=out.status)
            if cmp is not None:
                for key, value in cmp.metrics.items():
                    if value is not None:
                        ET.SubElement(props, "property", name=key, value=str(value))
                ET.SubElement(props, "property", name="identical", value=str(cmp.identical).lower())
            if out.ok:
                continue
            if out.status == ERROR:
                errors += 1
                ET.SubElement(case, "error", message=out.message, type=out.status).text = out.message
                continue
            failures += 1
            if cmp is not None and cmp.reasons:
                msg = "; ".join(r.message for r in cmp.reasons)
                text = "\n".join(cmp.summary_lines())
            else:
                msg = out.message or out.status
                text = msg + (
                    f"\nto record the goldens: {rc.update_command()}"
                    if out.status == "missing_golden"
                    else ""
                )
            ET.SubElement(case, "failure", message=msg, type=out.status).text = text
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    return root


def write_junit(checks: Sequence[RunCheck], path: str | Path, *, suite_name: str = "comfyreel") -> Path:
    """Write the JUnit XML report to ``path``."""
    root = build_junit(checks, suite_name=suite_name)
    ET.indent(root)
    path = Path(path)
    atomic_write_text(
        path, '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    )
    return path
