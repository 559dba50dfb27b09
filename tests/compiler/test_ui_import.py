"""UI-format workflow -> API graph: the official LTX templates and one small case per feature."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
import pytest
from comfyreel.compiler.errors import InputError
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.ui_import import import_ui, load_workflow, render_template
from comfyreel.compiler.ui_widgets import map_widget_values

UI_DIR = Path(__file__).resolve().parent.parent / "data" / "ui"
SHARED_DIR = Path(__file__).resolve().parents[3] / "shared" / "comfyui" / "templates"
# The copies under tests/data/ui, plus any official template in ../shared that has no copy yet.
TEMPLATES = sorted(UI_DIR.glob("*.json")) + sorted(
    p for p in (SHARED_DIR.glob("*.json") if SHARED_DIR.is_dir() else []) if not (UI_DIR / p.name).exists()
)
VIRTUAL = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}


@pytest.fixture(scope="module")
def schema() -> ObjectInfo:
    return ObjectInfo.pinned()


# -- an independent expectation, read from the UI JSON directly ------------------------------
def _expected(ui: dict[str, Any]) -> tuple[Counter, Counter]:
    """Node types and linked (class_type, input) pairs the API graph must have.

    Deliberately simple: skips UI-only, muted and bypassed nodes, descends into subgraphs, and
    does not count a link from a subgraph input the instance leaves unconnected (a value then).
    """
    subgraphs = {d["id"]: d for d in (ui.get("definitions") or {}).get("subgraphs", [])}
    types: Counter = Counter()
    linked: Counter = Counter()

    def walk(nodes: list[dict], links: dict[int, int], open_inputs: set[int]) -> None:
        for node in nodes:
            if node.get("mode", 0) in (2, 4) or node["type"] in VIRTUAL:
                continue
            if node["type"] in subgraphs:
                sub = subgraphs[node["type"]]
                names = [i["name"] for i in sub["inputs"]]
                unconnected = {
                    names.index(i["name"])
                    for i in node.get("inputs", [])
                    if i.get("link") is None and i["name"] in names
                }
                unconnected |= set(range(len(names))) - {
                    names.index(i["name"]) for i in node.get("inputs", []) if i["name"] in names
                }
                inner = {lk["id"]: lk for lk in sub["links"]}
                walk(
                    sub["nodes"],
                    {k: v["origin_id"] for k, v in inner.items()},
                    {
                        k
                        for k, v in inner.items()
                        if v["origin_id"] == -10 and v["origin_slot"] in unconnected
                    },
                )
                continue
            types[node["type"]] += 1
            for inp in node.get("inputs", []):
                if inp.get("link") is not None and inp["link"] not in open_inputs:
                    linked[(node["type"], inp["name"])] += 1

    walk(ui["nodes"], {lk[0]: lk[1] for lk in ui["links"]}, set())
    return types, linked


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_converts_to_the_same_nodes_and_links(path: Path, schema: ObjectInfo) -> None:
    ui = load_workflow(path)
    result = import_ui(ui, schema, source=str(path))
    graph = result.graph
    want_types, want_links = _expected(ui)
    assert Counter(n["class_type"] for n in graph.nodes.values()) == want_types
    got_links = Counter((graph.nodes[nid]["class_type"], name) for nid, name, _, _ in graph.links())
    assert got_links == want_links
    for nid, name, src, slot in graph.links():
        assert src in graph.nodes, f"{nid}.{name} links to missing node {src}"
        outputs = schema[graph.nodes[src]["class_type"]].outputs
        assert 0 <= slot < len(outputs), f"{nid}.{name} uses output {slot} of {src}"


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_validates_clean_except_model_combos(path: Path, schema: ObjectInfo) -> None:
    validate = pytest.importorskip("comfyreel.compiler.validate", reason="validator not available")
    result = import_ui(load_workflow(path), schema, source=path.name)
    findings = validate.validate_graph(result.graph, schema)
    # The pinned snapshot lists no model or input files: those combos are only "unchecked offline".
    # An official workflow may keep a node no output uses (video_ltx2_canny_to_video's VAE Decode).
    rest = [
        f
        for f in findings
        if not (
            f.input and f.class_type and "Loader" in f.class_type and ("model" in f.rule or "combo" in f.rule)
        )
        and not (f.rule == "model-unchecked" and f.class_type in ("LoadImage", "LoadVideo", "LoadAudio"))
        and f.rule != "unused-node"
    ]
    assert rest == [], "\n".join(str(f) for f in rest)


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_text_renders_back_to_the_graph(path: Path, schema: ObjectInfo) -> None:
    result = import_ui(load_workflow(path), schema, source=path.name)
    text = render_template(result)
    assert text.startswith("{#-")
    rendered = jinja2.Environment().from_string(text).render()
    assert json.loads(rendered) == json.loads(result.graph.to_json())
    for lit in result.literals:
        if lit.label:
            assert f"{lit.node_id} " in text.split("-#}")[0]


def test_subgraph_ids_promoted_knobs_and_bypass(schema: ObjectInfo) -> None:
    result = import_ui(load_workflow(UI_DIR / "video_ltx2_t2v.json"), schema)
    nodes = result.graph.nodes
    assert nodes["75"]["inputs"]["video"] == ["92:97", 0]  # through the subgraph output
    knobs = {lit.label: lit.value for lit in result.literals if lit.label}
    assert knobs["frame_count"] == 121 and knobs["width"] == 1280 and knobs["height"] == 720
    assert nodes["92:3"]["inputs"]["text"].startswith("A close-up of a cheerful girl puppet")
    assert "92:104" not in nodes and "92:104 LoraLoaderModelOnly (bypassed)" in result.dropped
    # RandomNoise keeps its seed; the control_after_generate value is not an input
    assert nodes["92:11"]["inputs"] == {"noise_seed": 10}


def test_dynamic_combo_and_autogrow_inputs(schema: ObjectInfo) -> None:
    nodes = import_ui(load_workflow(UI_DIR / "video_ltx2_3_t2v.json"), schema).graph.nodes
    resize = nodes["267:238"]["inputs"]
    assert resize["resize_type"] == "scale dimensions"
    assert resize["resize_type.crop"] == "center" and resize["scale_method"] == "lanczos"
    assert resize["resize_type.width"] == ["267:257", 0]
    text_gen = nodes["267:327"]["inputs"]
    assert text_gen["sampling_mode.temperature"] == 0.7 and text_gen["sampling_mode.top_k"] == 64
    assert text_gen["thinking"] is False and text_gen["use_default_template"] is True
    assert nodes["267:277"]["inputs"]["values.b"] == ["267:260", 0]


# -- small hand-made workflows, one feature each -------------------------------------------
def _node(nid: int, kind: str, *, inputs=(), outputs=(), values=None, mode=0, title=None) -> dict:
    node = {
        "id": nid,
        "type": kind,
        "mode": mode,
        "inputs": [dict(i) for i in inputs],
        "outputs": [dict(o) for o in outputs],
    }
    if values is not None:
        node["widgets_values"] = values
    if title:
        node["title"] = title
    return node


def _ckpt_graph(middle: list[dict], links: list[list], save_from: int) -> dict:
    nodes = [
        _node(
            1,
            "CheckpointLoaderSimple",
            values=["m.safetensors"],
            outputs=[
                {"name": "MODEL", "type": "MODEL", "links": []},
                {"name": "CLIP", "type": "CLIP", "links": []},
                {"name": "VAE", "type": "VAE", "links": []},
            ],
        ),
        *middle,
        _node(9, "EmptyLatentImage", values=[512, 512, 1]),
        _node(
            10,
            "VAEDecode",
            inputs=[
                {"name": "samples", "type": "LATENT", "link": 90},
                {"name": "vae", "type": "VAE", "link": 91},
            ],
        ),
    ]
    links = [*links, [90, 9, 0, 10, 0, "LATENT"], [91, save_from, 0, 10, 1, "VAE"]]
    return {"nodes": nodes, "links": links, "version": 0.4}


def test_reroute_and_bypass_pass_through(schema: ObjectInfo) -> None:
    middle = [
        _node(
            2,
            "Reroute",
            inputs=[{"name": "", "type": "*", "link": 20}],
            outputs=[{"name": "", "type": "VAE", "links": [21]}],
        ),
        _node(
            3,
            "VAEDecode",
            mode=4,
            inputs=[
                {"name": "samples", "type": "LATENT", "link": None},
                {"name": "vae", "type": "VAE", "link": 21},
            ],
            outputs=[{"name": "IMAGE", "type": "IMAGE", "links": []}],
        ),
    ]
    ui = _ckpt_graph(middle, [[20, 1, 2, 2, 0, "VAE"], [21, 2, 0, 3, 1, "VAE"]], save_from=2)
    nodes = import_ui(ui, schema).graph.nodes
    assert nodes["10"]["inputs"]["vae"] == ["1", 2]
    assert set(nodes) == {"1", "9", "10"}


def test_bypass_matches_by_type_not_slot(schema: ObjectInfo) -> None:
    # LoraLoaderModelOnly bypassed: its MODEL output must come from its MODEL input.
    ui = {
        "nodes": [
            _node(
                1,
                "CheckpointLoaderSimple",
                values=["m"],
                outputs=[{"name": "MODEL", "type": "MODEL", "links": [1]}],
            ),
            _node(
                2,
                "LoraLoaderModelOnly",
                mode=4,
                values=["l", 1.0],
                inputs=[{"name": "model", "type": "MODEL", "link": 1}],
                outputs=[{"name": "MODEL", "type": "MODEL", "links": [2]}],
            ),
            _node(
                3,
                "ModelSamplingLTXV",
                values=[2.05, 0.95],
                inputs=[{"name": "model", "type": "MODEL", "link": 2}],
            ),
        ],
        "links": [[1, 1, 0, 2, 0, "MODEL"], [2, 2, 0, 3, 0, "MODEL"]],
    }
    nodes = import_ui(ui, schema).graph.nodes
    assert nodes["3"]["inputs"]["model"] == ["1", 0] and "2" not in nodes


def test_muted_node_dropped_with_its_links(schema: ObjectInfo) -> None:
    ui = _ckpt_graph(
        [
            _node(
                4,
                "VAELoader",
                mode=2,
                values=["v.safetensors"],
                outputs=[{"name": "VAE", "type": "VAE", "links": [91]}],
            )
        ],
        [],
        save_from=4,
    )
    result = import_ui(ui, schema)
    assert "4" not in result.graph.nodes and "vae" not in result.graph.nodes["10"]["inputs"]
    assert any("10 VAEDecode.vae" in n for n in result.notes)


def test_primitive_node_folds_into_widget(schema: ObjectInfo) -> None:
    ui = {
        "nodes": [
            _node(
                1,
                "PrimitiveNode",
                values=[768, "fixed"],
                outputs=[{"name": "INT", "type": "INT", "links": [5]}],
            ),
            _node(
                2,
                "EmptyLTXVLatentVideo",
                values=[1, 2, 97, 1],
                inputs=[{"name": "width", "type": "INT", "widget": {"name": "width"}, "link": 5}],
            ),
            _node(3, "PrimitiveInt", values=[33, "fixed"]),
        ],
        "links": [[5, 1, 0, 2, 0, "INT"]],
    }
    nodes = import_ui(ui, schema).graph.nodes
    assert nodes["2"]["inputs"] == {"width": 768, "height": 2, "length": 97, "batch_size": 1}
    assert nodes["3"] == {"class_type": "PrimitiveInt", "inputs": {"value": 33}, "_meta": {"title": "Int"}}
    assert "1" not in nodes


def _subgraph(
    sid: str, nodes: list[dict], links: list[dict], inputs: list[dict], outputs: list[dict]
) -> dict:
    return {
        "id": sid,
        "name": sid,
        "nodes": nodes,
        "links": links,
        "inputs": inputs,
        "outputs": outputs,
        "inputNode": {"id": -10},
        "outputNode": {"id": -20},
    }


def _lk(lid: int, o: int, os_: int, t: int, ts: int, kind: str) -> dict:
    return {"id": lid, "origin_id": o, "origin_slot": os_, "target_id": t, "target_slot": ts, "type": kind}


def test_nested_subgraphs_flatten_with_path_ids_and_values(schema: ObjectInfo) -> None:
    inner = _subgraph(
        "inner",
        [
            _node(
                7,
                "PrimitiveInt",
                values=[5, "fixed"],
                inputs=[{"name": "value", "type": "INT", "widget": {"name": "value"}, "link": 1}],
            ),
        ],
        [_lk(1, -10, 0, 7, 0, "INT"), _lk(2, 7, 0, -20, 0, "INT")],
        [{"name": "n", "type": "INT", "linkIds": [1]}],
        [{"name": "INT", "type": "INT", "linkIds": [2]}],
    )
    outer = _subgraph(
        "outer",
        [
            _node(
                3,
                "inner",
                inputs=[{"name": "n", "type": "INT", "widget": {"name": "n"}, "link": None}],
                outputs=[{"name": "INT", "type": "INT", "links": [4]}],
                values=[9],
            ),
        ],
        [_lk(4, 3, 0, -20, 0, "INT")],
        [],
        [{"name": "INT", "type": "INT", "linkIds": [4]}],
    )
    ui = {
        "nodes": [
            _node(5, "outer", outputs=[{"name": "INT", "type": "INT", "links": [8]}]),
            _node(
                6,
                "EmptyLTXVLatentVideo",
                values=[768, 512, 97, 1],
                inputs=[{"name": "length", "type": "INT", "widget": {"name": "length"}, "link": 8}],
            ),
        ],
        "links": [[8, 5, 0, 6, 2, "INT"]],
        "definitions": {"subgraphs": [inner, outer]},
    }
    result = import_ui(ui, schema)
    assert set(result.graph.nodes) == {"5:3:7", "6"}
    assert result.graph.nodes["6"]["inputs"]["length"] == ["5:3:7", 0]
    assert result.graph.nodes["5:3:7"]["inputs"]["value"] == 9  # the instance's value wins
    assert [lit.label for lit in result.literals if lit.node_id == "5:3:7"] == ["n"]


def test_proxy_widget_value_overrides_inner_widget(schema: ObjectInfo) -> None:
    sub = _subgraph(
        "s",
        [
            _node(
                1, "PrimitiveInt", values=[5, "fixed"], outputs=[{"name": "INT", "type": "INT", "links": [2]}]
            )
        ],
        [_lk(2, 1, 0, -20, 0, "INT")],
        [],
        [{"name": "INT", "type": "INT", "linkIds": [2]}],
    )
    ui = {
        "nodes": [
            _node(4, "s", values=[12], outputs=[]) | {"properties": {"proxyWidgets": [["1", "value"]]}}
        ],
        "links": [],
        "definitions": {"subgraphs": [sub]},
    }
    result = import_ui(ui, schema)
    assert result.graph.nodes["4:1"]["inputs"]["value"] == 12
    assert [lit.label for lit in result.literals] == ["value"]


def test_widget_mapping_skips_control_values_and_defaults_missing(schema: ObjectInfo) -> None:
    raw = ObjectInfo.pinned().raw
    mapped = map_widget_values(raw["KSampler"], [7, "randomize", 20, 8.0, "euler", "normal", 1.0])
    assert mapped.values == {
        "seed": 7,
        "steps": 20,
        "cfg": 8.0,
        "sampler_name": "euler",
        "scheduler": "normal",
        "denoise": 1.0,
    }
    short = map_widget_values(raw["CreateVideo"], [24])
    assert short.values == {"fps": 24, "bit_depth": 8} and short.defaulted == ["bit_depth"]
    extra = map_widget_values(raw["VAEDecode"], [1, None])
    assert extra.values == {} and extra.surplus == 1


def test_unknown_node_kept_and_noted(schema: ObjectInfo) -> None:
    ui = {"nodes": [_node(1, "NoSuchNode", values=[1])], "links": []}
    result = import_ui(ui, schema)
    assert result.graph.nodes["1"]["class_type"] == "NoSuchNode"
    assert any("not in object_info" in n for n in result.notes)


def test_braces_in_prompt_stay_literal(schema: ObjectInfo) -> None:
    ui = {"nodes": [_node(1, "PrimitiveStringMultiline", values=["a {{ b }} {% c %}"])], "links": []}
    text = render_template(import_ui(ui, schema))
    assert "{% raw %}" in text
    assert (
        json.loads(jinja2.Environment().from_string(text).render())["1"]["inputs"]["value"]
        == "a {{ b }} {% c %}"
    )


def test_bad_inputs_raise_clear_errors(tmp_path: Path, schema: ObjectInfo) -> None:
    api = tmp_path / "api.json"
    api.write_text(json.dumps({"1": {"class_type": "VAEDecode", "inputs": {}}}))
    with pytest.raises(InputError, match="not a UI-format workflow") as info:
        load_workflow(api)
    assert "API-format" in (info.value.hint or "")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_workflow(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_workflow(tmp_path / "missing.json")
    with pytest.raises(InputError, match="no executable nodes"):
        import_ui({"nodes": [_node(1, "Note", values=["x"])], "links": []}, schema)
