"""Input media rules, checked when a recipe loads: which model takes which input, and each file.

Paths are relative to the recipe file. Every file must exist, be non-empty and decode as its
kind with PyAV (imported lazily: ``comfyreel.compiler`` never imports ``av`` at import time).
Then: image aspect vs output size (``fit``), keyframes inside the clip and on the grid
``LTXVAddGuide`` places a single image on, a control video long enough for ``frames`` at the
recipe's fps, audio at least as long as the clip. Each broken rule is a ``Problem`` naming the
field, the file and the fix; nothing here raises.

The keyframe grid, from ComfyUI's ``comfy_extras/nodes_lt.py`` (``LTXVAddGuide``, 0.8.0):
``frame_idx`` "Negative values are counted from the end of the video" (tooltip), and
``get_latent_index`` puts a guide at latent ``(frame_idx + 7) // 8`` (time scale 8), so an image
lands exactly where asked only at frame 0, the last frame (-1), or a multiple of 8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyreel.compiler.inputs import InputFile, Kind, input_file
from comfyreel.compiler.recipe import Recipe
from comfyreel.compiler.recipe_checks import Problem

GRID = 8  # LTX's temporal compression: LTXVAddGuide's time_scale_factor

# which model families take which input (the official workflows each composition follows)
SUPPORTS: dict[str, tuple[str, ...]] = {
    "image": ("ltx2-t2v", "ltx2-t2v-distilled", "ltx23-t2v"),
    "keyframes": ("ltx23-t2v",),
    "control": ("ltx2-t2v",),
    "audio": ("ltx23-t2v",),
    "prompt_enhancer": ("ltx23-t2v",),
}
_FAMILY = {
    "ltxv-t2v": "ltxv",
    "ltx2-t2v": "ltx2",
    "ltx2-t2v-distilled": "ltx2-distilled",
    "ltx23-t2v": "ltx23",
}


@dataclass
class Media:
    """What the checks learned: the input files (graph names) and their decoded facts."""

    inputs: list[InputFile] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # field -> {width, height, frames, fps, seconds}
    keyframes: list[dict[str, Any]] = field(default_factory=list)  # resolved {frame, image, strength, role}


def check_media(
    recipe: Recipe, base_dir: Path | None, frames: int
) -> tuple[Media, list[Problem], list[Problem]]:
    """``(media, problems, warnings)`` for the recipe's input fields."""
    media = Media()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    problems += _support_problems(recipe)
    if problems:
        return media, problems, warnings
    fps = float(recipe.fps)
    base = base_dir or Path.cwd()
    wanted: list[tuple[tuple[Any, ...], str, Kind]] = []
    if recipe.image is not None:
        wanted.append((("image",), recipe.image, "image"))
    for index, key in enumerate(recipe.keyframes or []):
        wanted.append((("keyframes", index, "image"), key.image, "image"))
    if recipe.control is not None:
        wanted.append((("control", "video"), recipe.control.video, "video"))
    if recipe.audio is not None:
        wanted.append((("audio", "file"), recipe.audio.file, "audio"))
    seen: dict[str, InputFile] = {}
    for path_key, raw, kind in wanted:
        name = _dotted(path_key)
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else base / path
        problem, facts = _probe(path, kind, path_key, raw)
        if problem is not None:
            problems.append(problem)
            continue
        item = input_file(path, kind, name)
        media.facts[name] = {**facts, "name": item.name}
        if item.sha256 not in seen:
            seen[item.sha256] = item
            media.inputs.append(item)
    if problems:
        return media, problems, warnings
    for name, facts in media.facts.items():
        if facts["kind"] in ("image", "video"):
            note = _aspect_note(name, facts, recipe)
            if note is not None:
                warnings.append(note)
    if recipe.control is not None:
        problems += _control_problems(recipe, media.facts["control.video"], frames, fps)
    if recipe.audio is not None:
        problems += _audio_problems(recipe, media.facts["audio.file"], frames, fps)
    if recipe.keyframes:
        keys, key_problems = _resolve_keyframes(recipe, media, frames, fps)
        media.keyframes = keys
        problems += key_problems
    return media, problems, warnings


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _support_problems(recipe: Recipe) -> list[Problem]:
    problems = []
    family = _FAMILY.get(recipe.model, recipe.model)
    for key, models in SUPPORTS.items():
        value = getattr(recipe, key)
        if value in (None, False, []) or recipe.model in models:
            continue
        names = " or ".join(_FAMILY[m] for m in models)
        problems.append(
            Problem((key,), None, f"`{key}` is not supported by model {family}: use model {names}", names)
        )
    if recipe.audio is not None and recipe.image is None:
        problems.append(
            Problem(
                ("audio",), None, "`audio` needs a start `image` (the official ia2v graph starts from one)"
            )
        )
    if recipe.control is not None and recipe.keyframes:
        problems.append(Problem(("keyframes",), None, "`keyframes` and `control` cannot be combined (yet)"))
    if recipe.image is not None and recipe.keyframes:
        problems.append(
            Problem(("image",), None, "give the start image as keyframe `frame: 0` instead of `image`")
        )
    if recipe.prompt_enhancer and recipe.profile == "rtx4060-8gb":
        problems.append(
            Problem(
                ("prompt_enhancer",),
                True,
                "prompt_enhancer is off under profile rtx4060-8gb: the Gemma enhancer alone runs an 8 GB "
                "card "
                "out of memory (Comfy-Org/ComfyUI#13954); remove it",
            )
        )
    if recipe.fit is not None and not (recipe.image or recipe.keyframes or recipe.control):
        problems.append(
            Problem(
                ("fit",), recipe.fit, "`fit` applies to input media (image, keyframes, control): remove it"
            )
        )
    if recipe.image_strength is not None and recipe.image is None:
        problems.append(Problem(("image_strength",), recipe.image_strength, "`image_strength` needs `image`"))
    for index, lora in enumerate(recipe.loras):
        if lora.pass_ is not None and recipe.model == "ltxv-t2v":
            problems.append(
                Problem(("loras", index, "pass"), lora.pass_, "ltxv has one sampling pass: remove `pass`")
            )
    for index, key in enumerate(recipe.keyframes or []):
        if (key.frame is None) == (key.at is None):
            problems.append(
                Problem(
                    ("keyframes", index), None, "a keyframe needs exactly one of `frame` and `at`", "frame: 0"
                )
            )
    return problems


