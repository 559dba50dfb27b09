"""Output nodes of the fake: real files under the output dir and the UI dict ComfyUI reports.

File names follow ComfyUI's `get_save_image_path`: `<prefix>_00001_.<ext>`, the counter continuing
after the highest existing one, the subfolder taken from the prefix, and a prefix that leaves the
output folder fails the node. UI shapes are the recorded ones: SaveImage → `images`, SaveVideo →
`images` + `animated: [true]`, SaveAudio → `audio`; custom output nodes report under the key given
in `ui_keys` (e.g. VHS_VideoCombine → `gifs`). From the 0.3.64 source: SaveAnimatedWEBP and
SaveAnimatedPNG write ONE animated file (`images` + `animated`), SaveLatent a `.latent` file under
`latents`, and outputs that are no file at all: PreviewAny `text: [str]`, Preview3D
`result: [model_file, camera_info]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

from comfyreel.fake import media
from comfyreel.fake.faults import Faults
from comfyreel.fake.semantics import Semantics, Stream

DEFAULT_UI_KEYS = {"VHS_VideoCombine": "gifs"}
#: Render budget (width x height x frames). Beyond it the fake fails like a GPU would (CUDA OOM)
#: instead of spending minutes encoding: 1.5e9 is ~2x a 1920x1080x257 LTX-2 render.
MAX_PIXELS = 1_500_000_000
_IMAGE_INPUTS = ("images", "image", "frames", "pixels")


class SaveError(Exception):
    """A node-level failure while saving (reported as execution_error)."""

    def __init__(self, exception_type: str, message: str) -> None:
        super().__init__(message)
        self.exception_type = exception_type
        self.message = message


def next_counter(folder: Path, filename: str) -> int:
    """ComfyUI's counter: 1 + the highest `<filename>_<digits>_` already in *folder*."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return 1
    best = 0
    pattern = re.compile(re.escape(filename) + r"_(\d+)_")
    for name in names:
        match = pattern.match(name)
        if match:
            best = max(best, int(match.group(1)))
    return best + 1


def save_path(prefix: str, root: Path, width: int = 0, height: int = 0) -> tuple[Path, str, int, str]:
    """(folder, filename, counter, subfolder) for a filename_prefix, refusing to leave *root*."""
    prefix = prefix.replace("%width%", str(width)).replace("%height%", str(height))
    normalised = os.path.normpath(prefix)
    subfolder = os.path.dirname(normalised)
    filename = os.path.basename(normalised)
    folder = Path(os.path.abspath(os.path.join(root, subfolder)))
    root_abs = os.path.abspath(root)
    if os.path.commonpath((root_abs, str(folder))) != root_abs or not filename:
        raise SaveError(
            "Exception",
            "**** ERROR: Saving image outside the output folder is not allowed."
            f"\n full_output_folder: {folder}\n         output_dir: {root_abs}",
        )
    return folder, filename, next_counter(folder, filename), subfolder


