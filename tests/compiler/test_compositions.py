"""Composed graphs vs the official LTX workflows: same node ids, classes and links (issue 10).

The expectations in tests/data/compiler/anchors/ were extracted from comfyui-workflow-templates-json
0.1.123 (MIT) by extract.py there: the official UI workflow through comfyreel's UI importer, minus
what the compiler folds into values (listed per node id with the reason) and nodes no output uses.
"""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.inputs import InputFile
from comfyreel.compiler.loader import load_recipe
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.validate import validate_graph

DATA = Path(__file__).resolve().parents[1] / "data" / "compiler"
HEAD = "prompt: a red box slides\nframes: 49\nwidth: 768\nheight: 448\nseed: 7\n"
ANCHORS = {
    "video_ltx2_i2v": "model: ltx2\nimage: start.png\n",
    "video_ltx2_i2v_distilled": "model: ltx2-distilled\nimage: start.png\n",
    "video_ltx2_canny_to_video": "model: ltx2\nimage: start.png\n"
    "control: {kind: canny, video: control.mp4}\n",
    "video_ltx2_depth_to_video": "model: ltx2\nimage: start.png\n"
    "control: {kind: depth, video: control.mp4}\n",
    "video_ltx2_3_flf2v": "model: ltx23\nkeyframes:\n  - {frame: 0, image: start.png}\n"
    "  - {frame: -1, image: end.png}\n",
    "video_ltx2_3_ia2v": "model: ltx23\nimage: start.png\naudio: {file: voice.wav}\n",
}


def compile_in(tmp_path: Path, body: str, name: str = "r.yaml") -> Graph:
    for media in (DATA / "media").iterdir():
        shutil.copy(media, tmp_path / media.name)
    recipe = tmp_path / name
    recipe.write_text(body + HEAD, encoding="utf-8")
    return compile_recipe(load_recipe(recipe))


def schemas() -> dict[str, ObjectInfo]:
    old = files("comfyreel.compiler.data").joinpath("object_info-0.8.0.json").read_bytes()
    return {"0.8.0": ObjectInfo.from_bytes(old, source="0.8.0"), "0.27.0": ObjectInfo.pinned()}


@pytest.mark.parametrize("anchor", sorted(ANCHORS))
def test_composition_has_the_official_nodes_and_links(tmp_path: Path, anchor: str) -> None:
    want = json.loads((DATA / "anchors" / f"{anchor}.json").read_text(encoding="utf-8"))
    graph = compile_in(tmp_path, ANCHORS[anchor])
    assert {nid: node["class_type"] for nid, node in graph.nodes.items()} == want["nodes"]
    assert sorted([list(link) for link in graph.links()]) == sorted(want["links"])


@pytest.mark.parametrize("anchor", sorted(ANCHORS))
def test_composition_validates_clean_on_0_8_0_and_0_27_0(tmp_path: Path, anchor: str) -> None:
    graph = compile_in(tmp_path, ANCHORS[anchor])
    for version, schema in schemas().items():
        findings = [f for f in validate_graph(graph, schema) if f.severity == "error"]
        assert findings == [], (version, [str(f) for f in findings])


def test_input_media_are_named_by_content_hash_and_listed(tmp_path: Path) -> None:
    graph = compile_in(tmp_path, ANCHORS["video_ltx2_3_ia2v"])
    inputs = graph.meta["inputs"]
    assert all(isinstance(item, InputFile) for item in inputs)
    assert [(i.field, i.kind) for i in inputs] == [("image", "image"), ("audio.file", "audio")]
    assert graph.nodes["269"]["inputs"]["image"] == inputs[0].name
    assert graph.nodes["276"]["inputs"]["audio"] == inputs[1].name
    assert inputs[0].name.startswith("comfyreel/") and inputs[0].name.endswith(".png")
    assert inputs[0].path == (tmp_path / "start.png").resolve()
    # the same recipe and the same bytes elsewhere compile to the same graph
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert compile_in(other, ANCHORS["video_ltx2_3_ia2v"]).to_json() == graph.to_json()
    # other bytes, another name
    (other / "start.png").write_bytes((DATA / "media" / "end.png").read_bytes())
    recipe = other / "r.yaml"
    changed = compile_recipe(load_recipe(recipe))
    assert changed.nodes["269"]["inputs"]["image"] != graph.nodes["269"]["inputs"]["image"]


