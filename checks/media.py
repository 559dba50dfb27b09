"""Media access through PyAV: probe a file, stream its frames as small luma/RGB arrays, decode audio.

Everything that touches a container lives here, so PyAV's exceptions are translated in one
place: an unreadable, truncated or streamless file raises :class:`MediaUnreadable` naming
the file. Frames are scaled and converted by FFmpeg's swscale (``VideoFrame.reformat``),
never in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
from comfyreel.runner.errors import MediaUnreadable

MediaKind = Literal["video", "audio", "image"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe")


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    pix_fmt: str | None


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    duration_s: float


@dataclass(frozen=True)
class MediaInfo:
    """What a file holds: its kind, container and first video / audio stream."""

    path: str
    kind: MediaKind
    container: str
    video: VideoInfo | None
    audio: AudioInfo | None

    @property
    def duration_s(self) -> float:
        if self.video is not None and self.kind == "video":
            return self.video.duration_s
        return self.audio.duration_s if self.audio is not None else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _open(path: Path) -> Any:
    import av

    if not path.is_file():
        raise MediaUnreadable("file not found", anchor=str(path), hint="check the path")
    try:
        return av.open(str(path), "r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaUnreadable(
            f"not a readable media file ({exc})", anchor=str(path), hint="re-render it or check the file"
        ) from None


def _stream_seconds(stream: Any, container: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def probe(path: str | Path) -> MediaInfo:
    """Read the container and count video packets (no decoding): fast and exact for frame count."""
    import av

    path = Path(path)
    container = _open(path)
    try:
        vstreams = list(container.streams.video)
        astreams = list(container.streams.audio)
        fmt = container.format.name
        video = audio = None
        if vstreams:
            vs = vstreams[0]
            ctx = vs.codec_context
            frames = 0
            for packet in container.demux(vs):
                if packet.size:
                    frames += 1
            rate = vs.average_rate or vs.base_rate or vs.guessed_rate or Fraction(0)
            fps = float(rate) if rate else 0.0
            width, height = ctx.width, ctx.height
            if not width or not height or frames == 0:
                raise MediaUnreadable("video stream has no frames or no size", anchor=str(path))
            video = VideoInfo(
                codec=ctx.name,
                width=width,
                height=height,
                fps=round(fps, 6),
                frames=frames,
                duration_s=round(frames / fps, 6) if fps else 0.0,
                pix_fmt=ctx.format.name if ctx.format is not None else None,
            )
        if astreams:
            st = astreams[0]
            seconds = _stream_seconds(st, container)
            audio = AudioInfo(
                codec=st.codec_context.name,
                sample_rate=st.codec_context.sample_rate or 0,
                channels=st.codec_context.channels or 0,
                duration_s=round(seconds, 6) if seconds is not None else 0.0,
            )
    except av.FFmpegError as exc:
        raise MediaUnreadable(f"cannot demux ({exc})", anchor=str(path)) from None
    finally:
        container.close()
    if video is None and audio is None:
        raise MediaUnreadable("no video or audio stream", anchor=str(path))
    is_image = video is not None and (
        fmt.split(",")[0] in _IMAGE_FORMATS or (path.suffix.lower() in IMAGE_SUFFIXES and video.frames == 1)
    )
    kind: MediaKind = "image" if is_image else ("video" if video is not None else "audio")
    return MediaInfo(path=str(path), kind=kind, container=fmt, video=video, audio=audio)


def analysis_size(width: int, height: int, longest: int) -> tuple[int, int]:
    """Keep the aspect ratio, longest side at most ``longest``, both sides even and ≥ 8."""
    scale = min(1.0, longest / max(width, height)) if longest else 1.0
    w = max(8, round(width * scale / 2) * 2)
    h = max(8, round(height * scale / 2) * 2)
    return w, h


def _luma(frame: Any) -> np.ndarray:
    """The frame's luma at native size: the Y plane itself for planar YUV / gray (no conversion)."""
    name = frame.format.name
    if name.startswith(("yuv", "yuvj", "nv")) or name == "gray":
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
        return rows[:, : frame.width]
    return frame.reformat(format="gray").to_ndarray()


def iter_frames(
    path: str | Path, size: tuple[int, int] | None = None, *, rgb_size: tuple[int, int] | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield (luma uint8, RGB thumbnail or None) per decoded frame.

    The luma is native-size (a view of the Y plane, valid until the next frame) when ``size``
    is None, else scaled to ``size`` = (width, height) by swscale.
    """
    import av

    path = Path(path)
    container = _open(path)
    try:
        if not container.streams.video:
            raise MediaUnreadable("no video stream", anchor=str(path))
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if size is None:
                luma = _luma(frame)
            else:
                luma = frame.reformat(width=size[0], height=size[1], format="gray").to_ndarray()
            thumb = None
            if rgb_size is not None:
                thumb = frame.reformat(width=rgb_size[0], height=rgb_size[1], format="rgb24").to_ndarray()
            yield luma, thumb
    except av.FFmpegError as exc:
        raise MediaUnreadable(f"cannot decode ({exc})", anchor=str(path)) from None
    finally:
        container.close()


def decode_audio(path: str | Path, *, rate: int = 16000) -> np.ndarray:
    """The first audio stream as mono float32 samples at ``rate`` Hz."""
    import av

    path = Path(path)
    container = _open(path)
    chunks: list[np.ndarray] = []
    try:
        if not container.streams.audio:
            raise MediaUnreadable("no audio stream", anchor=str(path))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as exc:
        raise MediaUnreadable(f"cannot decode audio ({exc})", anchor=str(path)) from None
    finally:
        container.close()
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def encode_image(rgb: np.ndarray, fmt: str = "png") -> bytes:
    """Encode one RGB uint8 image as PNG or JPEG bytes (for reports; no PIL needed)."""
    import av

    rgb = np.ascontiguousarray(rgb[:, : rgb.shape[1] // 2 * 2][: rgb.shape[0] // 2 * 2])
    height, width = rgb.shape[:2]
    codec = "mjpeg" if fmt == "jpeg" else "png"
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height = width, height
    ctx.time_base = Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    if codec == "mjpeg":
        ctx.pix_fmt = "yuvj420p"
        ctx.options = {"qscale": "3"}
        frame = frame.reformat(format="yuvj420p")
    else:
        ctx.pix_fmt = "rgb24"
    data = b"".join(bytes(p) for p in ctx.encode(frame))
    data += b"".join(bytes(p) for p in ctx.encode(None))
    return data
