"""Server state of the fake ComfyUI: the prompt queue, the history, the output cache and the device.

All mutation happens on the server's event loop; a lock guards the few reads made from the test
thread (`FakeComfyUI.history()`, `prompts_seen`, ...). Shapes follow the recordings: queue tuples
are `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, pending items are listed in heap
order (as ComfyUI does), and history keeps insertion order (a re-used prompt_id keeps its slot).
"""

from __future__ import annotations

import asyncio
import copy
import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

GIB = 1024**3


def now_ms() -> int:
    return int(time.time() * 1000)


FAKE_DEVICE = "cuda:0 comfyreel fake GPU (8 GB like an RTX 4060) : cudaMallocAsync"


@dataclass
class QueueItem:
    """One accepted prompt."""

    number: int | float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs: list[str]
    create_time: int = field(default_factory=now_ms)

    def as_tuple(self) -> list[Any]:
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]

    @property
    def client_id(self) -> str | None:
        value = self.extra_data.get("client_id")
        return value if isinstance(value, str) else None


@dataclass
class HistoryEntry:
    """A finished prompt, as /history shows it, plus bookkeeping for the jobs API."""

    item: QueueItem
    outputs: dict[str, Any]
    status: dict[str, Any]
    meta: dict[str, Any]
    visible_at: float = 0.0
    start_time: int | None = None
    end_time: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "prompt": self.item.as_tuple(),
                "outputs": self.outputs,
                "status": self.status,
                "meta": self.meta,
            }
        )


class PromptQueue:
    """ComfyUI's PromptQueue: a heap of pending items plus the running ones."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._heap: list[tuple[Any, str, int, QueueItem]] = []
        self._seq = itertools.count()
        self.running: dict[str, QueueItem] = {}
        self._wakeup: asyncio.Event | None = None

    def bind(self, loop_event: asyncio.Event) -> None:
        self._wakeup = loop_event

    def put(self, item: QueueItem) -> None:
        with self.lock:
            heapq.heappush(self._heap, (item.number, item.prompt_id, next(self._seq), item))
        if self._wakeup is not None:
            self._wakeup.set()

    def pop(self) -> QueueItem | None:
        with self.lock:
            if not self._heap:
                return None
            item = heapq.heappop(self._heap)[3]
            self.running[item.prompt_id] = item
            return item

    def done(self, item: QueueItem) -> None:
        with self.lock:
            self.running.pop(item.prompt_id, None)

    def remaining(self) -> int:
        with self.lock:
            return len(self._heap) + len(self.running)

    def pending(self) -> list[QueueItem]:
        """Pending items in heap order (what GET /queue shows)."""
        with self.lock:
            return [entry[3] for entry in self._heap]

    def delete(self, prompt_id: str) -> bool:
        with self.lock:
            for index, entry in enumerate(self._heap):
                if entry[1] == prompt_id:
                    self._heap.pop(index)
                    heapq.heapify(self._heap)
                    return True
        return False

    def clear(self) -> None:
        with self.lock:
            self._heap.clear()

    def forget(self) -> None:
        with self.lock:
            self._heap.clear()
            self.running.clear()


#: execution.py MAXIMUM_HISTORY_SIZE: beyond it the oldest entry goes (PromptQueue.task_done).
MAXIMUM_HISTORY_SIZE = 10000


class History:
    """Finished prompts, oldest first, pruned like ComfyUI's at *max_size*."""

    def __init__(self, max_size: int = MAXIMUM_HISTORY_SIZE) -> None:
        self.lock = threading.RLock()
        self.entries: dict[str, HistoryEntry] = {}
        self.max_size = max_size

    def add(self, entry: HistoryEntry) -> None:
        """PromptQueue.task_done: drop the oldest entry while MORE than *max_size* are kept (so up to
        max_size + 1 stay), then store; a re-used prompt_id keeps its old slot, like a dict."""
        with self.lock:
            if len(self.entries) > self.max_size:
                self.entries.pop(next(iter(self.entries)))
            self.entries[entry.item.prompt_id] = entry

    def visible(self) -> list[HistoryEntry]:
        now = time.monotonic()
        with self.lock:
            return [e for e in self.entries.values() if e.visible_at <= now]

    def get(self, prompt_id: str) -> HistoryEntry | None:
        with self.lock:
            entry = self.entries.get(prompt_id)
        if entry is None or entry.visible_at > time.monotonic():
            return None
        return entry

    def page(self, max_items: int | None, offset: int) -> dict[str, Any]:
        """ComfyUI's get_history(max_items, offset): offset counts from the oldest."""
        items = self.visible()
        if offset < 0 and max_items is not None:
            offset = len(items) - max_items
        out: dict[str, Any] = {}
        for index, entry in enumerate(items):
            if index >= offset:
                out[entry.item.prompt_id] = entry.as_dict()
                if max_items is not None and len(out) >= max_items:
                    break
        return out

    def delete(self, prompt_id: str) -> None:
        with self.lock:
            self.entries.pop(prompt_id, None)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


class Device:
    """A fake GPU: total VRAM, models kept loaded, activations while a sampler runs."""

    def __init__(self, total: int = 8 * GIB, name: str = FAKE_DEVICE) -> None:
        self.lock = threading.RLock()
        self.total = total
        self.name = name
        self.loaded: dict[str, int] = {}
        self.active = 0
        self.peak_used = 0

    def load(self, key: str, size: int) -> None:
        with self.lock:
            self.loaded[key] = size
            self._track()

    def activate(self, size: int) -> None:
        with self.lock:
            self.active = size
            self._track()

    def release(self) -> None:
        with self.lock:
            self.active = 0

    def free(self, unload_models: bool = True) -> None:
        with self.lock:
            if unload_models:
                self.loaded.clear()
            self.active = 0

    def used(self) -> int:
        with self.lock:
            return min(self.total, sum(self.loaded.values()) + self.active)

    def _track(self) -> None:
        self.peak_used = max(self.peak_used, self.used())

    def stats(self) -> dict[str, Any]:
        free = self.total - self.used()
        return {
            "name": self.name,
            "type": "cuda",
            "index": 0,
            "vram_total": self.total,
            "vram_free": free,
            "torch_vram_total": self.total,
            "torch_vram_free": free,
        }


class OutputCache:
    """ComfyUI's output cache, by input signature; only the previous prompt's entries survive."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any] | None] = {}

    def keep_only(self, signatures: set[str]) -> None:
        self.entries = {k: v for k, v in self.entries.items() if k in signatures}

    def clear(self) -> None:
        self.entries.clear()
