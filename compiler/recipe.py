"""The recipe model: Pydantic v2 classes for a recipe file, and its JSON Schema.

Pydantic checks *shape* here (types, required fields, unknown fields, known model and
profile names). The LTX value rules (8n+1 frames, size multiples, ranges) live in
``recipe_checks.py`` so every broken value gets a message naming the legal one; their
ranges still appear in the JSON Schema for editors. Never call ``Recipe.model_validate``
on user input directly: ``loader.load_recipe`` turns pydantic errors into ``RecipeError``.
"""

from __future__ import annotations

from typing import Any, Literal

from comfyreel.compiler import ltx_rules
from pydantic import BaseModel, ConfigDict, Field

ModelName = Literal[
    "ltxv", "ltx2", "ltx2-distilled", "ltx23", "ltxv-t2v", "ltx2-t2v", "ltx2-t2v-distilled", "ltx23-t2v"
]
FitName = Literal["crop", "pad", "stretch"]
ControlKind = Literal["canny", "depth", "pose"]
ProfileName = Literal["rtx4060-8gb"]

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, populate_by_name=True)


class LoraEntry(BaseModel):
    """One user LoRA, chained with LoraLoaderModelOnly between the checkpoint and the sampler(s)."""

    model_config = _STRICT

    name: str = Field(description="LoRA file name as ComfyUI lists it under models/loras.")
    strength: float = Field(
        1.0,
        description="strength_model (LTX LoRAs are usually used at 0.5-1.5).",
        json_schema_extra={"minimum": ltx_rules.LORA_STRENGTH_MIN, "maximum": ltx_rules.LORA_STRENGTH_MAX},
    )
    pass_: Literal[1, 2] | None = Field(
        None,
        alias="pass",
        description="Two-pass graphs only: apply this LoRA to pass 1 or pass 2 alone (default: both).",
    )


class Keyframe(BaseModel):
    """One guide image at a frame of the clip (LTXVAddGuide): first/last frame and in-between."""

    model_config = _STRICT

    image: str = Field(description="Image file (PNG/JPEG/...), relative to the recipe file.")
    frame: int | None = Field(
        None, description="Frame index: 0 = first, -1 = last; others must be a multiple of 8 (see README)."
    )
    at: float | None = Field(None, description="Or the time in seconds (snapped to the 8-frame grid).")
    strength: float = Field(
        0.7, ge=0, le=1, description="Guide strength 0..1 (official first/last-frame graph: 0.7)."
    )


class Control(BaseModel):
    """IC-LoRA control: a canny/depth/pose video steers the motion (LTX-2)."""

    model_config = _STRICT

    kind: ControlKind = Field(
        description="canny (core Canny node), depth (Lotus depth) or pose (your pose video)."
    )
    video: str = Field(description="Control video file, relative to the recipe file; at least `frames` long.")
    strength: float = Field(1.0, ge=0, le=1, description="Guide strength 0..1 (official: 1.0).")
    lora: str | None = Field(None, description="The IC-LoRA file (default: the official one for the kind).")


class Audio(BaseModel):
    """An audio track the video is generated to (audio-to-video / lip-sync, LTX-2.3)."""

    model_config = _STRICT

    file: str = Field(
        description="Audio file (wav/mp3/flac/...), relative to the recipe file; >= seconds long."
    )


class ModelFiles(BaseModel):
    """File names of the weights; unset slots take the model's (or profile's) defaults."""

    model_config = _STRICT

    checkpoint: str | None = Field(None, description="models/checkpoints file (CheckpointLoaderSimple).")
    text_encoder: str | None = Field(
        None,
        description="models/text_encoders file (CLIPLoader for LTX-Video, LTXAVTextEncoderLoader for LTX-2).",
    )
    audio_vae: str | None = Field(None, description="LTX-2 only: checkpoint holding the audio VAE.")
    upscaler: str | None = Field(
        None, description="LTX-2 only: models/latent_upscale_models file (x2 spatial)."
    )
    distilled_lora: str | None = Field(
        None, description="ltx2-t2v / ltx23-t2v only: the distilled LoRA used by the second pass."
    )


