"""Pure LTX helpers: 8n+1 frame counts, size multiples and the per-model limits table.

Everything here is arithmetic on plain values (no pydantic, no I/O), so the recipe checks,
the compiler and the tests share one definition of "legal". Where a limit is a documented
guideline rather than a hard failure in ComfyUI, the comment says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FRAME_STEP = 8  # LTX's VAE compresses time 8x: a clip is 8n+1 frames
SEED_MAX = 0xFFFFFFFFFFFFFFFF  # RandomNoise / SamplerCustom noise_seed max in object_info 0.27.0
LORA_STRENGTH_MIN = -100.0  # LoraLoaderModelOnly.strength_model range in object_info 0.27.0
LORA_STRENGTH_MAX = 100.0
LORA_STRENGTH_USUAL = 2.0  # beyond +-2 a LoRA usually burns the image: a warning, not an error
FPS_MIN = 1.0  # CreateVideo.fps range in object_info 0.27.0
FPS_MAX = 120.0
STEPS_MAX = 10000  # LTXVScheduler.steps max
CFG_MAX = 100.0  # SamplerCustom / CFGGuider cfg max
MAX_LORAS = 99  # user LoRA node ids are 901..999


@dataclass(frozen=True)
class ModelSpec:
    """What one recipe `model` means: its template, its limits and its default files."""

    name: str
    template: str
    label: str
    size_multiple: int  # width/height must be a multiple of this
    size_reason: str  # why, for the error message
    min_size: int
    max_size: int
    max_frames: int  # already a legal 8n+1 count
    integer_fps: bool  # LTX-2 audio latents take an INT frame rate
    default_steps: int | None = None  # None: the graph has no steps input (fixed sigmas)
    default_cfg: float | None = None  # None: the graph has no cfg input (cfg 1)
    default_negative: str = ""  # "": the graph has no negative prompt
    default_models: dict[str, str] = field(default_factory=dict)  # slot -> file name

    @property
    def model_slots(self) -> tuple[str, ...]:
        return tuple(self.default_models)

    @property
    def uses_steps(self) -> bool:
        return self.default_steps is not None

    @property
    def uses_cfg(self) -> bool:
        return self.default_cfg is not None

    @property
    def uses_negative(self) -> bool:
        return bool(self.default_negative)


_LTX2_NEGATIVE = (
    "blurry, low quality, still frame, frames, watermark, overlay, titles, has blurbox, has subtitles"
)
_GEMMA = "gemma_3_12B_it_fp4_mixed.safetensors"  # the fp4 Gemma 3 12B every LTX-2 graph loads
_TWO_STAGE = "renders a half-size first pass whose sides must be multiples of 32, then upsamples it x2"


def _ltx2(
    name: str, label: str, *, checkpoint: str, upscaler: str, distilled_lora: str = "", **fields: Any
) -> ModelSpec:
    """An LTX-2 family spec: the two-pass geometry, integer fps and model files all its graphs share
    (the Gemma text encoder; the audio VAE read from the checkpoint itself)."""
    models = {"checkpoint": checkpoint, "text_encoder": _GEMMA, "audio_vae": checkpoint, "upscaler": upscaler}
    if distilled_lora:
        models["distilled_lora"] = distilled_lora
    return ModelSpec(
        name=name,
        template=f"{name}.json.j2",
        label=label,
        size_multiple=64,
        size_reason=_TWO_STAGE,
        min_size=128,  # half size must reach EmptyLTXVLatentVideo's min of 64
        max_size=3840,  # LTX-2 is announced for native 4K; an upper guard, not measured
        max_frames=993,  # LTXVEmptyLatentAudio.frames_number max is 1000 -> last 8n+1
        integer_fps=True,  # the audio latent takes an INT frame rate
        default_models=models,
        **fields,
    )


MODELS: dict[str, ModelSpec] = {
    "ltxv-t2v": ModelSpec(
        name="ltxv-t2v",
        template="ltxv-t2v.json.j2",
        label="LTX-Video 0.9 text-to-video",
        size_multiple=32,
        size_reason="the LTX VAE compresses space 32x",
        min_size=64,  # EmptyLTXVLatentVideo min
        # LTX-Video's model card: "works best on resolutions under 720 x 1280 and
        # number of frames below 257". Guidelines turned into limits.
        max_size=1280,
        max_frames=257,
        integer_fps=False,
        default_steps=30,
        default_cfg=3.0,
        default_negative=(
            "low quality, worst quality, deformed, distorted, disfigured, motion smear, "
            "motion artifacts, fused fingers, bad anatomy, weird hand, ugly"
        ),
        default_models={
            "checkpoint": "ltx-video-2b-v0.9.safetensors",
            "text_encoder": "t5xxl_fp16.safetensors",
        },
    ),
    "ltx2-t2v": _ltx2(
        "ltx2-t2v",
        "LTX-2 19B text-to-video (dev, two passes)",
        checkpoint="ltx-2-19b-dev-fp8.safetensors",
        upscaler="ltx-2-spatial-upscaler-x2-1.0.safetensors",
        distilled_lora="ltx-2-19b-distilled-lora-384.safetensors",
        default_steps=20,
        default_cfg=4.0,
        default_negative=_LTX2_NEGATIVE,
    ),
    # no steps, cfg or negative: the official graph feeds the positive prompt to both sides (cfg 1)
    "ltx2-t2v-distilled": _ltx2(
        "ltx2-t2v-distilled",
        "LTX-2 19B distilled text-to-video (fixed 8+3 step sigmas, cfg 1)",
        checkpoint="ltx-2-19b-distilled.safetensors",
        upscaler="ltx-2-spatial-upscaler-x2-1.0.safetensors",
    ),
    # no steps or cfg: fixed ManualSigmas and cfg 1 in both passes, as the official graph
    "ltx23-t2v": _ltx2(
        "ltx23-t2v",
        "LTX-2.3 22B text-to-video (dev + distilled LoRA, fixed sigmas)",
        checkpoint="ltx-2.3-22b-dev-fp8.safetensors",
        upscaler="ltx-2.3-spatial-upscaler-x2-1.1.safetensors",
        distilled_lora="ltx_2.3_22b_distilled_1.1_lora_dynamic_fro09_avg_rank_111_bf16.safetensors",
        default_negative="pc game, console game, video game, cartoon, childish, ugly",
    ),
}

MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def is_legal_frames(frames: int) -> bool:
    """True for 8n+1 frame counts (1, 9, 17, ..., 49, ...)."""
    return frames >= 1 and (frames - 1) % FRAME_STEP == 0


def nearest_legal_frames(frames: float) -> int:
    """The 8n+1 count closest to *frames* (ties go up); never below 1."""
    n = math.floor((frames - 1) / FRAME_STEP + 0.5)
    return max(0, n) * FRAME_STEP + 1


def legal_frames_around(frames: int) -> tuple[int, int]:
    """The legal counts just below and just above *frames* (equal when it is legal)."""
    low = max(1, ((frames - 1) // FRAME_STEP) * FRAME_STEP + 1)
    high = low if is_legal_frames(frames) else low + FRAME_STEP
    return low, high


def frames_for_seconds(seconds: float, fps: float) -> tuple[int, float]:
    """The frame count for *seconds* at *fps* by the usual "seconds x fps + 1" rule, snapped to 8n+1.

    Returns ``(frames, wanted)`` where *wanted* is the unsnapped ``seconds * fps + 1``; the
    two are equal only when ``seconds * fps`` is a multiple of 8.
    """
    wanted = seconds * fps + 1
    return nearest_legal_frames(wanted), wanted


def duration(frames: int, fps: float) -> float:
    """Playing time of *frames* at *fps*, in seconds."""
    return frames / fps


def multiples_around(value: int, step: int) -> tuple[int, int]:
    """The multiples of *step* just below and just above *value*."""
    low = (value // step) * step
    return low, low + step


def max_frames_within(budget: int, width: int, height: int) -> int:
    """The largest 8n+1 count whose width x height x frames stays within *budget* (at least 1)."""
    most = budget // max(1, width * height)
    if most < 1:
        return 1
    return ((most - 1) // FRAME_STEP) * FRAME_STEP + 1
