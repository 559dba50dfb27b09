"""Compare one output file with its golden: structure first, then per-frame similarity.

:func:`compare_files` returns a :class:`Comparison` value (``ok``, ``reasons``, metrics, worst
frames); only an unreadable file raises (:class:`MediaUnreadable`). Identical bytes match at
once without decoding. Otherwise both videos are decoded once, side by side, to small
analysis frames and scored in batches (``lockstep.py``): luma SSIM and PSNR, colour ΔE, the
motion profile and brightness flicker, each with its tolerance (``tolerances.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from comfyreel.checks import temporal
from comfyreel.checks.lockstep import ReportImages, identical_images, score_pair
from comfyreel.checks.media import MediaInfo, decode_audio, probe
from comfyreel.checks.tolerances import Tolerances
from comfyreel.runner.manifest import sha256_file


@dataclass(frozen=True)
class Reason:
    """Why an output does not match: a stable ``code`` and a sentence with both values."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class FrameScore:
    index: int
    ssim: float
    psnr_db: float
    delta_e: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "ssim": round(self.ssim, 5),
            "psnr_db": round(self.psnr_db, 3),
            "delta_e": round(self.delta_e, 3),
        }


@dataclass
class Comparison:
    """The verdict on one (actual, golden) pair."""

    actual: str
    golden: str
    tolerances: Tolerances
    kind: str = "video"
    identical: bool = False
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    actual_info: MediaInfo | None = None
    golden_info: MediaInfo | None = None
    ssim: list[float] = field(default_factory=list)
    psnr_db: list[float] = field(default_factory=list)
    delta_e: list[float] = field(default_factory=list)
    motion_actual: list[float] = field(default_factory=list)  # change profiles (levels per frame)
    motion_golden: list[float] = field(default_factory=list)
    motion_diff: float | None = None
    flicker: float | None = None
    worst: list[FrameScore] = field(default_factory=list)
    audio_spectrum_db: float | None = None
    device: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    images: ReportImages | None = None

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def metrics(self) -> dict[str, float | int | None]:
        """Summary numbers: frames compared, SSIM, PSNR, ΔE, motion, flicker, audio difference.

        The names a tolerance bounds are in ``tolerances.METRIC_LIMITS``.
        """
        if self.identical:
            g = self.golden_info
            frames = g.video.frames if g and g.video else 0
            video = bool(g and g.video)
            moving = video and g is not None and g.kind == "video"
            return {
                "frames_compared": frames,
                "min_ssim": 1.0 if video else None,
                "mean_ssim": 1.0 if video else None,
                "min_psnr_db": 100.0 if video else None,
                "mean_psnr_db": 100.0 if video else None,
                "max_delta_e": 0.0 if video else None,
                "motion_diff": 0.0 if moving else None,
                "flicker": 0.0 if moving else None,
                "audio_spectrum_db": 0.0 if g and g.audio else None,
            }
        s, p, e = self.ssim, self.psnr_db, self.delta_e

        def r(x: float | None, nd: int) -> float | None:
            return None if x is None else round(x, nd)

        return {
            "frames_compared": len(s),
            "min_ssim": round(min(s), 5) if s else None,
            "mean_ssim": round(float(np.mean(s)), 5) if s else None,
            "min_psnr_db": round(min(p), 3) if p else None,
            "mean_psnr_db": round(float(np.mean(p)), 3) if p else None,
            "max_delta_e": round(max(e), 3) if e else None,
            "motion_diff": r(self.motion_diff, 4),
            "flicker": r(self.flicker, 3),
            "audio_spectrum_db": r(self.audio_spectrum_db, 3),
        }

    def to_dict(self, *, per_frame: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "actual": self.actual,
            "golden": self.golden,
            "kind": self.kind,
            "ok": self.ok,
            "identical": self.identical,
            "reasons": [r.to_dict() for r in self.reasons],
            "notes": list(self.notes),
            "metrics": self.metrics,
            "worst_frames": [w.to_dict() for w in self.worst],
            "actual_info": self.actual_info.to_dict() if self.actual_info else None,
            "golden_info": self.golden_info.to_dict() if self.golden_info else None,
            "tolerances": self.tolerances.to_dict(),
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
        }
        if self.device:
            out["device"] = self.device
        if per_frame:
            out["per_frame"] = {
                "ssim": [round(x, 5) for x in self.ssim],
                "psnr_db": [round(x, 3) for x in self.psnr_db],
                "delta_e": [round(x, 3) for x in self.delta_e],
                "motion_actual": [round(x, 3) for x in self.motion_actual],
                "motion_golden": [round(x, 3) for x in self.motion_golden],
            }
        return out

    def summary_lines(self) -> list[str]:
        """Human lines: verdict, reasons, key metrics and worst frames."""
        verdict = "identical" if self.identical else ("ok" if self.ok else "REGRESSION")
        lines = [f"{verdict}: {self.actual} vs {self.golden}"]
        lines += [f"  - {r.message}" for r in self.reasons]
        if self.ssim and not self.identical:  # raw values, so they agree with the worst-frame list
            s, p = self.ssim, self.psnr_db
            lines.append(
                f"  ssim min {min(s):.4f} mean {float(np.mean(s)):.4f}; "
                f"psnr min {min(p):.2f} dB mean {float(np.mean(p)):.2f} dB over {len(s)} frame(s)"
            )
            m = self.metrics
            if m["max_delta_e"] is not None:
                extra = f"  colour ΔE max {m['max_delta_e']:.2f}"
                if m["motion_diff"] is not None:
                    extra += f"; motion diff {m['motion_diff']:.3f}; flicker {m['flicker']:.2f} levels"
                lines.append(extra)
        if self.worst and any(r.code in ("ssim", "mean_ssim", "psnr", "colour") for r in self.reasons):
            lines.append(
                "  worst frames: "
                + ", ".join(
                    f"#{w.index} ssim {w.ssim:.4f} psnr {w.psnr_db:.1f} ΔE {w.delta_e:.2f}"
                    for w in self.worst
                )
            )
        lines += [f"  note: {n}" for n in self.notes]
        return lines


