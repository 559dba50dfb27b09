"""`comfyreel compile` and `comfyreel schema`, run in-process through main()."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from comfyreel.cli import main
from comfyreel.compiler.graph import Graph

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "recipes" / "hello-wave-ltx2-8gb.yaml"
BASE = "model: ltx2-t2v\nprompt: hi\nseconds: 2\nwidth: 768\nheight: 768\n"


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_compile_seed_recipe_prints_a_valid_graph(capsys: pytest.CaptureFixture) -> None:
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.compiler.validate import validate_graph

    assert main(["compile", str(SEED)]) == 0
    captured = capsys.readouterr()
    graph = Graph.from_json(captured.out, source=str(SEED))
    assert graph.to_json() == captured.out  # canonical
    assert not [f for f in validate_graph(graph, ObjectInfo.pinned()) if f.severity != "info"]
    assert "note: rtx4060-8gb:" in captured.err and "Traceback" not in captured.err


def test_compile_output_file_and_check(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "graphs" / "seed.json"
    assert main(["compile", str(SEED), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["compile", str(SEED), "--check", str(out)]) == 0
    assert "up to date" in capsys.readouterr().err
    out.write_text(out.read_text().replace('"noise_seed": 42', '"noise_seed": 41'))
    assert main(["compile", str(SEED), "--check", str(out)]) == 1
    err = capsys.readouterr().err
    assert "stale:" in err and '-      "noise_seed": 41' in err and '+      "noise_seed": 42' in err
    assert main(["compile", str(SEED), "--check", str(tmp_path / "missing.json")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_bad_recipe_exits_1_with_file_line_field(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, BASE.replace("width: 768", "width: 770"))
    assert main(["compile", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {path}:4: width 770 is not a multiple of 64")
    assert "Traceback" not in captured.err


def test_warnings_go_to_stderr_and_strict_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, BASE.replace("seconds: 2", "seconds: 2.5"))
    assert main(["compile", str(path)]) == 0
    captured = capsys.readouterr()
    assert "warning:" in captured.err and "8n+1" in captured.err and captured.out.startswith("{")
    assert main(["compile", str(path), "--strict"]) == 1
    assert "8n+1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "code"),
    [(["compile", "/no/such/recipe.yaml"], 2), (["compile"], 2), (["compile", "x.yaml", "--bogus"], 2)],
)
def test_usage_and_io_errors_exit_2(args: list[str], code: int, capsys: pytest.CaptureFixture) -> None:
    assert main(args) == code
    assert "Traceback" not in capsys.readouterr().err


def test_output_and_check_together_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["compile", str(SEED), "-o", str(tmp_path / "a"), "--check", str(tmp_path / "b")]) == 2
    assert "either --output or --check" in capsys.readouterr().err


def test_invalid_yaml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, "model: [oops\n")
    assert main(["compile", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}:")


def test_invalid_graph_exits_1_and_prints_findings(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(
        tmp_path,
        "{%- set read = (prompt, height, frames) -%}"
        '{"1": {"class_type": "EmptyLTXVLatentVideo", "inputs": {"width": {{ width }}}}}',
        "bad.json.j2",
    )
    path = write(tmp_path, BASE + "template: bad.json.j2\n")
    assert main(["compile", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error[" in captured.err and "nothing was written" in captured.err
    assert main(["compile", str(path), "--no-validate"]) == 0
    assert json.loads(capsys.readouterr().out)["1"]["inputs"]["width"] == 768


def test_template_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path, '{"1": {{ "".__class__ | tojson }}}', "evil.json.j2")
    path = write(tmp_path, BASE + "template: evil.json.j2\n")
    assert main(["compile", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sandbox" in err and "Traceback" not in err


def test_schema_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "comfyreel recipe" and "prompt" in schema["properties"]
    target = tmp_path / "recipe.schema.json"
    assert main(["schema", "--output", str(target)]) == 0
    assert json.loads(target.read_text()) == schema


def test_compile_command_imports_nothing_heavy() -> None:
    code = (
        "import sys; from comfyreel.cli import main; rc = main(['compile', sys.argv[1]]); "
        "bad = [m for m in ('av', 'torch', 'requests', 'websocket', 'rich.progress') if m in sys.modules]; "
        "print(rc, bad, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(SEED)], capture_output=True, text=True, check=True)
    assert out.stderr.strip().endswith("0 []")
