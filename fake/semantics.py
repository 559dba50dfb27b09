"""What a graph "means" for the fake's media: size, frame count, fps, audio, and a content key.

The fake renders no model; it evaluates the graph symbolically. Each node gets a structural key
(class_type + literal inputs + the keys of linked inputs, node ids and file-name prefixes left out),
so any semantic change upstream (seed, prompt text, LoRA name or strength, size, length, fps, cfg...)
changes the key and therefore the pixels, while the same graph always gives the same media.
Geometry follows the LTX nodes: `EmptyLTXVLatentVideo` sets width/height/length, the latent
upsampler doubles width/height, `CreateVideo` sets fps and carries the audio.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from comfyreel.fake.graphs import FILE_FINGERPRINTS

#: Inputs that never change pixels (where and how a file is saved).
_IGNORED_INPUTS = {"filename_prefix", "format", "codec", "save_output", "save_metadata", "pingpong"}
#: Linked inputs that carry the "main" stream, in preference order.
_MAIN_INPUTS = (
    "samples",
    "latent_image",
    "latent",
    "video_latent",
    "av_latent",
    "images",
    "image",
    "pixels",
    "video",
    "frames",
)

_LATENT_SOURCES = {
    "EmptyLTXVLatentVideo",
    "EmptyHunyuanLatentVideo",
    "EmptyMochiLatentVideo",
    "EmptyCosmosLatentVideo",
    "EmptyLatentImage",
    "EmptySD3LatentImage",
    "LTXVImgToVideo",
    "LTXVImgToVideoInplace",
    "EmptyImage",
}


@dataclass(frozen=True)
class Stream:
    """The symbolic value flowing out of a node."""

    key: str
    width: int = 64
    height: int = 64
    frames: int = 1
    fps: float = 24.0
    color: int | None = None
    audio_key: str | None = None  # set when audio is part of this value (AUDIO or a video with audio)
    audio_seconds: float | None = None


def _num(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


class Semantics:
    """Memoised symbolic evaluation of one API graph."""

    def __init__(
        self,
        prompt: dict[str, Any],
        resolve: Callable[[str], Path | None] | None = None,
        declared: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.prompt = prompt
        self.resolve = resolve  # LoadImage value -> file, for its size and content
        # (class_type, input) -> is it in the node's schema? A real server never passes an
        # undeclared input to the node, so it cannot change the output (e.g. a cache-bust token).
        self.declared = declared
        self._memo: dict[str, Stream] = {}

    def key(self, node_id: str) -> str:
        return self.stream(node_id).key

    def linked(self, node_id: str, name: str) -> Stream | None:
        value = (self.prompt[node_id].get("inputs") or {}).get(name)
        if isinstance(value, list) and len(value) == 2 and str(value[0]) in self.prompt:
            return self.stream(str(value[0]), int(value[1]) if isinstance(value[1], int) else 0)
        return None

    def stream(self, node_id: str, slot: int = 0, _depth: int = 0) -> Stream:
        memo_key = f"{node_id}:{slot}"
        if memo_key in self._memo:
            return self._memo[memo_key]
        if _depth > 500:
            raise RecursionError("graph too deep or cyclic")
        self._memo[memo_key] = Stream(key="cycle")  # guards cycles; replaced below
        node = self.prompt[node_id]
        class_type = node.get("class_type", "")
        inputs = node.get("inputs") or {}
        literal: dict[str, Any] = {}
        ups: dict[str, Stream] = {}
        for name in sorted(inputs):
            value = inputs[name]
            if isinstance(value, list) and len(value) == 2 and str(value[0]) in self.prompt:
                ups[name] = self.stream(
                    str(value[0]), value[1] if isinstance(value[1], int) else 0, _depth + 1
                )
            elif name not in _IGNORED_INPUTS and (self.declared is None or self.declared(class_type, name)):
                literal[name] = value
        key = _hash([class_type, slot, literal, {n: s.key for n, s in ups.items()}])
        result = self._apply(class_type, inputs, ups, Stream(key=key), slot)
        self._memo[memo_key] = result
        return result

    def _apply(
        self, class_type: str, inputs: dict[str, Any], ups: dict[str, Stream], base: Stream, slot: int
    ) -> Stream:
        main = next((ups[n] for n in _MAIN_INPUTS if n in ups), None)
        if main is None and ups:
            main = next(iter(ups.values()))
        out = base
        if main is not None:
            out = replace(main, key=base.key)
        loader = FILE_FINGERPRINTS.get(class_type) if class_type != "LoadLatent" else None  # media files
        if loader is not None and self.resolve is not None:
            path = self.resolve(str(inputs.get(loader, "")))
            if path is not None:  # the file's bytes are part of the key: other media, other pixels
                return _loaded(class_type, path, replace(out, key=_hash([base.key, _file_digest(path)])))
        if class_type in _LATENT_SOURCES or ("width" in inputs and "height" in inputs and main is None):
            frames = inputs.get("length", inputs.get("batch_size", 1))
            out = replace(
                out,
                width=int(_num(inputs.get("width"), out.width)),
                height=int(_num(inputs.get("height"), out.height)),
                frames=max(1, int(_num(frames, 1))),
            )
            if class_type == "EmptyImage":
                out = replace(out, color=int(_num(inputs.get("color"), 0)))
        elif class_type in ("LTXVLatentUpsampler",):
            out = replace(out, width=out.width * 2, height=out.height * 2)
        elif class_type in ("ImageScale", "LatentUpscale") and main is not None:
            w, h = int(_num(inputs.get("width"), 0)), int(_num(inputs.get("height"), 0))
            out = replace(out, width=w or out.width, height=h or out.height)
        elif class_type == "ImageCrop" and main is not None:  # nodes.py ImageCrop.crop: clamped to the image
            x = min(int(_num(inputs.get("x"), 0)), out.width - 1)
            y = min(int(_num(inputs.get("y"), 0)), out.height - 1)
            w, h = int(_num(inputs.get("width"), out.width)), int(_num(inputs.get("height"), out.height))
            out = replace(
                out, key=_hash([out.key, x, y]), width=min(w, out.width - x), height=min(h, out.height - y)
            )
        elif (
            class_type == "ImagePadForOutpaint" and main is not None
        ):  # nodes.py ImagePadForOutpaint.expand_image
            pads = [int(_num(inputs.get(side), 0)) for side in ("left", "right", "top", "bottom")]
            out = replace(out, width=out.width + pads[0] + pads[1], height=out.height + pads[2] + pads[3])
        elif class_type in ("ImageScaleBy", "LatentUpscaleBy") and main is not None:
            s = _num(inputs.get("scale_by"), 1.0)
            out = replace(out, width=max(1, round(out.width * s)), height=max(1, round(out.height * s)))
        elif class_type == "CreateVideo":
            images = ups.get("images", main or base)
            audio = ups.get("audio")
            out = replace(
                images,
                key=base.key,
                fps=_num(inputs.get("fps"), 24.0),
                audio_key=audio.key if audio else None,
                audio_seconds=audio.audio_seconds if audio else None,
            )
            return out
        elif class_type == "LTXVEmptyLatentAudio":
            rate = _num(inputs.get("frame_rate"), 25.0) or 25.0
            out = replace(out, audio_key=base.key, audio_seconds=_num(inputs.get("frames_number"), 97) / rate)
        if "frame_rate" in inputs and not isinstance(inputs["frame_rate"], list):
            out = replace(out, fps=_num(inputs["frame_rate"], out.fps) or out.fps)
        # Audio: anything downstream of an audio source carries its key (e.g. the AUDIO decoder).
        if out.audio_key is None:
            for stream in ups.values():
                if stream.audio_key is not None:
                    out = replace(out, audio_key=base.key, audio_seconds=stream.audio_seconds)
                    break
        elif class_type not in ("LTXVEmptyLatentAudio",):
            out = replace(out, audio_key=base.key)
        return out


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _loaded(class_type: str, path: Path, out: Stream) -> Stream:
    """Geometry of a loaded file: an image is one frame; a video its size, frames, fps and audio."""
    facts = _probe(path)
    if class_type == "LoadAudio":
        return replace(out, audio_key=out.key, audio_seconds=facts.get("seconds"))
    width, height = facts.get("width", 64), facts.get("height", 64)
    if class_type != "LoadVideo":
        return replace(out, width=width, height=height, frames=1)
    fps = facts.get("fps") or out.fps
    return replace(
        out,
        width=width,
        height=height,
        frames=max(1, int(facts.get("frames") or 1)),
        fps=fps,
        audio_key=out.key if facts.get("audio") else None,
        audio_seconds=facts.get("seconds") if facts.get("audio") else None,
    )


def _probe(path: Path) -> dict[str, Any]:
    """Size, frame count, fps, duration and audio presence from the container (PyAV); {} if unreadable."""
    try:
        import av

        with av.open(str(path)) as container:
            facts: dict[str, Any] = {"audio": bool(container.streams.audio)}
            if container.duration:
                facts["seconds"] = container.duration / 1_000_000
            if container.streams.video:
                stream = container.streams.video[0]
                facts.update(width=int(stream.codec_context.width), height=int(stream.codec_context.height))
                facts["frames"] = int(stream.frames or 0) or None
                facts["fps"] = float(stream.average_rate) if stream.average_rate else None
            elif container.streams.audio and not facts.get("seconds"):
                stream = container.streams.audio[0]
                if stream.duration and stream.time_base:
                    facts["seconds"] = float(stream.duration * stream.time_base)
            return facts
    except Exception:
        return {}
