"""`comfyreel validate` and `comfyreel list-rules` in-process: exit codes 0/1/2, text and --json output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from comfyreel.cli import main
from comfyreel.compiler.object_info import PINNED_SHA256
from comfyreel.compiler.rules import RULES

REPO = Path(__file__).resolve().parents[2]
TRACES = json.loads((REPO / "tests" / "data" / "compiler" / "validation_errors.graph.json").read_text())
sys.path.insert(0, str(REPO / "tests" / "runner"))
from schema_server import Canned, refused_url, schema_server  # noqa: E402

VALID = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "t"}},
}


def _write(tmp_path: Path, data: object, name: str = "g.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_valid_graph_exits_0(tmp_path, capsys) -> None:
    graph = _write(tmp_path, VALID)
    assert main(["validate", graph]) == 0
    out = capsys.readouterr().out
    assert (
        out.strip() == f"{graph}: valid against pinned:object_info-0.27.0.json, sha256 {PINNED_SHA256[:12]}"
    )


def test_warnings_and_infos_still_exit_0(tmp_path, capsys) -> None:
    graph = dict(VALID)
    graph["3"] = {"class_type": "ImageInvert", "inputs": {"image": ["1", 0], "extra": 1}}
    path = _write(tmp_path, graph)
    assert main(["validate", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == f"{path}#3(ImageInvert):extra: warning[unknown-input] ImageInvert has no input 'extra'; "
        "ComfyUI ignores it (fix: remove it, or validate against the server you run with --server URL "
        "(pinned:object_info-0.27.0.json may be another ComfyUI version))"
    )
    assert lines[1].startswith(f"{path}#3(ImageInvert): info[unused-node]")
    assert "valid (1 warning, 1 info)" in lines[-1]


def test_error_findings_exit_1_with_one_line_each(tmp_path, capsys) -> None:
    path = _write(tmp_path, TRACES["e1_int_above_max"])
    assert main(["validate", path]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == f"{path}#1(EmptyImage):width: error[value-max] 99999 is above the maximum 16384 "
        "(fix: use 16384 or less)"
    )
    assert "invalid (1 error)" in lines[-1]


def test_json_output_shape(tmp_path, capsys) -> None:
    path = _write(tmp_path, TRACES["f_wrong_link_type"])
    assert main(["validate", path, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == path
    assert report["object_info"] == {"source": "pinned:object_info-0.27.0.json", "sha256": PINNED_SHA256}
    assert report["valid"] is False
    assert report["counts"] == {"error": 1, "warning": 0, "info": 1}
    assert [f["rule"] for f in report["findings"]] == ["model-unchecked", "link-type"]
    link = report["findings"][1]
    assert link["anchor"] == f"{path}#3(VAEDecode):samples" and link["severity"] == "error"
    assert set(link) >= {"rule", "severity", "message", "node_id", "input", "fix", "anchor"}


def test_models_dir_checks_model_names(tmp_path, capsys) -> None:
    (tmp_path / "models" / "checkpoints").mkdir(parents=True)
    (tmp_path / "models" / "checkpoints" / "dummy.safetensors").write_bytes(b"")
    path = _write(tmp_path, TRACES["c2_ckpt_name_not_in_list"])
    assert main(["validate", path, "--models", str(tmp_path / "models"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in report["findings"]] == ["model-missing"]
    assert report["findings"][0]["fix"] == 'closest files: "dummy.safetensors"' or report["findings"][0][
        "fix"
    ].startswith("download it into models/checkpoints/")


def test_object_info_file(tmp_path, capsys) -> None:
    schema = {
        "EmptyImage": {
            "input": {"required": {"width": ["INT", {"max": 32}]}},
            "output": ["IMAGE"],
            "output_node": True,
        }
    }
    oi = _write(tmp_path, schema, "oi.json")
    graph = _write(tmp_path, {"1": {"class_type": "EmptyImage", "inputs": {"width": 64}}})
    assert main(["validate", graph, "--object-info", oi, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["object_info"]["source"] == oi and len(report["object_info"]["sha256"]) == 64
    assert [f["rule"] for f in report["findings"]] == ["value-max"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "{missing}"], "cannot read file"),
        (["validate", "{bad_json}"], "not valid JSON"),
        (["validate", "{ui}"], "UI-format workflow"),
        (["validate", "{graph}", "--object-info", "{missing}"], "cannot read object_info"),
        (["validate", "{graph}", "--object-info", "{bad_json}"], "object_info is not valid JSON"),
        (["validate", "{graph}", "--object-info", "{graph}", "--server", "http://127.0.0.1:9"], "not both"),
        (["validate", "{graph}", "--header", "A: b"], "only used with --server"),
        (["validate", "{graph}", "--models", "{missing}"], "models folder not found"),
    ],
)
def test_usage_and_io_errors_exit_2(tmp_path, capsys, args, message) -> None:
    paths = {
        "missing": str(tmp_path / "missing.json"),
        "bad_json": str(tmp_path / "bad.json"),
        "ui": _write(tmp_path, {"nodes": [], "links": []}, "ui.json"),
        "graph": _write(tmp_path, VALID),
    }
    (tmp_path / "bad.json").write_text("{oops")
    assert main([a.format(**paths) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_recipe_is_compiled_then_validated(capsys) -> None:
    recipe = REPO / "recipes" / "ltxv-t2v.yaml"
    if not recipe.exists():
        pytest.skip("example recipes not present")
    assert main(["validate", str(recipe), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert {f["rule"] for f in report["findings"]} <= {"model-unchecked"}
    assert all(f["source"] == str(recipe) for f in report["findings"])


def test_json_recipe_is_detected_by_its_model_key(tmp_path, capsys) -> None:
    path = _write(tmp_path, {"model": "no-such-model", "prompt": "x"}, "r.json")
    code = main(["validate", path])
    assert code in (1, 2)  # a recipe error (exit 1), never a graph-shape error
    assert "API-format graph must be" not in capsys.readouterr().err


def test_server_schema(tmp_path, capsys) -> None:
    schema = {
        "SaveImage": {"input": {"required": {"images": ["IMAGE", {}]}}, "output": [], "output_node": True},
        "EmptyImage": {"input": {"required": {}}, "output": ["IMAGE"]},
    }
    canned = Canned(body=json.dumps(schema).encode())
    graph = _write(
        tmp_path,
        {
            "1": {"class_type": "EmptyImage", "inputs": {"width": 64}},
            "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}},
        },
    )
    with schema_server(canned) as url:
        code = main(
            ["validate", graph, "--server", url, "--header", "Authorization: Bearer s3cret", "--json"]
        )
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads(out)
    assert report["object_info"]["source"] == f"{url}/object_info"
    assert [f["rule"] for f in report["findings"]] == ["unknown-input"]  # this server has no "width"
    assert canned.seen_headers[0]["Authorization"] == "Bearer s3cret"
    assert "s3cret" not in out


def test_unreachable_server_exits_3_as_run_does(tmp_path, capsys) -> None:
    graph = _write(tmp_path, VALID)
    url = refused_url()
    assert main(["validate", graph, "--server", url, "--header", "X-Token: s3cret"]) == 3
    err = capsys.readouterr().err
    assert "Connection refused" in err and "s3cret" not in err
    assert main(["run", graph, "--server", url, "--out", str(tmp_path / "r")]) == 3  # same code


def test_bad_server_json_is_a_protocol_error(tmp_path, capsys) -> None:
    with schema_server(Canned(body=b"not json")) as url:
        assert main(["validate", _write(tmp_path, VALID), "--server", url]) == 4
    assert "not valid JSON" in capsys.readouterr().err


def test_bad_header_exits_2(tmp_path, capsys) -> None:
    assert (
        main(["validate", _write(tmp_path, VALID), "--server", "http://127.0.0.1:9", "--header", "nocolon"])
        == 2
    )
    assert "--header 'Name: value'" in capsys.readouterr().err


def test_list_rules_text_and_json(capsys) -> None:
    assert main(["list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(RULES)
    assert lines[0].split()[:2] == ["malformed-node", "error"]
    assert main(["list-rules", "--json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    assert set(rules[0]) == {"id", "severity", "family", "doc"}
    assert main(["list-rules", "--markdown"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "| rule | severity | family | checks |"
    assert (
        table[2]
        == "| `malformed-node` | error | nodes | node has no class_type, or its inputs are not an object |"
    )
    assert len(table) == len(RULES) + 2


def test_recipe_inventory_is_checked(tmp_path, capsys) -> None:
    source = REPO / "recipes" / "ltxv-t2v.yaml"
    if not source.exists():
        pytest.skip("example recipes not present")
    recipe = tmp_path / "fox.yaml"
    recipe.write_text(
        source.read_text() + "\ninventory: [t5xxl_fp16.safetensors, ltx-video-2b.safetensors]\n"
    )
    assert main(["validate", str(recipe), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    missing = [f for f in report["findings"] if f["rule"] == "model-missing"]
    assert [f["input"] for f in missing] == ["ckpt_name"]
    assert missing[0]["fix"] == 'closest files: "ltx-video-2b.safetensors"'
    assert missing[0]["anchor"].startswith(f"{recipe}#44(")


def test_validating_a_graph_loads_no_network_or_template_modules(tmp_path) -> None:
    graph = _write(tmp_path, VALID)
    code = (
        "import contextlib, io, sys, json\n"
        "from comfyreel.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['validate', {graph!r}])\n"
        "print(json.dumps([rc, sorted({m.split('.')[0] for m in sys.modules})]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rc, modules = json.loads(out.stdout.strip().splitlines()[-1])
    assert rc == 0
    assert not {"requests", "jinja2", "yaml", "av", "torch", "websocket"} & set(modules)


SNAPPED = "name: snap\nmodel: ltx2-t2v\nprompt: a fox\nseconds: 4.3\nfps: 24\nwidth: 768\nheight: 512\n"


def test_validate_shows_recipe_warnings_and_strict_makes_them_errors(tmp_path, capsys) -> None:
    recipe = tmp_path / "snap.yaml"
    recipe.write_text(SNAPPED)
    assert main(["validate", str(recipe)]) == 0
    assert "warning: " in capsys.readouterr().err
    assert main(["validate", str(recipe), "--json"]) == 0
    (warning,) = json.loads(capsys.readouterr().out)["recipe_warnings"]
    assert "105 frames" in warning
    assert main(["validate", str(recipe), "--strict"]) == 1
    assert "error: " in capsys.readouterr().err


def test_offline_notes_on_unchecked_models_are_one_summary_line(capsys) -> None:
    from importlib.resources import files

    recipe = str(files("comfyreel.recipes").joinpath("hello-wave-ltx2-8gb.yaml"))
    assert main(["validate", recipe]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "6 model inputs unchecked offline (4 files: " in lines[0]
    assert "ltx-2-19b-dev-fp8.safetensors" in lines[0] and lines[1].startswith(f"{recipe}: valid")
    assert main(["validate", recipe, "--verbose"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 7
