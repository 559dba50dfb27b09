"""size_policy: 1280x720 on LTX-2 renders on the 64 grid, then crops or pads the frames to the asked size."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.validate import validate_graph
from recipe_helpers import BASE, fail, load, replace

DATA = Path(__file__).resolve().parents[2] / "compiler" / "data"
HD = replace(replace(BASE, "width", "width: 1280"), "height", "height: 720")


def _nodes(graph, class_type: str) -> dict[str, dict]:
    return {i: n for i, n in graph if n["class_type"] == class_type}


def test_off_grid_size_is_refused_by_default_and_the_fix_names_the_policy(tmp_path: Path) -> None:
    err = fail(tmp_path, HD)
    (problem,) = err.problems
    assert problem["field"] == "height" and "704 or 768" in problem["message"]
    assert "size_policy: crop / pad" in problem["message"]


def test_crop_renders_the_grid_size_up_and_centre_crops_before_the_video(tmp_path: Path) -> None:
    graph = compile_recipe(load(tmp_path, HD + "size_policy: crop\n"))
    (latent,) = _nodes(graph, "EmptyLTXVLatentVideo").values()
    assert (latent["inputs"]["width"], latent["inputs"]["height"]) == (640, 384)  # half of 1280x768
    ((crop_id, crop),) = _nodes(graph, "ImageCrop").items()
    assert crop_id == "990" and crop["inputs"] | {"image": None} == {
        "image": None,
        "width": 1280,
        "height": 720,
        "x": 0,
        "y": 24,
    }
    (create,) = _nodes(graph, "CreateVideo").values()
    assert create["inputs"]["images"] == ["990", 0]
    assert graph.nodes[crop["inputs"]["image"][0]]["class_type"] in ("VAEDecode", "VAEDecodeTiled")


def test_pad_renders_the_grid_size_down_and_letterboxes(tmp_path: Path) -> None:
    graph = compile_recipe(load(tmp_path, HD + "size_policy: pad\n"))
    (latent,) = _nodes(graph, "EmptyLTXVLatentVideo").values()
    assert (latent["inputs"]["width"], latent["inputs"]["height"]) == (640, 352)  # half of 1280x704
    (pad,) = _nodes(graph, "ImagePadForOutpaint").values()
    assert [pad["inputs"][k] for k in ("left", "right", "top", "bottom", "feathering")] == [0, 0, 8, 8, 0]


@pytest.mark.parametrize("schema", ["object_info-0.27.0.json", "object_info-0.8.0.json"])
@pytest.mark.parametrize("policy", ["crop", "pad"])
def test_policy_graphs_validate_clean(tmp_path: Path, schema: str, policy: str) -> None:
    graph = compile_recipe(load(tmp_path, HD + f"size_policy: {policy}\n"))
    errors = [f for f in validate_graph(graph, ObjectInfo.from_file(DATA / schema)) if f.severity == "error"]
    assert not errors, errors


def test_on_grid_sizes_are_unchanged_by_a_policy(tmp_path: Path) -> None:
    plain = compile_recipe(load(tmp_path, BASE)).to_json()
    assert compile_recipe(load(tmp_path, BASE + "size_policy: crop\n")).to_json() == plain


def test_a_policy_still_needs_a_multiple_of_8(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(HD, "height", "height: 722") + "size_policy: crop\n")
    assert "722 is not a multiple of 8" in err.message


@pytest.mark.parametrize(("policy", "size"), [("crop", (320, 200)), ("pad", (320, 200))])
def test_the_fake_renders_the_asked_size(
    tmp_path: Path, comfy_fake, policy: str, size: tuple[int, int]
) -> None:
    import av
    from comfyreel.runner.session import RunOptions, run_recipe

    text = BASE.replace("seconds: 2", "frames: 9")
    text = replace(replace(text, "width", "width: 320"), "height", "height: 200") + f"size_policy: {policy}\n"
    recipe = tmp_path / "small.yaml"
    recipe.write_text(text)
    result = run_recipe(
        recipe, server_url=comfy_fake.url, out_dir=tmp_path / "runs", options=RunOptions(timeout_s=60)
    )
    (video,) = [f for f in result.files if f.path.endswith(".mp4")]
    with av.open(str(result.run_dir / video.path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == size
