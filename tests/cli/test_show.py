"""`comfyreel show` and `comfyreel import-template`, run in-process through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.cli import main
from comfyreel.compiler.graph import Graph

UI_DIR = Path(__file__).resolve().parent.parent / "data" / "ui"
LTXV_UI = UI_DIR / "ltxv_text_to_video.json"


@pytest.fixture
def api_graph(tmp_path: Path) -> Path:
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.compiler.ui_import import import_ui, load_workflow

    graph = import_ui(load_workflow(LTXV_UI), ObjectInfo.pinned()).graph
    path = tmp_path / "graph.json"
    path.write_text(graph.to_json())
    return path


def test_show_lists_every_node_in_execution_order(api_graph: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["show", str(api_graph)]) == 0
    out = capsys.readouterr().out
    graph = Graph.load(api_graph)
    for _nid, node in graph:
        assert f"[{node['class_type']}]" in out
    header = [line.split()[0] for line in out.splitlines()[1:] if not line.startswith(" " * 6)]
    assert sorted(header) == sorted(graph.nodes)
    assert header.index("44") < header.index("72") < header.index("8") < header.index("79")
    assert "vae <- 44:2 Load Checkpoint (VAE)" in out


def test_show_accepts_a_ui_workflow(capsys: pytest.CaptureFixture) -> None:
    assert main(["show", str(UI_DIR / "video_ltx2_t2v.json")]) == 0
    assert "92:97" in capsys.readouterr().out


def test_show_script_needs_extra_or_prints_program(api_graph: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["show", str(api_graph), "--script"])
    captured = capsys.readouterr()
    try:
        import comfy_script.transpile  # noqa: F401
    except ImportError:
        assert code == 2 and "comfyreel[script]" in captured.err
    else:
        assert code == 0 and "SamplerCustom(" in captured.out


def test_show_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert main(["show", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    template = tmp_path / "t.json.j2"
    template.write_text("{}")
    assert main(["show", str(template)]) == 2
    assert "needs a recipe" in capsys.readouterr().err


def test_import_template_writes_a_wired_template(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "templates" / "ltxv.json.j2"
    assert main(["import-template", str(LTXV_UI), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed
    assert "wired  72 SamplerCustom.noise_seed = 497797676867141 -> seed" in printed
    assert "wired  6 CLIPTextEncode.text" in printed and "-> prompt" in printed
    assert "wired  recipe loras -> chained after" in printed
    assert "literal" in printed
    text = out.read_text()
    assert "72 SamplerCustom.noise_seed = 497797676867141 -> seed" in text.split("-#}")[0]
    assert "recipe.*" not in text  # no advice that fails at compile time
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "model: ltxv-t2v\nprompt: 'a new \"prompt\" {{ x }}'\nseed: 7\nwidth: 768\nheight: 512\n"
        "seconds: 2\nfps: 24\ntemplate: templates/ltxv.json.j2\n"
    )
    graph_path = tmp_path / "g.json"
    assert main(["compile", str(recipe), "-o", str(graph_path)]) == 0
    graph = json.loads(graph_path.read_text())
    assert graph["72"]["inputs"]["noise_seed"] == 7
    assert graph["6"]["inputs"]["text"] == 'a new "prompt" {{ x }}'
    assert main(["import-template", str(LTXV_UI), "-o", str(out)]) == 2  # exists
    assert "--force" in capsys.readouterr().err
    assert main(["import-template", str(LTXV_UI), "-o", str(out), "--force"]) == 0


def test_import_template_refuses_api_graphs(
    api_graph: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["import-template", str(api_graph), "-o", str(tmp_path / "x.json.j2")]) == 2
    assert "not a UI-format workflow" in capsys.readouterr().err
    assert not (tmp_path / "x.json.j2").exists()


def test_show_compiles_a_recipe(capsys: pytest.CaptureFixture) -> None:
    recipe = Path(__file__).resolve().parents[2] / "recipes" / "ltxv-t2v.yaml"
    if not recipe.exists():
        pytest.skip("example recipe not shipped")
    assert main(["show", str(recipe)]) == 0
    out = capsys.readouterr().out
    assert "[EmptyLTXVLatentVideo]" in out and "[SaveVideo]" in out
