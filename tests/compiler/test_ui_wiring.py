"""import-template output is wired to the recipe context: seed, prompt, size, frames, fps, LoRAs.

Every official LTX template in tests/data/ui (and, when set, every one in COMFYREEL_TEMPLATES_DIR,
e.g. the unpacked ``comfyui-workflow-templates-json`` wheel) is imported, wired, compiled with a
recipe that sets ``seed: 7`` and a new prompt, and the graph must carry both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.loader import load_recipe
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.ui_import import import_ui, load_workflow
from comfyreel.compiler.ui_template import render_wired_template
from comfyreel.compiler.ui_wiring import wire

UI_DIR = Path(__file__).resolve().parent.parent / "data" / "ui"
_EXTRA = os.environ.get("COMFYREEL_TEMPLATES_DIR")
TEMPLATES = sorted(UI_DIR.glob("*ltx*.json")) + sorted(
    p
    for p in (Path(_EXTRA).glob("*ltx*.json") if _EXTRA else [])
    if not (UI_DIR / p.name).exists() and not p.name.startswith("api_")  # cloud API nodes: no schema
)
PROMPT = 'A brand new "prompt" with {{ braces }} and {% tags %}'


@pytest.fixture(scope="module")
def schema() -> ObjectInfo:
    return ObjectInfo.pinned()


def _wired_template(path: Path, schema: ObjectInfo, out_dir: Path) -> Path:
    result = import_ui(load_workflow(path), schema, source=path.name)
    out = out_dir / f"{path.stem}.json.j2"
    out.write_text(render_wired_template(result, wire(result, schema), origin=path.name), encoding="utf-8")
    return out


def _compile(tmp_path: Path, template: Path, extra: str = "") -> dict:
    return compile_recipe(load_recipe(_write(tmp_path, template, extra))).nodes


def _write(tmp_path: Path, template: Path, extra: str = "") -> Path:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "model: ltx2-t2v\n"
        f"prompt: {json.dumps(PROMPT)}\n"
        "seed: 7\nwidth: 768\nheight: 512\nseconds: 2\nfps: 24\n"
        f"template: {template.name}\n{extra}",
        encoding="utf-8",
    )
    return recipe


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_imported_template_takes_the_recipes_seed_and_prompt(path, schema, tmp_path):
    nodes = _compile(tmp_path, _wired_template(path, schema, tmp_path))
    seeds = [v for n in nodes.values() for k, v in n["inputs"].items() if k in ("seed", "noise_seed")]
    assert 7 in seeds
    texts = [v for n in nodes.values() for v in n["inputs"].values() if isinstance(v, str)]
    assert PROMPT in texts


def test_size_frames_fps_and_half_size_first_pass(schema, tmp_path):
    nodes = _compile(tmp_path, _wired_template(UI_DIR / "video_ltx2_3_flf2v.json", schema, tmp_path))
    latent = next(n for n in nodes.values() if n["class_type"] == "EmptyLTXVLatentVideo")
    assert latent["inputs"]["length"] == 49  # 2 s x 24 fps + 1: the folded `a * b + 1` is `frames`
    audio = next(n for n in nodes.values() if n["class_type"] == "LTXVEmptyLatentAudio")
    assert audio["inputs"]["frames_number"] == 49
    rate = audio["inputs"]["frame_rate"]  # the "Frame Rate(int)" primitive, wired to fps_int
    assert nodes[rate[0]]["class_type"] == "PrimitiveInt" and nodes[rate[0]]["inputs"]["value"] == 24

    def value(v):  # a literal, or the wired primitive it links to
        return nodes[v[0]]["inputs"]["value"] if isinstance(v, list) else v

    resize = [n["inputs"] for n in nodes.values() if n["class_type"] == "ResizeImageMaskNode"]
    assert {(value(i["resize_type.width"]), value(i["resize_type.height"])) for i in resize} == {(768, 512)}
    video = next(n for n in nodes.values() if n["class_type"] == "CreateVideo")
    assert video["inputs"]["fps"] == 24.0


def test_second_pass_seed_stays_and_is_listed(schema, tmp_path):
    path = UI_DIR / "video_ltx2_t2v.json"
    result = import_ui(load_workflow(path), schema, source=path.name)
    wiring = wire(result, schema)
    seeds = {(w.node_id, w.variable) for w in wiring.wires if w.variable == "seed"}
    assert seeds == {("92:11", "seed")}  # the first pass, as the built-in template wires it
    assert ("92:67", "RandomNoise", "noise_seed", 0) in wiring.literal
    nodes = _compile(tmp_path, _wired_template(path, schema, tmp_path))
    assert nodes["92:11"]["inputs"]["noise_seed"] == 7 and nodes["92:67"]["inputs"]["noise_seed"] == 0


def test_recipe_loras_chain_after_the_model_loader(schema, tmp_path):
    template = _wired_template(UI_DIR / "ltxv_text_to_video.json", schema, tmp_path)
    loras = "loras: [{name: a.safetensors, strength: 0.5}, {name: b.safetensors, strength: 0.8}]\n"
    nodes = _compile(tmp_path, template, loras)
    assert nodes["901"]["inputs"]["model"] == ["44", 0] and nodes["902"]["inputs"]["model"] == ["901", 0]
    users = [n for n in nodes.values() if n["inputs"].get("model") == ["902", 0]]
    assert users and all(n["class_type"] != "LoraLoaderModelOnly" for n in users)
    plain = _compile(tmp_path, template)
    assert "901" not in plain and any(n["inputs"].get("model") == ["44", 0] for n in plain.values())


def test_literal_braces_survive_and_math_is_folded(schema):
    ui = json.loads((UI_DIR / "video_ltx2_3_flf2v.json").read_text(encoding="utf-8"))
    result = import_ui(ui, schema, source="flf2v")
    wiring = wire(result, schema)
    assert any("a * b + 1" in f for f in wiring.folded)
    assert all(n["class_type"] != "ComfyMathExpression" for n in wiring.graph.nodes.values())
    negative = next(w for w in wiring.wires if w.variable == "negative_prompt")
    result.graph.nodes[negative.node_id]["inputs"]["title_note"] = "{{ not jinja }}"
    text = render_wired_template(result, wire(result, schema))
    assert '"title_note": "\\u007b\\u007b not jinja }}"' in text


def test_recipe_media_reach_the_imported_loaders(schema, tmp_path):
    from comfyreel.checks.synth import pattern_frames, write_image

    template = _wired_template(UI_DIR / "video_ltx2_i2v.json", schema, tmp_path)
    write_image(tmp_path / "start.png", pattern_frames(1, 96, 64, seed=3)[0])
    graph = compile_recipe(load_recipe(_write(tmp_path, template, "image: start.png\n")))
    (entry,) = graph.meta["inputs"]
    loaders = [n for n in graph.nodes.values() if n["class_type"] == "LoadImage"]
    assert [n["inputs"]["image"] for n in loaders] == [entry.name]
    plain = _compile(tmp_path, template)  # no image: the workflow's own file stays
    assert [n["inputs"]["image"] for n in plain.values() if n["class_type"] == "LoadImage"] == [
        "freckled_curly_girl.png"
    ]
