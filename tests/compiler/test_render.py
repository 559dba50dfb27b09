"""The sandboxed renderer: JSON-escaping, refusals, error locations, and byte-exact prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.errors import TemplateError
from comfyreel.compiler.loader import load_recipe, load_recipe_text
from comfyreel.compiler.render import parse_rendered, render_graph, tojson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recipe_helpers import BASE

NODE = '{"1": {"class_type": "X", "inputs": {"v": %s}}}'


def render(tmp_path: Path, body: str, **context: object):
    path = tmp_path / "t.json.j2"
    path.write_text(body, encoding="utf-8")
    return render_graph(path, context, source="r.yaml")


def test_tojson_keeps_unicode_and_escapes() -> None:
    assert tojson('a"b\\c\n') == '"a\\"b\\\\c\\n"'
    assert tojson("é😀") == '"é😀"'
    assert tojson("<&>'") == '"<&>\'"'  # no HTML escaping (Jinja's own tojson would)


def test_numbers_bools_and_null_print_as_json(tmp_path: Path) -> None:
    graph = render(tmp_path, NODE % "[{{ i }}, {{ f }}, {{ b }}, {{ n }}]", i=3, f=0.5, b=True, n=None)
    assert graph.nodes["1"]["inputs"]["v"] == [3, 0.5, True, None]


def test_raw_string_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        render(tmp_path, NODE % '"{{ s }}"', s="hi")
    assert "raw string" in info.value.message
    assert info.value.hint == "write {{ value | tojson }} (it adds the quotes and escapes the text)"
    assert info.value.anchor == f"{tmp_path / 't.json.j2'}:1"


@pytest.mark.parametrize(
    "expr",
    [
        "''.__class__.__mro__",
        "''.__class__",
        "cycler.__init__.__globals__",
        "s.__class__.__base__.__subclasses__()",
    ],
)
def test_python_internals_are_refused(tmp_path: Path, expr: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(tmp_path, NODE % ("{{ (" + expr + ") | tojson }}"), s="x")
    assert "sandbox" in info.value.message or "undefined" in info.value.message


def test_mutation_and_huge_strings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="sandbox"):
        render(tmp_path, "{% set _ = xs.append(1) %}" + NODE % "1", xs=[])
    with pytest.raises(TemplateError, match="huge"):
        render(tmp_path, NODE % "{{ ('ab' * 100000000) | tojson }}")


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        render(tmp_path, "{\n\n" + '"1": {"class_type": "X", "inputs": {"v": {{ missing }}}}\n}')
    assert "missing" in info.value.message
    assert info.value.anchor == f"{tmp_path / 't.json.j2'}:3"


def test_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        render(tmp_path, "{\n{% if %}\n}")
    assert info.value.anchor == f"{tmp_path / 't.json.j2'}:2"
    assert info.value.message.startswith("template syntax error")


def test_invalid_json_output_names_template_and_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        render(tmp_path, '{\n  "1": {"class_type": "X", "inputs": {}}\n  "2": {}\n}')
    assert info.value.anchor == str(tmp_path / "t.json.j2")
    assert "rendered line 3" in info.value.message


def test_duplicate_node_ids_are_refused() -> None:
    with pytest.raises(TemplateError, match="'1' twice"):
        parse_rendered('{"1": {}, "1": {}}', template_name="t.json.j2")


def test_non_graph_output_is_refused() -> None:
    with pytest.raises(TemplateError, match="JSON object"):
        parse_rendered("[1, 2]", template_name="t.json.j2")


def test_missing_template(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="template not found"):
        render_graph(tmp_path / "nope.json.j2", {})


def test_user_template_from_recipe_is_sandboxed(tmp_path: Path) -> None:
    reads = "{%- set read = (frames, width, height, seed) -%}"  # the recipe sets these: read them
    (tmp_path / "mine.json.j2").write_text(reads + NODE % "{{ prompt | tojson }}", encoding="utf-8")
    (tmp_path / "evil.json.j2").write_text(NODE % "{{ ''.__class__.__mro__ | tojson }}", encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(BASE + "template: mine.json.j2\n", encoding="utf-8")
    graph = compile_recipe(load_recipe(good))
    assert graph.nodes["1"]["inputs"]["v"] == 'A young woman says "hello everyone" while waving her hand'
    evil = tmp_path / "evil.yaml"
    evil.write_text(BASE + "template: evil.json.j2\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        compile_recipe(load_recipe(evil))
    assert "unsafe" in info.value.message and info.value.anchor.startswith(str(tmp_path / "evil.json.j2"))
    missing = tmp_path / "missing.yaml"
    missing.write_text(BASE + "template: nowhere.json.j2\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="not found"):
        compile_recipe(load_recipe(missing))


# Prompts are data: every unicode text (NUL, quotes, braces, Jinja syntax, RTL, emoji) survives byte-exact.
_nasty = st.sampled_from(
    [
        '"',
        "\\",
        "{{ x }}",
        "{% if %}",
        "{#",
        "}}",
        "\n",
        "\r\n",
        "\x00",
        "\u202e",
        "😀",
        "'",
        "</script>",
        "\t",
        "\u2028",
        "${x}",
        "%s",
    ]
)
_prompts = (
    st.lists(st.text(min_size=0, max_size=30) | _nasty, min_size=1, max_size=8)
    .map("".join)
    .filter(lambda s: s.strip() != "")
)
_MODELS = {
    "ltxv-t2v": ("6", "7"),
    "ltx2-t2v": ("3", "4"),
    "ltx2-t2v-distilled": ("102", None),
    "ltx23-t2v": ("240", "247"),
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=_prompts, negative=_prompts, model=st.sampled_from(sorted(_MODELS)))
def test_prompts_survive_byte_exact(prompt: str, negative: str, model: str) -> None:
    data = {"model": model, "prompt": prompt, "frames": 49, "width": 768, "height": 512, "seed": 1}
    pos_id, neg_id = _MODELS[model]
    if neg_id is not None:
        data["negative_prompt"] = negative
    loaded = load_recipe_text(json.dumps(data), source="p.json")
    graph = compile_recipe(loaded)
    assert graph.nodes[pos_id]["inputs"]["text"] == prompt
    if neg_id is not None:
        assert graph.nodes[neg_id]["inputs"]["text"] == negative
    again = json.loads(graph.to_json())
    assert again[pos_id]["inputs"]["text"].encode("utf-8") == prompt.encode("utf-8")


# PyYAML's *emitter* writes U+0085 (NEL) raw, and YAML 1.1 reads NEL as a line break; that is
# the dumper's bug, not ours, so the YAML round trip leaves NEL out (the JSON test above covers it).
@settings(max_examples=150, deadline=None)
@given(prompt=_prompts.filter(lambda s: "\x85" not in s))
def test_prompts_survive_a_yaml_recipe_byte_exact(prompt: str) -> None:
    import yaml

    data = {"model": "ltx2-t2v", "prompt": prompt, "frames": 49, "width": 768, "height": 512}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    graph = compile_recipe(load_recipe_text(text, source="p.yaml"))
    assert graph.nodes["3"]["inputs"]["text"] == prompt
