"""Template injection: hostile prompts, negative prompts and file names arrive byte-exact in the
compiled graph (YAML and JSON recipes); user templates that reach for Python internals are refused."""

from __future__ import annotations

import json

import pytest
import yaml
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.errors import TemplateError
from comfyreel.compiler.loader import load_recipe_text
from comfyreel.reliability.recipe_fuzz import HOSTILE_STRINGS, MODELS, yaml_text
from comfyreel.reliability.scenarios_input import ATTACK_TEMPLATES
from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings.get_profile("comfyreel-fuzz")

hostile = st.lists(st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=8), min_size=1, max_size=6).map(
    "".join
)
visible = hostile.filter(lambda s: s.strip())


def _strings(graph) -> set[str]:
    return {v for _, node in graph for v in (node.get("inputs") or {}).values() if isinstance(v, str)}


@FUZZ
@given(st.sampled_from(MODELS), visible, visible, hostile, st.booleans())
def test_hostile_text_arrives_byte_exact(model, prompt, negative, lora, as_json):
    data = {"model": model, "prompt": prompt, "width": 512, "height": 512, "frames": 49}
    data["loras"] = [{"name": lora + ".safetensors", "strength": 0.8}]
    if model != "ltx2-t2v-distilled":  # the distilled graph has no negative prompt (a rule says so)
        data["negative_prompt"] = negative
    if as_json:
        text, source = json.dumps(data, ensure_ascii=False), "inj.json"
    else:
        text, source = yaml_text(data), "inj.yaml"  # (escapes NEL, which YAML 1.1 reads as a line break)
    loaded = load_recipe_text(text, source=source)
    assert loaded.recipe.prompt == prompt  # the loader keeps it exactly
    strings = _strings(compile_recipe(loaded))
    assert prompt in strings
    assert lora + ".safetensors" in strings
    if "negative_prompt" in data:
        assert negative in strings


@pytest.mark.parametrize("attack", ATTACK_TEMPLATES)
def test_user_template_attacks_are_refused(tmp_path, attack):
    (tmp_path / "evil.json.j2").write_text(
        '{"1": {"class_type": "X", "inputs": {"v": ' + attack + "}}}", encoding="utf-8"
    )
    recipe = "model: ltxv-t2v\nprompt: hi\nwidth: 512\nheight: 512\nframes: 49\ntemplate: evil.json.j2\n"
    loaded = load_recipe_text(recipe, source="evil.yaml", base_dir=tmp_path)
    with pytest.raises(TemplateError) as info:
        compile_recipe(loaded)
    assert str(tmp_path / "evil.json.j2") in (info.value.anchor or "")
    assert "Traceback" not in info.value.message


def test_template_syntax_in_a_prompt_is_not_executed():
    text = yaml.safe_dump(
        {"model": "ltxv-t2v", "prompt": "{{ 7*7 }} {% raw %}", "width": 512, "height": 512, "frames": 49}
    )
    strings = _strings(compile_recipe(load_recipe_text(text, source="r.yaml")))
    assert "{{ 7*7 }} {% raw %}" in strings and not any("49 " in s for s in strings)
