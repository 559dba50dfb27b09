"""Table-driven tests of the sans-IO completion state machine: no sockets, no sleeps."""

from __future__ import annotations

import pytest
from comfyreel.runner import protocol as p
from comfyreel.runner.completion import (
    TERMINAL,
    Action,
    CancelRequested,
    CancelSent,
    Completion,
    Poll,
    PollFailed,
    State,
    Tick,
    Timeouts,
    WsConnected,
    WsLost,
    WsMessage,
)

PID = "ours"
T = Timeouts(
    total_s=100,
    silence_s=10,
    poll_s=2,
    fast_poll_s=0.5,
    lost_after_s=3,
    finish_grace_s=5,
    unreachable_s=8,
    cancel_grace_s=4,
)


def ws(at, kind, **data):
    data.setdefault("prompt_id", PID)
    return WsMessage(p.parse_message({"type": kind, "data": data}), at)


def hist(status="success", outputs=None, messages=(), to_execute=("9",), completed=None):
    outputs = (
        {"9": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}}
        if outputs is None
        else outputs
    )
    body = {
        PID: {
            "prompt": [1, PID, {}, {}, list(to_execute)],
            "outputs": outputs,
            "status": {
                "status_str": status,
                "completed": status == "success" if completed is None else completed,
                "messages": list(messages),
            },
        }
    }
    return p.parse_history(body, PID)


ERR = {
    "prompt_id": PID,
    "node_id": "3",
    "node_type": "KSampler",
    "exception_type": "RuntimeError",
    "exception_message": "boom",
    "traceback": ["line"],
    "current_inputs": {"seed": [1]},
}

