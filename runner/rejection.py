"""Turn ComfyUI's validation answers (HTTP 400, or 200 with ``node_errors``) into Findings.

Each ``node_errors[node].errors[i]`` becomes one :class:`Finding` anchored like the compiler's
(``source:node_id(title):input``) with a fix derived from ``extra_info`` (legal values, min/max).
Top-level errors without node errors (``invalid_prompt``, ``prompt_no_outputs``) become one finding.
"""

from __future__ import annotations

import re
from typing import Any

from comfyreel.compiler.findings import Finding
from comfyreel.compiler.graph import Graph
from comfyreel.runner.errors import PromptRejected


def _fix(kind: str, extra: dict[str, Any]) -> str | None:
    name = extra.get("input_name")
    config = extra.get("input_config")
    options = (
        config[1] if isinstance(config, list) and len(config) > 1 and isinstance(config[1], dict) else {}
    )
    if kind == "value_not_in_list":
        legal = (
            config[0]
            if isinstance(config, list) and config and isinstance(config[0], list)
            else options.get("options")
        )
        if isinstance(legal, list):
            shown = ", ".join(repr(v) for v in legal[:8]) + (", ..." if len(legal) > 8 else "")
            return (
                f"set {name} to one of: {shown}"
                if legal
                else f"{name}: the server lists no choices (missing models?)"
            )
    if kind == "value_bigger_than_max" and "max" in options:
        return f"set {name} to at most {options['max']}"
    if kind == "value_smaller_than_min" and "min" in options:
        return f"set {name} to at least {options['min']}"
    if kind == "required_input_missing":
        return f"connect or set the required input {name!r}"
    if kind == "return_type_mismatch":
        return f"wire an output of the type {name!r} expects"
    if kind == "invalid_input_type":
        return f"give {name} a value of the declared type"
    return None


def node_error_findings(node_errors: dict[str, Any], graph: Graph) -> list[Finding]:
    from comfyreel.compiler.graph import node_sort_key

    findings: list[Finding] = []
    for node_id in sorted(node_errors, key=node_sort_key):
        entry = node_errors[node_id] if isinstance(node_errors[node_id], dict) else {}
        class_type = entry.get("class_type") or graph.nodes.get(node_id, {}).get("class_type")
        errors = entry.get("errors") or [{"type": "unknown", "message": str(entry)[:300]}]
        for err in errors:
            kind = str(err.get("type") or "unknown")
            extra = err.get("extra_info") if isinstance(err.get("extra_info"), dict) else {}
            details = err.get("details")
            message = str(err.get("message") or kind) + (f": {details}" if details else "")
            findings.append(
                Finding(
                    rule=f"server-{kind.replace('_', '-')}",
                    severity="error",
                    message=message,
                    node_id=node_id,
                    class_type=class_type,
                    title=graph.title(node_id) if node_id in graph.nodes else None,
                    input=extra.get("input_name"),
                    fix=_fix(kind, extra),
                    source=graph.source,
                )
            )
    return findings


def top_level_finding(error: dict[str, Any], graph: Graph) -> Finding:
    kind = str(error.get("type") or "unknown")
    details = str(error.get("details") or "")
    match = re.search(r"Node ID '#([^']+)'", details)
    node_id = match.group(1) if match else None
    fix = {
        "prompt_no_outputs": "add an output node (SaveVideo, SaveImage, ...)",
        "invalid_prompt": "use node classes this server has (is a custom node pack missing?)",
    }.get(kind)
    return Finding(
        rule=f"server-{kind.replace('_', '-')}",
        severity="error",
        message=str(error.get("message") or kind) + (f" ({details})" if details else ""),
        node_id=node_id,
        class_type=graph.nodes.get(node_id, {}).get("class_type") if node_id else None,
        title=graph.title(node_id) if node_id and node_id in graph.nodes else None,
        fix=fix,
        source=graph.source,
    )


def findings_from_body(body: Any, graph: Graph) -> list[Finding]:
    """Findings of a POST /prompt answer (400 body, or the node_errors of a 200)."""
    if not isinstance(body, dict):
        return [
            Finding(rule="server-rejected", severity="error", message=str(body)[:300], source=graph.source)
        ]
    node_errors = body.get("node_errors") if isinstance(body.get("node_errors"), dict) else {}
    findings = node_error_findings(node_errors, graph) if node_errors else []
    error = body.get("error")
    if not findings and isinstance(error, dict):
        findings.append(top_level_finding(error, graph))
    elif not findings:
        findings.append(
            Finding(rule="server-rejected", severity="error", message=str(error)[:300], source=graph.source)
        )
    return findings


def rejected(
    body: Any, graph: Graph, *, url: str, prompt_id: str | None, client_id: str | None, partial: bool = False
) -> PromptRejected:
    """A PromptRejected with ``.findings`` (Finding values) and ``details['findings']`` (dicts)."""
    findings = findings_from_body(body, graph)
    what = (
        "the server accepted only part of the prompt (HTTP 200 with node_errors); "
        "the invalid outputs would not run"
        if partial
        else "the server rejected the prompt (HTTP 400)"
    )
    lines = "\n".join(f"  {f}" for f in findings[:20])
    exc = PromptRejected(
        f"{what}:\n{lines}",
        anchor=graph.source,
        url=url,
        prompt_id=prompt_id,
        client_id=client_id,
        hint="pass --allow-partial to accept a partial run" if partial else "fix the findings above",
        details={"partial": partial, "findings": [f.to_dict() for f in findings], "body": body},
    )
    exc.findings = findings  # type: ignore[attr-defined]
    return exc
