"""The sans-IO completion state machine of one submitted prompt: when is it done, and how did it end.

No sockets, no sleeps, no clock: the IO shell (``session.py``) feeds *inputs* — a websocket message,
a poll snapshot of ``/history`` + ``/queue`` (+ ``/api/jobs`` when the server has it), a failed poll,
a websocket loss or reconnect, a clock tick, a cancel request — each stamped with the shell's
monotonic time, and gets back a :class:`Decision`: the new state and the next :class:`Action`.

Rules (from the recorded protocol facts and the failures of peer tools):

- The websocket is a *hint*; ``/history`` and ``/queue`` are authoritative. A terminal websocket
  signal (``execution_success``/``_error``/``_interrupted`` or ``executing {node: null}`` for our
  prompt) only triggers an immediate poll. Periodic polls catch every missed message.
- Success with no (complete) ``/history`` entry yet is a state (FINISHING), not the end: the entry
  can lag behind ``execution_success``; we re-read until the expected outputs are listed.
- A prompt that is in neither the queue nor the history for ``lost_after_s`` has vanished (server
  restart, history pruned): LOST, reported within a few seconds, never a hang.
- Silence (no event of ours and no change in polls) and a total deadline lead to CANCELLING, which
  removes *only our own* prompt: ``DELETE`` from the queue if pending, ``INTERRUPT`` with our
  prompt_id if running — never a global interrupt.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from comfyreel.runner import protocol as p


class State(enum.Enum):
    SUBMITTED = "submitted"  # POST /prompt accepted (or its answer was lost); not yet seen queued/running
    QUEUED = "queued"  # seen in queue_pending
    RUNNING = "running"  # seen in queue_running, or an execution event of ours arrived
    FINISHING = "finishing"  # the websocket says it ended; /history has no complete entry yet
    CANCELLING = "cancelling"  # timeout or Ctrl-C: removing our own prompt, then we stop
    SUCCEEDED = "succeeded"  # /history: success, expected outputs listed (or grace over: caller checks)
    FAILED = "failed"  # execution_error (from /history, or the websocket if history never came)
    INTERRUPTED = "interrupted"  # execution_interrupted that we did not ask for
    LOST = "lost"  # vanished from queue and history: server restarted or history pruned
    TIMED_OUT = "timed_out"  # silence timeout or deadline; our prompt was cancelled
    CANCELLED = "cancelled"  # Ctrl-C; our prompt was cancelled
    UNREACHABLE = "unreachable"  # no poll answered for unreachable_s


TERMINAL: frozenset[State] = frozenset(
    {
        State.SUCCEEDED,
        State.FAILED,
        State.INTERRUPTED,
        State.LOST,
        State.TIMED_OUT,
        State.CANCELLED,
        State.UNREACHABLE,
    }
)


class Action(enum.Enum):
    WAIT = "wait"  # read the websocket (or sleep if it is down) until Decision.wake_at, then feed a Tick
    POLL = "poll"  # GET /history/{id} + /queue now; feed Poll, or PollFailed
    RECONNECT = "reconnect"  # close the old socket FIRST, then reopen with the same client_id
    INTERRUPT = "interrupt"  # POST /interrupt {"prompt_id": ours}; feed CancelSent
    DELETE = "delete"  # POST /queue {"delete": [ours]}; feed CancelSent
    DONE = "done"  # a terminal state is reached


# -- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WsMessage:
    msg: p.Message
    at: float


@dataclass(frozen=True)
class Poll:
    """One authoritative snapshot; ``job`` is the /api/jobs status when the server has that API."""

    at: float
    history: p.HistoryEntry | None = None
    running: bool = False
    pending: bool = False
    job: str | None = None


@dataclass(frozen=True)
class PollFailed:
    at: float
    reason: str = ""
    slow: bool = False  # connected, but the answer did not come in time (not counted as unreachable)


@dataclass(frozen=True)
class Tick:
    at: float


@dataclass(frozen=True)
class WsLost:
    at: float


@dataclass(frozen=True)
class WsUnavailable:
    """The server (or a proxy before it) refused the websocket: follow by polling only, for good."""

    at: float


@dataclass(frozen=True)
class WsConnected:
    at: float


@dataclass(frozen=True)
class CancelRequested:
    """The user pressed Ctrl-C."""

    at: float


@dataclass(frozen=True)
class CancelSent:
    at: float
    action: Action


Input = (
    WsMessage | Poll | PollFailed | Tick | WsLost | WsUnavailable | WsConnected | CancelRequested | CancelSent
)


@dataclass(frozen=True)
class Timeouts:
    total_s: float = 3600.0  # whole run, from submit
    silence_s: float = 600.0  # no event of ours and no change in polls
    poll_s: float = 2.0  # poll period while the websocket is healthy
    fast_poll_s: float = 0.5  # poll period while it is down, finishing, cancelling or the job is missing
    lost_after_s: float = 3.0  # in neither queue nor history this long -> LOST
    finish_grace_s: float = 30.0  # after the websocket said "done": wait this long for /history outputs
    unreachable_s: float = 30.0  # no poll answered this long -> UNREACHABLE
    cancel_grace_s: float = 5.0  # time allowed for removing our prompt before we give up on it
    reconnect_min_s: float = 0.2
    reconnect_max_s: float = 5.0


@dataclass(frozen=True)
class Decision:
    state: State
    action: Action
    wake_at: float | None = None  # for WAIT: when to feed a Tick at the latest
    reason: str = ""


@dataclass
class Completion:
    """Tracks one prompt. ``expected_outputs`` are the graph's output node ids (history's list wins)."""

    prompt_id: str
    now: float
    timeouts: Timeouts = field(default_factory=Timeouts)
    expected_outputs: Iterable[str] = ()
    state: State = State.SUBMITTED
    reason: str = ""
    history: p.HistoryEntry | None = None
    error: dict[str, Any] | None = None  # execution_error data (ws or history)
    interrupted: dict[str, Any] | None = None  # execution_interrupted data
    ws_ended: bool = False  # the websocket gave a terminal signal for our prompt

    def __post_init__(self) -> None:
        self.expected_outputs = tuple(self.expected_outputs)
        self._start = self.now
        self._activity = self.now
        self._deadline = self.now + self.timeouts.total_s
        self._next_poll = self.now + self.timeouts.fast_poll_s
        self._poll_due = False
        self._ws_up = True
        self._next_reconnect: float | None = None
        self._reconnect_delay = self.timeouts.reconnect_min_s
        self._absent_since: float | None = None
        self._finish_since: float | None = None
        self._last_ok_poll = self.now
        self._last_seen: tuple[Any, ...] | None = None
        self._cancel_kind: State | None = None
        self._cancel_since = 0.0
        self._sent: set[Action] = set()
        self._queue_pos: str | None = None  # "running" | "pending" | None from the latest poll
        self._pending_action: Action | None = None

    # -- public -------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def feed(self, event: Input) -> Decision:
        """Apply one input and return what to do next."""
        if not self.done:
            handler = getattr(self, f"_on_{type(event).__name__}")
            handler(event)
        return self.decide(event.at)

    def decide(self, now: float) -> Decision:
        if self.done:
            return Decision(self.state, Action.DONE, reason=self.reason)
        if self.state is State.CANCELLING:
            return self._decide_cancel(now)
        if now >= self._deadline:
            self._begin_cancel(State.TIMED_OUT, f"deadline of {self.timeouts.total_s:g} s reached", now)
            return self._decide_cancel(now)
        if self._silence_applies() and now - self._activity >= self.timeouts.silence_s:
            self._begin_cancel(State.TIMED_OUT, f"no progress for {self.timeouts.silence_s:g} s", now)
            return self._decide_cancel(now)
        if not self._ws_up and self._next_reconnect is not None and now >= self._next_reconnect:
            self._next_reconnect = None
            return Decision(self.state, Action.RECONNECT)
        if self._poll_due or now >= self._next_poll:
            return Decision(self.state, Action.POLL)
        wake = [self._next_poll, self._deadline]
        if self._silence_applies():
            wake.append(self._activity + self.timeouts.silence_s)
        if not self._ws_up and self._next_reconnect is not None:
            wake.append(self._next_reconnect)
        return Decision(self.state, Action.WAIT, wake_at=min(wake))

    def answer_budget(self, now: float) -> float:
        """How long one poll may wait for its answer: up to the deadline or the silence timeout.

        A slow answer is not silence: reading it must not be cut at the unreachable threshold.
        """
        end = self._deadline
        if self._silence_applies() and self.state is not State.CANCELLING:
            end = min(end, self._activity + self.timeouts.silence_s)
        return max(end - now, 1.0)

    def _silence_applies(self) -> bool:
        """Silence means *our* job stopped moving: not while it ends, nor while it waits its turn.

        Behind another client's long render we get no events and the polls do not change; that is
        the queue working, bounded by the total deadline, not a hang of ours.
        """
        return self.state is not State.FINISHING and self._queue_pos != "pending"

    # -- handlers -----------------------------------------------------------------------------
    def _on_WsMessage(self, ev: WsMessage) -> None:
        msg = ev.msg
        if isinstance(msg, p.Status):
            if self.state in (State.SUBMITTED, State.QUEUED):
                self._activity = ev.at  # the queue ahead of us moves
            return
        if p.message_prompt_id(msg) != self.prompt_id:
            return
        self._activity = ev.at
        if isinstance(msg, p.ExecutionError):
            self.error = _error_dict(msg)
        elif isinstance(msg, p.ExecutionInterrupted):
            self.interrupted = {"node_id": msg.node_id, "node_type": msg.node_type}
        terminal = isinstance(msg, p.TERMINAL_MESSAGES) or (isinstance(msg, p.Executing) and msg.node is None)
        if self.state is State.CANCELLING:
            if terminal:
                self._poll_due = True
            return
        if terminal:
            self.ws_ended = True
            self._enter_finishing(ev.at)
        elif self.state in (State.SUBMITTED, State.QUEUED):
            self.state = State.RUNNING

    def _on_Poll(self, ev: Poll) -> None:
        self._poll_due = False
        self._last_ok_poll = ev.at
        seen = (ev.history is not None, ev.history and ev.history.status_str, ev.running, ev.pending, ev.job)
        if seen != self._last_seen:
            self._last_seen = seen
            self._activity = ev.at
        self._queue_pos = "running" if ev.running else "pending" if ev.pending else None
        if ev.history is not None:
            self.history = ev.history
            self._absent_since = None
            self._resolve_history(ev.history, ev.at)
        elif ev.running or ev.pending or ev.job in ("pending", "in_progress"):
            self._absent_since = None
            if self.state is State.CANCELLING:
                pass
            elif ev.running or ev.job == "in_progress":
                self.state = State.RUNNING if self.state is not State.FINISHING else self.state
            elif self.state is State.SUBMITTED:
                self.state = State.QUEUED
        elif ev.job in ("completed", "failed"):
            self._absent_since = None  # finished, history entry still lagging behind
            if self.state is not State.CANCELLING:
                self._enter_finishing(ev.at)
        else:
            self._on_absent(ev.at)
        self._schedule_poll(ev.at)

    def _on_PollFailed(self, ev: PollFailed) -> None:
        self._schedule_poll(ev.at)
        if ev.slow:  # connected but no answer in time: a busy server, not an unreachable one
            return
        if ev.at - self._last_ok_poll >= self.timeouts.unreachable_s:
            self._finish(
                State.UNREACHABLE, f"server did not answer for {self.timeouts.unreachable_s:g} s: {ev.reason}"
            )

    def _on_Tick(self, ev: Tick) -> None:
        pass

    def _on_WsLost(self, ev: WsLost) -> None:
        self._ws_up = False
        self._next_reconnect = ev.at + self._reconnect_delay
        self._reconnect_delay = min(self._reconnect_delay * 2, self.timeouts.reconnect_max_s)
        self._next_poll = min(self._next_poll, ev.at + self.timeouts.fast_poll_s)

    def _on_WsUnavailable(self, ev: WsUnavailable) -> None:
        self._ws_up = False
        self._next_reconnect = None
        self._next_poll = min(self._next_poll, ev.at + self.timeouts.fast_poll_s)

    def _on_WsConnected(self, ev: WsConnected) -> None:
        self._ws_up = True
        self._next_reconnect = None
        self._reconnect_delay = self.timeouts.reconnect_min_s
        self._poll_due = True  # events sent while we were away are lost: reconcile now

    def _on_CancelRequested(self, ev: CancelRequested) -> None:
        if self.state is not State.CANCELLING:
            self._begin_cancel(State.CANCELLED, "cancelled by the user", ev.at)

    def _on_CancelSent(self, ev: CancelSent) -> None:
        self._sent.add(ev.action)
        self._pending_action = None
        self._poll_due = False
        self._next_poll = ev.at + min(0.2, self.timeouts.fast_poll_s)

    # -- helpers ------------------------------------------------------------------------------
    def _resolve_history(self, entry: p.HistoryEntry, at: float) -> None:
        failed = entry.status_str == "error" or (entry.status_str is None and not entry.completed)
        if failed:
            err = entry.message("execution_error")
            intr = entry.message("execution_interrupted")
            if err is not None:
                self.error = {**(self.error or {}), **_error_dict_from_data(err)}
            if intr is not None or (err is None and self.interrupted is not None):
                self.interrupted = self.interrupted or {
                    "node_id": intr and intr.get("node_id"),
                    "node_type": intr and intr.get("node_type"),
                }
                if self.state is State.CANCELLING and self._cancel_kind is not None:
                    self._finish(self._cancel_kind, self.reason)
                else:
                    self._finish(State.INTERRUPTED, "execution was interrupted (not by this run)")
            else:
                self._finish(State.FAILED, "execution failed")
            return
        expected = entry.outputs_to_execute if entry.outputs_to_execute is not None else self.expected_outputs
        missing = [n for n in expected if n not in entry.outputs]
        if not missing or (entry.status_str == "success" and entry.completed):
            # ComfyUI writes the entry once, outputs and status together: a complete success is
            # final, and an output node missing from it (one that shows nothing) will never come.
            self._finish(State.SUCCEEDED, "success")
            return
        if self.state is State.CANCELLING:
            return
        self._enter_finishing(at)
        if at - (self._finish_since or at) >= self.timeouts.finish_grace_s:
            self._finish(State.SUCCEEDED, f"success, but /history lists no output for node(s) {missing}")

    def _on_absent(self, at: float) -> None:
        if self._absent_since is None:
            self._absent_since = at
        if self.state is State.CANCELLING:
            if self._sent:
                self._finish(self._cancel_kind or State.TIMED_OUT, self.reason)
            return
        if self.state is State.FINISHING:
            if at - (self._finish_since or at) < self.timeouts.finish_grace_s:
                return
            if self.error is not None:
                self._finish(State.FAILED, "execution failed (no /history entry)")
            else:
                self._finish(
                    State.LOST,
                    f"the server said the prompt ended but /history has no entry after "
                    f"{self.timeouts.finish_grace_s:g} s (history pruned or server restarted)",
                )
            return
        if at - self._absent_since >= self.timeouts.lost_after_s:
            self._finish(
                State.LOST,
                f"the prompt is in neither /queue nor /history for {at - self._absent_since:.1f} s "
                "(the server restarted or dropped it)",
            )

    def _enter_finishing(self, at: float) -> None:
        if self.state not in (State.FINISHING, State.CANCELLING) and not self.done:
            self.state = State.FINISHING
        if self._finish_since is None:
            self._finish_since = at
            self._poll_due = True  # first sign of the end: look at /history right away

    def _schedule_poll(self, at: float) -> None:
        fast = (
            not self._ws_up
            or self._absent_since is not None
            or self.state in (State.SUBMITTED, State.FINISHING, State.CANCELLING)
        )
        self._next_poll = at + (self.timeouts.fast_poll_s if fast else self.timeouts.poll_s)
        if self._absent_since is not None and self.state not in (State.FINISHING, State.CANCELLING):
            # Look again exactly when the absence would prove the job lost, not up to a poll later.
            self._next_poll = min(self._next_poll, max(at, self._absent_since + self.timeouts.lost_after_s))

    def _begin_cancel(self, kind: State, reason: str, at: float) -> None:
        self.state = State.CANCELLING
        self._cancel_kind = kind
        self.reason = reason
        self._cancel_since = at
        self._poll_due = True  # find out first whether our prompt is pending or running

    def _decide_cancel(self, now: float) -> Decision:
        if self.done:
            return Decision(self.state, Action.DONE, reason=self.reason)
        if self._poll_due:
            return Decision(self.state, Action.POLL, reason=self.reason)
        if now - self._cancel_since >= self.timeouts.cancel_grace_s:
            self._finish(self._cancel_kind or State.TIMED_OUT, self.reason)
            return Decision(self.state, Action.DONE, reason=self.reason)
        if self._queue_pos == "pending" and Action.DELETE not in self._sent:
            return Decision(self.state, Action.DELETE, reason=self.reason)
        if self._queue_pos == "running" and Action.INTERRUPT not in self._sent:
            return Decision(self.state, Action.INTERRUPT, reason=self.reason)
        if self._queue_pos is None and not self._sent and self._absent_since is not None:
            self._finish(self._cancel_kind or State.TIMED_OUT, self.reason)
            return Decision(self.state, Action.DONE, reason=self.reason)
        if now >= self._next_poll:
            return Decision(self.state, Action.POLL, reason=self.reason)
        wake = min(self._next_poll, self._cancel_since + self.timeouts.cancel_grace_s)
        return Decision(self.state, Action.WAIT, wake_at=wake, reason=self.reason)

    def _finish(self, state: State, reason: str) -> None:
        self.state = state
        self.reason = reason


def _error_dict(msg: p.ExecutionError) -> dict[str, Any]:
    return {
        "node_id": msg.node_id,
        "node_type": msg.node_type,
        "exception_type": msg.exception_type,
        "exception_message": msg.exception_message,
        "traceback": list(msg.traceback),
        "current_inputs": dict(msg.current_inputs),
    }


def _error_dict_from_data(data: dict[str, Any]) -> dict[str, Any]:
    parsed = p.parse_message({"type": "execution_error", "data": {"prompt_id": "", **data}})
    if isinstance(parsed, p.ExecutionError):
        return _error_dict(parsed)
    return {"exception_message": str(data)[:500]}
