"""Which built-in composition a recipe compiles to, and the node classes each one needs.

The weights family (``model``) and the inputs a recipe gives (``image``, ``keyframes``,
``control``, ``audio``, ``prompt_enhancer``) pick one short composition of the fragment library
in ``templates/``. Each composition lists the node classes it brings in and the recipe field
that brought each one, so a server lacking a class gets a finding naming both
(``compiler/server_fit.py``).
"""

from __future__ import annotations

from comfyreel.compiler import ltx_rules
from comfyreel.compiler.profiles import TiledDecode
from comfyreel.compiler.recipe import Recipe

# template -> official workflow it follows (comfyui-workflow-templates-json 0.1.123)
FOLLOWS: dict[str, str] = {
    "ltx2-i2v.json.j2": "video_ltx2_i2v.json",
    "ltx2-distilled-i2v.json.j2": "video_ltx2_i2v_distilled.json",
    "ltx2-control.json.j2": "video_ltx2_canny_to_video.json / video_ltx2_depth_to_video.json",
    "ltx23-keyframes.json.j2": "video_ltx2_3_flf2v.json",
    "ltx23-ia2v.json.j2": "video_ltx2_3_ia2v.json",
}

# each composition's official decode when no profile asks for less (None: plain VAEDecode)
OFFICIAL_DECODE: dict[str, TiledDecode | None] = {
    "ltx2-i2v.json.j2": None,  # video_ltx2_i2v: VAEDecode
    "ltx2-distilled-i2v.json.j2": None,  # video_ltx2_i2v_distilled: VAEDecode
    "ltx2-control.json.j2": TiledDecode(512, 64, 4096, 8),  # canny/depth: VAEDecodeTiled
    "ltx23-keyframes.json.j2": TiledDecode(768, 64, 4096, 64),  # video_ltx2_3_flf2v
    "ltx23-ia2v.json.j2": TiledDecode(768, 64, 4096, 4),  # video_ltx2_3_ia2v
}

# the official graph's own weights where a composition differs from the family's t2v defaults
# (video_ltx2_3_flf2v runs the distilled checkpoint alone, no distilled LoRA)
DEFAULT_FILES: dict[str, dict[str, str]] = {
    "ltx23-keyframes.json.j2": {
        "checkpoint": "ltx-2.3-22b-distilled-fp8.safetensors",
        "audio_vae": "ltx-2.3-22b-distilled-fp8.safetensors",
    },
}

# recipe field -> the node classes it brings into a graph
FIELD_CLASSES: dict[str, tuple[str, ...]] = {
    "image": ("LoadImage", "ResizeImageMaskNode", "LTXVPreprocess", "LTXVImgToVideoInplace"),
    "keyframes": ("LoadImage", "ResizeImageMaskNode", "LTXVPreprocess", "LTXVAddGuide", "LTXVCropGuides"),
    "control": ("LoadVideo", "GetVideoComponents", "ImageFromBatch", "LTXVAddGuide", "LTXVCropGuides"),
    "control.kind=canny": ("Canny",),
    "control.kind=depth": (
        "UNETLoader",
        "VAELoader",
        "LotusConditioning",
        "DisableNoise",
        "BasicGuider",
        "BasicScheduler",
        "SetFirstSigma",
        "VAEEncode",
        "ImageInvert",
    ),
    "control.kind=pose": (),
    "audio": ("LoadAudio", "TrimAudioDuration", "LTXVAudioVAEEncode", "SolidMask", "SetLatentNoiseMask"),
    "prompt_enhancer": ("TextGenerateLTX2Prompt",),
    "fit=pad": ("ResizeAndPadImage",),
    "profile": ("VAEDecodeTiled",),
}


def template_name(recipe: Recipe) -> str:
    """The built-in template file for *recipe*'s model and inputs."""
    model = recipe.model
    if model == "ltx23-t2v" and recipe.audio is not None:
        return "ltx23-ia2v.json.j2"
    if model == "ltx23-t2v" and (recipe.keyframes or recipe.image is not None):
        return "ltx23-keyframes.json.j2"
    if model == "ltx2-t2v" and recipe.control is not None:
        return "ltx2-control.json.j2"
    if recipe.image is not None and model == "ltx2-t2v":
        return "ltx2-i2v.json.j2"
    if recipe.image is not None and model == "ltx2-t2v-distilled":
        return "ltx2-distilled-i2v.json.j2"
    return ltx_rules.MODELS[model].template


def brought_by(recipe: Recipe) -> dict[str, str]:
    """Node class -> the recipe field that brought it into the graph (for server findings)."""
    out: dict[str, str] = {}
    keys = []
    if recipe.image is not None:
        keys.append(("image", "image"))
    if recipe.keyframes:
        keys.append(("keyframes", "keyframes"))
    if recipe.control is not None:
        keys += [
            ("control", "control"),
            (f"control.kind={recipe.control.kind}", f"control.kind: {recipe.control.kind}"),
        ]
    if recipe.audio is not None:
        keys.append(("audio", "audio"))
    if recipe.prompt_enhancer:
        keys.append(("prompt_enhancer", "prompt_enhancer: true"))
    if recipe.fit == "pad":
        keys.append(("fit=pad", "fit: pad"))
    for key, label in keys:
        for cls in FIELD_CLASSES[key]:
            out.setdefault(cls, label)
    return out
