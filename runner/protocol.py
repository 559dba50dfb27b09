"""Typed views of ComfyUI's wire protocol: websocket messages and the /prompt, /history, /queue bodies.

Shapes follow the recorded traces (``shared/comfyui/traces``, ComfyUI 0.3.64 and 0.8.0). Parsing never
crashes on a shape it does not know: an unknown message type becomes :class:`Unknown`, a malformed body
raises :class:`~comfyreel.runner.errors.ProtocolError` naming the endpoint. Plain frozen dataclasses keep
this module cheap to import and easy to build in table-driven tests.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

from comfyreel.runner.errors import ProtocolError

# -- websocket messages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Broadcast on every queue change; only the first frame after connect carries ``sid``."""

    queue_remaining: int | None
    sid: str | None = None


@dataclass(frozen=True)
class ExecutionStart:
    prompt_id: str
    timestamp: int | None = None  # server epoch ms


@dataclass(frozen=True)
class ExecutionCached:
    prompt_id: str
    nodes: tuple[str, ...]
    timestamp: int | None = None


@dataclass(frozen=True)
class Executing:
    """A node starts; ``node is None`` with our prompt_id is the terminal signal.

    After a same-id reconnect the server sends ``{"node": current}`` without a prompt_id.
    """

    node: str | None
    prompt_id: str | None
    display_node: str | None = None


@dataclass(frozen=True)
class Progress:
    """Step progress inside one node (samplers)."""

    prompt_id: str | None
    node: str | None
    value: float
    max: float


@dataclass(frozen=True)
class ProgressState:
    """Cumulative per-node state of a prompt: ``{node_id: {"value","max","state"}}``."""

    prompt_id: str
    nodes: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Executed:
    """An output node finished; ``output`` is its UI dict (``images``/``videos``/``gifs``/``audio``...)."""

    prompt_id: str
    node: str
    output: dict[str, Any]


@dataclass(frozen=True)
class ExecutionSuccess:
    prompt_id: str
    timestamp: int | None = None


@dataclass(frozen=True)
class ExecutionError:
    prompt_id: str
    node_id: str | None
    node_type: str | None
    exception_type: str
    exception_message: str
    traceback: tuple[str, ...] = ()
    current_inputs: dict[str, Any] = field(default_factory=dict)
    executed: tuple[str, ...] = ()
    timestamp: int | None = None


@dataclass(frozen=True)
class ExecutionInterrupted:
    prompt_id: str
    node_id: str | None
    node_type: str | None
    timestamp: int | None = None


@dataclass(frozen=True)
class ProgressText:
    """Binary frame type 3: progress text of a node (broadcast to every socket)."""

    node: str
    text: str


@dataclass(frozen=True)
class Unknown:
    """Any message we do not model (new types, previews, malformed frames): a value, never a crash."""

    type: str
    data: Any = None


Message = (
    Status
    | ExecutionStart
    | ExecutionCached
    | Executing
    | Progress
    | ProgressState
    | Executed
    | ExecutionSuccess
    | ExecutionError
    | ExecutionInterrupted
    | ProgressText
    | Unknown
)

TERMINAL_MESSAGES = (ExecutionSuccess, ExecutionError, ExecutionInterrupted)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def parse_message(raw: str | bytes | dict[str, Any]) -> Message:
    """Turn one websocket frame (text, binary or an already-decoded dict) into a typed message."""
    if isinstance(raw, (bytes, bytearray)):
        return _parse_binary(bytes(raw))
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return Unknown("invalid_json", raw[:200])
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return Unknown("malformed", raw)
    kind, data = raw["type"], raw.get("data")
    if not isinstance(data, dict):
        return Unknown(kind, data)
    try:
        return _parse_typed(kind, data)
    except (KeyError, TypeError, ValueError, AttributeError):  # a known type with a hostile shape
        return Unknown(kind, data)


def _parse_typed(kind: str, d: dict[str, Any]) -> Message:
    pid = _str(d.get("prompt_id"))
    if kind == "status":
        info = (d.get("status") or {}).get("exec_info") or {}
        return Status(_int(info.get("queue_remaining")), _str(d.get("sid")))
    if kind == "execution_start":
        return ExecutionStart(str(d["prompt_id"]), _int(d.get("timestamp")))
    if kind == "execution_cached":
        return ExecutionCached(
            str(d["prompt_id"]), tuple(str(n) for n in d.get("nodes") or ()), _int(d.get("timestamp"))
        )
    if kind == "executing":
        return Executing(_str(d.get("node")), pid, _str(d.get("display_node")))
    if kind == "progress":
        return Progress(pid, _str(d.get("node")), float(d.get("value", 0)), float(d.get("max", 0)))
    if kind == "progress_state":
        return ProgressState(str(d["prompt_id"]), dict(d.get("nodes") or {}))
    if kind == "executed":
        return Executed(str(d["prompt_id"]), str(d["node"]), dict(d.get("output") or {}))
    if kind == "execution_success":
        return ExecutionSuccess(str(d["prompt_id"]), _int(d.get("timestamp")))
    if kind == "execution_error":
        return ExecutionError(
            prompt_id=str(d["prompt_id"]),
            node_id=_str(d.get("node_id")),
            node_type=_str(d.get("node_type")),
            exception_type=str(d.get("exception_type") or ""),
            exception_message=str(d.get("exception_message") or ""),
            traceback=tuple(str(t) for t in d.get("traceback") or ()),
            current_inputs=dict(d.get("current_inputs") or {}),
            executed=tuple(str(n) for n in d.get("executed") or ()),
            timestamp=_int(d.get("timestamp")),
        )
    if kind == "execution_interrupted":
        return ExecutionInterrupted(
            str(d["prompt_id"]), _str(d.get("node_id")), _str(d.get("node_type")), _int(d.get("timestamp"))
        )
    return Unknown(kind, d)


