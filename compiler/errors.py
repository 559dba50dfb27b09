"""The one exception tree of comfyreel, with exit codes on the classes.

Findings and regressions are *values* (see ``findings.py``); an exception means
"cannot continue". Every class carries a human ``message``, a ``hint`` (the fix),
an ``anchor`` (file, field or node) and a class-level ``exit_code`` that the CLI
returns. The runner and check subtrees live in ``comfyreel.runner.errors`` and
derive from :class:`ComfyreelError` so one ``except`` catches everything::

    ComfyreelError (2)
    ├── UsageError (2)            bad command-line use
    ├── InputError (2)            a file cannot be read or parsed
    ├── ObjectInfoError (2)       the /object_info schema cannot be loaded
    ├── TemplateError (2)         a Jinja template is broken or unsafe
    ├── MissingExtra (2)          a feature needs an optional extra
    ├── RecipeError (1)           a readable recipe breaks a rule
    └── GraphInvalid (1)          a compiled graph has error findings
"""

from __future__ import annotations

from typing import Any, ClassVar

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class ComfyreelError(Exception):
    """Root of every error comfyreel raises on purpose."""

    exit_code: ClassVar[int] = EXIT_USAGE
    kind: ClassVar[str] = "error"

    def __init_subclass__(cls, *, exit_code: int | None = None, kind: str | None = None, **kw: Any) -> None:
        """``class X(Base, exit_code=6, kind="x")`` sets the two class attributes in one line."""
        super().__init_subclass__(**kw)
        if exit_code is not None:
            cls.exit_code = exit_code
        if kind is not None:
            cls.kind = kind

    def __init__(self, message: str, *, hint: str | None = None, anchor: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.anchor = anchor

    def __str__(self) -> str:
        text = f"{self.anchor}: {self.message}" if self.anchor else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, for ``--json`` output and reports."""
        return {
            "error": self.kind,
            "class": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "anchor": self.anchor,
            "exit_code": self.exit_code,
        }


class UsageError(ComfyreelError):
    """The command line asks for something impossible."""

    kind = "usage"


class InputError(ComfyreelError):
    """A file does not exist, cannot be read or cannot be parsed."""

    kind = "input"


class ObjectInfoError(ComfyreelError):
    """The ``/object_info`` schema (file or server) cannot be loaded."""

    kind = "object_info"


class TemplateError(ComfyreelError):
    """A Jinja template is missing, broken, or tried something the sandbox refuses."""

    kind = "template"


class MissingExtra(ComfyreelError):
    """A feature needs an optional dependency that is not installed."""

    kind = "missing_extra"

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {module!r}, which is not installed",
            hint=f"pip install 'comfyreel[{extra}]'",
        )
        self.extra = extra


class RecipeError(ComfyreelError):
    """A recipe was read but breaks a rule; ``problems`` lists every one of them."""

    exit_code = EXIT_FINDINGS
    kind = "recipe"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        anchor: str | None = None,
        problems: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, hint=hint, anchor=anchor)
        self.problems = problems or []

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": self.problems}


class GraphInvalid(ComfyreelError):
    """A graph failed validation; ``findings`` holds the error findings."""

    exit_code = EXIT_FINDINGS
    kind = "graph_invalid"

    def __init__(self, message: str, *, findings: list[Any], anchor: str | None = None) -> None:
        super().__init__(message, anchor=anchor, hint="fix the findings listed above")
        self.findings = findings

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "findings": [f.to_dict() for f in self.findings]}
