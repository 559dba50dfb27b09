"""Recipe variants: --set overrides typed like the recipe, matrix cross products, stable names."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.errors import RecipeError, UsageError
from comfyreel.compiler.variants import format_value, load_variants, parse_set

BASE = """\
name: hw
model: ltx2-t2v
prompt: hi there
seconds: 2
width: 768
height: 768
seed: 42
loras: [{name: a.safetensors, strength: 0.5}]
"""
MATRIX = BASE + "matrix:\n  seed: [1, 2]\n  loras.0.strength: [0.4, 0.7, 1.0]\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hw.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_matrix_is_the_cross_product_in_matrix_order(tmp_path: Path) -> None:
    variants = load_variants(write(tmp_path, MATRIX))
    assert [v.name for v in variants] == [
        "hw@seed=1,loras.0.strength=0.4",
        "hw@seed=1,loras.0.strength=0.7",
        "hw@seed=1,loras.0.strength=1.0",
        "hw@seed=2,loras.0.strength=0.4",
        "hw@seed=2,loras.0.strength=0.7",
        "hw@seed=2,loras.0.strength=1.0",
    ]
    assert [(v.recipe.seed, v.recipe.loras[0].strength) for v in variants][4] == (2, 0.7)
    assert variants[0].variant == {"seed": 1, "loras.0.strength": 0.4}
    assert all(v.recipe.matrix is None for v in variants)
    graphs = [compile_recipe(v) for v in variants]
    assert len({g.sha256() for g in graphs}) == 6
    assert graphs[0].meta["recipe_name"] == variants[0].name
    again = [compile_recipe(v).to_json() for v in load_variants(write(tmp_path, MATRIX))]
    assert again == [g.to_json() for g in graphs]  # deterministic


def test_set_overrides_are_typed_like_the_recipe(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    sets = ["cfg=4", "prompt=7", "models.checkpoint=x.safetensors", "loras.0.strength=1"]
    (only,) = load_variants(path, sets)
    assert only.recipe.cfg == 4 and only.recipe.prompt == "7"  # text field keeps the text
    assert only.recipe.models.checkpoint == "x.safetensors" and only.recipe.loras[0].strength == 1
    assert only.name == "hw@cfg=4,prompt=7,models.checkpoint=x.safetensors,loras.0.strength=1"
    (plain,) = load_variants(path)
    assert plain.name == "hw" and plain.variant == {}


def test_set_range_sweeps_and_pins_a_matrix_axis(tmp_path: Path) -> None:
    assert [v.recipe.seed for v in load_variants(write(tmp_path, BASE), ["seed=1..8"])] == list(range(1, 9))
    pinned = load_variants(write(tmp_path, MATRIX), ["seed=9"])
    assert [v.name for v in pinned] == [
        "hw@seed=9,loras.0.strength=0.4",
        "hw@seed=9,loras.0.strength=0.7",
        "hw@seed=9,loras.0.strength=1.0",
    ]


def test_set_appends_a_lora_at_the_next_index(tmp_path: Path) -> None:
    (only,) = load_variants(write(tmp_path, BASE), ["loras.1.name=b.safetensors", "loras.1.strength=0.3"])
    assert [(lora.name, lora.strength) for lora in only.recipe.loras][1] == ("b.safetensors", 0.3)


@pytest.mark.parametrize(
    ("sets", "needle"),
    [
        (["sed=3"], "unknown field 'sed': did you mean 'seed'? (from --set sed=3)"),
        (["seed=x"], "seed must be a whole number, not 'x' (from --set seed=x)"),
        (["width=770"], "width 770 is not a multiple of 64"),
        (["loras.5.strength=1"], "loras has 1 entries: use an index up to 1"),
    ],
)
def test_bad_set_is_a_recipe_error_naming_its_origin(tmp_path: Path, sets: list[str], needle: str) -> None:
    with pytest.raises(RecipeError) as info:
        load_variants(write(tmp_path, BASE), sets)
    assert needle in info.value.message
    assert "--set" in info.value.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("seed", "expected key=value"),
        ("seed=5..1", "empty range"),
        ("a..b=1", "not a field key"),
        ("seed=0..99999999", "more than"),
    ],
)
def test_malformed_set_is_a_usage_error(text: str, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        parse_set(text)


def test_bad_matrix_values_name_the_variant(tmp_path: Path) -> None:
    with pytest.raises(RecipeError) as info:
        load_variants(write(tmp_path, BASE + "matrix:\n  width: [768, 770]\n"))
    assert "(from matrix width=770)" in info.value.message
    with pytest.raises(RecipeError, match=r"matrix\.seed must be a non-empty list"):
        load_variants(write(tmp_path, BASE + "matrix:\n  seed: 3\n"))


def test_value_names_are_short_and_safe() -> None:
    assert format_value(3) == "3" and format_value(0.7) == "0.7" and format_value(True) == "true"
    long = format_value("A cat, on a mat / at night")
    assert long.startswith("A-cat-on-a-mat-at-ni~") and len(long) == 27
    assert format_value("A cat, on a mat / at night!") != long
