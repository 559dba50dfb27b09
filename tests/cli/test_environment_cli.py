"""`comfyreel doctor`, `models` and `snapshot` end to end on the fake (real sockets), and --object-info."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from comfyreel.cli import main
from comfyreel.fake import FakeComfyUI

ROOT = Path(__file__).parents[2]
SEED = str(ROOT / "recipes" / "hello-wave-ltx2-8gb.yaml")
RECIPES = sorted(str(p) for p in (ROOT / "recipes").glob("*.yaml"))
SEED_FILES = {
    "checkpoints": "ltx-2-19b-dev-fp8.safetensors",
    "text_encoders": "gemma_3_12B_it_fp4_mixed.safetensors",
    "loras": "ltx-2-19b-distilled-lora-384.safetensors",
    "latent_upscale_models": "ltx-2-spatial-upscaler-x2-1.0.safetensors",
}


def test_doctor_exits_1_with_missing_files_then_0_once_placed(tmp_path: Path, capsys) -> None:
    with FakeComfyUI(tmp_path / "out", models={"text_encoders": [SEED_FILES["text_encoders"]]}) as fake:
        assert main(["doctor", "--server", fake.url, SEED]) == 1
        out = capsys.readouterr().out
        for folder in ("checkpoints", "loras", "latent_upscale_models"):
            name = SEED_FILES[folder]
            assert re.search(rf"FAIL .*model\s+{re.escape(name)}\s+missing from models/{folder}", out)
            assert f"ComfyUI/models/{folder}/{name} https://huggingface.co/" in out  # the download command
        assert re.search(
            rf"ok .*model\s+{SEED_FILES['text_encoders']}\s+present in models/text_encoders", out
        )
        assert re.search(r"server\s+ComfyUI\s+0.3.64", out) and "not ready: 3 problem(s)" in out
        for folder, name in SEED_FILES.items():
            fake.install_models(folder, [name])
        assert main(["doctor", "--server", fake.url, SEED, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["server"]["comfyui_version"] == "0.3.64"
    assert {r["item"] for r in report["rows"] if r["check"] == "model" and r["status"] == "ok"} == set(
        SEED_FILES.values()
    )


def test_doctor_without_recipes_checks_the_server_only(comfy_fake, capsys) -> None:
    assert main(["doctor", "--server", comfy_fake.url]) == 0
    assert "custom nodes" in capsys.readouterr().out


def test_doctor_unreachable_server_is_exit_3(capsys) -> None:
    assert main(["doctor", "--server", "http://127.0.0.1:9"]) == 3
    assert "cannot reach" in capsys.readouterr().err


@pytest.mark.parametrize("recipe", RECIPES, ids=[Path(p).stem for p in RECIPES])
def test_models_json_lists_only_files_with_folder_and_url(recipe: str, capsys) -> None:
    assert main(["models", recipe, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] and report["missing"] == 0 and report["checked_against"] is None
    for f in report["files"]:
        assert f["folder"] and f["url"].startswith("https://"), f
        assert f["present"] is None and f["download"].startswith("curl -L")


def test_models_against_a_folder_and_a_server(tmp_path: Path, capsys) -> None:
    models = tmp_path / "models"
    (models / "checkpoints").mkdir(parents=True)
    assert main(["models", SEED, "--models-dir", str(models)]) == 1
    out = capsys.readouterr().out
    assert "MISSING    checkpoints/ltx-2-19b-dev-fp8.safetensors (27.1 GB)" in out
    assert f"{models}/loras/ltx-2-19b-distilled-lora-384.safetensors" in out
    for folder, name in SEED_FILES.items():
        (models / folder).mkdir(exist_ok=True)
        (models / folder / name).write_bytes(b"\0" * 4096)
    assert main(["models", SEED, "--models-dir", str(models)]) == 0
    assert "4 model file(s), 0 missing" in capsys.readouterr().out
    with FakeComfyUI(tmp_path / "out", models={"checkpoints": [SEED_FILES["checkpoints"]]}) as fake:
        assert main(["models", SEED, "--server", fake.url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    present = {f["name"]: f["present"] for f in report["files"]}
    assert present[SEED_FILES["checkpoints"]] is True and present[SEED_FILES["loras"]] is False


def test_models_usage_errors(capsys) -> None:
    assert main(["models", SEED, "--server", "http://x", "--models-dir", "."]) == 2
    assert main(["models", SEED, "--header", "A: b"]) == 2


def _finding_keys(report: dict, source: str) -> list[tuple]:
    return [
        (
            f["rule"],
            f["severity"],
            f["node_id"],
            f["input"],
            f["message"].replace(source, "<schema>"),
            (f["fix"] or "").replace(source, "<schema>"),
        )
        for f in report["findings"]
    ]


def test_snapshot_then_offline_validate_matches_online(tmp_path: Path, capsys) -> None:
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "nope.safetensors"}},
        "2": {"class_type": "VHS_VideoCombine", "inputs": {}},
        "3": {
            "class_type": "EmptyImage",
            "inputs": {"width": 99999, "height": 64, "batch_size": 1, "color": 0},
        },
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "t"}},
    }
    path = tmp_path / "g.json"
    path.write_text(json.dumps(graph))
    snap = tmp_path / "snap.json"
    with FakeComfyUI(tmp_path / "out", version="0.8.0") as fake:
        assert main(["snapshot", "--server", fake.url, "-o", str(snap)]) == 0
        assert "ComfyUI 0.8.0" in capsys.readouterr().out
        assert main(["validate", str(path), "--server", fake.url, "--json"]) == 1
        online = json.loads(capsys.readouterr().out)
    assert main(["validate", str(path), "--object-info", str(snap), "--json"]) == 1
    offline = json.loads(capsys.readouterr().out)
    rules = {f["rule"] for f in online["findings"]}
    assert {"combo-value", "unknown-node", "value-max"} <= rules
    assert _finding_keys(online, online["object_info"]["source"]) == _finding_keys(
        offline, offline["object_info"]["source"]
    )
    assert online["object_info"]["sha256"] == offline["object_info"]["sha256"]
    # compile and show read the same file offline
    assert main(["compile", SEED, "--object-info", str(snap), "-o", str(tmp_path / "seed.json")]) == 0
    assert main(["show", str(tmp_path / "seed.json"), "--object-info", str(snap)]) == 0
    ui = ROOT / "tests" / "data" / "ui" / "ltxv_text_to_video.json"
    out = tmp_path / "mine.json.j2"
    assert main(["import-template", str(ui), "-o", str(out), "--object-info", str(snap)]) == 0
    assert out.exists()


def test_fake_server_rejects_a_bad_object_info_file_cleanly(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"comfyreel_snapshot": 1, "object_info": []}')
    assert main(["fake-server", "--port", "0", "--object-info", str(bad)]) == 2
    assert "snapshot has no object_info object" in capsys.readouterr().err
    assert main(["fake-server", "--port", "0", "--object-info", str(tmp_path / "none.json")]) == 2
