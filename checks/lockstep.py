"""Decode two videos in lockstep and score every frame pair (SSIM, PSNR) in batches.

Each file is decoded once; the luma comes straight from the Y plane when both have the same
size (area-downscaled inside the metrics), else both are scaled by swscale to the golden's
analysis size. Batches are scored on a worker thread while decoding goes on, so the cost is
close to that of the decode itself. Report thumbnails are collected only when asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from comfyreel.checks.media import MediaInfo, analysis_size, iter_frames
from comfyreel.checks.tolerances import Tolerances
from comfyreel.runner.errors import MediaUnreadable

BATCH = 16  # frames handed to the worker per call
KEYFRAMES = 6  # frames in the report strip
THUMB_LONG_SIDE = 192


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
    """Per-frame scores of the frames both files have, plus report images when collected."""

    ssim: np.ndarray
    psnr_db: np.ndarray
    seconds: float
    images: ReportImages | None = None
    lumas: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    thumbs: list[tuple[np.ndarray | None, np.ndarray | None]] = field(default_factory=list)

    def finish_images(self, worst: int, device: str | None) -> None:
        """Attach the worst pair and its dissimilarity heatmap to the report images."""
        from comfyreel.checks import metrics

        if self.images is None or not self.lumas:
            return
        self.images.worst_index = worst
        self.images.worst_actual, self.images.worst_golden = self.thumbs[worst]
        self.images.heat = metrics.dissimilarity_map(*self.lumas[worst], device=device)


def keyframe_indices(n: int, k: int = KEYFRAMES) -> list[int]:
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


class _Scorer:
    """Scores frame batches on one worker thread while the main thread keeps decoding.

    torch releases the GIL, so the metrics hide behind the decode. On the CPU, torch gets one
    intra-op thread while we decode: the decoder's own threads use the other cores, and a
    second OpenMP thread spinning against them was measured to make things slower, not faster.
    """

    def __init__(self, factor: int, device: str | None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from comfyreel.checks import metrics

        self._metrics, self._factor = metrics, factor
        self._device = metrics.pick_device(device)  # raises MissingExtra before any decoding
        self._threads = metrics.limit_cpu_threads(1) if self._device == "cpu" else None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="comfyreel-metrics")
        self._futures: list = []

    def submit(self, a: np.ndarray, g: np.ndarray) -> None:
        fn = self._metrics.ssim_psnr
        self._futures.append(self._pool.submit(fn, a, g, downscale=self._factor, device=self._device))

    def results(self) -> tuple[np.ndarray, np.ndarray]:
        pairs = [f.result() for f in self._futures]
        if not pairs:
            return np.zeros(0), np.zeros(0)
        return np.concatenate([s for s, _ in pairs]), np.concatenate([p for _, p in pairs])

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._threads is not None:
            self._metrics.limit_cpu_threads(self._threads)


def score_pair(
    a: MediaInfo, g: MediaInfo, tol: Tolerances, *, collect: bool, device: str | None
) -> PairScores:
    """Decode ``a`` and ``g`` once, in lockstep, and score each frame pair."""
    assert a.video and g.video
    gw, gh = g.video.width, g.video.height
    if (a.video.width, a.video.height) == (gw, gh):
        # same size: native Y planes, area-downscaled by an integer factor inside the metrics
        size, factor = None, max(1, -(-max(gw, gh) // tol.analysis_size)) if tol.analysis_size else 1
    else:  # a size regression: scale both to the golden's analysis size to still score content
        size, factor = analysis_size(gw, gh, tol.analysis_size or max(gw, gh)), 1
    thumb = analysis_size(gw, gh, THUMB_LONG_SIDE) if collect else None
    keys = set(keyframe_indices(g.video.frames)) if collect else set()
    scorer = _Scorer(factor, device)
    buf_a = buf_g = None
    lumas: list[tuple[np.ndarray, np.ndarray]] = []
    thumbs: list[tuple[np.ndarray | None, np.ndarray | None]] = []
    images = ReportImages(keyframes=[], actual=[], golden=[]) if collect else None
    n = fill = 0
    t0 = time.perf_counter()
    frames_a = iter_frames(a.path, size, rgb_size=thumb)
    frames_g = iter_frames(g.path, size, rgb_size=thumb)
    try:
        for (la, ta), (lg, tg) in zip(frames_a, frames_g, strict=False):
            if buf_a is None or buf_g is None or buf_a.shape[1:] != la.shape or la.shape != lg.shape:
                if fill and buf_a is not None and buf_g is not None:  # a (rare) mid-stream size change
                    scorer.submit(buf_a[:fill], buf_g[:fill])
                    fill = 0
                if la.shape != lg.shape:
                    raise MediaUnreadable(f"frame #{n} is {la.shape}, the golden's {lg.shape}", anchor=a.path)
                buf_a, buf_g = np.empty((BATCH, *la.shape), np.uint8), np.empty((BATCH, *la.shape), np.uint8)
            buf_a[fill], buf_g[fill] = la, lg
            if images is not None:
                lumas.append((la[::factor, ::factor].copy(), lg[::factor, ::factor].copy()))
                thumbs.append((ta, tg))
                if n in keys:
                    images.keyframes.append(n)
                    images.actual.append(ta)
                    images.golden.append(tg)
            fill += 1
            n += 1
            if fill == BATCH:
                scorer.submit(buf_a, buf_g)
                # fresh buffers: the worker may still be reading the ones just submitted
                buf_a, buf_g = np.empty_like(buf_a), np.empty_like(buf_g)
                fill = 0
        if fill and buf_a is not None and buf_g is not None:
            scorer.submit(buf_a[:fill], buf_g[:fill])
        all_s, all_p = scorer.results()
    finally:
        scorer.close()
    out = PairScores(all_s, all_p, time.perf_counter() - t0, images)
    if images is not None:
        out.lumas, out.thumbs = lumas, thumbs
    return out


def identical_images(g: MediaInfo) -> ReportImages:
    """Keyframes for the report of an identical pair: one decode, the same frames on both sides."""
    assert g.video is not None
    keys = set(keyframe_indices(g.video.frames))
    thumb = analysis_size(g.video.width, g.video.height, THUMB_LONG_SIDE)
    images = ReportImages(keyframes=[], actual=[], golden=[])
    for i, (_luma, rgb) in enumerate(iter_frames(g.path, (16, 16), rgb_size=thumb)):
        if i in keys and rgb is not None:
            images.keyframes.append(i)
            images.actual.append(rgb)
            images.golden.append(rgb)
    return images
