"""Deterministic synthetic clips (video, audio, image) for tests, benchmarks and demos.

A clip is a moving colour pattern fully determined by ``seed`` (its phases and frequencies)
and ``style`` (a palette/texture switch standing in for a LoRA): the same arguments always
give the same pixels, a different seed or style gives visibly different content. Frames
can be dropped or duplicated and audio left out, which is what the regression tests need.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np


def pattern_frames(
    n: int, width: int, height: int, *, seed: int = 0, style: int = 0, speed: float = 1.0
) -> np.ndarray:
    """``n`` RGB frames (n, height, width, 3) uint8 of a smooth moving pattern (``speed``: × its pace)."""
    rng = np.random.default_rng(seed)
    fx, fy = rng.uniform(1.0, 3.0, size=2)
    phase = rng.uniform(0, 2 * np.pi, size=3)
    speed = rng.uniform(0.15, 0.3) * speed
    cx, cy = rng.uniform(0.25, 0.75, size=2)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x /= max(width - 1, 1)
    y /= max(height - 1, 1)
    frames = np.empty((n, height, width, 3), dtype=np.uint8)
    for t in range(n):
        s = t * speed
        base = np.sin(2 * np.pi * (fx * x + s) + phase[0]) * np.cos(2 * np.pi * (fy * y - 0.5 * s) + phase[1])
        bx, by = cx + 0.2 * np.cos(s + phase[2]), cy + 0.2 * np.sin(s)
        blob = np.exp(-((x - bx) ** 2 + (y - by) ** 2) / 0.02)
        if style:
            # "another LoRA": a striped texture and an inverted palette over the same motion
            base = np.sign(np.sin(2 * np.pi * (6 + style) * (x + y) + s)) * 0.6 + 0.4 * base
            blob = 1.0 - blob
        r = 0.5 + 0.5 * base
        g = 0.5 + 0.5 * np.sin(2 * np.pi * (x * y + 0.1 * t / max(n, 1)) + phase[2])
        b = blob
        frame = np.stack([r, 0.6 * g + 0.4 * blob, 0.5 * b + 0.5 * (1 - r)], axis=-1)
        frames[t] = np.clip(frame * 255.0, 0, 255).astype(np.uint8)
    return frames


def tone(duration_s: float, *, rate: int = 24000, freq: float = 440.0, seed: int = 0) -> np.ndarray:
    """A mono float32 chirp with a seed-dependent amplitude envelope, shape (1, samples)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * rate), dtype=np.float32) / rate
    env = 0.3 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 6.28))
    return (env * np.sin(2 * np.pi * freq * (1 + 0.1 * t) * t)).astype(np.float32)[None, :]


def write_video(
    path: Path,
    frames: np.ndarray | Sequence[np.ndarray],
    *,
    fps: int | Fraction = 24,
    codec: str = "libx264",
    crf: int | None = 18,
    bitrate: int | None = None,
    audio: np.ndarray | None = None,
    audio_rate: int = 24000,
    pix_fmt: str = "yuv420p",
) -> Path:
    """Encode RGB frames (and optional mono float audio) into ``path`` (mp4, mkv, mov, webm...).

    uint8 frames are rgb24, uint16 frames rgb48 (full 16-bit scale, for 10-bit ``pix_fmt``s);
    the encoder's ``pix_fmt`` may be any the codec takes (yuv420p10le, yuv422p10le, bgr0...).
    """
    import av

    path = Path(path)
    first = frames[0]
    height, width = first.shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=Fraction(fps))
        vs.width, vs.height = width, height
        vs.pix_fmt = pix_fmt
        options = {}
        if crf is not None and codec in ("libx264", "libx265", "libvpx-vp9"):
            options["crf"] = str(crf)
        if codec == "libx264":
            options["preset"] = "veryfast"
        if bitrate:
            vs.bit_rate = bitrate
            options.pop("crf", None)
        vs.options = options
        as_ = None
        if audio is not None:
            as_ = out.add_stream("aac", rate=audio_rate)
            as_.layout = "mono"
        for img in frames:
            fmt = "rgb48le" if img.dtype == np.uint16 else "rgb24"
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format=fmt)
            out.mux(vs.encode(vf))
        out.mux(vs.encode())
        if as_ is not None and audio is not None:
            af = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(audio, dtype=np.float32), format="flt", layout="mono"
            )
            af.sample_rate = audio_rate
            out.mux(as_.encode(af))
            out.mux(as_.encode())
    return path


def write_audio(path: Path, samples: np.ndarray, *, rate: int = 24000) -> Path:
    """Write mono float audio; the codec follows the suffix (.wav → pcm_s16le, .flac, .m4a → aac)."""
    import av

    path = Path(path)
    codec = {".wav": "pcm_s16le", ".flac": "flac", ".m4a": "aac", ".mp3": "libmp3lame"}.get(
        path.suffix.lower(), "pcm_s16le"
    )
    with av.open(str(path), "w") as out:
        st = out.add_stream(codec, rate=rate)
        st.layout = "mono"
        af = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32), format="flt", layout="mono"
        )
        af.sample_rate = rate
        out.mux(st.encode(af))
        out.mux(st.encode())
    return path


def write_image(path: Path, rgb: np.ndarray) -> Path:
    """Write one RGB image as PNG (or JPEG for .jpg/.jpeg) with PyAV's encoders."""
    from comfyreel.checks.media import encode_image

    path = Path(path)
    fmt = "jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "png"
    path.write_bytes(encode_image(rgb, fmt))
    return path
