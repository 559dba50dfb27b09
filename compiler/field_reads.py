"""Refuse a recipe field the template never reads (built-in and user templates alike).

The renderer records which context variables a template looked up; each recipe field maps to
the variables that carry it. A field the recipe sets whose variables were never read would be
silently dropped ("template ignores `seed`: the graph would render noise_seed 10 from the
template"), so compiling fails instead, naming the field and, where the graph shows it, the
literal the template hard-codes.
"""

from __future__ import annotations

from typing import Any

from comfyreel.compiler.errors import RecipeError
from comfyreel.compiler.graph import Graph, is_link

# recipe field -> context variables that carry it (any one read counts)
FIELD_VARS: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt",),
    "negative_prompt": ("negative_prompt",),
    "seed": ("seed",),
    "width": ("width", "half_width"),
    "height": ("height", "half_height"),
    "frames": ("frames",),
    "seconds": ("frames",),
    "fps": ("fps", "fps_int"),
    "steps": ("steps",),
    "cfg": ("cfg",),
    "loras": ("loras", "loras_shared", "loras_pass1", "loras_pass2"),
    "models": ("models",),
    "profile": ("profile", "text_encoder_device", "tiled_decode"),
    "filename_prefix": ("filename_prefix",),
    "image": ("image", "keyframes"),  # on ltx23 the start image is keyframe 0
    "image_strength": ("image", "keyframes"),
    "keyframes": ("keyframes",),
    "control": ("control",),
    "audio": ("audio",),
    "fit": ("fit", "image", "keyframes", "control"),
    "prompt_enhancer": ("prompt_enhancer",),
}

# recipe field -> graph inputs where a hard-coded literal for it usually sits (for the message)
_GRAPH_INPUTS: dict[str, tuple[str, ...]] = {
    "seed": ("noise_seed", "seed"),
    "prompt": ("text", "prompt"),
    "negative_prompt": ("text",),
    "width": ("width", "resize_type.width"),
    "height": ("height", "resize_type.height"),
    "frames": ("length", "frames_number"),
    "seconds": ("length", "frames_number"),
    "fps": ("fps", "frame_rate"),
    "steps": ("steps",),
    "cfg": ("cfg",),
    "filename_prefix": ("filename_prefix",),
    "image": ("image",),
}


def check_reads(
    fields_set: set[str], reads: frozenset[str], graph: Graph, *, template: str, source: str
) -> None:
    """Raise ``RecipeError`` listing every set recipe field the template ignored."""
    ignored = [name for name in FIELD_VARS if name in fields_set and not set(FIELD_VARS[name]) & reads]
    if not ignored:
        return
    problems: list[dict[str, Any]] = []
    for name in ignored:
        literal = _literal_for(name, graph)
        tail = f": the graph would render {literal} from the template" if literal else ""
        problems.append(
            {
                "field": name,
                "value": None,
                "message": f"template ignores `{name}`{tail}",
                "fix": f"use {{{{ {FIELD_VARS[name][0]} }}}} in {template}, "
                f"or remove `{name}` from the recipe",
                "line": None,
            }
        )
    message = "; ".join(p["message"] for p in problems)
    raise RecipeError(
        message,
        anchor=source,
        hint=f"the template {template} must read every field the recipe sets "
        "(templates/README.md lists the variables)",
        problems=problems,
    )


def _literal_for(name: str, graph: Graph) -> str | None:
    for node_id, node in graph:
        inputs = node.get("inputs")
        if not isinstance(inputs, dict):
            continue
        for key in _GRAPH_INPUTS.get(name, ()):
            value = inputs.get(key)
            if value is not None and not is_link(value) and not isinstance(value, (dict, list)):
                shown = value if not isinstance(value, str) else repr(value[:60])
                return f"{key} {shown} (node {node_id})"
    return None
