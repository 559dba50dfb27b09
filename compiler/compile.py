"""Compile a loaded recipe: pick the template, build its context, render, return a ``Graph``.

The context is plain data (numbers, strings, lists, dicts) so templates stay declarative;
everything that needs a decision (files per profile, half-size first pass, tiled decode,
LoRA node ids) is decided here, once. Same recipe -> byte-identical ``Graph.to_json()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyreel.compiler import compositions, ltx_rules, output_size, profiles
from comfyreel.compiler.errors import TemplateError
from comfyreel.compiler.field_reads import check_reads
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.loader import LoadedRecipe
from comfyreel.compiler.render import builtin_template_dir, render_graph_tracked

LORA_FIRST_ID = 901  # user LoRA nodes are "901", "902", ... (no official template uses them)


def template_path(loaded: LoadedRecipe) -> Path:
    """The template file for *loaded*: the recipe's own ``template:`` or the model's built-in."""
    recipe = loaded.recipe
    if recipe.template is None:
        return builtin_template_dir() / compositions.template_name(recipe)
    path = Path(recipe.template).expanduser()
    if not path.is_absolute():
        path = (loaded.base_dir or Path.cwd()) / path
    if not path.is_file():
        raise TemplateError(
            f"template {recipe.template!r} not found (looked at {path})",
            anchor=loaded.source,
            hint="`template:` is relative to the recipe file",
        )
    return path


def build_context(loaded: LoadedRecipe) -> dict[str, Any]:
    """The variables every template receives (documented in templates/README.md)."""
    recipe = loaded.recipe
    spec = ltx_rules.MODELS[recipe.model]
    profile = profiles.get_profile(recipe.profile)
    explicit = recipe.models.model_dump()
    if recipe.template is None:  # a composition's own official weights, under the recipe's
        for slot, name in compositions.DEFAULT_FILES.get(compositions.template_name(recipe), {}).items():
            explicit[slot] = explicit[slot] or name
    files = profiles.model_files(recipe.model, profile, explicit)
    decode = profiles.decode_settings(recipe.model, profile)
    template = compositions.template_name(recipe)
    if recipe.template is None and template in compositions.OFFICIAL_DECODE and profile is None:
        decode = compositions.OFFICIAL_DECODE[template]
    fps = float(recipe.fps)
    loras = [
        {
            "id": str(LORA_FIRST_ID + index),
            "name": lora.name,
            "strength": float(lora.strength),
            "title": f"LoRA {index + 1}",
            "pass": lora.pass_,
        }
        for index, lora in enumerate(recipe.loras)
    ]
    return {
        "name": loaded.name,
        "model": recipe.model,
        "prompt": recipe.prompt,
        "negative_prompt": recipe.negative_prompt
        if recipe.negative_prompt is not None
        else spec.default_negative,
        # the size rendered: the asked one, or on the grid under size_policy crop/pad (output_size.py)
        "width": render_size(loaded)[0],
        "height": render_size(loaded)[1],
        # two-pass models render at half size, then upsample the latent x2 (official graphs)
        "half_width": render_size(loaded)[0] // 2,
        "half_height": render_size(loaded)[1] // 2,
        "frames": loaded.frames,
        "fps": fps,
        "fps_int": round(fps),
        "seed": recipe.seed,
        "steps": recipe.steps if recipe.steps is not None else spec.default_steps,
        "cfg": float(recipe.cfg) if recipe.cfg is not None else spec.default_cfg,
        "loras": loras,
        # the chains the fragments build: shared by both passes, then pass-1-only, pass-2-only
        "loras_shared": [lora for lora in loras if lora["pass"] is None],
        "loras_pass1": [lora for lora in loras if lora["pass"] == 1],
        "loras_pass2": [lora for lora in loras if lora["pass"] == 2],
        "prompt_enhancer": bool(recipe.prompt_enhancer),
        **media_context(loaded),
        "models": files,
        "text_encoder_device": profile.text_encoder_device if profile is not None else "default",
        "tiled_decode": decode.as_dict() if decode is not None else None,
        "profile": profile.name if profile is not None else None,
        "filename_prefix": recipe.filename_prefix or f"comfyreel/{loaded.name}",
    }


def render_size(loaded: LoadedRecipe) -> tuple[int, int]:
    """(width, height) the model renders: the recipe's, moved onto the grid under a crop/pad policy."""
    recipe = loaded.recipe
    multiple = ltx_rules.MODELS[recipe.model].size_multiple
    side = output_size.render_side
    return side(recipe.width, multiple, recipe.size_policy), side(recipe.height, multiple, recipe.size_policy)


