"""Decode two videos side by side and score every frame pair in batches.

Each file is decoded once, on its own thread (PyAV releases the GIL while decoding and
scaling), into small analysis frames made by swscale (``media.iter_frames``); the main thread
pairs them up and scores each batch: luma SSIM/PSNR and block means (``metrics``, numpy or
torch) and the colour difference (``colour``). The temporal metrics are computed from the block
means at the end (``temporal``). Report thumbnails are collected only when asked for.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from comfyreel.checks import colour, metrics
from comfyreel.checks.media import AnalysisFrame, MediaInfo, analysis_size, iter_frames
from comfyreel.checks.tolerances import Tolerances

BATCH = 16  # frame pairs scored per call
QUEUE = 32  # decoded frames a decoder thread may run ahead
KEYFRAMES = 6  # frames in the report strip
THUMB_LONG_SIDE = 192
COLOUR_CELL = 8  # colour grid cell, in analysis pixels (ΔE compares these cells' mean colours)


@dataclass
class ReportImages:
    """Small RGB frames for the HTML report (only collected when asked for)."""

    keyframes: list[int]
    actual: list[np.ndarray]
    golden: list[np.ndarray]
    worst_index: int | None = None
    worst_actual: np.ndarray | None = None
    worst_golden: np.ndarray | None = None
    heat: np.ndarray | None = None  # (h, w) dissimilarity 0..1 of the worst frame


@dataclass
class PairScores:
    """Per-frame scores of the frames both files have, each side's luma block means, images."""

    ssim: np.ndarray
    psnr_db: np.ndarray
    delta_e: np.ndarray
    blocks_actual: np.ndarray  # (frames of actual, bh, bw): all of them, for the temporal metrics
    blocks_golden: np.ndarray
    seconds: float
    device: str
    images: ReportImages | None = None


def keyframe_indices(n: int, k: int = KEYFRAMES) -> list[int]:
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


_END = object()


@contextmanager
def _decoded(path: str, **kw: Any) -> Iterator[Iterator[AnalysisFrame]]:
    """``iter_frames(path, **kw)`` run on a worker thread; leaving the block stops it."""
    q: queue.Queue[Any] = queue.Queue(maxsize=QUEUE)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for frame in iter_frames(path, **kw):
                if not put(frame):
                    return
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(exc)
            return
        put(_END)

    def frames() -> Iterator[AnalysisFrame]:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    thread = threading.Thread(target=work, name=f"comfyreel-decode-{path}", daemon=True)
    thread.start()
    try:
        yield frames()
    finally:
        stop.set()
        thread.join()


class _Batches:
    """Collects frame pairs and scores them BATCH at a time; tracks the worst pair for the report."""

    def __init__(self, device: str, collect: bool) -> None:
        self.device, self.collect = device, collect
        self.pairs: list[tuple[AnalysisFrame, AnalysisFrame]] = []
        self.ssim: list[np.ndarray] = []
        self.psnr: list[np.ndarray] = []
        self.delta_e: list[np.ndarray] = []
        self.blocks: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self.worst: tuple[float, int, AnalysisFrame, AnalysisFrame] | None = None
        self.done = 0

    def add(self, fa: AnalysisFrame, fg: AnalysisFrame) -> None:
        self.pairs.append((fa, fg))
        if len(self.pairs) == BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pairs:
            return
        la = np.stack([a.luma for a, _ in self.pairs])
        lg = np.stack([g.luma for _, g in self.pairs])
        stats = metrics.frame_stats(la, lg, device=self.device)
        ca = np.stack([a.colour for a, _ in self.pairs])
        cg = np.stack([g.colour for _, g in self.pairs])
        self.delta_e.append(colour.frame_delta_e(ca, cg))
        self.ssim.append(stats.ssim)
        self.psnr.append(stats.psnr_db)
        self.blocks[0].append(stats.blocks_actual)
        self.blocks[1].append(stats.blocks_golden)
        if self.collect:
            i = int(np.argmin(stats.ssim))
            if self.worst is None or stats.ssim[i] < self.worst[0]:
                self.worst = (float(stats.ssim[i]), self.done + i, *self.pairs[i])
        self.done += len(self.pairs)
        self.pairs = []


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)


