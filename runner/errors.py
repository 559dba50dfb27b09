"""Errors of a render run and of output checks, one class per outcome, each with its exit code.

::

    ComfyreelError
    └── RunError (3)                  url, prompt_id, client_id
        ├── ServerUnavailable (3)     cannot connect / server not ready / launch failed
        ├── ProtocolError (4)         the server answered something we cannot understand
        ├── PromptRejected (5)        HTTP 400, or HTTP 200 with partial node_errors
        ├── ExecutionFailed (6)       execution_error: node, class type, exception, traceback tail
        │   └── OutOfMemory (7)       ... a CUDA / torch out-of-memory, with LTX hints
        ├── Interrupted (8)           execution_interrupted, or Ctrl-C
        ├── JobLost (9)               the prompt vanished from queue and history (server restart)
        ├── RunTimeout (10)           silence timeout or total deadline
        └── OutputError (11)          an output could not be downloaded or written safely
    CheckError
        ├── GoldenMissing (1)         no golden for an output: run with --update-golden
        └── MediaUnreadable (2)       a media file cannot be decoded
"""

from __future__ import annotations

from typing import Any, ClassVar

from comfyreel.compiler.errors import EXIT_FINDINGS, EXIT_USAGE, ComfyreelError, GraphInvalid


class RunError(ComfyreelError):
    """A render did not produce its outputs; says which server and prompt."""

    exit_code: ClassVar[int] = 3
    kind = "run"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        anchor: str | None = None,
        url: str | None = None,
        prompt_id: str | None = None,
        client_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, hint=hint, anchor=anchor)
        self.url = url
        self.prompt_id = prompt_id
        self.client_id = client_id
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "url": self.url,
            "prompt_id": self.prompt_id,
            "client_id": self.client_id,
            "details": self.details,
        }


class ServerUnavailable(RunError, exit_code=3, kind="server_unavailable"):
    """Cannot connect, the server is not ready, or a launch failed."""


class ProtocolError(RunError, exit_code=4, kind="protocol"):
    """The server answered something we cannot understand."""


class PromptRejected(RunError, exit_code=5, kind="prompt_rejected"):
    """HTTP 400, or HTTP 200 with node_errors."""


class ExecutionFailed(RunError, exit_code=6, kind="execution_failed"):
    """A node raised: node, class type, exception, traceback tail."""


class OutOfMemory(ExecutionFailed, exit_code=7, kind="out_of_memory"):
    """A CUDA / torch out-of-memory, with LTX hints."""


class Interrupted(RunError, exit_code=8, kind="interrupted"):
    """``execution_interrupted``, or Ctrl-C."""


class UserCancelled(KeyboardInterrupt):
    """Ctrl-C, after the run cleaned up: ``error`` says what was left on the server and on disk."""

    def __init__(self, error: Interrupted) -> None:
        super().__init__(error.message)
        self.error = error


class JobLost(RunError, exit_code=9, kind="lost"):
    """The prompt vanished from queue and history (a server restart)."""


class RunTimeout(RunError, exit_code=10, kind="timeout"):
    """The silence timeout or the total deadline passed."""


class OutputError(RunError, exit_code=11, kind="output"):
    """An output could not be downloaded or written safely."""


class CheckError(ComfyreelError, kind="check"):
    """A check could not be carried out."""


class GoldenMissing(CheckError, exit_code=EXIT_FINDINGS, kind="golden_missing"):
    """No golden for an output: run with --update-golden."""


class MediaUnreadable(CheckError, exit_code=EXIT_USAGE, kind="media_unreadable"):
    """A media file cannot be decoded."""


class PreflightFailed(GraphInvalid, kind="preflight"):
    """The server lacks what the graph needs (node classes, model files, VRAM): nothing was submitted.

    ``report`` is the doctor table (:class:`comfyreel.runner.doctor.Report`); the message prints it.
    """

    def __init__(self, report: Any, *, findings: list[Any] | None = None, anchor: str | None = None) -> None:
        super().__init__(
            "the server cannot run this graph yet (nothing was submitted):\n" + report.render(),
            findings=findings or [],
            anchor=anchor,
        )
        self.hint = "install what the FAIL rows name, then run again (`comfyreel doctor` shows this table)"
        self.report = report

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "preflight": self.report.to_dict()}
