"""The fake's prompt worker: runs queued graphs node by node and emits ComfyUI's events in order.

Mirrors ComfyUI's `prompt_worker` + `PromptExecutor.execute` as recorded: `execution_start`,
`execution_cached`, then per node `progress_state`(running), `executing`, [`progress`...],
[`executed`], `progress_state`(finished); the end is `execution_success|error|interrupted`, the
queue `status`, then `executing{node: null}`. Node order is ComfyUI's ExecutionList order (output
nodes first when ready). Interrupts are cooperative: checked when a node starts and at sampler
steps. Events of a prompt go to its client_id only; without one, only `progress_state`,
`progress` and `execution_interrupted` are broadcast (as recorded).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyreel.fake import media
from comfyreel.fake import outputs as out_mod
from comfyreel.fake.catalog import Catalog
from comfyreel.fake.faults import OOM_EXCEPTION_TYPE, OOM_TIPS, Faults
from comfyreel.fake.graphs import current_inputs, execution_order, file_fingerprint, signature, steps
from comfyreel.fake.graphs import meta as node_meta
from comfyreel.fake.hub import Hub
from comfyreel.fake.semantics import Semantics
from comfyreel.fake.state import (
    GIB,
    Device,
    History,
    HistoryEntry,
    OutputCache,
    PromptQueue,
    QueueItem,
    now_ms,
)

log = logging.getLogger(__name__)

SAMPLERS = {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"}
_FAKE_TB = [
    '  File "<FAKE>/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph, '
    "has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all)\n"
]


class _Interrupted(Exception):
    pass


@dataclass
class _NodeFailure(Exception):
    exception_type: str
    message: str
    traceback: list[str] = field(default_factory=lambda: list(_FAKE_TB))


@dataclass
class Timing:
    """Execution speed knobs."""

    node_delay_s: float = 0.0
    step_delay_s: float = 0.0
    previews: bool = False  # send a small PNG preview frame per sampler step (ComfyUI --preview-method)


def _matches(target: str | None, node_id: str, class_type: str) -> bool:
    return target is not None and target in (node_id, class_type)


class Executor:
    """Pulls prompts off the queue and executes them, one at a time."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        queue: PromptQueue,
        history: History,
        hub: Hub,
        device: Device,
        faults: Faults,
        timing: Timing,
        saver: out_mod.Saver,
    ) -> None:
        self.catalog, self.queue, self.history, self.hub = catalog, queue, history, hub
        self.device, self.faults, self.timing, self.saver = device, faults, timing, saver
        self.cache = OutputCache()
        self.interrupt_flag = False
        self.current: QueueItem | None = None
        self.client_id: str | None = None
        self.last_node_id: str | None = None
        self._wakeup = asyncio.Event()
        self.queue.bind(self._wakeup)
        self._task: asyncio.Task[None] | None = None
        self.resolve_input: Callable[[str], Path | None] | None = None  # set by Core (LoadImage files)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._worker())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self.current, self.client_id, self.last_node_id = None, None, None

    def status_data(self) -> dict[str, Any]:
        return {"status": {"exec_info": {"queue_remaining": self.queue.remaining()}}}

    def queue_updated(self) -> None:
        self.hub.send("status", self.status_data(), None)

    async def _worker(self) -> None:
        while True:
            item = self.queue.pop()
            if item is None:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            self.queue_updated()
            try:
                await self._run(item)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in the fake must not leave clients waiting forever
                log.exception("fake executor crashed on prompt %s", item.prompt_id)
                self.queue.done(item)
                self.queue_updated()
                if item.client_id is not None:
                    self.hub.send("executing", {"node": None, "prompt_id": item.prompt_id}, item.client_id)
                self.current, self.client_id, self.last_node_id = None, None, None
            finally:
                self.device.release()

    # -- one prompt ----------------------------------------------------------------------------
    def _msg(self, event: str, data: dict[str, Any], messages: list[Any], broadcast: bool = False) -> None:
        messages.append([event, data])
        if self.client_id is not None or broadcast:
            self.hub.send(event, data, self.client_id)

    async def _run(self, item: QueueItem) -> None:
        prompt, pid = item.prompt, item.prompt_id
        self.current, self.client_id = item, item.client_id
        self.interrupt_flag = False
        messages: list[Any] = []
        start = now_ms()
        self._msg("execution_start", {"prompt_id": pid, "timestamp": start}, messages)
        memo: dict[str, str] = {}
        is_changed = file_fingerprint(self.resolve_input)
        sigs = {nid: signature(prompt, nid, memo, is_changed) for nid in prompt}
        self.cache.keep_only(set(sigs.values()))
        cached = [nid for nid in prompt if sigs[nid] in self.cache.entries]
        self._msg("execution_cached", {"nodes": cached, "prompt_id": pid, "timestamp": now_ms()}, messages)
        order = execution_order(prompt, item.outputs, self.catalog, set(cached))
        progress: dict[str, dict[str, Any]] = {}
        semantics = Semantics(prompt, self.resolve_input, self._declared)
        executed: list[str] = []
        ui_outputs: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        outcome = "success"
        for node_id in order:
            class_type = prompt[node_id]["class_type"]
            if node_id in cached:  # only output nodes get here: re-send the cached UI
                ui = self.cache.entries.get(sigs[node_id])
                self._send_executed(node_id, ui, pid)
                self._progress(progress, pid, node_id, 1.0, 1.0, "finished")
                if ui is not None:
                    ui_outputs[node_id] = ui
                    meta[node_id] = node_meta(node_id)
                continue
            self._progress(progress, pid, node_id, 0.0, 1.0, "running")
            self.last_node_id = node_id
            if self.client_id is not None:
                self.hub.send(
                    "executing", {"node": node_id, "display_node": node_id, "prompt_id": pid}, self.client_id
                )
            try:
                if self.interrupt_flag:
                    raise _Interrupted
                ui = await self._execute_node(item, node_id, class_type, semantics, progress)
            except _Interrupted:
                self._msg(
                    "execution_interrupted",
                    {
                        "prompt_id": pid,
                        "node_id": node_id,
                        "node_type": class_type,
                        "executed": list(executed),
                        "timestamp": now_ms(),
                    },
                    messages,
                    broadcast=True,
                )
                outcome = "interrupted"
                break
            except Exception as exc:  # any other exception inside a node is an execution error too
                failure = exc if isinstance(exc, _NodeFailure) else _NodeFailure(_type_name(exc), str(exc))
                tips = OOM_TIPS if failure.exception_type == OOM_EXCEPTION_TYPE else ""
                self._msg(
                    "execution_error",
                    {
                        "prompt_id": pid,
                        "node_id": node_id,
                        "node_type": class_type,
                        "executed": list(executed),
                        "exception_message": f"{failure.message}\n{tips}",
                        "exception_type": failure.exception_type,
                        "traceback": failure.traceback,
                        "current_inputs": current_inputs(prompt[node_id]),
                        "current_outputs": list(prompt),
                        "timestamp": now_ms(),
                    },
                    messages,
                )
                outcome = "error"
                break
            executed.append(node_id)
            self.cache.entries[sigs[node_id]] = ui
            if ui is not None:
                ui_outputs[node_id] = ui
                meta[node_id] = node_meta(node_id)
                self._send_executed(node_id, ui, pid)
            self._progress(progress, pid, node_id, 1.0, 1.0, "finished")
        if outcome == "success":
            end = now_ms()
            self._msg("execution_success", {"prompt_id": pid, "timestamp": end}, messages)
        else:  # outputs of the nodes that finished stay (execution.py execute_async: the ui cache)
            end = messages[-1][1]["timestamp"]
        for node_id in prompt:  # and cached UI of this prompt's nodes, run or not (ui.all_node_ids())
            ui = self.cache.entries.get(sigs[node_id]) if node_id in cached else None
            if ui is not None and node_id not in ui_outputs:
                ui_outputs[node_id] = ui
                meta[node_id] = node_meta(node_id)
        self.last_node_id = None
        status = {
            "status_str": "success" if outcome == "success" else "error",
            "completed": outcome == "success",
            "messages": messages,
        }
        entry = HistoryEntry(
            item=item,
            outputs=self._evil_outputs(ui_outputs),
            status=status,
            meta=meta,
            visible_at=time.monotonic() + max(0.0, self.faults.history_delay_s),
            start_time=start,
            end_time=end,
        )
        self.history.add(entry)
        self.queue.done(item)
        self.queue_updated()
        if self.client_id is not None:
            self.hub.send("executing", {"node": None, "prompt_id": pid}, self.client_id)
        self.current, self.client_id = None, None

    def _progress(
        self,
        progress: dict[str, dict[str, Any]],
        pid: str,
        node_id: str,
        value: float,
        max_: float,
        state: str,
    ) -> None:
        progress[node_id] = {
            "value": value,
            "max": max_,
            "state": state,
            "node_id": node_id,
            "prompt_id": pid,
            "display_node_id": node_id,
            "parent_node_id": None,
            "real_node_id": node_id,
        }
        self.hub.send(
            "progress_state",
            {"prompt_id": pid, "nodes": {k: dict(v) for k, v in progress.items()}},
            self.client_id,
        )

    def _send_executed(self, node_id: str, ui: Any, pid: str) -> None:
        """The `executed` frame of an output node, to the submitting client only (as recorded)."""
        if self.client_id is not None:
            payload = {"node": node_id, "display_node": node_id, "output": self._evil(ui), "prompt_id": pid}
            self.hub.send("executed", payload, self.client_id)

    def _declared(self, class_type: str, name: str) -> bool:
        """Is *name* an input of *class_type* (dotted V3 dynamic sub-inputs count as declared)?"""
        return "." in name or self.catalog.input_spec(class_type, name) is not None

    async def _execute_node(
        self,
        item: QueueItem,
        node_id: str,
        class_type: str,
        semantics: Semantics,
        progress: dict[str, dict[str, Any]],
    ) -> dict[str, Any] | None:
        faults = self.faults
        if self.timing.node_delay_s > 0:
            await asyncio.sleep(self.timing.node_delay_s)
        if "Loader" in class_type:
            self.device.load(
                f"{class_type}:{json.dumps(item.prompt[node_id].get('inputs'), sort_keys=True, default=str)}",
                GIB * 3 if "Checkpoint" in class_type else GIB // 2,
            )
        if _matches(faults.hang_node, node_id, class_type):
            await self._hang()
        if _matches(faults.fail_node, node_id, class_type):
            raise _NodeFailure(faults.fail_exception_type, faults.fail_message)
        if class_type in SAMPLERS:
            await self._sample(item, node_id, semantics, progress)
        if class_type == "GetImageSize":  # progress text (binary type 3), broadcast to every socket
            image = semantics.linked(node_id, "image")
            if image is not None:
                text = f"width: {image.width}, height: {image.height}\n batch size: {image.frames}"
                nid = node_id.encode()
                self.hub.send_binary(3, struct.pack(">I", len(nid)) + nid + text.encode(), None)
        try:
            return await self.saver.save(item.prompt, node_id, class_type, semantics)
        except out_mod.SaveError as exc:
            raise _NodeFailure(exc.exception_type, exc.message) from exc

    async def _hang(self) -> None:
        deadline = None if self.faults.hang_s is None else time.monotonic() + self.faults.hang_s
        while deadline is None or time.monotonic() < deadline:
            if self.interrupt_flag and not self.faults.hang_ignores_interrupt:
                raise _Interrupted
            await asyncio.sleep(0.01)

    async def _sample(
        self, item: QueueItem, node_id: str, semantics: Semantics, progress: dict[str, dict[str, Any]]
    ) -> None:
        total = steps(item.prompt, node_id)
        stream = semantics.stream(node_id)
        self.device.activate(min(self.device.total // 4, stream.width * stream.height * stream.frames * 24))
        delay = self.faults.progress_step_delay_s
        if delay is None:
            delay = self.timing.step_delay_s
        for step in range(1, total + 1):
            if delay > 0:
                await asyncio.sleep(delay)
            if self.interrupt_flag:
                raise _Interrupted
            self._progress(progress, item.prompt_id, node_id, float(step), float(total), "running")
            self.hub.send(
                "progress",
                {"value": step, "max": total, "prompt_id": item.prompt_id, "node": node_id},
                self.client_id,
            )
            if self.timing.previews:
                pattern = media.Pattern(f"{stream.key}:{step}", 64, 64)
                metadata = {
                    "node_id": node_id,
                    "prompt_id": item.prompt_id,
                    "display_node_id": node_id,
                    "parent_node_id": None,
                    "real_node_id": node_id,
                }
                self.hub.send_preview(media.png_bytes(pattern.frame(step)), metadata, self.client_id)
        self.device.release()

    def _evil(self, ui: dict[str, Any] | None) -> dict[str, Any] | None:
        return out_mod.rename_files(ui, self.faults.evil_filenames)

    def _evil_outputs(self, outputs: dict[str, Any]) -> dict[str, Any]:
        return {k: self._evil(v) for k, v in outputs.items()}


def _type_name(exc: BaseException) -> str:
    module = type(exc).__module__
    return type(exc).__qualname__ if module == "builtins" else f"{module}.{type(exc).__qualname__}"