def test_fit_pad_and_stretch(tmp_path: Path) -> None:
    pad = compile_in(tmp_path, ANCHORS["video_ltx2_i2v"] + "fit: pad\n")
    assert pad.nodes["102"]["class_type"] == "ResizeAndPadImage"
    assert (pad.nodes["102"]["inputs"]["target_width"], pad.nodes["102"]["inputs"]["target_height"]) == (
        768,
        448,
    )
    stretch = compile_in(tmp_path, ANCHORS["video_ltx2_i2v"] + "fit: stretch\n")
    assert stretch.nodes["102"]["inputs"]["resize_type.crop"] == "disabled"
    crop = compile_in(tmp_path, ANCHORS["video_ltx2_i2v"])
    assert crop.nodes["102"]["inputs"]["resize_type.crop"] == "center"
    for graph in (pad, stretch):
        assert [f for f in validate_graph(graph, ObjectInfo.pinned()) if f.severity == "error"] == []


def test_image_strength_and_keyframe_strength_reach_the_graph(tmp_path: Path) -> None:
    graph = compile_in(tmp_path, ANCHORS["video_ltx2_i2v"] + "image_strength: 0.6\n")
    assert graph.nodes["92:107"]["inputs"]["strength"] == 0.6
    keys = compile_in(
        tmp_path,
        "model: ltx23\nkeyframes:\n  - {frame: 0, image: start.png}\n"
        "  - {at: 1, image: end.png, strength: 0.4}\n",
    )
    assert (
        keys.nodes["129:111"]["inputs"]["frame_idx"] == 24
        and keys.nodes["129:111"]["inputs"]["strength"] == 0.4
    )


def test_pose_control_uses_the_pose_video_as_the_guide(tmp_path: Path) -> None:
    graph = compile_in(tmp_path, "model: ltx2\ncontrol: {kind: pose, video: control.mp4, strength: 0.8}\n")
    classes = {node["class_type"] for node in graph.nodes.values()}
    assert not classes & {"Canny", "UNETLoader", "LoadImage", "LTXVImgToVideoInplace"}
    guide = graph.nodes["143:132"]["inputs"]
    assert guide["image"] == ["146", 0] and guide["strength"] == 0.8 and guide["latent"] == ["143:115", 0]
    assert graph.nodes["143:134"]["inputs"]["lora_name"] == "ltx-2-19b-ic-lora-pose-control.safetensors"
    assert [f for f in validate_graph(graph, ObjectInfo.pinned()) if f.severity == "error"] == []


def test_strengths_out_of_range_are_recipe_errors(tmp_path: Path) -> None:
    from comfyreel.compiler.errors import RecipeError

    with pytest.raises(RecipeError, match="image_strength"):
        compile_in(tmp_path, ANCHORS["video_ltx2_i2v"] + "image_strength: 1.5\n")


def test_ltx23_start_image_is_keyframe_0(tmp_path: Path) -> None:
    graph = compile_in(tmp_path, "model: ltx23\nimage: start.png\nimage_strength: 0.9\n")
    guides = [n for n in graph.nodes.values() if n["class_type"] == "LTXVAddGuide"]
    assert [(g["inputs"]["frame_idx"], g["inputs"]["strength"]) for g in guides] == [(0, 0.9)]
    assert graph.nodes["31"]["inputs"]["image"] == graph.meta["inputs"][0].name


def test_fit_without_media_is_an_error(tmp_path: Path) -> None:
    from comfyreel.compiler.errors import RecipeError

    with pytest.raises(RecipeError, match="`fit` applies to input media"):
        compile_in(tmp_path, "model: ltx2\nfit: pad\n")
