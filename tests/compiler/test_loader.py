"""Loading recipe files: YAML and JSON, line numbers, duplicate keys, and no pydantic leak."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from comfyreel.compiler.errors import InputError, RecipeError
from comfyreel.compiler.loader import load_recipe, load_recipe_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from recipe_helpers import BASE, fail, load, write

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def test_loaded_recipe_fields(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    loaded = load_recipe(path)
    assert loaded.source == str(path)
    assert loaded.text == BASE
    assert loaded.sha256 == hashlib.sha256(BASE.encode()).hexdigest()
    assert loaded.base_dir == tmp_path.resolve()
    assert loaded.recipe.model == "ltx2-t2v"


def test_json_recipe_with_line_numbers(tmp_path: Path) -> None:
    data = {"model": "ltx2-t2v", "prompt": "hi", "frames": 49, "width": 770, "height": 768}
    text = json.dumps(data, indent=2)
    err = fail(tmp_path, text, name="clip.json")
    assert err.message.startswith("width 770 is not a multiple of 64")
    assert err.anchor == f"{tmp_path / 'clip.json'}:5"
    ok = load(tmp_path, json.dumps({**data, "width": 768, "$schema": "recipe.schema.json"}), name="ok.json")
    assert ok.recipe.width == 768


def test_invalid_json_is_an_input_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "model": "ltx2-t2v",\n  oops\n}', name="bad.json")
    with pytest.raises(InputError) as info:
        load_recipe(path)
    assert info.value.anchor == f"{path}:3"
    assert info.value.exit_code == 2


def test_invalid_yaml_is_an_input_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "model: ltx2-t2v\nprompt: [unclosed\nwidth: 768\n")
    with pytest.raises(InputError) as info:
        load_recipe(path)
    assert info.value.message.startswith("not valid YAML")
    assert info.value.anchor is not None and info.value.anchor.startswith(f"{path}:")


def test_missing_file_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read recipe"):
        load_recipe(tmp_path / "nope.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes("prompt: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_recipe(path)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n", "42\n"])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    err = fail(tmp_path, text)
    assert err.message == "a recipe must be a mapping of fields (model, prompt, width, ...)"


def test_duplicate_keys_are_problems(tmp_path: Path) -> None:
    err = fail(tmp_path, BASE + "width: 512\n")
    assert err.message == "duplicate key 'width': keep one (YAML would silently use the last)"
    assert err.anchor.endswith("clip.yaml:7")


def test_missing_required_fields(tmp_path: Path) -> None:
    err = fail(tmp_path, "seconds: 2\n")
    fields = {p["field"] for p in err.problems}
    assert fields == {"model", "prompt", "width", "height"}
    assert "missing required field 'model': add `model: ltx2-t2v`" in err.message


def test_load_recipe_text_in_memory() -> None:
    loaded = load_recipe_text(BASE, source="mem.yaml")
    assert loaded.source == "mem.yaml" and loaded.frames == 49 and loaded.base_dir is None
    with pytest.raises(RecipeError) as info:
        load_recipe_text(BASE.replace("768", "770", 1), source="mem.yaml")
    assert info.value.anchor == "mem.yaml:4"


def test_strict_turns_warnings_into_problems(tmp_path: Path) -> None:
    text = BASE.replace("seconds: 2", "seconds: 2.5")
    assert load(tmp_path, text).warnings
    err = fail(tmp_path, text, strict=True)
    assert err.problems[0]["field"] == "seconds"


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_recipes_load_clean_under_strict(path: Path) -> None:
    loaded = load_recipe(path, strict=True)
    assert loaded.warnings == []


_yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(
    [
        "model",
        "prompt",
        "seconds",
        "frames",
        "fps",
        "width",
        "height",
        "seed",
        "steps",
        "cfg",
        "loras",
        "models",
        "profile",
        "inventory",
        "name",
        "negative_prompt",
        "junk",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(_keys, _yaml_values, max_size=8))
def test_no_pydantic_error_ever_leaks(data: dict) -> None:
    text = json.dumps(data, allow_nan=True)
    try:
        load_recipe_text(text, source="fuzz.json")
    except (RecipeError, InputError) as exc:
        assert not isinstance(exc, ValidationError)
        assert exc.message
        for problem in getattr(exc, "problems", []):
            assert set(problem) == {"field", "value", "message", "fix", "line"}


def test_json_duplicate_keys_are_problems(tmp_path: Path) -> None:
    text = (
        '{\n  "model": "ltx2-t2v",\n  "prompt": "hi",\n  "frames": 49,\n  "width": 768,\n  "height": 768,\n'
    )
    err = fail(tmp_path, text + '  "width": 512\n}', name="dup.json")
    assert err.message == "duplicate key 'width': keep one (YAML would silently use the last)"
    assert err.anchor.endswith("dup.json:7")


def test_billion_laughs_is_refused_without_blowing_up(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = BASE + "\n".join(lines) + "\ninventory: *a9\n"
    err = fail(tmp_path, text)
    assert "unknown field 'a0'" in err.message
    assert any(p["field"].startswith("inventory") for p in err.problems)
    assert len(repr(err.problems)) < 10_000


def test_container_values_are_summarised(tmp_path: Path) -> None:
    err = fail(tmp_path, BASE.replace("width: 768", "width: [1, 2]"))
    assert err.message == "width must be a whole number, not a list of 2"
