"""Compile a loaded recipe: pick the template, build its context, render, return a ``Graph``.

The context is plain data (numbers, strings, lists, dicts) so templates stay declarative;
everything that needs a decision (files per profile, half-size first pass, tiled decode,
LoRA node ids) is decided here, once. Same recipe -> byte-identical ``Graph.to_json()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyreel.compiler import ltx_rules, profiles
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
        return builtin_template_dir() / ltx_rules.MODELS[recipe.model].template
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
    files = profiles.model_files(recipe.model, profile, recipe.models.model_dump())
    decode = profiles.decode_settings(recipe.model, profile)
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
        "width": recipe.width,
        "height": recipe.height,
        # two-pass models render at half size, then upsample the latent x2 (official graphs)
        "half_width": recipe.width // 2,
        "half_height": recipe.height // 2,
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
        "models": files,
        "text_encoder_device": profile.text_encoder_device if profile is not None else "default",
        "tiled_decode": decode.as_dict() if decode is not None else None,
        "profile": profile.name if profile is not None else None,
        "filename_prefix": recipe.filename_prefix or f"comfyreel/{loaded.name}",
    }


def compile_recipe(loaded: LoadedRecipe) -> Graph:
    """Render *loaded* into an API-format graph; ``Graph.meta`` carries name, model, warnings."""
    recipe = loaded.recipe
    template = template_path(loaded)
    graph, reads = render_graph_tracked(template, build_context(loaded), source=loaded.source)
    check_reads(set(recipe.model_fields_set), reads, graph, template=template.name, source=loaded.source)
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
    }
    return graph
