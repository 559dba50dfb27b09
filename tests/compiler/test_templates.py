"""Every shipped template compiles and validates clean against the pinned /object_info 0.27.0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from comfyreel.compiler import ltx_rules
from comfyreel.compiler.compile import compile_recipe, template_path
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.loader import load_recipe, load_recipe_text
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.render import builtin_template_dir
from comfyreel.compiler.validate import validate_graph
from hypothesis import given, settings
from hypothesis import strategies as st
from recipe_helpers import BASE

REPO = Path(__file__).resolve().parents[2]
SHARED_TEMPLATES = REPO.parent / "shared" / "comfyui" / "templates"
OFFICIAL = {
    "ltxv-t2v": "ltxv_text_to_video.json",
    "ltx2-t2v": "video_ltx2_t2v.json",
    "ltx2-t2v-distilled": "video_ltx2_t2v_distilled.json",
    "ltx23-t2v": "video_ltx2_3_t2v.json",
}
LORAS = (
    "loras:\n  - name: first.safetensors\n    strength: 0.8\n"
    "  - name: second.safetensors\n    strength: -0.5\n"
)


@pytest.fixture(scope="module")
def pinned() -> ObjectInfo:
    return ObjectInfo.pinned()


def compile_text(model: str, extra: str = "", size: str = "width: 768\nheight: 512\n") -> Graph:
    text = f"model: {model}\nprompt: a fox in the snow\nframes: 49\nseed: 7\n{size}{extra}"
    return compile_recipe(load_recipe_text(text, source=f"{model}.yaml"))


def by_class(graph: Graph, class_type: str) -> dict[str, dict]:
    return {nid: node for nid, node in graph if node["class_type"] == class_type}


def test_one_template_per_model() -> None:
    shipped = sorted(p.name for p in builtin_template_dir().glob("*.json.j2"))
    compositions = {"ltx2-i2v.json.j2", "ltx2-distilled-i2v.json.j2", "ltx2-control.json.j2"}
    compositions |= {"ltx23-keyframes.json.j2", "ltx23-ia2v.json.j2"}  # issue 10: inputs pick these
    assert shipped == sorted({spec.template for spec in ltx_rules.MODELS.values()} | compositions)


@pytest.mark.parametrize("model", sorted(ltx_rules.MODELS))
@pytest.mark.parametrize(
    "extra",
    ["", "profile: rtx4060-8gb\n", LORAS, LORAS + "profile: rtx4060-8gb\n"],
    ids=["plain", "8gb", "loras", "loras-8gb"],
)
def test_template_validates_clean(pinned: ObjectInfo, model: str, extra: str) -> None:
    graph = compile_text(model, extra)
    findings = validate_graph(graph, pinned)
    assert [str(f) for f in findings if f.severity != "info"] == []
    # only "model file not checked offline" infos remain: the pinned schema lists no model files
    assert {f.rule for f in findings} <= {"model-unchecked"}


@pytest.mark.parametrize("model", sorted(ltx_rules.MODELS))
def test_loras_chain_from_checkpoint_to_every_sampler(model: str) -> None:
    graph = compile_text(model, LORAS)
    loras = {nid: n for nid, n in by_class(graph, "LoraLoaderModelOnly").items() if nid.startswith("9")}
    assert list(loras) == ["901", "902"]
    ckpt = next(iter(by_class(graph, "CheckpointLoaderSimple")))
    assert loras["901"]["inputs"]["model"] == [ckpt, 0]
    assert loras["902"]["inputs"]["model"] == ["901", 0]
    assert (
        loras["901"]["inputs"]["strength_model"] == 0.8
        and loras["902"]["inputs"]["lora_name"] == "second.safetensors"
    )
    # every sampler's model descends from the end of the user chain
    consumers = [n for n in graph.nodes.values() if n["class_type"] in ("CFGGuider", "SamplerCustom")]
    for node in consumers:
        source = node["inputs"]["model"][0]
        while source not in ("902", ckpt):
            source = graph.nodes[source]["inputs"]["model"][0]
        assert source == "902"


@pytest.mark.parametrize("model", ["ltx2-t2v", "ltx2-t2v-distilled", "ltx23-t2v"])
def test_two_pass_models_render_half_size_then_upsample(model: str) -> None:
    graph = compile_text(model, size="width: 1280\nheight: 704\n")
    (latent,) = by_class(graph, "EmptyLTXVLatentVideo").values()
    assert (latent["inputs"]["width"], latent["inputs"]["height"], latent["inputs"]["length"]) == (
        640,
        352,
        49,
    )
    assert len(by_class(graph, "LTXVLatentUpsampler")) == 1
    assert len(by_class(graph, "SamplerCustomAdvanced")) == 2
    (audio,) = by_class(graph, "LTXVEmptyLatentAudio").values()
    assert audio["inputs"]["frames_number"] == 49 and audio["inputs"]["frame_rate"] == 24
    (create,) = by_class(graph, "CreateVideo").values()
    assert create["inputs"]["fps"] == 24.0 and "audio" in create["inputs"]


def test_ltxv_is_single_pass_full_size() -> None:
    graph = compile_text("ltxv-t2v")
    (latent,) = by_class(graph, "EmptyLTXVLatentVideo").values()
    assert (latent["inputs"]["width"], latent["inputs"]["height"]) == (768, 512)
    assert list(by_class(graph, "VAEDecode")) == ["8"]
    assert graph.nodes["72"]["inputs"]["cfg"] == 3.0 and graph.nodes["71"]["inputs"]["steps"] == 30


@pytest.mark.parametrize("model", sorted(ltx_rules.MODELS))
def test_rtx4060_profile_tiles_decode_and_moves_text_encoder_to_cpu(model: str) -> None:
    graph = compile_text(model, "profile: rtx4060-8gb\n")
    (decode,) = by_class(graph, "VAEDecodeTiled").values()
    assert decode["inputs"]["tile_size"] == 512 and decode["inputs"]["temporal_size"] == 16
    loaders = {**by_class(graph, "CLIPLoader"), **by_class(graph, "LTXAVTextEncoderLoader")}
    assert [n["inputs"]["device"] for n in loaders.values()] == ["cpu"]
    plain = compile_text(model)
    plain_loaders = {**by_class(plain, "CLIPLoader"), **by_class(plain, "LTXAVTextEncoderLoader")}
    assert [n["inputs"]["device"] for n in plain_loaders.values()] == ["default"]


def test_seed_recipe_compiles_to_the_expected_graph(pinned: ObjectInfo) -> None:
    graph = compile_recipe(load_recipe(REPO / "recipes" / "hello-wave-ltx2-8gb.yaml"))
    assert graph.nodes["3"]["inputs"]["text"] == 'A young woman says "hello everyone" while waving her hand'
    assert graph.nodes["43"]["inputs"] == {"width": 384, "height": 384, "length": 49, "batch_size": 1}
    assert graph.nodes["11"]["inputs"]["noise_seed"] == 42
    assert graph.nodes["60"]["inputs"]["device"] == "cpu"
    assert graph.nodes["98"]["class_type"] == "VAEDecodeTiled"
    assert graph.meta["recipe_name"] == "hello-wave-ltx2-8gb" and graph.meta["model"] == "ltx2-t2v"
    assert graph.meta["warnings"] == [] and graph.meta["inventory"] is None
    assert not [f for f in validate_graph(graph, pinned) if f.severity == "error"]


def test_inventory_passes_through_to_the_validator(pinned: ObjectInfo) -> None:
    text = BASE + "inventory: [ltx-2-19b-dev-fp8.safetensors]\n"
    graph = compile_recipe(load_recipe_text(text, source="inv.yaml"))
    assert graph.meta["inventory"] == ["ltx-2-19b-dev-fp8.safetensors"]
    missing = {(f.node_id, f.input) for f in validate_graph(graph, pinned) if f.severity == "error"}
    assert ("60", "text_encoder") in missing and ("1", "ckpt_name") not in missing


def test_compiling_is_deterministic_across_processes(tmp_path: Path) -> None:
    recipe = REPO / "recipes" / "ltx2-t2v.yaml"
    first = compile_recipe(load_recipe(recipe)).to_json()
    assert compile_recipe(load_recipe(recipe)).to_json() == first
    code = (
        "import sys; from comfyreel.compiler.loader import load_recipe; from comfyreel.compiler.compile "
        "import compile_recipe; sys.stdout.write(compile_recipe(load_recipe(sys.argv[1])).to_json())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(recipe)], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout == first


def test_template_path_prefers_the_recipe_template(tmp_path: Path) -> None:
    (tmp_path / "mine.json.j2").write_text("{}", encoding="utf-8")
    path = tmp_path / "r.yaml"
    path.write_text(BASE + "template: mine.json.j2\n", encoding="utf-8")
    assert template_path(load_recipe(path)) == tmp_path.resolve() / "mine.json.j2"


def _official_nodes(name: str) -> dict[str, str]:
    """``{node id: type}`` of the official workflow, subgraph nodes included, bypassed ones too."""
    data = json.loads((SHARED_TEMPLATES / name).read_text(encoding="utf-8"))
    nodes = list(data["nodes"])
    for sub in data.get("definitions", {}).get("subgraphs", []):
        nodes += sub["nodes"]
    return {str(n["id"]): n["type"] for n in nodes if n["type"] not in ("MarkdownNote", "Note")}


def _official_classes(name: str) -> set[str]:
    return set(_official_nodes(name).values())


@pytest.mark.skipif(not SHARED_TEMPLATES.is_dir(), reason="official templates (../shared) not present")
@pytest.mark.parametrize("model", sorted(OFFICIAL))
def test_templates_use_only_nodes_of_the_official_graph(model: str) -> None:
    ours = {n["class_type"] for n in compile_text(model, LORAS + "profile: rtx4060-8gb\n").nodes.values()}
    official = _official_classes(OFFICIAL[model]) | {"LoraLoaderModelOnly", "VAEDecodeTiled"}
    assert ours <= official, ours - official


@pytest.mark.skipif(not SHARED_TEMPLATES.is_dir(), reason="official templates (../shared) not present")
@pytest.mark.parametrize("model", sorted(OFFICIAL))
def test_templates_keep_the_official_node_ids(model: str) -> None:
    official = _official_nodes(OFFICIAL[model])
    graph = compile_text(model, LORAS + "profile: rtx4060-8gb\n")
    for node_id, node in graph:
        if node_id in ("901", "902"):
            continue
        assert node_id in official, f"{node_id} ({node['class_type']}) is not an official node id"
        same = official[node_id] == node["class_type"]
        decode_swap = {official[node_id], node["class_type"]} <= {"VAEDecode", "VAEDecodeTiled"}
        assert same or decode_swap, (node_id, official[node_id], node["class_type"])


@st.composite
def legal_recipes(draw: st.DrawFn) -> dict:
    spec = ltx_rules.MODELS[draw(st.sampled_from(sorted(ltx_rules.MODELS)))]
    step = spec.size_multiple
    size = st.integers(spec.min_size // step, spec.max_size // step).map(lambda n: n * step)
    recipe = {
        "model": spec.name,
        "prompt": draw(st.text(min_size=1, max_size=40).filter(str.strip)),
        "frames": draw(st.integers(0, (spec.max_frames - 1) // 8).map(lambda n: 8 * n + 1)),
        "width": draw(size),
        "height": draw(size),
        "seed": draw(st.integers(0, ltx_rules.SEED_MAX)),
        "fps": draw(st.integers(1, 120)) if spec.integer_fps else draw(st.floats(1, 120)),
        "loras": draw(
            st.lists(
                st.builds(dict, name=st.just("x.safetensors"), strength=st.floats(-100, 100)), max_size=3
            )
        ),
    }
    if spec.uses_steps:
        recipe["steps"] = draw(st.integers(1, ltx_rules.STEPS_MAX))
    if spec.uses_cfg:
        recipe["cfg"] = draw(st.floats(0, ltx_rules.CFG_MAX))
    if draw(st.booleans()):
        recipe["profile"] = "rtx4060-8gb"
    return recipe


@settings(max_examples=150, deadline=None)
@given(legal_recipes())
def test_every_legal_recipe_compiles_to_a_valid_graph(recipe: dict) -> None:
    """The recipe rules are enough: whatever they accept, the pinned schema accepts too."""
    graph = compile_recipe(load_recipe_text(json.dumps(recipe), source="legal.json"))
    errors = [str(f) for f in validate_graph(graph, ObjectInfo.pinned()) if f.severity == "error"]
    assert errors == []