_IMAGE_FORMATS = ("png_pipe", "jpeg_pipe", "webp_pipe", "image2", "bmp_pipe", "tiff_pipe", "gif")


def _probe(path: Path, kind: Kind, key: tuple[Any, ...], raw: str) -> tuple[Problem | None, dict[str, Any]]:
    """Open *path* with PyAV as *kind*; a Problem naming the file and the fix, or the facts."""
    import av  # lazy: the compiler package must not import av at import time

    where = f"{raw} ({path})" if str(path) != raw else raw
    fixes = {
        "image": "give a PNG or JPEG image",
        "video": "give an mp4/webm/mov video",
        "audio": "give a wav/mp3/flac audio file",
    }
    if not path.is_file():
        return Problem(
            key, raw, f"{_dotted(key)}: file not found: {where} (paths are relative to the recipe file)", raw
        ), {}
    if path.stat().st_size == 0:
        return Problem(key, raw, f"{_dotted(key)}: file is empty: {where}: {fixes[kind]}", fixes[kind]), {}
    try:
        with av.open(str(path)) as container:
            fmt = container.format.name
            if kind == "audio":
                if not container.streams.audio:
                    return Problem(
                        key, raw, f"{_dotted(key)}: {where} has no audio stream: {fixes[kind]}", fixes[kind]
                    ), {}
                stream = container.streams.audio[0]
                seconds = _seconds(container, stream)
                return None, {"kind": kind, "seconds": seconds}
            if not container.streams.video:
                return Problem(
                    key,
                    raw,
                    f"{_dotted(key)}: {where} is not an {kind} (no picture): {fixes[kind]}",
                    fixes[kind],
                ), {}
            stream = container.streams.video[0]
            is_image = any(name in fmt.split(",") for name in _IMAGE_FORMATS)
            if kind == "video" and is_image:
                return Problem(
                    key, raw, f"{_dotted(key)}: {where} is an image, not a video: {fixes[kind]}", fixes[kind]
                ), {}
            first = next(container.decode(stream), None)
            if first is None:
                return Problem(
                    key, raw, f"{_dotted(key)}: {where} has no decodable frame: {fixes[kind]}", fixes[kind]
                ), {}
            facts: dict[str, Any] = {"kind": kind, "width": first.width, "height": first.height}
            if kind == "image":
                if not is_image and container.streams.audio:
                    return Problem(
                        key,
                        raw,
                        f"{_dotted(key)}: {where} is a video, not an image: {fixes[kind]}",
                        fixes[kind],
                    ), {}
                return None, facts
            fps = float(stream.average_rate or stream.guessed_rate or 0)
            frames = stream.frames or round(_seconds(container, stream) * fps)
            return None, {**facts, "fps": fps, "frames": int(frames)}
    except (av.error.FFmpegError, OSError, ValueError, StopIteration) as exc:
        return Problem(
            key, raw, f"{_dotted(key)}: {where} does not decode as {kind} ({exc}): {fixes[kind]}", fixes[kind]
        ), {}