class CheckTolerances(BaseModel):
    """Per-recipe limits for `comfyreel check` (unset keys keep golden.json's or the defaults).

    The names mirror ``comfyreel.checks.tolerances.Tolerances`` (a test keeps them equal);
    they are declared here too so a typo fails when the recipe loads, not after a render.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    min_ssim: float | None = Field(None, ge=0, le=1, description="Every frame's SSIM must reach this.")
    min_mean_ssim: float | None = Field(None, ge=0, le=1, description="The clip's mean SSIM must reach this.")
    min_psnr_db: float | None = Field(None, ge=0, description="Every frame's PSNR (dB) must reach this.")
    max_delta_e: float | None = Field(
        None, ge=0, description="Max mean colour difference (CIEDE2000) of any frame."
    )
    max_motion_diff: float | None = Field(
        None, ge=0, description="Max relative difference of the frame-to-frame change profile."
    )
    max_flicker: float | None = Field(
        None, ge=0, description="Max brightness jump between frames the golden lacks (8-bit levels)."
    )
    frame_count_delta: int | None = Field(None, ge=0, description="Allowed |actual - golden| frames.")
    fps_rel: float | None = Field(None, ge=0, description="Allowed relative fps difference.")
    duration_s: float | None = Field(None, ge=0, description="Allowed duration difference, seconds.")
    audio_required: bool | None = Field(None, description="Audio in the golden must be in the output.")
    audio_spectrum_db: float | None = Field(None, ge=0, description="Max mean band-energy difference, dB.")
    codec_must_match: bool | None = Field(None, description="A different video codec is a regression.")
    analysis_size: int | None = Field(None, ge=0, description="Longest side of compared frames (0: full).")
    worst_frames: int | None = Field(None, ge=0, description="How many worst frames to report.")


class CheckSettings(BaseModel):
    """How `comfyreel check` and the pytest plugin judge this recipe's outputs."""

    model_config = ConfigDict(extra="forbid")

    tolerances: CheckTolerances = Field(default_factory=CheckTolerances)