def compile_recipe(loaded: LoadedRecipe) -> Graph:
    """Render *loaded* into an API-format graph; ``Graph.meta`` carries name, model, warnings."""
    recipe = loaded.recipe
    template = template_path(loaded)
    graph, reads = render_graph_tracked(template, build_context(loaded), source=loaded.source)
    given = {name for name in recipe.model_fields_set if getattr(recipe, name) not in (None, [], False)}
    check_reads(given, reads, graph, template=template.name, source=loaded.source)
    output_size.apply(
        graph, want=(recipe.width, recipe.height), rendered=render_size(loaded), policy=recipe.size_policy
    )
    profile = profiles.get_profile(recipe.profile)
    graph.meta = {
        "recipe_name": loaded.name,
        "model": recipe.model,
        "warnings": list(loaded.warnings),
        "inventory": list(recipe.inventory) if recipe.inventory is not None else None,
        "profile": recipe.profile,
        "profile_notes": list(profile.notes) if profile is not None else [],
        "frames": loaded.frames,
        "recipe_sha256": loaded.sha256,
        "inputs": tuple(loaded.media.inputs) if loaded.media is not None else (),
        "brought_by": _brought_by(recipe, graph),
    }
    return graph


# the official graphs' start-image strength per family (video_ltx2_i2v: 1.0; video_ltx2_3_ia2v: 0.7)
_IMAGE_STRENGTH = {"ltx2-t2v": 1.0, "ltx2-t2v-distilled": 1.0, "ltx23-t2v": 0.7}
# the official IC-LoRA files (video_ltx2_canny_to_video / video_ltx2_depth_to_video; pose by name)
CONTROL_LORAS = {
    "canny": "ltx-2-19b-ic-lora-canny-control.safetensors",
    "depth": "ltx-2-19b-ic-lora-depth-control.safetensors",
    "pose": "ltx-2-19b-ic-lora-pose-control.safetensors",
}


def media_context(loaded: LoadedRecipe) -> dict[str, Any]:
    """The input-media variables: image, keyframes, control, audio (null when absent) and fit."""
    recipe = loaded.recipe
    media = loaded.media
    facts = media.facts if media is not None else {}
    image = None
    if recipe.image is not None:
        strength = recipe.image_strength
        image = {
            "name": facts["image"]["name"],
            "strength": float(strength if strength is not None else _IMAGE_STRENGTH.get(recipe.model, 1.0)),
            "role": "start image",
        }
    keyframes = list(media.keyframes) if media is not None else []
    if image is not None and recipe.model == "ltx23-t2v" and recipe.audio is None:
        keyframes = [
            {
                "frame": 0,
                "image": image["name"],
                "name": image["name"],
                "strength": image["strength"],
                "role": "first frame",
            }
        ]
    control = None
    if recipe.control is not None:
        control = {
            "kind": recipe.control.kind,
            "video": facts["control.video"]["name"],
            "strength": float(recipe.control.strength),
            "lora": recipe.control.lora or CONTROL_LORAS[recipe.control.kind],
        }
    audio = None
    if recipe.audio is not None:
        audio = {
            "name": facts["audio.file"]["name"],
            "seconds": round((loaded.frames - 1) / float(recipe.fps), 6),
        }
    return {
        "image": image,
        "keyframes": keyframes,
        "control": control,
        "audio": audio,
        "fit": recipe.fit or "crop",
    }


def _brought_by(recipe: Any, graph: Graph) -> dict[str, str]:
    """Every node class of *graph* -> the recipe field that brought it (``model`` for the rest)."""
    fields = compositions.brought_by(recipe)
    model = f"model: {recipe.model}"
    classes = {node.get("class_type") for node in graph.nodes.values()}
    return {cls: fields.get(cls, model) for cls in sorted(c for c in classes if isinstance(c, str))}