def _check_structure(c: Comparison, a: MediaInfo, g: MediaInfo, tol: Tolerances) -> None:
    add = c.reasons.append
    if a.kind != g.kind:
        add(Reason("kind", f"output is {a.kind} but the golden is {g.kind}"))
        return
    if a.video and g.video:
        av_, gv = a.video, g.video
        if (av_.width, av_.height) != (gv.width, gv.height):
            add(Reason("size", f"size {av_.width}×{av_.height} != golden {gv.width}×{gv.height}"))
        if a.kind == "video":
            if abs(av_.frames - gv.frames) > tol.frame_count_delta:
                add(Reason("frame_count", f"frame count {av_.frames} != golden {gv.frames}"))
            if gv.fps and abs(av_.fps - gv.fps) > tol.fps_rel * gv.fps:
                add(Reason("fps", f"fps {av_.fps:g} != golden {gv.fps:g}"))
            if abs(av_.duration_s - gv.duration_s) > tol.duration_s:
                add(Reason("duration", f"duration {av_.duration_s:.3f} s != golden {gv.duration_s:.3f} s"))
        if av_.codec != gv.codec:
            if tol.codec_must_match:
                add(Reason("codec", f"video codec {av_.codec} != golden {gv.codec}"))
            else:
                c.notes.append(f"video codec {av_.codec} differs from golden {gv.codec}")
        if av_.pix_fmt != gv.pix_fmt:
            c.notes.append(f"pixel format {av_.pix_fmt} differs from golden {gv.pix_fmt}")
    if a.kind == "image":
        return
    if g.audio and not a.audio:
        if tol.audio_required:
            add(
                Reason(
                    "audio_missing",
                    f"audio stream missing (golden has {g.audio.codec}, {g.audio.duration_s:.2f} s)",
                )
            )
    elif a.audio and not g.audio:
        if tol.audio_required:
            add(Reason("audio_extra", f"unexpected audio stream ({a.audio.codec}); the golden has none"))
    elif a.audio and g.audio:
        if abs(a.audio.duration_s - g.audio.duration_s) > tol.duration_s:
            add(
                Reason(
                    "audio_duration",
                    f"audio duration {a.audio.duration_s:.3f} s != golden {g.audio.duration_s:.3f} s",
                )
            )
        if a.audio.channels != g.audio.channels:
            add(Reason("audio_channels", f"audio channels {a.audio.channels} != golden {g.audio.channels}"))
        if a.audio.sample_rate != g.audio.sample_rate:
            c.notes.append(
                f"audio sample rate {a.audio.sample_rate} differs from golden {g.audio.sample_rate}"
            )


