"""Compile for the server you run: missing classes name the recipe field and the ComfyUI that has
them; the 8 GB profile's text-encoder device on a server without it is its own finding (issue 10)."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.loader import load_recipe
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.validate import validate_graph

DATA = Path(__file__).resolve().parents[1] / "data" / "compiler" / "media"
HEAD = "prompt: a red box slides\nframes: 49\nwidth: 768\nheight: 448\nseed: 7\n"


def old() -> ObjectInfo:
    return ObjectInfo.from_bytes(
        files("comfyreel.compiler.data").joinpath("object_info-0.8.0.json").read_bytes(), source="0.8.0"
    )


def compile_in(tmp_path: Path, body: str):
    for media in DATA.iterdir():
        shutil.copy(media, tmp_path / media.name)
    (tmp_path / "r.yaml").write_text(body + HEAD, encoding="utf-8")
    return compile_recipe(load_recipe(tmp_path / "r.yaml"))


@pytest.mark.parametrize(
    "body",
    [
        "model: ltx23\n",
        "model: ltx23\nimage: start.png\naudio: {file: voice.wav}\n",
        "model: ltx23\nkeyframes:\n  - {frame: 0, image: start.png}\n  - {frame: -1, image: end.png}\n",
    ],
    ids=["t2v", "ia2v", "flf2v"],
)
def test_prompt_enhancer_is_a_version_finding_on_0_8_0_and_valid_on_0_27_0(tmp_path: Path, body: str) -> None:
    graph = compile_in(tmp_path, body + "prompt_enhancer: true\n")
    enhancer = [nid for nid, node in graph.nodes.items() if node["class_type"] == "TextGenerateLTX2Prompt"]
    assert len(enhancer) == 1
    assert [f for f in validate_graph(graph, ObjectInfo.pinned()) if f.severity == "error"] == []
    errors = [f for f in validate_graph(graph, old()) if f.severity == "error"]
    assert len(errors) == 1, [str(f) for f in errors]
    finding = errors[0]
    assert finding.rule == "unknown-node"
    assert finding.message == (
        "TextGenerateLTX2Prompt is missing (prompt_enhancer: true): it needs a newer ComfyUI than this "
        "server's (0.8.0)"
    )
    assert "ComfyUI 0.16.3 has it" in finding.fix and "0.27.0" in finding.fix
    # without the enhancer the recipe's own prompt is in the graph and 0.8.0 has every class
    plain = compile_in(tmp_path, body)
    assert not [f for f in validate_graph(plain, old()) if f.severity == "error"]
    assert "a red box slides" in plain.to_json()


def test_device_of_the_8gb_profile_on_a_server_without_it(tmp_path: Path) -> None:
    graph = compile_in(tmp_path, "model: ltx2\nprofile: rtx4060-8gb\n")
    findings = validate_graph(graph, old())
    device = [f for f in findings if f.input == "device"]
    assert [f.rule for f in device] == ["device-ignored"]
    assert "8 GB memory plan does not apply" in device[0].message and "--novram" in device[0].fix
    assert not [f for f in validate_graph(graph, ObjectInfo.pinned()) if f.input == "device"]
    # without the profile the loader's default device is no finding of this kind
    plain = compile_in(tmp_path, "model: ltx2\n")
    assert not [f for f in validate_graph(plain, old()) if f.rule == "device-ignored"]
