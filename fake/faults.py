"""Fault switches of the fake ComfyUI: one dataclass, one commented field per switch.

Tests flip these on the live object (``fake.faults.hang_node = "3"``) while the server runs; the
server reads them at the moment it needs them, so a change applies to the next event, request or
node. Every switch defaults to "off" (faithful behaviour).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The CUDA out-of-memory text torch raises (``torch.OutOfMemoryError``), as ComfyUI relays it.
OOM_EXCEPTION_TYPE = "torch.OutOfMemoryError"
OOM_MESSAGE = (
    "CUDA out of memory. Tried to allocate 2.25 GiB. GPU 0 has a total capacity of 7.63 GiB of which "
    "1.12 GiB is free. Including non-PyTorch memory, this process has 6.49 GiB memory in use. Of the "
    "allocated memory 5.81 GiB is allocated by PyTorch, and 512.00 MiB is reserved by PyTorch but "
    "unallocated. If reserved but unallocated memory is large try setting "
    "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for "
    "Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)"
)
#: ComfyUI appends these tips to the message of an OOM exception (execution.py).
OOM_TIPS = (
    "This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you "
    "might have accidentally set the batch_size to a large number."
)

#: Hostile output names for ``evil_filenames`` (a traversal, an absolute path, a NUL byte, ...).
EVIL_FILENAMES = ("../x.mp4", "/etc/passwd", "a\x00b.mp4", "..\\..\\win.mp4", "")


@dataclass
class Faults:
    """Mutable fault switches; every field is read live by the running server."""

    # --- websocket -----------------------------------------------------------------------------
    # Cut a socket's TCP connection (no close frame) once it has been sent N frames, text or
    # binary, counting the first `status`. None = never.
    ws_drop_after: int | None = None
    # True: the drop fires once (the switch resets itself to None after the first drop);
    # False: every socket is dropped after N frames.
    ws_drop_once: bool = True
    # Refuse websocket upgrades with this HTTP status (e.g. 403, 502). None = accept.
    ws_refuse_status: int | None = None
    # Swallow every websocket frame (the socket stays open but silent, like a stuck proxy).
    ws_silent: bool = False
    # Before every real event, also send a text frame of an unknown type and a binary frame of an
    # unknown event type (hostile-server tests: a client must ignore them).
    ws_inject_unknown: bool = False

    # --- history / execution -------------------------------------------------------------------
    # After a prompt finishes, /history (and /api/jobs/{id}) keep answering as if it were not done
    # ({}), for this many seconds ("success on the socket, history not there yet").
    history_delay_s: float = 0.0
    # Fail the node whose id OR class_type equals this (first match in execution order) with
    # `execution_error`. None = no failure. Use `oom()` for the CUDA OOM preset.
    fail_node: str | None = None
    # Exception type reported for `fail_node` (ComfyUI's full_type_name, e.g. "RuntimeError").
    fail_exception_type: str = "RuntimeError"
    # Exception message reported for `fail_node` (ComfyUI appends "\n" plus OOM tips if any).
    fail_message: str = "fake failure injected by Faults.fail_node"
    # Hang the node whose id OR class_type equals this. None = no hang.
    hang_node: str | None = None
    # How long the hang lasts; None = until the prompt is interrupted (or the server stops).
    hang_s: float | None = None
    # True: the hanging node ignores interrupts (a long uninterruptible kernel); the interrupt is
    # then noticed at the next node, as in the recording. False: it polls the flag like a sampler.
    hang_ignores_interrupt: bool = False
    # Override the per-step delay of sampler `progress` events (slow progress). None = use the
    # server's `step_delay_s`.
    progress_step_delay_s: float | None = None

    # Add fresh uniform noise of ±N 8-bit levels to every pixel of every saved video frame and
    # image, drawn anew for each file: re-renders then differ like a GPU's non-deterministic
    # kernels make them differ (for `comfyreel calibrate`). 0 = the exact, deterministic pixels.
    pixel_noise: int = 0

    # --- /view ---------------------------------------------------------------------------------
    # Throttle /view downloads to this many bytes per second. None = full speed.
    view_bytes_per_s: float | None = None
    # Close the /view connection after sending this many body bytes while the headers announce the
    # full Content-Length (a truncated download). None = send everything.
    view_truncate_after: int | None = None

    # --- hostile HTTP bodies -------------------------------------------------------------------
    # Routes (e.g. "/history", "/prompt", "/queue"; with or without "/api"; a route also covers the
    # paths below it) whose JSON answer becomes a truncated, unparsable text (still application/json).
    malformed_json_routes: set[str] = field(default_factory=set)
    # Routes whose JSON answer keeps its status but gets the wrong types (numbers become strings,
    # strings lists, lists objects, empty objects lists; object keys are kept).
    wrong_types_routes: set[str] = field(default_factory=set)
    # Routes whose answer is a huge JSON body of `huge_body_bytes` bytes (streamed).
    huge_body_routes: set[str] = field(default_factory=set)
    # Size of the huge body, in bytes.
    huge_body_bytes: int = 64 * 1024 * 1024
    # Routes forced to answer with this HTTP status and an empty body, e.g. {"/prompt": 503}.
    http_status_routes: dict[str, int] = field(default_factory=dict)
    # Routes that do their work (a POST /prompt IS queued) but cut the connection instead of
    # answering: the "lost answer" of a proxy timeout.
    lose_answer_routes: set[str] = field(default_factory=set)
    # Replace output file names in `executed` and /history by these hostile names (cycled), while
    # the real files stay where they are. None = honest names. Try `EVIL_FILENAMES`.
    evil_filenames: tuple[str, ...] | None = None
    # Routes whose JSON answer is passed through this function: any hostile *shape* beyond
    # `wrong_types_routes` (added for the reliability suite), e.g.
    # {"/history": lambda body: {pid: {"status": "x"} for pid in body}}.
    json_replace_routes: dict[str, Callable[[Any], Any]] = field(default_factory=dict)

    def oom(self, node: str) -> Faults:
        """Preset: *node* (id or class_type) fails with torch's CUDA out-of-memory error."""
        self.fail_node = node
        self.fail_exception_type = OOM_EXCEPTION_TYPE
        self.fail_message = OOM_MESSAGE
        return self

    def clear(self) -> Faults:
        """Turn every switch off again."""
        for name, value in Faults().__dict__.items():
            setattr(self, name, value)
        return self
