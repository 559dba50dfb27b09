"""Per-node timing and peak VRAM of one run, from the runner's event stream and /system_stats samples.

A node runs from its ``executing`` event to the next node's (or the end of the prompt). Times are the
runner's monotonic receive times, relative to ``execution_start``; the server's own execution time
comes from the ``execution_start`` -> end ``timestamp``s (epoch ms) when both are known. Each node
gets a phase by class type: load, encode, sample, decode, save or other.
"""

from __future__ import annotations

from typing import Any

from comfyreel.runner.run_records import NodeTimingRecord, TimingsRecord

_PHASES = (
    ("other", ("Select", "Scheduler", "Sigmas", "Guider", "Noise")),  # instant helpers, not work
    ("load", ("Loader", "Load")),
    ("decode", ("Decode",)),
    ("sample", ("Sampler", "KSampler", "Sample")),
    ("encode", ("TextEncode", "Encode", "Conditioning")),
    ("save", ("Save", "Preview", "VideoCombine", "CreateVideo")),
)


def phase_of(class_type: str | None) -> str:
    name = class_type or ""
    for phase, needles in _PHASES:
        if any(n in name for n in needles):
            return phase
    return "other"


class TimingRecorder:
    """Feed it every run event (dicts with ``event`` and ``t``); read :meth:`timings` at the end."""

    def __init__(self, class_types: dict[str, str] | None = None) -> None:
        self.class_types = class_types or {}
        self.submit_t: float | None = None
        self.start_t: float | None = None
        self.end_t: float | None = None
        self.start_ts: int | None = None
        self.end_ts: int | None = None
        self.cached: list[str] = []
        self._current: tuple[str, float] | None = None
        self.nodes: list[NodeTimingRecord] = []

    def __call__(self, event: dict[str, Any]) -> None:
        kind, t = event.get("event"), event.get("t")
        if not isinstance(t, (int, float)):
            return
        if kind == "submitted":
            self.submit_t = t
        elif kind == "started":
            self.start_t = t
            self.start_ts = event.get("timestamp")
        elif kind == "cached":
            self.cached = [str(n) for n in event.get("nodes", [])]
        elif kind == "node":
            self._close(t)
            self._current = (str(event["node"]), t)
        elif kind == "ended":
            self._close(t)
            self.end_t = t
            self.end_ts = event.get("timestamp")

    def _close(self, t: float) -> None:
        if self._current is None:
            return
        node_id, since = self._current
        self._current = None
        base = self.start_t if self.start_t is not None else since
        class_type = self.class_types.get(node_id)
        self.nodes.append(
            NodeTimingRecord(
                node_id=node_id,
                class_type=class_type,
                phase=phase_of(class_type),  # type: ignore[arg-type]
                start_s=round(since - base, 6),
                duration_s=round(t - since, 6),
            )
        )

    def server_execution_s(self) -> float | None:
        if self.start_ts is not None and self.end_ts is not None:
            return (self.end_ts - self.start_ts) / 1000.0
        return None

    def timings(
        self, *, total_s: float | None = None, history_ts: tuple[int, int] | None = None
    ) -> TimingsRecord:
        nodes = list(self.nodes)
        seen = {n.node_id for n in nodes}
        for node_id in self.cached:
            if node_id not in seen:
                ct = self.class_types.get(node_id)
                nodes.append(
                    NodeTimingRecord(
                        node_id=node_id,
                        class_type=ct,
                        phase=phase_of(ct),
                        start_s=0.0,
                        duration_s=0.0,
                        cached=True,
                    )  # type: ignore[arg-type]
                )
        execution = self.server_execution_s()
        if execution is None and history_ts is not None:
            execution = (history_ts[1] - history_ts[0]) / 1000.0
        if execution is None and self.start_t is not None and self.end_t is not None:
            execution = self.end_t - self.start_t
        queued = None
        if self.submit_t is not None and self.start_t is not None:
            queued = round(self.start_t - self.submit_t, 6)
        return TimingsRecord(queued_s=queued, execution_s=execution, total_s=total_s, nodes=nodes)


class VramPeak:
    """Peak used VRAM (bytes) over /system_stats samples; CPU devices are ignored (their 'VRAM' is RAM)."""

    def __init__(self) -> None:
        self.peak: int | None = None

    def sample(self, stats: dict[str, Any]) -> None:
        for dev in stats.get("devices") or []:
            if not isinstance(dev, dict) or dev.get("type") == "cpu":
                continue
            total, free = dev.get("vram_total"), dev.get("vram_free")
            if isinstance(total, int) and isinstance(free, int):
                used = total - free
                self.peak = used if self.peak is None else max(self.peak, used)
