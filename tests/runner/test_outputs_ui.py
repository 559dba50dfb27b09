"""Outputs beyond media files, unique local names and Windows subfolders, against the fake ComfyUI."""

from __future__ import annotations

import hashlib

import pytest
from comfyreel.compiler.graph import Graph
from comfyreel.fake.server import FakeComfyUI
from comfyreel.runner import outputs
from comfyreel.runner.errors import OutputError
from comfyreel.runner.session import RunOptions, run_graph
from runner_graphs import image_graph

FAST = dict(poll_s=0.2, fast_poll_s=0.1, lost_after_s=1.0, finish_grace_s=15.0, silence_timeout_s=30.0)

SHOW_TEXT = {  # an output node that shows text only, like core PreviewAny
    "input": {"required": {"images": ["IMAGE"]}},
    "input_order": {"required": ["images"]},
    "output": [],
    "output_is_list": [],
    "output_name": [],
    "name": "ShowText",
    "display_name": "Show text",
    "description": "",
    "category": "test",
    "output_node": True,
    "python_module": "custom_nodes.showtext",
}
LATENT = {"filename": "l_00001_.latent", "subfolder": "", "type": "output"}


@pytest.fixture
def fake(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.01, extra_nodes={"ShowText": SHOW_TEXT}) as server:
        yield server


def run(fake, graph, tmp_path, **kw):
    return run_graph(
        graph, server_url=fake.url, out_dir=tmp_path / "runs", options=RunOptions(**{**FAST, **kw})
    )


def with_history_outputs(extra):
    """A /history rewrite adding UI outputs to every entry (what the server's nodes would show)."""

    def replace(body):
        for entry in body.values():
            for node_id, ui in extra.items():
                entry.setdefault("outputs", {})[node_id] = ui
        return body

    return {"/history": replace}


def test_text_and_latent_outputs_are_recorded_not_missing(fake, tmp_path):
    graph = image_graph()
    graph.nodes["3"] = {"class_type": "ShowText", "inputs": {"images": ["1", 0]}}
    graph.nodes["4"] = {"class_type": "ShowText", "inputs": {"images": ["1", 0]}}
    big = "x" * 10_000
    fake.faults.json_replace_routes = with_history_outputs(
        {"3": {"text": ["hello", big]}, "4": {"latents": [LATENT]}}
    )
    result = run(fake, graph, tmp_path)
    assert [f.path for f in result.outputs] == ["outputs/2-0.png", "outputs/2-1.png"]
    ui = result.manifest.ui_outputs
    assert ui["3"]["text"][0] == "hello" and ui["3"]["text"][1].startswith("x" * 4096)
    assert ui["3"]["text"][1].endswith("(10000 characters)") and len(ui["3"]["text"][1]) < 4200
    assert ui["4"] == {"latents": [LATENT]} and set(ui) == {"3", "4"}  # SaveImage's files are not repeated


def test_output_node_showing_nothing_is_still_an_output_error(fake, tmp_path):
    graph = image_graph()
    graph.nodes["3"] = {"class_type": "ShowText", "inputs": {"images": ["1", 0]}}
    with pytest.raises(OutputError) as info:
        run(fake, graph, tmp_path)
    assert "3" in info.value.message and "produced nothing" in info.value.message


def _two_savers(first: str, second: str) -> Graph:
    return Graph.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 1},
            },
            "2": {
                "class_type": "EmptyImage",
                "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 9},
            },
            first: {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "a"}},
            second: {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "b"}},
        },
        source="two.json",
    )


def test_look_alike_node_ids_get_their_own_files_and_a_true_manifest(fake, tmp_path):
    result = run(fake, _two_savers("58:43", "58_43"), tmp_path)
    paths = {f.node_id: f.path for f in result.outputs}
    assert len(set(paths.values())) == 2 and set(paths) == {"58:43", "58_43"}
    for f in result.outputs:  # every listed hash is the file on disk
        assert hashlib.sha256((result.run_dir / f.path).read_bytes()).hexdigest() == f.sha256
    assert len({f.sha256 for f in result.outputs}) == 2  # two different images, two different files


def test_windows_backslash_subfolders_are_accepted(fake, tmp_path):
    graph = image_graph(prefix="nested/deeper/img")

    def backslashes(body):
        for entry in body.values():
            for ui in entry.get("outputs", {}).values():
                for item in ui.get("images", []):
                    item["subfolder"] = item["subfolder"].replace("/", "\\")
        return body

    fake.faults.json_replace_routes = {"/history": backslashes}
    result = run(fake, graph, tmp_path)
    assert [f.subfolder for f in result.outputs] == ["nested/deeper", "nested/deeper"]
    assert all((result.run_dir / f.path).stat().st_size == f.size for f in result.outputs)


@pytest.mark.parametrize(
    ("subfolder", "ok"),
    [
        ("a\\b", "a/b"),
        ("video", "video"),
        ("..\\x", None),
        ("a\\..\\..\\x", None),
        ("C:\\x", None),
        ("\\x", None),
    ],
)
def test_subfolder_separators(subfolder, ok):
    if ok is None:
        with pytest.raises(OutputError):
            outputs.check_name("9", "f.png", subfolder, "output")
    else:
        assert outputs.check_name("9", "f.png", subfolder, "output") == ok


def test_local_names_are_unique_for_any_ids():
    ids = ["58:43", "58_43", "58.43", "58-43", "../x", "..", "a/b", "a_2fb", "é", "_c3_a9"]
    names = [outputs.local_name(i, 0, "png") for i in ids]
    assert len(set(names)) == len(names)
    assert all("/" not in n and "\\" not in n and ":" not in n and not n.startswith(".") for n in names)
