"""Hardware profiles: what a recipe needs to fit a given GPU (today only ``rtx4060-8gb``).

A profile changes defaults, never the user's explicit choices: file names the recipe sets
under ``models:`` win over the profile's quantised defaults. It also moves the text encoder
to the CPU where the loader node allows it, swaps the video decode for a tiled one, and
carries a frames x pixels budget that produces a warning (an error under ``--strict``).

``rtx4060-8gb`` (8 GB VRAM, assumes >= 32 GB system RAM). Sources, read in their threads:

- Comfy-Org/ComfyUI#12047: LTX-2 19B fp8 OOMs during *text encoding* (Gemma connector)
  even on 24 GB; with ``--novram`` it passes at a 6.74 GB peak. So the text encoder is the
  first wall: we load it with ``LTXAVTextEncoderLoader.device = "cpu"`` (a real combo value in
  object_info 0.27.0; ``CLIPLoader.device = "cpu"`` likewise for LTX-Video's T5).
- Lightricks/ComfyUI-LTXVideo#303: Gemma 3 12B needs ~24-27 GB unquantised; 512x512x41
  still OOMed on 16 GB. Hence the fp4 single-file ``gemma_3_12B_it_fp4_mixed`` (already the
  official default) and fp8 transformers.
- Lightricks/ComfyUI-LTXVideo#396: LTX-2 runs on 8 GB VRAM + 64 GB RAM (20 s at 25 fps,
  upscaled to 1280x704, ~1.5 h); GGUF reported more stable than fp8 there. GGUF needs the
  ComfyUI-GGUF custom nodes, which the pinned core schema does not have, so we stay on fp8.
- Comfy-Org/ComfyUI#13013: LTX VAE decode of 1344x864x121 OOMed on an RTX 5060 8 GB before
  that PR reduced VAE memory: decode is the second wall, so decode is tiled.
- Lightricks/ComfyUI-LTXVideo#471 and Comfy-Org/ComfyUI#11767: tiled decode can flicker or
  ghost between temporal tiles; Lightricks' own note suggested tile 768 / temporal 16 on
  OOM. We keep a temporal overlap of 8 frames and say so in the profile notes.
- Lightricks/LTX-2#66 (an 8 GB fork needing ~20 GB free RAM) and deepbeepmeep/Wan2GP#1393
  (system RAM, not VRAM, is often the limit): hence the RAM note.

Honesty about numbers: the budgets and tile sizes below are **estimates** drawn from those
reports, not measurements on an RTX 4060. The LTX-2 budget is 1280x704x121 (~109 M
pixel-frames, "5 s of 720p-class video"), below the 140 M decode that OOMed in #13013; #396
shows far more can finish with 64 GB RAM, at hours per clip. The LTX-Video 0.9 budget is
768x512x121 (~48 M), the official template's size with 121 frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from comfyreel.compiler import ltx_rules


@dataclass(frozen=True)
class TiledDecode:
    """VAEDecodeTiled settings (pixels for tile/overlap, frames for the temporal pair)."""

    tile_size: int
    overlap: int
    temporal_size: int
    temporal_overlap: int

    def as_dict(self) -> dict[str, int]:
        return {
            "tile_size": self.tile_size,
            "overlap": self.overlap,
            "temporal_size": self.temporal_size,
            "temporal_overlap": self.temporal_overlap,
        }


# The official templates' own decode settings, used when no profile asks for less.
OFFICIAL_DECODE: dict[str, TiledDecode | None] = {
    "ltxv-t2v": None,  # plain VAEDecode in ltxv_text_to_video.json
    "ltx2-t2v": TiledDecode(512, 64, 4096, 8),
    "ltx2-t2v-distilled": TiledDecode(512, 64, 4096, 8),
    "ltx23-t2v": TiledDecode(768, 64, 4096, 4),
}


@dataclass(frozen=True)
class Profile:
    """A named bundle of defaults and limits for one class of GPU."""

    name: str
    description: str
    text_encoder_device: str  # "default" or "cpu" (the loader nodes' device combo)
    decode: TiledDecode | None  # None: keep the model's official decode
    model_defaults: dict[str, dict[str, str]] = field(default_factory=dict)  # model -> slot -> file
    budgets: dict[str, int] = field(default_factory=dict)  # model -> max width*height*frames
    notes: tuple[str, ...] = ()

    def budget_warning(self, model: str, width: int, height: int, frames: int) -> str | None:
        """A warning when width x height x frames is over this profile's budget for *model*."""
        budget = self.budgets.get(model)
        used = width * height * frames
        if budget is None or used <= budget:
            return None
        fit = ltx_rules.max_frames_within(budget, width, height)
        return (
            f"{width}x{height} x {frames} frames = {used / 1e6:.1f}M pixel-frames is over the "
            f"{self.name} budget of ~{budget / 1e6:.0f}M (an estimate): expect out-of-memory; "
            f"at {width}x{height} use at most {fit} frames, or lower the resolution"
        )


_LTX2_BUDGET = 1280 * 704 * 121
PROFILES: dict[str, Profile] = {
    "rtx4060-8gb": Profile(
        name="rtx4060-8gb",
        description="8 GB VRAM (RTX 4060 class) with >= 32 GB system RAM",
        text_encoder_device="cpu",
        decode=TiledDecode(tile_size=512, overlap=64, temporal_size=16, temporal_overlap=8),
        model_defaults={
            "ltxv-t2v": {"text_encoder": "t5xxl_fp8_e4m3fn.safetensors"},
            "ltx2-t2v-distilled": {
                "checkpoint": "ltx-2-19b-distilled-fp8.safetensors",
                "audio_vae": "ltx-2-19b-distilled-fp8.safetensors",
            },
            # ltx2-t2v and ltx23-t2v: the official defaults are already fp8 + fp4 Gemma.
        },
        budgets={
            "ltxv-t2v": 768 * 512 * 121,
            "ltx2-t2v": _LTX2_BUDGET,
            "ltx2-t2v-distilled": _LTX2_BUDGET,
            "ltx23-t2v": _LTX2_BUDGET,
        },
        notes=(
            "start ComfyUI with --lowvram (or --novram if text encoding still OOMs; Comfy-Org/ComfyUI#12047)",
            "keep >= 32 GB system RAM free: weights are offloaded there (Lightricks/LTX-2#66)",
            "tiled decode may ghost between temporal tiles; raise temporal_size if you have headroom",
        ),
    ),
}

PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)


def get_profile(name: str | None) -> Profile | None:
    """The profile called *name* (None for none); unknown names are caught by the recipe model."""
    return PROFILES[name] if name is not None else None


def decode_settings(model: str, profile: Profile | None) -> TiledDecode | None:
    """The tiled-decode settings for *model* (None means a plain VAEDecode)."""
    if profile is not None and profile.decode is not None:
        return profile.decode
    return OFFICIAL_DECODE.get(model)


def model_files(model: str, profile: Profile | None, explicit: dict[str, str | None]) -> dict[str, str]:
    """Default files for *model*, overlaid with the profile's, overlaid with the recipe's own."""
    spec = ltx_rules.MODELS[model]
    files = dict(spec.default_models)
    if profile is not None:
        files.update(profile.model_defaults.get(model, {}))
    files.update({slot: name for slot, name in explicit.items() if name is not None})
    return files
