"""Helpers shared by the recipe tests: write a recipe, load it, get the RecipeError."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfyreel.compiler.errors import RecipeError
from comfyreel.compiler.loader import LoadedRecipe, load_recipe

BASE = """\
model: ltx2-t2v
prompt: A young woman says "hello everyone" while waving her hand
seconds: 2
width: 768
height: 768
seed: 42
"""


def write(tmp_path: Path, text: str, name: str = "clip.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, *, strict: bool = False, name: str = "clip.yaml") -> LoadedRecipe:
    return load_recipe(write(tmp_path, text, name), strict=strict)


def fail(tmp_path: Path, text: str, *, strict: bool = False, name: str = "clip.yaml") -> RecipeError:
    path = write(tmp_path, text, name)
    with pytest.raises(RecipeError) as info:
        load_recipe(path, strict=strict)
    return info.value


def replace(text: str, key: str, line: str | None) -> str:
    """BASE with the line for *key* replaced by *line* (or removed)."""
    out = [
        (line if line is not None else None) if row.startswith(f"{key}:") else row
        for row in text.splitlines()
    ]
    return "\n".join(row for row in out if row is not None) + "\n"