def _seconds(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return float(container.duration or 0) / 1_000_000


def _aspect_note(name: str, facts: dict[str, Any], recipe: Recipe) -> Problem | None:
    src = facts["width"] / facts["height"]
    out = recipe.width / recipe.height
    if abs(src - out) / out <= 0.01 or recipe.fit is not None:
        return None
    key = tuple(int(p) if p.isdigit() else p for p in name.replace("[", ".").replace("]", "").split("."))
    return Problem(
        key,
        None,
        f"{name} is {facts['width']}x{facts['height']}, the output {recipe.width}x{recipe.height}: it is "
        "centre-cropped (fit: crop, the official graphs' default); set `fit: pad` or `fit: stretch` "
        "to keep it all",
        "fit: crop",
    )


def _control_problems(recipe: Recipe, facts: dict[str, Any], frames: int, fps: float) -> list[Problem]:
    problems = []
    key = ("control", "video")
    if facts["fps"] and abs(facts["fps"] - fps) / fps > 0.01:
        problems.append(
            Problem(
                key,
                recipe.control.video if recipe.control else None,
                f"control.video plays at {facts['fps']:g} fps, the recipe at {fps:g}: frames are taken "
                f"one for one, so the motion would play at the wrong speed; set `fps: {facts['fps']:g}` "
                f"or re-encode the video at {fps:g} fps",
                f"fps: {facts['fps']:g}",
            )
        )
    if facts["frames"] < frames:
        have = facts["frames"]
        shorter = max(1, ((have - 1) // GRID) * GRID + 1)
        problems.append(
            Problem(
                key,
                recipe.control.video if recipe.control else None,
                f"control.video has {have} frames, the clip needs {frames}: use a longer video or "
                f"`frames: {shorter}`",
                f"frames: {shorter}",
            )
        )
    return problems


def _audio_problems(recipe: Recipe, facts: dict[str, Any], frames: int, fps: float) -> list[Problem]:
    need = (frames - 1) / fps
    if facts["seconds"] + 1e-3 >= need:
        return []
    fit = max(1, int(facts["seconds"] * fps) // GRID * GRID + 1)
    return [
        Problem(
            ("audio", "file"),
            recipe.audio.file if recipe.audio else None,
            f"audio.file is {facts['seconds']:.2f} s long, the clip {need:.2f} s: use a longer file or "
            f"`frames: {fit}`",
            f"frames: {fit}",
        )
    ]


def _resolve_keyframes(
    recipe: Recipe, media: Media, frames: int, fps: float
) -> tuple[list[dict[str, Any]], list[Problem]]:
    keys: list[dict[str, Any]] = []
    problems: list[Problem] = []
    last = frames - 1
    for index, key in enumerate(recipe.keyframes or []):
        path = ("keyframes", index, "frame" if key.frame is not None else "at")
        at_frame = round(float(key.at or 0) * fps / GRID) * GRID
        frame = key.frame if key.frame is not None else at_frame
        position = last if frame == -1 else frame
        if not 0 <= position <= last:
            problems.append(
                Problem(
                    path,
                    key.frame if key.frame is not None else key.at,
                    f"keyframes[{index}] at frame {frame} is outside the clip (frames 0..{last}): "
                    f"use frame: {last} or frame: -1 for the last frame",
                    f"frame: {last}",
                )
            )
            continue
        if position not in (0, last) and position % GRID:
            low = position // GRID * GRID
            problems.append(
                Problem(
                    path,
                    frame,
                    f"keyframes[{index}] frame {frame} is off the 8-frame grid: LTXVAddGuide puts an image "
                    f"at latent (frame_idx + 7) // 8 (comfy_extras/nodes_lt.py), so it would land at frame "
                    f"{(position + 7) // GRID * GRID}; use frame {low} or {low + GRID}",
                    f"frame: {low}",
                )
            )
            continue
        facts = media.facts[f"keyframes[{index}].image"]
        role = "first frame" if position == 0 else ("last frame" if position == last else f"frame {position}")
        keys.append(
            {
                "frame": -1 if position == last and position else position,
                "image": facts["name"],
                "name": facts["name"],
                "strength": float(key.strength),
                "role": role,
            }
        )
    return keys, problems