def _score_video(
    c: Comparison, a: MediaInfo, g: MediaInfo, tol: Tolerances, collect: bool, device: str | None
) -> None:
    assert a.video and g.video
    scores = score_pair(a, g, tol, collect=collect, device=device)
    c.timings["decode_and_metrics"] = scores.seconds
    c.device = scores.device
    all_s, all_p, all_e = scores.ssim, scores.psnr_db, scores.delta_e
    n = len(all_s)
    c.ssim, c.psnr_db = [float(x) for x in all_s], [float(x) for x in all_p]
    c.delta_e = [float(x) for x in all_e]
    if not n:
        return
    order = np.argsort(all_s, kind="stable")[: max(tol.worst_frames, 1)]
    c.worst = [FrameScore(int(i), float(all_s[i]), float(all_p[i]), float(all_e[i])) for i in order]
    _judge_frames(c, all_s, all_p, all_e, tol)
    if a.kind == "video":
        _judge_motion(c, scores.blocks_actual, scores.blocks_golden, tol)
    if a.video.frames != g.video.frames and n > 1:
        diverge = next((i for i in range(n) if all_s[i] < tol.min_ssim), None)
        if diverge is not None:
            c.notes.append(f"frames first diverge at #{diverge} (a frame dropped or duplicated there?)")
    if scores.images is not None:
        c.images = scores.images


def _judge_frames(
    c: Comparison, all_s: np.ndarray, all_p: np.ndarray, all_e: np.ndarray, tol: Tolerances
) -> None:
    n = len(all_s)
    low = [i for i in range(n) if all_s[i] < tol.min_ssim]
    if low:
        c.reasons.append(
            Reason(
                "ssim",
                f"{len(low)} of {n} frame(s) below SSIM {tol.min_ssim:g} "
                f"(worst #{c.worst[0].index}: {c.worst[0].ssim:.4f}; first #{low[0]})",
            )
        )
    if float(all_s.mean()) < tol.min_mean_ssim:
        c.reasons.append(Reason("mean_ssim", f"mean SSIM {all_s.mean():.4f} < {tol.min_mean_ssim:g}"))
    worst_p = int(np.argmin(all_p))
    if all_p[worst_p] < tol.min_psnr_db:
        c.reasons.append(
            Reason("psnr", f"PSNR {all_p[worst_p]:.2f} dB at frame #{worst_p} < {tol.min_psnr_db:g} dB")
        )
    worst_e = int(np.argmax(all_e))
    if all_e[worst_e] > tol.max_delta_e:
        over = int(np.sum(all_e > tol.max_delta_e))
        c.reasons.append(
            Reason(
                "colour",
                f"colour differs: {over} of {n} frame(s) above ΔE {tol.max_delta_e:g} "
                f"(worst #{worst_e}: ΔE {all_e[worst_e]:.2f})",
            )
        )


