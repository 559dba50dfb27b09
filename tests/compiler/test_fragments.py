"""Built-in graphs are compositions of templates/fragments; the five example recipes and every
model x profile x LoRA variant compile to the bytes recorded before the fragments existed (issue 10)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from comfyreel.compiler import ltx_rules
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.errors import RecipeError
from comfyreel.compiler.loader import load_recipe, load_recipe_text
from comfyreel.compiler.render import builtin_template_dir

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "data" / "compiler" / "golden_graphs"
LORAS = (
    "loras:\n  - name: first.safetensors\n    strength: 0.8\n"
    "  - name: second.safetensors\n    strength: -0.5\n"
)
EXTRAS = {
    "plain": "",
    "8gb": "profile: rtx4060-8gb\n",
    "loras": LORAS,
    "loras-8gb": LORAS + "profile: rtx4060-8gb\n",
}
SIZE = "frames: 49\nseed: 7\nwidth: 768\nheight: 512\n"


@pytest.mark.parametrize("recipe", sorted((REPO / "recipes").glob("*.yaml")), ids=lambda p: p.stem)
def test_example_recipes_compile_to_the_recorded_bytes(recipe: Path) -> None:
    golden = GOLDEN / f"{recipe.stem}.json"
    if not golden.exists():
        pytest.skip("a recipe added after the fragments (no pre-fragment golden)")
    assert compile_recipe(load_recipe(recipe)).to_json() == golden.read_text(encoding="utf-8")


def test_every_variant_compiles_to_the_recorded_bytes() -> None:
    want = json.loads((GOLDEN / "variants.sha256.json").read_text(encoding="utf-8"))
    got = {}
    for model in sorted(ltx_rules.MODELS):
        for key, extra in EXTRAS.items():
            text = f"model: {model}\nprompt: a fox in the snow\n{SIZE}{extra}"
            graph = compile_recipe(load_recipe_text(text, source=f"{model}.yaml"))
            got[f"{model}/{key}"] = hashlib.sha256(graph.to_json().encode()).hexdigest()
    assert got == want


def test_builtin_templates_are_short_compositions() -> None:
    for path in builtin_template_dir().glob("*.json.j2"):
        text = path.read_text(encoding="utf-8")
        assert '{% import "fragments/' in text.replace("{%-", "{%"), path.name
        assert '"class_type": "' not in text, f"{path.name} writes a node by hand"


def test_user_template_imports_the_fragments(tmp_path: Path) -> None:
    (tmp_path / "mine.json.j2").write_text(
        '{%- import "fragments/common.j2" as c -%}\n'
        "{%- set read = (width, height, frames) -%}\n"
        "{\n"
        '{{ c.node("5", "RandomNoise", "noise", {"noise_seed": seed}) }}\n'
        '{{ c.node("6", "CLIPTextEncode", "text", {"text": prompt, "clip": ["5", 0]}) }}\n'
        "}\n",
        encoding="utf-8",
    )
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        'model: ltx2-t2v\nprompt: "say \\"hi\\""\nframes: 49\nwidth: 768\nheight: 512\nseed: 7\n'
        "template: mine.json.j2\n",
        encoding="utf-8",
    )
    graph = compile_recipe(load_recipe(recipe))
    assert graph.nodes["5"]["inputs"]["noise_seed"] == 7
    assert graph.nodes["6"]["inputs"]["text"] == 'say "hi"'


def test_a_field_the_template_ignores_fails_compiling(tmp_path: Path) -> None:
    (tmp_path / "fixed.json.j2").write_text(
        "{%- set read = (prompt, width, height, frames) -%}\n"
        '{"11": {"class_type": "RandomNoise", "inputs": {"noise_seed": 10}}}\n',
        encoding="utf-8",
    )
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"model: ltx2-t2v\nprompt: hi\n{SIZE}template: fixed.json.j2\n",
        encoding="utf-8",
    )
    with pytest.raises(RecipeError) as info:
        compile_recipe(load_recipe(recipe))
    assert "template ignores `seed`: the graph would render noise_seed 10 (node 11) from the template" in str(
        info.value
    )
    assert [p["field"] for p in info.value.problems] == ["seed"]
    # without `seed:` in the recipe the same template compiles
    recipe.write_text(recipe.read_text().replace("seed: 7\n", ""), encoding="utf-8")
    assert compile_recipe(load_recipe(recipe)).nodes["11"]["inputs"]["noise_seed"] == 10
