"""ComfyScript view: comfy-script's transpiler fed the pinned schema offline names every node."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from comfyreel.compiler.errors import InputError, MissingExtra
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.ui_import import import_ui, load_workflow

UI_DIR = Path(__file__).resolve().parent.parent / "data" / "ui"
TEMPLATES = sorted(UI_DIR.glob("*.json"))


def _has_comfy_script() -> bool:
    try:
        import comfy_script.transpile  # noqa: F401
    except ImportError:
        return False
    return True


needs_script = pytest.mark.skipif(
    not _has_comfy_script(), reason="comfy-script not installed (pip install 'comfyreel[script]')"
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket connect fails the test: the view must stay offline."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("script view tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@needs_script
@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_script_names_every_node(path: Path, no_network: None) -> None:
    from comfyreel.compiler.script_view import graph_to_script, names_every_node

    schema = ObjectInfo.pinned()
    graph = import_ui(load_workflow(path), schema).graph
    script = graph_to_script(graph, schema)
    assert names_every_node(graph, script) == []
    # one statement per node: the transpiler emits one call per node
    calls = [line for line in script.splitlines() if "(" in line]
    assert len(calls) == len(graph)


@needs_script
def test_script_arguments_follow_input_order(no_network: None) -> None:
    from comfyreel.compiler.script_view import graph_to_script

    graph = Graph.from_data(
        {
            "1": {
                "class_type": "EmptyLTXVLatentVideo",
                "inputs": {"width": 768, "height": 512, "length": 97, "batch_size": 1},
            },
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        }
    )
    script = graph_to_script(graph, ObjectInfo.pinned())
    assert "EmptyLTXVLatentVideo(768, 512, 97, 1)" in script  # not the snapshot's sorted key order
    assert "PreviewAny(" in script and not script.splitlines()[-1].startswith("#")
    wrapped = graph_to_script(graph, ObjectInfo.pinned(), runtime=True)
    assert "with Workflow():" in wrapped


@needs_script
def test_unknown_node_is_a_clear_error() -> None:
    from comfyreel.compiler.script_view import graph_to_script

    graph = Graph.from_data({"1": {"class_type": "NoSuchNode", "inputs": {}}})
    with pytest.raises(InputError, match="NoSuchNode"):
        graph_to_script(graph, ObjectInfo.pinned())


def test_missing_extra_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from comfyreel.compiler import script_view

    monkeypatch.setitem(sys.modules, "comfy_script", None)  # import fails as if not installed
    graph = Graph.from_data({"1": {"class_type": "VAEDecode", "inputs": {}}})
    with pytest.raises(MissingExtra) as info:
        script_view.graph_to_script(graph, ObjectInfo.pinned())
    assert "comfyreel[script]" in (info.value.hint or "")