def _judge_motion(c: Comparison, blocks_a: np.ndarray, blocks_g: np.ndarray, tol: Tolerances) -> None:
    ma, mg = temporal.change_profile(blocks_a), temporal.change_profile(blocks_g)
    c.motion_actual, c.motion_golden = [float(x) for x in ma], [float(x) for x in mg]
    if not len(mg) or not len(ma):
        return
    c.motion_diff = temporal.motion_diff(ma, mg)
    if c.motion_diff > tol.max_motion_diff:
        mean_a, mean_g = float(np.mean(ma)), float(np.mean(mg))
        how = "less" if mean_a < mean_g else "more"
        c.reasons.append(
            Reason(
                "motion",
                f"motion differs from the golden's by {c.motion_diff:.2f} (> {tol.max_motion_diff:g}): "
                f"{how} change between frames, {mean_a:.2f} vs {mean_g:.2f} levels per frame",
            )
        )
    c.flicker, at = temporal.flicker(temporal.brightness_steps(blocks_a), temporal.brightness_steps(blocks_g))
    if c.flicker > tol.max_flicker:
        c.reasons.append(
            Reason(
                "flicker",
                f"brightness jumps {c.flicker:.2f} levels at frame #{at} where the golden does not "
                f"(> {tol.max_flicker:g})",
            )
        )


def band_energies_db(samples: np.ndarray, rate: int, *, win: int = 2048, bands: int = 24) -> np.ndarray:
    """(frames, bands) energy in dB per log-spaced band (50 Hz..Nyquist), floored 60 dB below the peak.

    Coarse on purpose (128 ms windows, half overlap): robust to codec delay and lossy re-encodes,
    but a different tone, voice, loudness or silence moves energy between bands.
    """
    hop = win // 2
    if len(samples) < win:
        samples = np.pad(samples, (0, win - len(samples)))
    n = 1 + (len(samples) - win) // hop
    frames = np.lib.stride_tricks.sliding_window_view(samples, win)[::hop][:n] * np.hanning(win)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(win, 1.0 / rate)
    band_of = np.digitize(freqs, np.geomspace(50.0, rate / 2, bands + 1)) - 1
    keep = (band_of >= 0) & (band_of < bands)
    energy = np.zeros((n, bands))
    np.add.at(energy.T, band_of[keep], power[:, keep].T)
    db = 10 * np.log10(energy + 1e-10)
    return np.maximum(db, db.max() - 60.0)


def _score_audio(c: Comparison, a: MediaInfo, g: MediaInfo, tol: Tolerances) -> None:
    """Mean absolute band-energy difference (dB) between the two audio tracks."""
    rate = 16000
    t0 = time.perf_counter()
    ea = band_energies_db(decode_audio(a.path, rate=rate), rate)
    eg = band_energies_db(decode_audio(g.path, rate=rate), rate)
    c.timings["decode_audio"] = time.perf_counter() - t0
    n = min(len(ea), len(eg))
    c.audio_spectrum_db = float(np.mean(np.abs(ea[:n] - eg[:n])))
    if c.audio_spectrum_db > tol.audio_spectrum_db:
        c.reasons.append(
            Reason(
                "audio_content",
                f"audio spectrum differs by {c.audio_spectrum_db:.2f} dB on average "
                f"(> {tol.audio_spectrum_db:g} dB)",
            )
        )


def compare_files(
    actual: str | Path,
    golden: str | Path,
    tolerances: Tolerances | None = None,
    *,
    collect_images: bool = False,
    device: str | None = None,
) -> Comparison:
    """Compare ``actual`` with ``golden``; raise :class:`MediaUnreadable` only if one cannot be read."""
    tol = tolerances or Tolerances()
    actual, golden = Path(actual), Path(golden)
    c = Comparison(actual=str(actual), golden=str(golden), tolerances=tol)
    t0 = time.perf_counter()
    g_info = probe(golden)
    a_info = probe(actual)
    c.actual_info, c.golden_info, c.kind = a_info, g_info, g_info.kind
    c.timings["probe"] = time.perf_counter() - t0
    if actual.stat().st_size == golden.stat().st_size and sha256_file(actual) == sha256_file(golden):
        c.identical = True
        if collect_images and g_info.video is not None:
            c.images = identical_images(g_info)
        return c
    _check_structure(c, a_info, g_info, tol)
    if a_info.kind != g_info.kind:
        return c
    if a_info.video and g_info.video:
        _score_video(c, a_info, g_info, tol, collect_images, device)
    if a_info.audio and g_info.audio:
        _score_audio(c, a_info, g_info, tol)
    c.timings["total"] = time.perf_counter() - t0
    return c
