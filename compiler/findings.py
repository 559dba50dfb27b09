"""`Finding`: one validation result as a value, anchored ``source#node_id(title):input``.

``#`` (not ``:``) separates the file from the node id, so ``recipe.yaml#901(Title)`` never reads as
line 901 of the recipe (``file:line`` is what recipe errors use).
"""

from __future__ import annotations

from typing import Any, Literal

from comfyreel.compiler.values import Frozen

Severity = Literal["error", "warning", "info"]


class Finding(Frozen):
    """What is wrong, where, and what would be legal (a frozen value; no dataclasses: see values.py)."""

    FIELDS = ("rule", "severity", "message", "node_id", "class_type", "title", "input", "fix", "source")
    rule: str
    severity: Severity
    message: str
    node_id: str | None
    class_type: str | None
    title: str | None
    input: str | None
    fix: str | None
    source: str | None

    def __init__(
        self,
        rule: str,
        severity: Severity,
        message: str,
        node_id: str | None = None,
        class_type: str | None = None,
        title: str | None = None,
        input: str | None = None,
        fix: str | None = None,
        source: str | None = None,
    ) -> None:
        self._set(
            rule=rule,
            severity=severity,
            message=message,
            node_id=node_id,
            class_type=class_type,
            title=title,
            input=input,
            fix=fix,
            source=source,
        )

    def anchor(self) -> str:
        """``source#node_id(title):input``; the node and input parts only where known."""
        text = self.source or "<graph>"
        if self.node_id is not None:
            text += f"#{self.node_id}({self.title or self.class_type or '?'})"
        if self.input is not None:
            text += f":{self.input}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in self.FIELDS}, "anchor": self.anchor()}

    def __str__(self) -> str:
        text = f"{self.anchor()}: {self.severity}[{self.rule}] {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text
