"""comfyreel.compiler: recipes -> Jinja templates -> validated ComfyUI API graphs (pure, offline).

The public names below load lazily (PEP 562), so importing one small module (``errors``,
``graph``) never pays for pydantic, PyYAML or Jinja2::

    from comfyreel.compiler import load_recipe, compile_recipe, ObjectInfo, ensure_valid

    loaded = load_recipe("recipes/hello-wave-ltx2-8gb.yaml")
    graph = compile_recipe(loaded)
    warnings = ensure_valid(graph, ObjectInfo.pinned())
    print(graph.to_json())
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # recipes
    "Recipe": "recipe",
    "LoadedRecipe": "loader",
    "load_recipe": "loader",
    "load_recipe_text": "loader",
    "recipe_json_schema": "recipe",
    # compiling
    "compile_recipe": "compile",
    "render_graph": "render",
    "Graph": "graph",
    # validating
    "ObjectInfo": "object_info",
    "ModelInventory": "inventory",
    "Finding": "findings",
    "validate_graph": "validate",
    "ensure_valid": "validate",
    # UI workflows
    "import_ui": "ui_import",
    # errors
    "ComfyreelError": "errors",
    "UsageError": "errors",
    "InputError": "errors",
    "ObjectInfoError": "errors",
    "TemplateError": "errors",
    "MissingExtra": "errors",
    "RecipeError": "errors",
    "GraphInvalid": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