def _parse_binary(frame: bytes) -> Message:
    if len(frame) < 4:
        return Unknown("binary", len(frame))
    (event,) = struct.unpack(">I", frame[:4])
    if event == 3 and len(frame) >= 8:
        (n,) = struct.unpack(">I", frame[4:8])
        node = frame[8 : 8 + n].decode("utf-8", "replace")
        return ProgressText(node, frame[8 + n :].decode("utf-8", "replace"))
    return Unknown(f"binary:{event}", len(frame))


def message_prompt_id(msg: Message) -> str | None:
    """The prompt a message belongs to (None for broadcasts and unknown messages)."""
    return getattr(msg, "prompt_id", None) if not isinstance(msg, Unknown) else None


# -- HTTP bodies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptAccepted:
    """The 200 answer of POST /prompt; non-empty ``node_errors`` means a partial submission."""

    prompt_id: str
    number: float | None
    node_errors: dict[str, Any]


@dataclass(frozen=True)
class HistoryEntry:
    """One prompt's ``/history/{id}`` entry."""

    prompt_id: str
    status_str: str | None  # "success" | "error" | None (older servers)
    completed: bool
    outputs: dict[str, dict[str, Any]]
    messages: tuple[tuple[str, dict[str, Any]], ...]
    outputs_to_execute: tuple[str, ...] | None  # prompt[4]: the outputs the server meant to run

    def message(self, kind: str) -> dict[str, Any] | None:
        """The data of the first history message of *kind* (e.g. ``execution_error``)."""
        return next((data for name, data in self.messages if name == kind), None)

    @property
    def cached_nodes(self) -> tuple[str, ...]:
        data = self.message("execution_cached") or {}
        return tuple(str(n) for n in data.get("nodes") or ())


@dataclass(frozen=True)
class QueueSnapshot:
    running: tuple[str, ...]
    pending: tuple[str, ...]


def parse_prompt_accepted(body: Any) -> PromptAccepted:
    if not isinstance(body, dict) or not isinstance(body.get("prompt_id"), str):
        raise ProtocolError(f"POST /prompt answered 200 without a prompt_id: {str(body)[:200]}")
    number = body.get("number")
    errors = body.get("node_errors") or {}
    return PromptAccepted(
        body["prompt_id"],
        number if isinstance(number, (int, float)) else None,
        errors if isinstance(errors, dict) else {"?": errors},
    )


def parse_history(body: Any, prompt_id: str) -> HistoryEntry | None:
    """The entry for *prompt_id* in a ``/history/{id}`` body, or None while it has none (``{}``)."""
    if not isinstance(body, dict):
        raise ProtocolError(f"/history/{prompt_id} is not a JSON object")
    entry = body.get(prompt_id)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise ProtocolError(f"/history/{prompt_id} entry is not a JSON object")
    status = entry.get("status") or {}
    outputs = entry.get("outputs") or {}
    if not isinstance(status, dict) or not isinstance(outputs, dict):
        raise ProtocolError(f"/history/{prompt_id} entry: 'status' or 'outputs' is not a JSON object")
    if not isinstance(status.get("messages") or [], list):
        raise ProtocolError(f"/history/{prompt_id} entry: 'status.messages' is not a list")
    messages = tuple(
        (str(m[0]), m[1] if isinstance(m[1], dict) else {})
        for m in status.get("messages") or ()
        if isinstance(m, (list, tuple)) and len(m) == 2
    )
    prompt = entry.get("prompt")
    to_execute = None
    if isinstance(prompt, list) and len(prompt) >= 5 and isinstance(prompt[4], list):
        to_execute = tuple(str(n) for n in prompt[4])
    return HistoryEntry(
        prompt_id=prompt_id,
        status_str=status.get("status_str"),
        completed=bool(status.get("completed", False)),
        outputs={str(k): v for k, v in outputs.items() if isinstance(v, dict)},
        messages=messages,
        outputs_to_execute=to_execute,
    )


def parse_queue(body: Any) -> QueueSnapshot:
    if not isinstance(body, dict):
        raise ProtocolError("/queue is not a JSON object")

    def ids(key: str) -> tuple[str, ...]:
        items = body.get(key) or []
        if not isinstance(items, list):
            raise ProtocolError(f"/queue: {key!r} is not a list")
        return tuple(str(item[1]) for item in items if isinstance(item, list) and len(item) > 1)

    return QueueSnapshot(ids("queue_running"), ids("queue_pending"))


def job_status(body: Any) -> str | None:
    """``status`` of an ``/api/jobs/{id}`` body: pending, in_progress, completed or failed."""
    return body.get("status") if isinstance(body, dict) and isinstance(body.get("status"), str) else None
