"""Property-based fuzzing of the recipe model and the YAML/JSON loader (hypothesis).

Every generated text either is refused with a clean InputError/RecipeError naming the file (and the
field), or loads, compiles and passes ``ensure_valid`` against the pinned schema: never a traceback,
never an invalid graph. Cases per test: COMFYREEL_FUZZ_EXAMPLES (default 200; soak: 10000).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import yaml
from comfyreel.reliability.recipe_fuzz import (
    FIELDS,
    HOSTILE_STRINGS,
    MODEL_SLOTS,
    MODELS,
    RAW_INSERTS,
    check_recipe_text,
)
from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings.get_profile("comfyreel-fuzz")

texts = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS))
anything = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        texts,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
sizes = st.one_of(st.integers(1, 30).map(lambda k: 64 * k), st.integers(-64, 10**5), anything)
frames = st.one_of(st.integers(0, 40).map(lambda n: 8 * n + 1), st.integers(-9, 10**6), anything)
numbers = st.one_of(st.integers(-5, 200), st.floats(allow_nan=True, allow_infinity=True), anything)
loras = st.lists(
    st.one_of(
        st.fixed_dictionaries({"name": texts}, optional={"strength": numbers, "extra": anything}),
        anything,
    ),
    max_size=3,
)
OPTIONAL = {
    "name": texts,
    "negative_prompt": texts,
    "seconds": numbers,
    "frames": frames,
    "fps": st.one_of(st.sampled_from([24, 25, 30, 23.976, 24.0]), numbers),
    "seed": st.integers(min_value=-(2**70), max_value=2**70) | anything,
    "steps": numbers,
    "cfg": numbers,
    "loras": loras | anything,
    "models": st.dictionaries(
        st.sampled_from(MODEL_SLOTS) | st.text(max_size=6), texts | anything, max_size=3
    ),
    "profile": st.sampled_from(["rtx4060-8gb", "rtx4090", ""]) | anything,
    "inventory": st.lists(texts, max_size=3) | anything,
    "filename_prefix": st.one_of(texts, st.sampled_from(["a/b", "../x", "/abs", "c:\\x", "ok"])),
    "$schema": texts,
}
recipes = st.fixed_dictionaries(
    {
        "model": st.sampled_from(MODELS) | anything,
        "prompt": texts | anything,
        "width": sizes,
        "height": sizes,
    },
    optional={**OPTIONAL, "extra": anything, "Prompt": anything},
)


def _dump(data, as_json: bool, flow: bool | None) -> tuple[str, str]:
    if as_json:
        return json.dumps(data, ensure_ascii=False), "fuzz.json"
    return yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, sort_keys=False), "fuzz.yaml"


@FUZZ
@given(recipes, st.booleans(), st.sampled_from([None, True, False]))
def test_recipe_dicts_load_cleanly_or_compile_valid(data, as_json, flow):
    text, source = _dump(data, as_json, flow)
    assert check_recipe_text(text, source) in ("refused", "compiled")


@FUZZ
@given(st.text(max_size=300))
def test_any_text_is_a_clean_error_or_a_valid_graph(text):
    assert check_recipe_text(text, "fuzz.yaml") in ("refused", "compiled")
    assert check_recipe_text(text, "fuzz.json") in ("refused", "compiled")


SHIPPED_DIR = Path(str(resources.files("comfyreel.recipes")))  # media paths are relative to it
SHIPPED = sorted(
    p.read_text(encoding="utf-8")
    for p in resources.files("comfyreel.recipes").iterdir()
    if p.name.endswith(".yaml")
)


@FUZZ
@given(
    st.sampled_from(SHIPPED), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(RAW_INSERTS)), max_size=4)
)
def test_corrupted_shipped_recipes(text, edits):
    for where, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at:]
    assert check_recipe_text(text, "shipped.yaml") in ("refused", "compiled")


@FUZZ
@given(
    st.sampled_from(SHIPPED),
    st.sampled_from([f for f in FIELDS if f not in ("model",)]),
    anything,
)
def test_one_field_replaced_in_shipped_recipes(text, field, value):
    data = yaml.safe_load(text)
    data[field] = value
    out, source = _dump(data, False, None)
    assert check_recipe_text(out, source, SHIPPED_DIR) in ("refused", "compiled")


def test_shipped_recipes_compile():
    assert SHIPPED and all(check_recipe_text(t, "shipped.yaml", SHIPPED_DIR) == "compiled" for t in SHIPPED)
