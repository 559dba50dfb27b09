"""Drive the completion state machine with real IO: read the socket, poll, reconnect, cancel our prompt.

Each :class:`~comfyreel.runner.completion.Decision` is carried out exactly as asked and its result
fed back; nothing here decides *what* to do. Every wait is bounded by the machine's ``wake_at`` (and
by one second, so Ctrl-C is noticed promptly). Ctrl-C feeds ``CancelRequested``: the machine then
removes our own prompt (delete if pending, interrupt with our prompt_id if running) before the
KeyboardInterrupt goes on; a second Ctrl-C while cancelling is not caught.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from comfyreel.compiler.graph import Graph
from comfyreel.runner import completion as c
from comfyreel.runner import http
from comfyreel.runner import protocol as p
from comfyreel.runner.errors import RunError, ServerUnavailable
from comfyreel.runner.graph_ops import emit_message
from comfyreel.runner.timing import VramPeak
from comfyreel.runner.ws import WsClient, WsClosed


class Follower:
    """Carries out the machine's actions for one prompt on one server and socket."""

    def __init__(
        self,
        server: http.Server,
        ws: WsClient,
        prompt_id: str,
        graph: Graph,
        emit: Callable[..., None],
        vram: VramPeak,
        clock: Callable[[], float],
    ) -> None:
        self.server, self.ws, self.prompt_id, self.graph = server, ws, prompt_id, graph
        self.emit, self.vram, self.clock = emit, vram, clock
        self.jobs_api: bool | None = None  # /api/jobs exists (ComfyUI >= 0.8); probed when first needed
        self.interrupt_skipped = False  # a running prompt was left alone: /interrupt cannot be scoped

    def run(self, machine: c.Completion) -> c.Completion:
        state = machine.state
        if self.ws.disabled:
            machine.feed(c.WsUnavailable(self.clock()))
        while True:
            try:
                decision = machine.decide(self.clock())
                while decision.action is not c.Action.DONE:
                    decision = self.step(machine, decision)
                    if machine.state is not state:
                        state = machine.state
                        self.emit("state", state=state.value, reason=machine.reason)
                if machine.state is c.State.SUCCEEDED and not machine.ws_ended:
                    self.drain()
                return machine
            except KeyboardInterrupt:
                if machine.state is c.State.CANCELLING or machine.done:
                    raise
                machine.feed(c.CancelRequested(self.clock()))
                self.emit("state", state=machine.state.value, reason=machine.reason)

    def drain(self, limit_s: float = 0.5) -> None:
        """/history was faster than the socket: read our prompt's last frames (node timings)."""
        end = self.clock() + limit_s
        while self.ws.connected and self.clock() < end:
            try:
                msg = self.ws.recv(max(end - self.clock(), 0.001))
            except WsClosed:
                return
            if msg is None:
                return
            emit_message(self.emit, msg, self.prompt_id, self.graph)
            ended = isinstance(msg, p.TERMINAL_MESSAGES) or (
                isinstance(msg, p.Executing) and msg.node is None
            )
            if ended and p.message_prompt_id(msg) == self.prompt_id:
                return

    def step(self, machine: c.Completion, d: c.Decision) -> c.Decision:
        now = self.clock
        if d.action is c.Action.WAIT:
            timeout = max(0.0, (d.wake_at or now()) - now())
            if not self.ws.connected:
                time.sleep(min(timeout, 0.25))
                return machine.feed(c.Tick(now()))
            try:
                msg = self.ws.recv(min(timeout, 1.0))
            except WsClosed:
                self.emit("ws_lost")
                return machine.feed(c.WsLost(now()))
            if msg is None:
                return machine.feed(c.Tick(now()))
            emit_message(self.emit, msg, self.prompt_id, self.graph)
            return machine.feed(c.WsMessage(msg, now()))
        if d.action is c.Action.POLL:
            try:
                return machine.feed(self.poll(machine.answer_budget(now())))
            except ServerUnavailable as exc:
                return machine.feed(c.PollFailed(now(), exc.message, slow=bool(exc.details.get("slow"))))
        if d.action is c.Action.RECONNECT:
            try:
                self.ws.reconnect()  # closes the old socket first
            except ServerUnavailable:
                return machine.feed(c.WsLost(now()))
            self.emit("reconnected")
            return machine.feed(c.WsConnected(now()))
        sent = True
        with contextlib.suppress(RunError):  # best effort; the next poll tells whether it worked
            if d.action is c.Action.INTERRUPT:
                sent = http.interrupt(self.server, self.prompt_id)
            else:
                http.delete_from_queue(self.server, self.prompt_id)
        if sent:
            self.emit("cancel", action=d.action.value, reason=d.reason)
        elif not self.interrupt_skipped:
            self.interrupt_skipped = True
            self.emit(
                "warning",
                message="our prompt is running and this server cannot interrupt one prompt only "
                "(ComfyUI < 0.3.57): it was left to finish rather than interrupting every client's job",
            )
        return machine.feed(c.CancelSent(now(), d.action))

    def poll(self, read_s: float | None = None) -> c.Poll:
        """Queue first, then history: a prompt finishing in between is never seen as absent.

        ``/api/jobs`` is probed (once) and asked only when our prompt is in neither. *read_s* bounds
        the wait for each answer (the machine's budget, not the unreachable threshold).
        """
        q = http.queue(self.server, read_s)
        entry = http.history(self.server, self.prompt_id, read_s)
        running, pending = self.prompt_id in q.running, self.prompt_id in q.pending
        job: Any = None
        if entry is None and not running and not pending:
            if self.jobs_api is None:  # probed once, when first needed
                try:
                    self.jobs_api = http.jobs_supported(self.server)
                except RunError:
                    self.jobs_api = False
            if self.jobs_api:
                job = http.job_status(self.server, self.prompt_id)
        if running:
            with contextlib.suppress(RunError):
                self.vram.sample(http.system_stats(self.server))
        return c.Poll(self.clock(), history=entry, running=running, pending=pending, job=job)