class Saver:
    """Writes the files of output nodes and returns their UI dicts."""

    def __init__(
        self,
        output_dir: Path,
        temp_dir: Path,
        ui_keys: dict[str, str] | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.faults = faults
        self.output_dir = output_dir
        self.temp_dir = temp_dir
        self.ui_keys = {**DEFAULT_UI_KEYS, **(ui_keys or {})}
        self.lock = asyncio.Lock()

    async def save(
        self, prompt: dict[str, Any], node_id: str, class_type: str, semantics: Semantics
    ) -> dict[str, Any] | None:
        inputs = prompt[node_id].get("inputs") or {}
        prefix = str(inputs.get("filename_prefix", "ComfyUI"))
        async with self.lock:  # counters must not race between concurrent saves
            if class_type == "SaveVideo":
                return await self._video(prefix, semantics.linked(node_id, "video"), "images", animated=True)
            if class_type in self.ui_keys:
                stream = self._first(semantics, node_id, ("images", "video", *_IMAGE_INPUTS))
                if stream is not None:
                    fps = float(inputs.get("frame_rate", stream.fps) or stream.fps)
                    audio = semantics.linked(node_id, "audio")
                    stream = Stream(
                        **{
                            **stream.__dict__,
                            "fps": fps,
                            "audio_key": audio.key if audio else stream.audio_key,
                        }
                    )
                return await self._video(prefix, stream, self.ui_keys[class_type], animated=False)
            if class_type in _ANIMATED:
                stream = self._first(semantics, node_id, ("images",))
                return await self._animated(prefix, stream, class_type, _num(inputs.get("fps"), 6.0))
            if class_type == "SaveLatent":
                return await self._latent(
                    str(inputs.get("filename_prefix", "latents/ComfyUI")), semantics, node_id
                )
            if class_type == "PreviewAny":  # comfy_extras/nodes_preview_any.py: a text, no file
                return {"text": [_preview_text(prompt, inputs.get("source"))]}
            if class_type in ("Preview3D", "Preview3DAnimation"):  # nodes_load_3d.py: no file either
                return {"result": [inputs.get("model_file", ""), None]}
            if class_type.startswith("SaveAudio"):
                return await self._audio(prefix, semantics.linked(node_id, "audio"))
            if class_type == "PreviewImage":
                stream = self._first(semantics, node_id, _IMAGE_INPUTS)
                return await self._images("ComfyUI_temp_fake", stream, self.temp_dir, "temp")
            if semantics_is_output(class_type, prompt, node_id):
                stream = self._first(semantics, node_id, _IMAGE_INPUTS)
                if stream is not None:
                    return await self._images(prefix, stream, self.output_dir, "output")
        return None

    def _noise(self) -> int:
        """``Faults.pixel_noise`` at the moment of saving (0: the exact, deterministic pixels)."""
        return self.faults.pixel_noise if self.faults is not None else 0

    def _first(self, semantics: Semantics, node_id: str, names: tuple[str, ...]) -> Stream | None:
        for name in names:
            stream = semantics.linked(node_id, name)
            if stream is not None:
                return stream
        return None

    async def _images(self, prefix: str, stream: Stream | None, root: Path, type_: str) -> dict[str, Any]:
        stream = _budget(stream or Stream(key="empty"))
        folder, filename, counter, subfolder = save_path(prefix, root, stream.width, stream.height)
        results = []
        for index in range(stream.frames):
            name = f"{filename.replace('%batch_num%', str(index))}_{counter:05}_.png"
            await asyncio.to_thread(
                media.write_png,
                folder / name,
                stream.key,
                stream.width,
                stream.height,
                index,
                stream.color,
                self._noise(),
            )
            results.append({"filename": name, "subfolder": subfolder, "type": type_})
            counter += 1
        return {"images": results}

    async def _video(self, prefix: str, stream: Stream | None, key: str, animated: bool) -> dict[str, Any]:
        stream = _budget(stream or Stream(key="empty"))
        folder, filename, counter, subfolder = save_path(prefix, self.output_dir, stream.width, stream.height)
        name = f"{filename}_{counter:05}_.mp4"
        await asyncio.to_thread(
            media.write_mp4,
            folder / name,
            stream.key,
            stream.width,
            stream.height,
            stream.frames,
            stream.fps,
            stream.audio_key,
            stream.audio_seconds,
            stream.color,
            self._noise(),
        )
        entry: dict[str, Any] = {"filename": name, "subfolder": subfolder, "type": "output"}
        if animated:
            return {key: [entry], "animated": [True]}
        entry.update({"format": "video/h264-mp4", "frame_rate": stream.fps, "fullpath": str(folder / name)})
        return {key: [entry]}

    async def _animated(
        self, prefix: str, stream: Stream | None, class_type: str, fps: float
    ) -> dict[str, Any]:
        """comfy_extras/nodes_images.py SaveAnimatedWEBP / SaveAnimatedPNG: every frame in one file;
        WEBP reports ``animated: [frames != 1]``, PNG always ``[true]``."""
        stream = _budget(stream or Stream(key="empty"))
        fmt, ext = _ANIMATED[class_type]
        folder, filename, counter, subfolder = save_path(prefix, self.output_dir, stream.width, stream.height)
        name = f"{filename}_{counter:05}_.{ext}"
        await asyncio.to_thread(
            media.write_animated,
            folder / name,
            stream.key,
            stream.width,
            stream.height,
            stream.frames,
            fps,
            fmt,
            stream.color,
        )
        animated = stream.frames != 1 if fmt == "webp" else True
        return {
            "images": [{"filename": name, "subfolder": subfolder, "type": "output"}],
            "animated": [animated],
        }

    async def _latent(self, prefix: str, semantics: Semantics, node_id: str) -> dict[str, Any]:
        """nodes.py SaveLatent: ``<prefix>_00001_.latent`` (safetensors), reported under ``latents``."""
        stream = semantics.linked(node_id, "samples") or Stream(key="empty")
        folder, filename, counter, subfolder = save_path(prefix, self.output_dir)
        name = f"{filename}_{counter:05}_.latent"
        await asyncio.to_thread(media.write_latent, folder / name, stream.key)
        return {"latents": [{"filename": name, "subfolder": subfolder, "type": "output"}]}

    async def _audio(self, prefix: str, stream: Stream | None) -> dict[str, Any]:
        stream = stream or Stream(key="empty")
        folder, filename, counter, subfolder = save_path(prefix, self.output_dir)
        name = f"{filename}_{counter:05}_.flac"
        seconds = stream.audio_seconds or max(1.0, stream.frames / (stream.fps or 24.0))
        await asyncio.to_thread(media.write_flac, folder / name, stream.audio_key or stream.key, seconds)
        return {"audio": [{"filename": name, "subfolder": subfolder, "type": "output"}]}


def _budget(stream: Stream) -> Stream:
    if stream.width * stream.height * stream.frames > MAX_PIXELS:
        from comfyreel.fake.faults import OOM_EXCEPTION_TYPE, OOM_MESSAGE

        raise SaveError(OOM_EXCEPTION_TYPE, OOM_MESSAGE)
    return stream


_ANIMATED = {"SaveAnimatedWEBP": ("webp", "webp"), "SaveAnimatedPNG": ("apng", "png")}


def _num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _preview_text(prompt: dict[str, Any], source: Any) -> str:
    """What PreviewAny shows: a string as is, a number or bool by str(), None as 'None', anything else
    as JSON. A linked source is followed to a primitive's literal ``value``; other upstream values
    (tensors, models) are named, as the fake does not compute them."""
    if isinstance(source, list) and len(source) == 2 and str(source[0]) in prompt:
        upstream = prompt[str(source[0])]
        value = (upstream.get("inputs") or {}).get("value")
        if not str(upstream.get("class_type", "")).startswith("Primitive") or isinstance(value, list):
            return f"<{upstream.get('class_type')} output {source[1]}>"
        source = value
    if source is None:
        return "None"
    if isinstance(source, str):
        return source
    if isinstance(source, (int, float, bool)):
        return str(source)
    return json.dumps(source)


def semantics_is_output(class_type: str, prompt: dict[str, Any], node_id: str) -> bool:
    """Generic image-saving output nodes (SaveImage and friends) write PNGs under `images`."""
    return class_type in ("SaveImage", "SaveImageAdvanced") or (
        class_type.startswith("Save")
        and any(n in (prompt[node_id].get("inputs") or {}) for n in _IMAGE_INPUTS)
    )


def rename_files(ui: dict[str, Any] | None, names: tuple[str, ...] | None) -> dict[str, Any] | None:
    """The UI dict with every reported file name replaced by *names* (cycled): `Faults.evil_filenames`."""
    if ui is None or not names:
        return ui
    counter = 0
    result: dict[str, Any] = {}
    for key, value in ui.items():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "filename" in value[0]:
            entries = []
            for entry in value:
                entries.append({**entry, "filename": names[counter % len(names)]})
                counter += 1
            result[key] = entries
        else:
            result[key] = value
    return result