class Recipe(BaseModel):
    """A reproducible text-to-video render: one model, one prompt, exact settings."""

    model_config = ConfigDict(
        **_STRICT,
        title="comfyreel recipe",
        json_schema_extra={
            "$comment": "Generated by `comfyreel schema`; LTX rules are checked by the loader."
        },
    )

    schema_: str | None = Field(None, alias="$schema", description="Optional JSON Schema URL for editors.")
    name: str | None = Field(None, description="Short name; defaults to the recipe file's stem.")
    model: ModelName = Field(
        description="Weights family: ltxv, ltx2, ltx2-distilled, ltx23 (the *-t2v names are aliases); "
        "the inputs (image, keyframes, control, audio) decide the graph."
    )
    prompt: str = Field(description="Positive prompt; passed to the graph byte-exact.")
    negative_prompt: str | None = Field(
        None,
        description="Negative prompt (default: the official template's). Not used by ltx2-t2v-distilled.",
    )
    seconds: float | None = Field(
        None,
        description="Duration; frames = seconds x fps + 1 snapped to 8n+1 (a warning says the real length). "
        "Give exactly one of seconds and frames.",
        json_schema_extra={"exclusiveMinimum": 0},
    )
    frames: int | None = Field(
        None,
        description="Exact frame count; must be 8n+1 (9, 17, ..., 49, ..., 97, 121).",
        json_schema_extra={"minimum": 1},
    )
    fps: float = Field(
        24.0,
        description="Frames per second (a whole number for LTX-2 models).",
        json_schema_extra={"minimum": ltx_rules.FPS_MIN, "maximum": ltx_rules.FPS_MAX},
    )
    width: int = Field(
        description="Output width: a multiple of 32 (LTX-Video) or 64 (LTX-2, two passes).",
        json_schema_extra={"minimum": 64, "multipleOf": 32},
    )
    height: int = Field(
        description="Output height: a multiple of 32 (LTX-Video) or 64 (LTX-2, two passes).",
        json_schema_extra={"minimum": 64, "multipleOf": 32},
    )
    seed: int = Field(
        0,
        description="Noise seed of the first pass.",
        json_schema_extra={"minimum": 0, "maximum": ltx_rules.SEED_MAX},
    )
    steps: int | None = Field(
        None,
        description="Sampling steps (ltxv-t2v, ltx2-t2v only; the others use fixed sigmas).",
        json_schema_extra={"minimum": 1, "maximum": ltx_rules.STEPS_MAX},
    )
    cfg: float | None = Field(
        None,
        description="Classifier-free guidance (ltxv-t2v, ltx2-t2v first pass only).",
        json_schema_extra={"minimum": 0, "maximum": ltx_rules.CFG_MAX},
    )
    loras: list[LoraEntry] = Field(default_factory=list, description="Model-only LoRAs, applied in order.")
    models: ModelFiles = Field(
        default_factory=ModelFiles, description="Weight file names (defaults per model)."
    )
    profile: ProfileName | None = Field(None, description="Hardware profile, e.g. rtx4060-8gb.")
    inventory: list[str] | None = Field(
        None,
        description="Model files known to exist on the target server; the validator checks names against it.",
    )
    template: str | None = Field(
        None, description="Path to your own .json.j2 template (relative to the recipe); runs sandboxed."
    )
    filename_prefix: str | None = Field(
        None, description="SaveVideo filename_prefix; defaults to 'comfyreel/<name>'."
    )
    check: CheckSettings | None = Field(
        None, description="Golden-comparison tolerances for this recipe (see `comfyreel check`)."
    )
    matrix: dict[str, list[Any]] | None = Field(
        None,
        description="Variants: field (dotted for nested, e.g. loras.0.strength) -> list of values; "
        "`comfyreel batch` renders the cross product, each named NAME@key=value,...",
    )
    image: str | None = Field(None, description="Start image: image-to-video (relative to the recipe file).")
    image_strength: float | None = Field(
        None,
        ge=0,
        le=1,
        description="How strongly the start image holds (0..1; default as the official graph).",
    )
    keyframes: list[Keyframe] | None = Field(
        None, description="Guide images at frames (first/last frame and in-between; LTX-2.3)."
    )
    control: Control | None = Field(None, description="IC-LoRA control video (canny/depth/pose; LTX-2).")
    audio: Audio | None = Field(None, description="Audio to generate the video to (LTX-2.3, with `image`).")
    size_policy: Literal["exact", "crop", "pad"] = Field(
        "exact",
        description="A width/height off the model's grid (LTX-2: multiples of 64, so 1280x720): exact "
        "refuses it; crop renders the next grid size up and centre-crops the frames; pad renders the next "
        "grid size down and letterboxes (grey bars). The size must be a multiple of 8.",
    )
    fit: FitName | None = Field(
        None,
        description="How input media meet the output size when aspects differ: crop (centre; the official "
        "graphs' choice, default), pad (letterbox) or stretch.",
    )
    prompt_enhancer: bool = Field(
        False,
        description="Rewrite the prompt with the Gemma enhancer (TextGenerateLTX2Prompt) first; LTX-2.3 "
        "only, needs a ComfyUI that has the node; refused under rtx4060-8gb (it alone exhausts 8 GB).",
    )


def field_names(model: type[BaseModel]) -> list[str]:
    """The names a user may write for *model*'s fields (aliases where set)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def recipe_json_schema() -> dict[str, Any]:
    """The JSON Schema of a recipe file (for ``comfyreel schema`` and editor completion)."""
    schema = Recipe.model_json_schema(by_alias=True)
    schema["oneOf"] = [{"required": ["seconds"]}, {"required": ["frames"]}]  # exactly one duration
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
