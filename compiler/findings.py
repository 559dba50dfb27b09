"""`Finding`: one validation result as a value, anchored ``source:node_id(title):input``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """What is wrong, where, and what would be legal."""

    rule: str
    severity: Severity
    message: str
    node_id: str | None = None
    class_type: str | None = None
    title: str | None = None
    input: str | None = None
    fix: str | None = None
    source: str | None = None

    def anchor(self) -> str:
        parts = [self.source or "<graph>"]
        if self.node_id is not None:
            parts.append(f"{self.node_id}({self.title or self.class_type or '?'})")
        if self.input is not None:
            parts.append(self.input)
        return ":".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "anchor": self.anchor()}

    def __str__(self) -> str:
        text = f"{self.anchor()}: {self.severity}[{self.rule}] {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text
