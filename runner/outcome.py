"""How a finished prompt ended, as the exception to raise: execution errors, OOM hints, timeouts, loss.

Maps a terminal :class:`~comfyreel.runner.completion.Completion` state to its
:class:`~comfyreel.runner.errors.RunError` subclass. ``current_inputs`` of an execution error are
redacted (names kept, values dropped: prompts and paths can be private), and only the traceback
tail is kept. A CUDA / torch out-of-memory becomes :class:`OutOfMemory` with LTX-specific hints.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from comfyreel.compiler.graph import Graph
from comfyreel.runner import completion as c
from comfyreel.runner.errors import (
    ExecutionFailed,
    Interrupted,
    JobLost,
    OutOfMemory,
    RunTimeout,
    ServerUnavailable,
)

OOM_PATTERN = re.compile(r"out of memory|OutOfMemory|Allocation on device", re.IGNORECASE)
OOM_HINT = (
    "the GPU ran out of memory. For LTX on small cards: fewer frames (8n+1, e.g. 49 -> 33), a lower "
    "resolution (multiples of 32, e.g. 768 -> 512), a tiled VAE decode, the text encoder offloaded to "
    "the CPU, or the rtx4060-8gb profile; launch ComfyUI with --novram (comfyreel run --launch does)"
)
TRACEBACK_TAIL = 4


def execution_failed(err: dict[str, Any], graph: Graph, common: dict[str, Any]) -> ExecutionFailed:
    """ExecutionFailed (or OutOfMemory with LTX hints) from an execution_error payload; inputs redacted."""
    node_id = err.get("node_id")
    class_type = err.get("node_type")
    etype, emsg = (
        str(err.get("exception_type") or "Error"),
        str(err.get("exception_message") or "").strip(),
    )
    tail = [line.rstrip() for line in (err.get("traceback") or [])][-TRACEBACK_TAIL:]
    details = {
        "node_id": node_id,
        "class_type": class_type,
        "exception_type": etype,
        "exception_message": emsg,
        "traceback_tail": tail,
        "current_inputs": {k: "<redacted>" for k in (err.get("current_inputs") or {})},
    }
    anchor = graph.anchor(node_id)
    first = emsg.splitlines()[0] if emsg else ""
    if OOM_PATTERN.search(etype) or OOM_PATTERN.search(emsg):
        return OutOfMemory(
            f"node {node_id} ({class_type}) ran out of memory: {etype}: {first}",
            anchor=anchor,
            hint=OOM_HINT,
            details=details,
            **common,
        )
    return ExecutionFailed(
        f"node {node_id} ({class_type}) failed: {etype}: {first}",
        anchor=anchor,
        hint="see the traceback tail in the manifest (error.details)",
        details=details,
        **common,
    )


def raise_for_state(
    machine: c.Completion,
    graph: Graph,
    common: dict[str, Any],
    cancelled: str = "our prompt was removed from the server",
) -> NoReturn:
    """Raise the error of a terminal state other than a success with a history entry.

    *cancelled* says what cancelling did to our prompt (an old server's may be left running).
    """
    state = machine.state
    if state is c.State.SUCCEEDED:
        state = c.State.LOST
    if state is c.State.FAILED:
        raise execution_failed(machine.error or {}, graph, common)
    if state is c.State.INTERRUPTED:
        node = (machine.interrupted or {}).get("node_id")
        raise Interrupted(
            f"the prompt was interrupted on the server (node {node}), not by this run",
            hint="someone pressed Cancel or sent a global /interrupt; run again",
            **common,
        )
    if state is c.State.TIMED_OUT:
        raise RunTimeout(
            f"{machine.reason}; {cancelled}",
            hint="raise --silence-timeout / --timeout if the render is just slow",
            **common,
        )
    if state is c.State.CANCELLED:
        raise KeyboardInterrupt
    if state is c.State.UNREACHABLE:
        raise ServerUnavailable(machine.reason, hint="is the server still running?", **common)
    raise JobLost(machine.reason, hint="the server restarted or dropped the prompt; run again", **common)
