"""Deterministic media for the fake: smooth moving patterns as real mp4, animated WebP/PNG (PyAV), PNG,
FLAC and safetensors latent files.

Pixels and samples are a pure function of a content key (see `semantics.py`) and the geometry, so
the same graph gives bit-identical files and any semantic change gives different frames. Patterns
are sums of low-frequency sinusoids (separable, so cheap at full size) and move slowly, which keeps
re-encodes comparable with SSIM/PSNR.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np

AUDIO_RATE = 44100


def _rng(key: str) -> np.random.Generator:
    # sha256, not hash(): str hashes change between processes (PYTHONHASHSEED).
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


class Pattern:
    """A smooth animated RGB pattern determined by a key."""

    def __init__(self, key: str, width: int, height: int, color: int | None = None) -> None:
        rng = _rng(key)
        self.width, self.height = width, height
        self.fx = rng.uniform(0.3, 1.6, size=(3, 2))
        self.fy = rng.uniform(0.3, 1.6, size=(3, 2))
        self.px = rng.uniform(0, 1, size=(3, 2))
        self.py = rng.uniform(0, 1, size=(3, 2))
        self.vx = rng.uniform(-0.03, 0.03, size=(3, 2))
        self.vy = rng.uniform(-0.03, 0.03, size=(3, 2))
        base = rng.uniform(0.25, 0.75, size=3)
        if color is not None:
            base = np.array([(color >> 16) & 255, (color >> 8) & 255, color & 255], dtype=float) / 255.0
        self.base = base

    def _terms(self, c: int, index: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """1-D row and column terms of channel *c* (the plane is their outer sum), in 0..255 units."""
        x = np.linspace(0.0, 1.0, width, endpoint=False)
        y = np.linspace(0.0, 1.0, height, endpoint=False)
        col = np.zeros(width)
        row = np.zeros(height)
        for k in range(2):
            col += 0.12 * np.sin(2 * np.pi * (self.fx[c, k] * x + self.px[c, k] + self.vx[c, k] * index))
            row += 0.12 * np.sin(2 * np.pi * (self.fy[c, k] * y + self.py[c, k] + self.vy[c, k] * index))
        return row * 255.0, col * 255.0

    def _plane(self, c: int, index: int, width: int, height: int, base: float) -> np.ndarray:
        row, col = self._terms(c, index, width, height)
        rowq = np.rint(row + base).astype(np.int16)
        colq = np.rint(col).astype(np.int16)
        plane = rowq[:, None] + colq[None, :]
        np.clip(plane, 0, 255, out=plane)
        return plane.astype(np.uint8)

    def frame(self, index: int) -> np.ndarray:
        """Frame *index* as an (height, width, 3) RGB uint8 array."""
        planes = [self._plane(c, index, self.width, self.height, self.base[c] * 255.0) for c in range(3)]
        return np.ascontiguousarray(np.stack(planes, axis=-1))

    def yuv420(self, index: int) -> np.ndarray:
        """Frame *index* as a (height * 3 / 2, width) yuv420p array (no colour conversion needed)."""
        r, g, b = (self.base * 255.0).tolist()
        y_base = 0.299 * r + 0.587 * g + 0.114 * b
        u_base = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
        v_base = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b
        w2, h2 = self.width // 2, self.height // 2
        y = self._plane(0, index, self.width, self.height, y_base)
        u = self._plane(1, index, w2, h2, u_base).reshape(-1, self.width)
        v = self._plane(2, index, w2, h2, v_base).reshape(-1, self.width)
        return np.concatenate([y, u, v], axis=0)


def audio_samples(key: str, seconds: float, rate: int = AUDIO_RATE, channels: int = 2) -> np.ndarray:
    """Deterministic tones: (channels, n) float32 in [-0.5, 0.5]."""
    rng = _rng(key + ":audio")
    n = max(1, round(seconds * rate))
    t = np.arange(n) / rate
    out = np.zeros((channels, n), dtype=np.float32)
    for ch in range(channels):
        freqs = rng.uniform(110.0, 880.0, size=3)
        amps = rng.uniform(0.05, 0.15, size=3)
        for f, a in zip(freqs, amps, strict=True):
            out[ch] += (a * np.sin(2 * np.pi * f * t)).astype(np.float32)
    return out


def add_noise(pixels: np.ndarray, levels: int, rng: np.random.Generator | None) -> np.ndarray:
    """*pixels* plus uniform integer noise in [−levels, levels], clipped to 0..255 (a no-op for 0)."""
    if levels <= 0 or rng is None:
        return pixels
    noisy = pixels.astype(np.int16) + rng.integers(-levels, levels + 1, size=pixels.shape, dtype=np.int16)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def write_mp4(
    path: Path,
    key: str,
    width: int,
    height: int,
    frames: int,
    fps: float,
    audio_key: str | None = None,
    audio_seconds: float | None = None,
    color: int | None = None,
    noise: int = 0,
) -> None:
    """Encode an h264 (yuv420p) mp4, plus an AAC stream when *audio_key* is given.

    ``noise`` > 0 adds fresh random ±noise-level noise to every plane (see ``Faults.pixel_noise``).
    """
    import av

    width, height = max(2, width - width % 2), max(2, height - height % 2)
    rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(24)
    pattern = Pattern(key, width, height, color)
    rng = np.random.default_rng() if noise > 0 else None  # fresh entropy: every file differs
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "18"}
        astream = None
        if audio_key is not None:
            astream = container.add_stream("aac", rate=AUDIO_RATE)
            astream.layout = "stereo"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(add_noise(pattern.yuv420(i), noise, rng), format="yuv420p")
            frame.pts = i
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if astream is not None:
            seconds = audio_seconds if audio_seconds else frames / float(rate)
            _encode_audio(container, astream, audio_samples(audio_key or "", seconds))


def _encode_audio(container, stream, samples: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    import av

    chunk = 1024
    pts = 0
    for start in range(0, samples.shape[1], chunk):
        part = np.ascontiguousarray(samples[:, start : start + chunk])
        frame = av.AudioFrame.from_ndarray(part, format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = pts
        pts += part.shape[1]
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def write_flac(path: Path, key: str, seconds: float) -> None:
    """A FLAC file of the deterministic tones (SaveAudio's default format)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    samples = audio_samples(key, seconds)
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), mode="w", format="flac") as container:
        stream = container.add_stream("flac", rate=AUDIO_RATE)
        stream.layout = "stereo"
        pts = 0
        for start in range(0, pcm.shape[1], 4096):
            part = np.ascontiguousarray(pcm[:, start : start + 4096].T.reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(part, format="s16", layout="stereo")
            frame.sample_rate = AUDIO_RATE
            frame.pts = pts
            pts += part.shape[1] // 2
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 array as a PNG (stdlib zlib; deterministic)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def write_png(
    path: Path,
    key: str,
    width: int,
    height: int,
    index: int,
    color: int | None = None,
    noise: int = 0,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = Pattern(key, width, height, color).frame(index)
    rng = np.random.default_rng() if noise > 0 else None
    path.write_bytes(png_bytes(add_noise(pixels, noise, rng)))


def write_animated(
    path: Path, key: str, width: int, height: int, frames: int, fps: float, fmt: str, color: int | None = None
) -> None:
    """One animated file of *frames* frames: ``webp`` (SaveAnimatedWEBP) or ``apng`` (SaveAnimatedPNG)."""
    import av

    codec, pix_fmt = {"webp": ("libwebp_anim", "yuv420p"), "apng": ("apng", "rgb24")}[fmt]
    pattern = Pattern(key, width, height, color)
    rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(6)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(pattern.frame(i), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_latent(path: Path, key: str, channels: int = 4, size: int = 4) -> None:
    """A small safetensors ``.latent`` file as SaveLatent writes one (``latent_tensor`` plus the empty
    ``latent_format_version_0`` marker, nodes.py SaveLatent), its values a function of *key*."""
    shape = [1, channels, size, size]
    tensor = _rng(key).standard_normal(shape).astype("<f4").tobytes()
    end = len(tensor)
    header = {
        "latent_tensor": {"dtype": "F32", "shape": shape, "data_offsets": [0, end]},
        "latent_format_version_0": {"dtype": "F32", "shape": [0], "data_offsets": [end, end]},
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(text)) + text + tensor)
