"""validate_graph / ensure_valid end to end: real 0.3.64 rejection cases, ordering, real LTX templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.compiler.errors import GraphInvalid
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.rules import RULES
from comfyreel.compiler.validate import counts, ensure_valid, validate_graph

DATA = Path(__file__).resolve().parent.parent / "data"
TRACES = json.loads((DATA / "compiler" / "validation_errors.graph.json").read_text())

# Each graph ComfyUI 0.3.64 rejected with HTTP 400 -> the rule that must catch it offline.
EXPECTED = {
    "a_unknown_class_type": ("unknown-node", "2", None),
    "b_missing_required_input": ("missing-input", "2", "images"),
    "c1_combo_value_not_in_list": ("combo-value", "3", "upscale_method"),
    "c2_ckpt_name_not_in_list": ("model-missing", "1", "ckpt_name"),
    "d_link_to_missing_node": ("link-missing-node", "2", "images"),
    "e1_int_above_max": ("value-max", "1", "width"),
    "e2_int_below_min": ("value-min", "1", "batch_size"),
    "f_wrong_link_type": ("link-type", "3", "samples"),
    "g_no_output_node": ("no-output", None, None),
    "h_int_given_non_numeric_string": ("value-type", "1", "width"),
    "i_link_output_index_out_of_range": ("link-bad-slot", "2", "images"),
    "j_missing_class_type_key": ("malformed-node", "2", None),
    "k_empty_prompt_object": ("no-output", None, None),
}
# The recording server had these model files (see traces/README.md).
SERVER_MODELS = ModelInventory.from_names(
    [
        "checkpoints/dummy.safetensors",
        "checkpoints/ltx-video-2b-v0.9.safetensors",
        "text_encoders/t5xxl_fp16.safetensors",
    ]
)


def test_every_trace_case_is_mapped() -> None:
    assert set(TRACES) == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_rejected_trace_graph_is_flagged_by_its_rule(case: str) -> None:
    rule, node_id, input_name = EXPECTED[case]
    graph = Graph.from_data(TRACES[case], source=case)
    findings = validate_graph(graph, ObjectInfo.pinned(), inventory=SERVER_MODELS)
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.rule, f.node_id, f.input) for f in errors] == [(rule, node_id, input_name)], findings
    with pytest.raises(GraphInvalid):
        ensure_valid(graph, ObjectInfo.pinned(), inventory=SERVER_MODELS)


def test_findings_sorted_by_numeric_node_id_then_rule_order() -> None:
    nodes = {
        "10": {"class_type": "SaveImage", "inputs": {"images": ["9", 3], "filename_prefix": 1}},
        "9": {
            "class_type": "EmptyImage",
            "inputs": {"width": 0, "height": 64, "batch_size": 1, "color": 0, "extra": 1},
        },
        "2": {"class_type": "Nope", "inputs": {}},
    }
    findings = validate_graph(Graph.from_data(nodes), ObjectInfo.pinned())
    assert [(f.node_id, f.rule) for f in findings] == [
        ("2", "unknown-node"),
        ("9", "unknown-input"),
        ("9", "value-min"),
        ("10", "value-type"),
        ("10", "link-bad-slot"),
    ]
    order = [r.id for r in RULES]
    assert order.index("value-type") < order.index("link-bad-slot")
    assert counts(findings) == {"error": 4, "warning": 1, "info": 0}


def test_registry_has_one_entry_per_rule_with_doc() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.severity in ("error", "warning", "info") and rule.doc and rule.family
        assert rule.check.__doc__, rule.id


def test_ensure_valid_returns_infos_and_warnings() -> None:
    graph = Graph.from_data(TRACES["c2_ckpt_name_not_in_list"])
    graph.nodes["1"]["inputs"]["ckpt_name"] = "dummy.safetensors"
    findings = ensure_valid(graph, ObjectInfo.pinned())
    assert [f.rule for f in findings] == ["model-unchecked"]


UI = sorted((DATA / "ui").glob("*.json")) if (DATA / "ui").is_dir() else []


@pytest.mark.skipif(not UI, reason="tests/data/ui (official LTX templates) not present")
@pytest.mark.parametrize("path", UI, ids=lambda p: p.stem)
def test_official_ltx_templates_have_no_errors_or_warnings(path: Path) -> None:
    from comfyreel.compiler.ui_import import import_ui

    schema = ObjectInfo.pinned()
    graph = import_ui(json.loads(path.read_text()), schema, source=str(path)).graph
    findings = validate_graph(graph, schema)
    assert findings, "expected model-unchecked infos for the loaders"
    # video_ltx2_canny_to_video keeps a VAE Decode no output uses (an info, as ComfyUI skips it)
    assert {f.rule for f in findings} - {"unused-node"} == {"model-unchecked"}, [str(f) for f in findings]


# -- robustness: any JSON-shaped graph gives findings, never an exception -------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CLASSES = [
    "EmptyImage",
    "SaveImage",
    "ImageScale",
    "EmptyLTXVLatentVideo",
    "VAEDecode",
    "CheckpointLoaderSimple",
    "LTXAVTextEncoderLoader",
    "BatchImagesNode",
    "BeebleSwitchXImageEdit",
    "ComfySwitchNode",
    "PreviewAny",
    "NoSuchNode",
]
_NAMES = [
    "width",
    "height",
    "length",
    "images",
    "image",
    "samples",
    "vae",
    "ckpt_name",
    "device",
    "switch",
    "on_true",
    "images.image0",
    "alpha_mode",
    "alpha_mode.alpha_keyframe",
    "upscale_method",
    "source",
    "x",
]
_IDS = st.sampled_from(["1", "2", "3", "10", "a"])
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.sampled_from(["select", "auto", "bilinear", "cpu", "x.safetensors"]),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(_IDS, st.integers(-2, 8)).map(list),
    max_leaves=4,
)
_NODE = st.fixed_dictionaries(
    {"class_type": st.sampled_from(_CLASSES) | st.integers()},
    optional={"inputs": st.dictionaries(st.sampled_from(_NAMES), _VALUES, max_size=6) | st.integers()},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_IDS, _NODE, max_size=5))
def test_any_graph_gives_sorted_findings_never_an_exception(nodes) -> None:
    from comfyreel.compiler.graph import node_sort_key

    findings = validate_graph(Graph.from_data(nodes, source="fuzz"), ObjectInfo.pinned())
    order = [r.id for r in RULES]
    keys = [((-1,) if f.node_id is None else node_sort_key(f.node_id), order.index(f.rule)) for f in findings]
    assert keys == sorted(keys)
    for f in findings:
        assert f.message and f.anchor().startswith("fuzz")


def test_device_input_against_the_real_0_8_0_schema() -> None:
    """object_info 0.27.0 requires LTXAVTextEncoderLoader.device; ComfyUI 0.8.0 does not know it."""
    from importlib.resources import files

    resource = files("comfyreel.compiler.data").joinpath("object_info-0.8.0.json")
    if not resource.is_file():
        pytest.skip("object_info-0.8.0.json not shipped")
    old = ObjectInfo.from_bytes(resource.read_bytes(), source="0.8.0")
    node = {
        "class_type": "LTXAVTextEncoderLoader",
        "inputs": {"text_encoder": "g.safetensors", "ckpt_name": "c.safetensors", "device": "default"},
    }
    graph = Graph.from_data({"1": node, "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}})
    findings = ensure_valid(graph, old)  # a warning does not fail validation
    assert [(f.rule, f.input) for f in findings if f.severity != "info"] == [("unknown-input", "device")]
    assert not [f for f in validate_graph(graph, ObjectInfo.pinned()) if f.severity != "info"]