def _chain_one(first: AnalysisFrame, rest: Iterator[AnalysisFrame]) -> Iterator[AnalysisFrame]:
    yield first
    yield from rest


def _tail_blocks(frames: Iterator[AnalysisFrame], device: str) -> np.ndarray:
    """Block means of the frames only one file has (so its motion profile is complete)."""
    rest = [f.luma for f in frames]
    if not rest:
        return np.zeros((0, 1, 1), np.float32)
    stack = np.stack(rest)
    return metrics.frame_stats(stack, stack, device=device).blocks_actual


def score_pair(
    a: MediaInfo, g: MediaInfo, tol: Tolerances, *, collect: bool, device: str | None
) -> PairScores:
    """Decode ``a`` and ``g`` once, side by side, and score each frame pair."""
    assert a.video and g.video
    size = analysis_size(g.video.width, g.video.height, tol.analysis_size, multiple=metrics.BLOCK)
    grid = (size[0] // metrics.BLOCK, size[1] // metrics.BLOCK)
    cells = (max(1, size[0] // COLOUR_CELL), max(1, size[1] // COLOUR_CELL))
    thumb = analysis_size(g.video.width, g.video.height, THUMB_LONG_SIDE) if collect else None
    keys = set(keyframe_indices(g.video.frames)) if collect else set()
    dev = metrics.pick_device(device)  # a bad device fails before any decoding
    images = ReportImages(keyframes=[], actual=[], golden=[]) if collect else None
    batches = _Batches(dev, collect)
    # torch on the CPU gets one thread: the decoders' threads use the other cores (two torch
    # threads spinning against them were measured slower, not faster)
    threads = metrics.limit_cpu_threads(1) if dev == "cpu" else None
    t0 = time.perf_counter()
    kw: dict[str, Any] = {"size": size, "colour_size": cells, "rgb_size": thumb}
    try:
        frames = _score_frames(a.path, g.path, kw, batches, images, keys)
    finally:
        if threads is not None:
            metrics.limit_cpu_threads(threads)
    blocks = []
    for side, tail in zip(batches.blocks, frames, strict=True):
        parts = side + ([tail] if len(tail) else [])
        blocks.append(np.concatenate(parts) if parts else np.zeros((0, *grid[::-1]), np.float32))
    if images is not None and batches.worst is not None:
        _, images.worst_index, wa, wg = batches.worst
        images.worst_actual, images.worst_golden = wa.thumb, wg.thumb
        images.heat = metrics.dissimilarity_map(wa.luma, wg.luma)
    return PairScores(
        ssim=_cat(batches.ssim),
        psnr_db=_cat(batches.psnr),
        delta_e=_cat(batches.delta_e),
        blocks_actual=blocks[0],
        blocks_golden=blocks[1],
        seconds=time.perf_counter() - t0,
        device=dev,
        images=images,
    )


def _score_frames(
    path_a: str,
    path_g: str,
    kw: dict[str, Any],
    batches: _Batches,
    images: ReportImages | None,
    keys: set[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Pair the two decoded streams into ``batches``; return each side's unpaired tail block means."""
    with _decoded(path_a, **kw) as frames_a, _decoded(path_g, **kw) as frames_g:
        for n, fa in enumerate(frames_a):
            fg = next(frames_g, None)
            if fg is None:  # the actual is longer: its extra frames still count for motion
                frames_a = _chain_one(fa, frames_a)
                break
            batches.add(fa, fg)
            if images is not None and n in keys:
                images.keyframes.append(n)
                images.actual.append(fa.thumb)
                images.golden.append(fg.thumb)
        batches.flush()
        return _tail_blocks(frames_a, batches.device), _tail_blocks(frames_g, batches.device)


def identical_images(g: MediaInfo) -> ReportImages:
    """Keyframes for the report of an identical pair: one decode, the same frames on both sides."""
    assert g.video is not None
    keys = set(keyframe_indices(g.video.frames))
    thumb = analysis_size(g.video.width, g.video.height, THUMB_LONG_SIDE)
    images = ReportImages(keyframes=[], actual=[], golden=[])
    for i, frame in enumerate(iter_frames(g.path, (16, 16), rgb_size=thumb)):
        if i in keys and frame.thumb is not None:
            images.keyframes.append(i)
            images.actual.append(frame.thumb)
            images.golden.append(frame.thumb)
    return images
