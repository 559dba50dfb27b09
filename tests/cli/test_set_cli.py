"""`--set` and `matrix:` on `compile`, `validate` and `run` (in-process through main())."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.cli import main
from comfyreel.compiler.graph import Graph

BASE = "name: hw\nmodel: ltx2-t2v\nprompt: hi\nseconds: 2\nwidth: 768\nheight: 768\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hw.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_compile_set_changes_the_graph(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, BASE)
    assert main(["compile", str(path), "--set", "seed=7", "--set", "cfg=3.5"]) == 0
    graph = Graph.from_json(capsys.readouterr().out)
    assert any(n.get("inputs", {}).get("noise_seed") == 7 for n in graph.nodes.values())
    assert any(n.get("inputs", {}).get("cfg") == 3.5 for n in graph.nodes.values())


def test_compile_variants_need_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, BASE + "matrix:\n  seed: [1, 2]\n")
    assert main(["compile", str(path)]) == 2
    assert "has 2 variants: give -o FOLDER" in capsys.readouterr().err
    out = tmp_path / "graphs"
    assert main(["compile", str(path), "-o", str(out), "--set", "cfg=2..3"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "hw@seed=1,cfg=2.json",
        "hw@seed=1,cfg=3.json",
        "hw@seed=2,cfg=2.json",
        "hw@seed=2,cfg=3.json",
    ]
    assert main(["compile", str(path), "--check", str(out), "--set", "cfg=2..3"]) == 0
    assert main(["compile", str(path), "--check", str(out), "--set", "cfg=2..4"]) == 1


def test_validate_reports_each_variant(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, BASE)
    assert main(["validate", str(path), "--set", "seed=1..2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [v["source"] for v in report["variants"]] == [f"{path} [hw@seed=1]", f"{path} [hw@seed=2]"]
    assert main(["validate", str(path), "--set", "width=770"]) == 1
    err = capsys.readouterr().err
    assert "width 770 is not a multiple of 64" in err and "(from --set width=770)" in err


def test_set_on_a_graph_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    graph = tmp_path / "g.json"
    graph.write_text('{"1": {"class_type": "EmptyImage", "inputs": {}}}')
    assert main(["validate", str(graph), "--set", "seed=1"]) == 2
    assert "--set applies to recipes" in capsys.readouterr().err


def test_run_set_names_the_run_folder(comfy_fake, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, BASE)
    out = tmp_path / "runs"
    assert main(["run", str(path), "--server", comfy_fake.url, "--out", str(out), "--set", "seed=5"]) == 0
    (run_dir,) = out.iterdir()
    assert run_dir.name.startswith("hw@seed=5-")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["recipe"]["name"] == "hw@seed=5" and manifest["recipe"]["variant"] == {"seed": 5}
    assert manifest["seeds"] and 5 in manifest["seeds"].values()
    goldens = tmp_path / "goldens"
    assert main(["check", str(run_dir), "--golden", str(goldens), "--update-golden"]) == 0
    assert [p.name for p in goldens.iterdir()] == ["hw@seed=5"]
    assert main(["run", str(path), "--server", comfy_fake.url, "--out", str(out), "--set", "seed=1..2"]) == 2
    assert "comfyreel batch" in capsys.readouterr().err