CASES = {
    "ws success then history": (
        [
            ws(0.1, "execution_start"),
            ws(0.2, "executing", node="3"),
            ws(0.3, "execution_success"),
            ws(0.4, "executing", node=None),
            Poll(0.5, history=hist()),
        ],
        State.SUCCEEDED,
        Action.DONE,
    ),
    "ws missed, polls only": (
        [Poll(0.5, running=True), Poll(2.5, running=True), Poll(4.5, history=hist())],
        State.SUCCEEDED,
        Action.DONE,
    ),
    "history lags behind execution_success": (
        [ws(0.1, "execution_success"), Poll(0.2), Poll(1.0), Poll(2.0), Poll(3.5)],
        State.FINISHING,
        Action.WAIT,
    ),
    "history lag then entry": (
        [ws(0.1, "execution_success"), Poll(0.2), Poll(3.5), Poll(4.0, history=hist())],
        State.SUCCEEDED,
        Action.DONE,
    ),
    # ComfyUI writes an entry once, status and outputs together (PromptQueue.task_done): a complete
    # success is final even when an output node shows nothing (PreviewAny-only graphs, SaveLatent...)
    "complete success entry is final without outputs": (
        [ws(0.1, "executing", node=None), Poll(0.2, history=hist(outputs={}))],
        State.SUCCEEDED,
        Action.DONE,
    ),
    "complete success entry is final without a socket event": (
        [Poll(0.2, history=hist(outputs={"7": {"text": ["hi"]}}))],
        State.SUCCEEDED,
        Action.DONE,
    ),
    "incomplete entry without outputs keeps polling": (
        [ws(0.1, "executing", node=None), Poll(0.2, history=hist(outputs={}, completed=False))],
        State.FINISHING,
        Action.WAIT,
    ),
    "incomplete entry then outputs": (
        [
            ws(0.1, "executing", node=None),
            Poll(0.2, history=hist(outputs={}, completed=False)),
            Poll(0.7, history=hist()),
        ],
        State.SUCCEEDED,
        Action.DONE,
    ),
    "outputs never listed: success after grace, caller checks": (
        [
            ws(0.1, "executing", node=None),
            Poll(0.2, history=hist(outputs={}, completed=False)),
            Poll(5.3, history=hist(outputs={}, completed=False)),
        ],
        State.SUCCEEDED,
        Action.DONE,
    ),
    "partial submission: history's outputs_to_execute wins": (
        [Poll(0.5, history=hist(to_execute=("9",)))],
        State.SUCCEEDED,
        Action.DONE,
    ),
    "execution_error on ws and history": (
        [ws(0.1, "execution_error", **ERR), Poll(0.2, history=hist("error", {}, [["execution_error", ERR]]))],
        State.FAILED,
        Action.DONE,
    ),
    "execution_error only in history (ws missed)": (
        [Poll(0.5, running=True), Poll(2.5, history=hist("error", {}, [["execution_error", ERR]]))],
        State.FAILED,
        Action.DONE,
    ),
    "execution_error on ws, history never comes": (
        [ws(0.1, "execution_error", **ERR), Poll(0.2), Poll(5.2)],
        State.FAILED,
        Action.DONE,
    ),
    "interrupted by someone else": (
        [
            ws(0.1, "execution_interrupted", node_id="3", node_type="KSampler"),
            Poll(0.2, history=hist("error", {}, [["execution_interrupted", {"node_id": "3"}]])),
        ],
        State.INTERRUPTED,
        Action.DONE,
    ),
    "vanished after being seen running": (
        [Poll(0.5, running=True), Poll(2.5), Poll(3.0), Poll(5.6)],
        State.LOST,
        Action.DONE,
    ),
    "absent once then back is not lost": (
        [Poll(0.5, running=True), Poll(2.5), Poll(3.0, running=True), Poll(6.0, running=True)],
        State.RUNNING,
        Action.WAIT,
    ),
    "never seen: lost after grace": ([Poll(0.5), Poll(1.0), Poll(3.6)], State.LOST, Action.DONE),
    "job api says completed: lag, not lost": (
        [Poll(0.5, job="completed"), Poll(4.0, job="completed")],
        State.FINISHING,
        Action.WAIT,
    ),
    "ws success, no history ever: lost after finish grace": (
        [ws(0.1, "execution_success"), Poll(0.2), Poll(5.3)],
        State.LOST,
        Action.DONE,
    ),
    "silence while running -> interrupt ours": (
        [
            ws(0.1, "executing", node="3"),
            Poll(0.5, running=True),
            Tick(10.2),
            Tick(10.6),
            Poll(10.7, running=True),
        ],
        State.CANCELLING,
        Action.INTERRUPT,
    ),
    "silence: interrupt sent, node keeps hanging -> timed out after grace": (
        [
            ws(0.1, "executing", node="3"),
            Poll(0.5, running=True),
            Tick(10.6),
            Poll(10.7, running=True),
            CancelSent(10.8, Action.INTERRUPT),
            Poll(11.1, running=True),
            Tick(14.7),
        ],
        State.TIMED_OUT,
        Action.DONE,
    ),
    "silence: interrupt honoured -> timed out": (
        [
            Poll(0.5, running=True),
            Tick(10.6),
            Poll(10.7, running=True),
            CancelSent(10.8, Action.INTERRUPT),
            Poll(11.0, history=hist("error", {}, [["execution_interrupted", {"node_id": "3"}]])),
        ],
        State.TIMED_OUT,
        Action.DONE,
    ),
    "deadline while pending -> delete ours": (
        [
            Poll(0.5, pending=True),
            *[Poll(t, pending=True, job=str(t)) for t in range(2, 100, 2)],
            Tick(100.0),
            Poll(100.1, pending=True),
        ],
        State.CANCELLING,
        Action.DELETE,
    ),
    "queued behind a long foreign job is not silence (the deadline still holds)": (
        [Poll(0.5, pending=True), *[Poll(t, pending=True) for t in range(2, 40, 2)], Tick(40.0)],
        State.QUEUED,
        Action.POLL,
    ),
    "delete raced with start -> interrupt": (
        [
            Poll(0.5, pending=True),
            CancelRequested(1.0),
            Poll(1.1, pending=True),
            CancelSent(1.2, Action.DELETE),
            Poll(1.5, running=True),
        ],
        State.CANCELLING,
        Action.INTERRUPT,
    ),
    "ctrl-c while pending: deleted -> cancelled": (
        [
            Poll(0.5, pending=True),
            CancelRequested(1.0),
            Poll(1.1, pending=True),
            CancelSent(1.2, Action.DELETE),
            Poll(1.5),
        ],
        State.CANCELLED,
        Action.DONE,
    ),
    "other prompts' events are ignored": (
        [
            ws(0.1, "execution_success", prompt_id="theirs"),
            ws(0.2, "executing", node=None, prompt_id="theirs"),
            ws(0.3, "execution_error", **{**ERR, "prompt_id": "theirs"}),
        ],
        State.SUBMITTED,
        Action.WAIT,
    ),
    "other prompts' events do not reset silence": (
        [
            Poll(0.5, running=True),
            *[ws(t, "executing", node="1", prompt_id="theirs") for t in range(1, 11)],
            Tick(10.6),
        ],
        State.CANCELLING,
        Action.POLL,
    ),
    "unknown messages are values": (
        [
            WsMessage(p.parse_message('{"type": "new_thing", "data": {"x": 1}}'), 0.1),
            WsMessage(p.parse_message(b"\x00\x00\x00\x01junk"), 0.2),
            WsMessage(p.parse_message("not json"), 0.3),
        ],
        State.SUBMITTED,
        Action.WAIT,
    ),
    "ws lost -> reconnect after backoff": (
        [Poll(0.5, running=True), WsLost(1.0), Tick(1.3)],
        State.RUNNING,
        Action.RECONNECT,
    ),
    "ws reconnected -> reconcile poll": (
        [Poll(0.5, running=True), WsLost(1.0), WsConnected(1.3)],
        State.RUNNING,
        Action.POLL,
    ),
    "server unreachable": (
        [Poll(0.5, running=True), PollFailed(2.5), PollFailed(5.0), PollFailed(8.6)],
        State.UNREACHABLE,
        Action.DONE,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_table(name):
    events, state, action = CASES[name]
    machine = Completion(PID, now=0.0, timeouts=T, expected_outputs=["9"])
    decision = None
    for event in events:
        decision = machine.feed(event)
    assert decision is not None
    assert (decision.state, decision.action) == (state, action), decision
    assert (decision.action is Action.DONE) == (state in TERMINAL)


def test_error_details_kept():
    m = Completion(PID, now=0.0, timeouts=T)
    m.feed(Poll(0.5, history=hist("error", {}, [["execution_error", ERR]])))
    assert m.state is State.FAILED
    assert m.error["node_id"] == "3" and m.error["exception_type"] == "RuntimeError"


def test_wait_is_always_bounded():
    m = Completion(PID, now=0.0, timeouts=T)
    d = m.feed(Poll(0.1, running=True))
    assert d.action is Action.WAIT and d.wake_at is not None and 0.1 < d.wake_at <= 100
    d = m.feed(WsLost(0.2))
    assert d.action is Action.WAIT and d.wake_at <= 0.2 + T.reconnect_max_s


def test_lost_is_quick_after_restart():
    """A running prompt that vanishes is LOST within lost_after_s plus one fast poll period."""
    m = Completion(PID, now=0.0, timeouts=T)
    t = 0.5
    m.feed(Poll(t, running=True))
    m.feed(WsLost(1.0))  # a restart closes the sockets
    t, d = 1.0, m.decide(1.0)
    while d.action is not Action.DONE:
        t = d.wake_at if d.action is Action.WAIT else t + 0.01
        if d.action is Action.POLL:
            d = m.feed(Poll(t))
        elif d.action is Action.RECONNECT:
            d = m.feed(WsLost(t))
        else:
            d = m.feed(Tick(t))
        assert t < 10
    assert m.state is State.LOST
    assert t <= 1.0 + T.lost_after_s + 2 * T.fast_poll_s + 0.1


def test_lost_is_declared_on_time_when_polls_are_slow():
    """Slow polls drift; the machine still looks again exactly when absence proves the loss."""
    m = Completion(PID, now=0.0, timeouts=T)
    m.feed(Poll(0.5, running=True))
    first_absent, latency = 1.0, 0.13  # each poll answer arrives 0.13 s after it was asked for
    d = m.feed(Poll(first_absent))
    t = first_absent
    while d.action is not Action.DONE:
        assert d.action is Action.WAIT and d.wake_at is not None
        t = d.wake_at + latency
        d = m.feed(Poll(t))
        assert t < 10
    assert m.state is State.LOST
    assert t <= first_absent + T.lost_after_s + latency + 1e-9


def test_protocol_history_and_queue():
    q = p.parse_queue({"queue_running": [[1, "a", {}, {}, []]], "queue_pending": [[2, "b", {}, {}, []]]})
    assert q.running == ("a",) and q.pending == ("b",)
    assert p.parse_history({}, PID) is None
    e = hist("error", {}, [["execution_cached", {"nodes": ["1", "2"]}]])
    assert e.cached_nodes == ("1", "2")
    with pytest.raises(p.ProtocolError):
        p.parse_history([], PID)
    with pytest.raises(p.ProtocolError):
        p.parse_prompt_accepted({"number": 1})


def test_binary_progress_text():
    import struct

    frame = struct.pack(">II", 3, 2) + b"12" + "hällo".encode()
    assert p.parse_message(frame) == p.ProgressText("12", "hällo")
