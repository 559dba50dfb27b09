"""Planted regressions and harmless changes, for the tests and the margin benchmark.

Each function takes RGB frames (n, h, w, 3) and returns changed frames; the clip-level
cases (seed, LoRA/style, speed, re-encodes) are made from ``synth`` arguments. Used by
``tests/checks/test_planted.py`` and ``benchmarks/metric_margins.py`` so both judge the same
clips.
"""

from __future__ import annotations

import numpy as np

# BT.601 full-range RGB ↔ YCbCr (what swscale assumes for untagged RGB → YUV), rows Y, Cb, Cr.
_TO_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_FROM_YCC = np.linalg.inv(_TO_YCC)


def colour_cast(frames: np.ndarray, cb: float, cr: float) -> np.ndarray:
    """Shift chroma by (cb, cr) 8-bit levels and keep each pixel's luma (a cast with the same luma)."""
    ycc = frames.astype(np.float64) @ _TO_YCC.T
    ycc[..., 1] += cb
    ycc[..., 2] += cr
    return np.clip(np.rint(ycc @ _FROM_YCC.T), 0, 255).astype(np.uint8)


def pixel_noise(frames: np.ndarray, amplitude: int = 2, *, seed: int = 0) -> np.ndarray:
    """Independent uniform integer noise in [−amplitude, +amplitude] on every sample."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(-amplitude, amplitude + 1, size=frames.shape)
    return np.clip(frames.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def freeze(frames: np.ndarray, at: int) -> np.ndarray:
    """Frames from ``at`` on repeat frame ``at`` (a video that froze; ``at=0``: a still video)."""
    out = frames.copy()
    out[at:] = frames[at]
    return out


def brightness_flicker(frames: np.ndarray, levels: int, *, every: int = 2) -> np.ndarray:
    """Every ``every``-th frame brighter by ``levels`` (8-bit), the others untouched."""
    out = frames.astype(np.int16)
    out[1::every] += levels
    return np.clip(out, 0, 255).astype(np.uint8)


def drop_frame(frames: np.ndarray, at: int) -> np.ndarray:
    return np.delete(frames, at, axis=0)


def duplicate_frame(frames: np.ndarray, at: int) -> np.ndarray:
    return np.insert(frames, at, frames[at], axis=0)


def to_16bit(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB → uint16 RGB on the full 16-bit scale (what a 10-bit encode quantises)."""
    return frames.astype(np.uint16) * 257


def invert_right_half(frames16: np.ndarray) -> np.ndarray:
    """The 10-bit regression the old byte-reading decoder missed: the right half inverted."""
    out = frames16.copy()
    w = out.shape[2]
    out[:, :, w // 2 :] = 65535 - out[:, :, w // 2 :]
    return out


# name → what it stands for; "pass" cases must pass, every other case must fail.
PASS_CASES = {
    "identical": "a bit-identical copy",
    "crf23": "re-encode at CRF 23",
    "crf28": "re-encode at CRF 28",
    "crf32": "re-encode at CRF 32",
    "mkv": "remux + re-encode into Matroska at CRF 26",
    "noise2": "±2-level pixel noise on every sample, re-encoded",
    "ten_bit_crf": "the 10-bit golden re-encoded at another CRF",
}
FAIL_CASES = {
    "seed": "another seed",
    "style": "another LoRA/style (recoloured, new texture)",
    "cast": "a colour cast with the same luma",
    "frozen": "motion froze halfway",
    "static": "an image-to-video that stayed still",
    "speed": "motion at 1.5× the speed",
    "flicker": "brightness flicker (every other frame +8 levels)",
    "drop": "one dropped frame",
    "dup": "one duplicated frame",
    "ten_bit_half": "10-bit: the right half inverted",
    "audio_other": "another audio track",
    "audio_missing": "audio missing",
}


def build_cases(folder, n: int = 25, width: int = 192, height: int = 128) -> dict[str, tuple]:
    """Write the golden(s) and every case into ``folder``; name → (actual path, golden path)."""
    import shutil
    from pathlib import Path

    from comfyreel.checks import synth

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    fps = 24
    frames = synth.pattern_frames(n, width, height, seed=1)
    audio = synth.tone(n / fps)

    def v(name: str, fr: np.ndarray, **kw: object) -> Path:
        kw.setdefault("audio", audio)
        kw.setdefault("crf", 18)
        return synth.write_video(d / f"{name}{kw.pop('suffix', '.mp4')}", fr, fps=fps, **kw)

    golden = v("golden", frames)
    f16 = to_16bit(frames)
    golden10 = v("golden10", f16, pix_fmt="yuv420p10le", audio=None)
    out: dict[str, tuple] = {"identical": (Path(shutil.copyfile(golden, d / "identical.mp4")), golden)}
    for crf in (23, 28, 32):
        out[f"crf{crf}"] = (v(f"crf{crf}", frames, crf=crf), golden)
    out["mkv"] = (v("mkv", frames, crf=26, suffix=".mkv"), golden)
    out["noise2"] = (v("noise2", pixel_noise(frames, 2)), golden)
    ten = v("ten_bit_crf", f16, pix_fmt="yuv420p10le", crf=26, audio=None)
    out["ten_bit_crf"] = (ten, golden10)
    out["seed"] = (v("seed", synth.pattern_frames(n, width, height, seed=2)), golden)
    out["style"] = (v("style", synth.pattern_frames(n, width, height, seed=1, style=1)), golden)
    out["cast"] = (v("cast", colour_cast(frames, -12, 12)), golden)
    out["frozen"] = (v("frozen", freeze(frames, n // 2)), golden)
    out["static"] = (v("static", freeze(frames, 0)), golden)
    out["speed"] = (v("speed", synth.pattern_frames(n, width, height, seed=1, speed=1.5)), golden)
    out["flicker"] = (v("flicker", brightness_flicker(frames, 8)), golden)
    out["drop"] = (v("drop", drop_frame(frames, n // 2)), golden)
    out["dup"] = (v("dup", duplicate_frame(frames, n // 2)), golden)
    out["ten_bit_half"] = (
        v("ten_bit_half", invert_right_half(f16), pix_fmt="yuv420p10le", audio=None),
        golden10,
    )
    out["audio_other"] = (v("audio_other", frames, audio=synth.tone(n / fps, freq=660.0)), golden)
    out["audio_missing"] = (v("audio_missing", frames, audio=None), golden)
    return out
