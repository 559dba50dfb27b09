"""The LTX value rules for a recipe: every broken value gets a message naming a legal one.

Checks run on the parsed mapping (not only on a validated ``Recipe``) so one pass reports
every problem, including ones beside a type error; fields that pydantic already rejected
are skipped to avoid a second message about the same value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from comfyreel.compiler import ltx_rules, profiles
from comfyreel.compiler.output_size import OUTPUT_SIZE_MULTIPLE

Path = tuple[str | int, ...]
_SAFE_NAME = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]*$")  # no "..": ComfyUI's /view refuses it


@dataclass
class Problem:
    """One broken rule: where (path), what was there, what is wrong, and what would be legal."""

    path: Path
    value: Any
    message: str
    fix: str | None = None
    line: int | None = None

    @property
    def field(self) -> str:
        return dotted(self.path)

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, (dict, list)):  # never serialise user containers (YAML aliases nest)
            value = f"a {type(value).__name__} of {len(value)}"
        return {
            "field": self.field,
            "value": value,
            "message": self.message,
            "fix": self.fix,
            "line": self.line,
        }


@dataclass
class CheckResult:
    """Problems (errors), warnings (still compilable), and the resolved frame count."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    frames: int | None = None


def dotted(path: Path) -> str:
    """``("loras", 0, "strength")`` -> ``"loras[0].strength"``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "<recipe>"


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def safe_name(text: str) -> str:
    """A file-name-safe version of *text* (used for the default recipe name)."""
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "-", text)).strip("-.")
    return cleaned or "recipe"


def check_recipe(data: Mapping[str, Any], *, skip: frozenset[str] = frozenset()) -> CheckResult:
    """Apply every LTX rule to the recipe mapping *data*; fields in *skip* are left alone."""
    result = CheckResult()
    model = data.get("model")
    spec = ltx_rules.MODELS.get(model) if isinstance(model, str) and "model" not in skip else None

    def get(key: str, kind: Any = _num) -> Any:
        value = data.get(key)
        return value if key not in skip and value is not None and kind(value) else None

    def error(path: Path, value: Any, message: str, fix: str | None = None) -> None:
        result.problems.append(Problem(path, value, message, fix))

    _check_text(data, skip, error)
    fps = _check_fps(get("fps"), spec, error) if "fps" in data else 24.0
    if fps is None:
        fps = 24.0
    _check_duration(data, get, spec, fps, result, error)
    policy = data.get("size_policy") if data.get("size_policy") in ("crop", "pad") else "exact"
    for key in ("width", "height"):
        value = get(key, _int)
        if value is not None and spec is not None:
            _check_size(key, value, spec, error, policy)
    seed = get("seed", _int)
    if seed is not None and not 0 <= seed <= ltx_rules.SEED_MAX:
        error(
            ("seed",),
            seed,
            f"seed {seed} is out of range: use 0..{ltx_rules.SEED_MAX}",
            f"0..{ltx_rules.SEED_MAX}",
        )
    if spec is not None:
        _check_sampling(data, get, spec, error)
        _check_model_files(data, skip, spec, error)
    _check_loras(data, skip, result, error)
    if spec is not None and result.frames is not None:
        profile = profiles.get_profile(data.get("profile")) if "profile" not in skip else None
        width, height = get("width", _int), get("height", _int)
        if profile is not None and width and height:
            text = profile.budget_warning(spec.name, width, height, result.frames)
            if text:
                result.warnings.append(Problem(("profile",), profile.name, text))
    return result


def _check_text(data: Mapping[str, Any], skip: frozenset[str], error: Any) -> None:
    prompt = data.get("prompt")
    if "prompt" not in skip and isinstance(prompt, str) and not prompt.strip():
        error(("prompt",), prompt, "prompt is empty: describe the scene", "a non-empty prompt")
    name = data.get("name")
    if "name" not in skip and isinstance(name, str) and not _SAFE_NAME.match(name):
        fix = safe_name(name)
        error(
            ("name",),
            name,
            (
                f"name {name!r} holds '..', which ComfyUI's /view refuses in output names: use {fix!r}"
                if ".." in name
                else f"name {name!r} may only use letters, digits, '.', '_' and '-': use {fix!r}"
            ),
            fix,
        )
    for key in ("template", "filename_prefix"):
        value = data.get(key)
        if key not in skip and isinstance(value, str) and not value.strip():
            error((key,), value, f"{key} is empty: remove it or give a value")
    prefix = data.get("filename_prefix")
    if "filename_prefix" not in skip and isinstance(prefix, str) and prefix.strip():
        parts = prefix.replace("\\", "/").split("/")
        if prefix.startswith(("/", "\\")) or ".." in parts or ":" in prefix:
            fix = "/".join(safe_name(p) for p in parts if p not in ("", "..", "."))
            error(
                ("filename_prefix",),
                prefix,
                f"filename_prefix {prefix!r} must stay inside ComfyUI's output folder: use {fix!r}",
                fix,
            )


def _check_fps(fps: Any, spec: ltx_rules.ModelSpec | None, error: Any) -> float | None:
    if fps is None:
        return None
    if not ltx_rules.FPS_MIN <= fps <= ltx_rules.FPS_MAX:
        error(
            ("fps",),
            fps,
            f"fps {_fmt(fps)} is out of range: use {ltx_rules.FPS_MIN:g}..{ltx_rules.FPS_MAX:g}",
        )
        return None
    if spec is not None and spec.integer_fps and fps != int(fps):
        near = round(fps)
        error(
            ("fps",),
            fps,
            f"fps {_fmt(fps)} must be a whole number for {spec.name} "
            f"(LTXVEmptyLatentAudio.frame_rate is an INT): use {near}",
            str(near),
        )
        return None
    return float(fps)


def _check_duration(
    data: Mapping[str, Any], get: Any, spec: Any, fps: float, result: CheckResult, error: Any
) -> None:
    has_seconds, has_frames = data.get("seconds") is not None, data.get("frames") is not None
    if has_seconds and has_frames:
        error(("frames",), data.get("frames"), "give exactly one of seconds and frames: remove one of them")
        return
    if not has_seconds and not has_frames:
        error(("seconds",), None, "missing duration: add `seconds: 2` or `frames: 49` (8n+1)", "seconds: 2")
        return
    frames = get("frames", _int)
    if frames is not None:
        if frames < 1 or not ltx_rules.is_legal_frames(frames):
            low, high = ltx_rules.legal_frames_around(max(frames, 1))
            fix = f"{low} or {high}" if frames > 1 else "1, 9 or 17"
            error(("frames",), frames, f"frames {frames} is not 8n+1: use {fix}", fix)
            return
        result.frames = frames
        path: Path = ("frames",)
    else:
        seconds = get("seconds")
        if seconds is None:
            return
        if seconds <= 0:
            error(("seconds",), seconds, f"seconds {_fmt(seconds)} must be positive: use e.g. 2", "2")
            return
        if not math.isfinite(seconds * fps):  # 1e308 s x 24 fps overflows: no frame count exists
            error(("seconds",), seconds, f"seconds {_fmt(seconds)} is far too long: use e.g. 2", "2")
            return
        frames, wanted = ltx_rules.frames_for_seconds(seconds, fps)
        if abs(wanted - frames) > 1e-9:
            low, high = ltx_rules.legal_frames_around(max(1, int(wanted)))
            result.warnings.append(
                Problem(
                    ("seconds",),
                    seconds,
                    f"seconds {_fmt(seconds)} at {fps:g} fps gives {wanted:g} frames, but LTX needs 8n+1: "
                    f"using {frames} frames ({ltx_rules.duration(frames, fps):.2f} s); "
                    f"set frames: {low} or frames: {high} to choose",
                    f"frames: {frames}",
                )
            )
        result.frames = frames
        path = ("seconds",)
    if spec is not None and result.frames is not None and result.frames > spec.max_frames:
        error(
            path,
            data.get(path[0]),
            f"{result.frames} frames is over {spec.name}'s limit of {spec.max_frames}: "
            f"use frames: {spec.max_frames} or fewer",
            str(spec.max_frames),
        )
        result.frames = None


def _check_size(key: str, value: int, spec: ltx_rules.ModelSpec, error: Any, policy: str = "exact") -> None:
    step = spec.size_multiple if policy == "exact" else OUTPUT_SIZE_MULTIPLE
    if value < spec.min_size:
        error(
            (key,),
            value,
            f"{key} {value} is below {spec.name}'s minimum of {spec.min_size}: use {spec.min_size}",
            str(spec.min_size),
        )
    elif value > spec.max_size:
        error(
            (key,),
            value,
            f"{key} {value} is over {spec.name}'s maximum of {spec.max_size}: use {spec.max_size}",
            str(spec.max_size),
        )
    elif value % step:
        low, high = ltx_rules.multiples_around(value, step)
        why = "" if step == 32 else f" ({spec.name} {spec.size_reason})"
        fix = f"{low} or {high}" if low >= spec.min_size else str(high)
        if policy == "exact" and value % OUTPUT_SIZE_MULTIPLE == 0:
            fix += " (or keep it with size_policy: crop / pad, which render on the grid and crop or pad)"
        error((key,), value, f"{key} {value} is not a multiple of {step}{why}: use {fix}", fix)


def _check_sampling(data: Mapping[str, Any], get: Any, spec: ltx_rules.ModelSpec, error: Any) -> None:
    why = "it samples fixed sigmas, as the official graph does"
    for key, used in (("steps", spec.uses_steps), ("cfg", spec.uses_cfg)):
        if data.get(key) is not None and not used:
            error((key,), data.get(key), f"{key} is not used by {spec.name} ({why}): remove it")
    if data.get("negative_prompt") is not None and not spec.uses_negative:
        error(
            ("negative_prompt",),
            data.get("negative_prompt"),
            f"negative_prompt is not used by {spec.name} "
            "(cfg 1: the prompt conditions both sides): remove it",
        )
    steps = get("steps", _int)
    if spec.uses_steps and steps is not None and not 1 <= steps <= ltx_rules.STEPS_MAX:
        error(
            ("steps",),
            steps,
            f"steps {steps} is out of range: use 1..{ltx_rules.STEPS_MAX} "
            f"(the official graph uses {spec.default_steps})",
            str(spec.default_steps),
        )
    cfg = get("cfg")
    if spec.uses_cfg and cfg is not None and not 0 <= cfg <= ltx_rules.CFG_MAX:
        error(
            ("cfg",),
            cfg,
            f"cfg {_fmt(cfg)} is out of range: use 0..{ltx_rules.CFG_MAX:g} "
            f"(the official graph uses {spec.default_cfg:g})",
            f"{spec.default_cfg:g}",
        )


def _check_model_files(
    data: Mapping[str, Any], skip: frozenset[str], spec: ltx_rules.ModelSpec, error: Any
) -> None:
    models = data.get("models")
    if "models" in skip or not isinstance(models, Mapping):
        return
    for slot, value in models.items():
        if value is None:
            continue
        if slot not in spec.model_slots:
            error(
                ("models", slot),
                value,
                f"models.{slot} is not used by {spec.name}: remove it "
                f"(its slots: {', '.join(spec.model_slots)})",
            )
        elif isinstance(value, str) and not value.strip():
            error(
                ("models", slot),
                value,
                f"models.{slot} is empty: remove it to use {spec.default_models[slot]!r}",
                spec.default_models[slot],
            )


def _check_loras(data: Mapping[str, Any], skip: frozenset[str], result: CheckResult, error: Any) -> None:
    loras = data.get("loras")
    if "loras" in skip or not isinstance(loras, list):
        return
    if len(loras) > ltx_rules.MAX_LORAS:
        error(("loras",), len(loras), f"{len(loras)} LoRAs is too many: use at most {ltx_rules.MAX_LORAS}")
    lo, hi = ltx_rules.LORA_STRENGTH_MIN, ltx_rules.LORA_STRENGTH_MAX
    for index, entry in enumerate(loras):
        if not isinstance(entry, Mapping):
            continue
        name = entry.get("name")
        if isinstance(name, str) and not name.strip():
            error(("loras", index, "name"), name, f"loras[{index}].name is empty: give the LoRA's file name")
        strength = entry.get("strength")
        if not _num(strength):
            continue
        if not lo <= strength <= hi:
            near = max(lo, min(hi, strength))
            error(
                ("loras", index, "strength"),
                strength,
                f"loras[{index}].strength {_fmt(strength)} is out of range: use {lo:g}..{hi:g}",
                f"{near:g}",
            )
        elif abs(strength) > ltx_rules.LORA_STRENGTH_USUAL:
            result.warnings.append(
                Problem(
                    ("loras", index, "strength"),
                    strength,
                    f"loras[{index}].strength {_fmt(strength)} is unusually strong (LTX LoRAs are usually "
                    "used at 0.5-1.5): expect burnt frames",
                )
            )
